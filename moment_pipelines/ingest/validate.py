"""SQL that checks every landed document and converts it to typed columns.

Validate, never coerce: DuckDB's own casts round `12.5` to a BIGINT 13 and read
an offset-less timestamp string in the session time zone, so each field's JSON
type is checked first and only then converted. A value that does not fit its
declared kind produces an error entry. A document with any error goes to the
quarantine instead of the raw table.

Accepted spellings follow MongoDB Extended JSON v2 (relaxed and canonical) and
plain JSON with ISO-8601 date strings:
- integers: JSON integers, integral doubles up to 2^53 (the mongo shell stores
  numbers as doubles), {"$numberLong": "..."} and {"$numberInt": "..."};
- times: ISO-8601 strings (without an offset they are read as UTC),
  {"$date": "<ISO string>"}, {"$date": {"$numberLong": "<ms>"}},
  {"$date": <ms>} and a bare number of milliseconds since the epoch.
"""

from datetime import datetime

from moment_pipelines.ingest.schema import CollectionSpec, Kind, SourceField

# Times before this are treated as corrupt (for example seconds read as ms).
EARLIEST_VALID_TIME = "2000-01-01 00:00:00+00"
# Clock skew tolerated before a time counts as "in the future".
FUTURE_TOLERANCE = "INTERVAL 1 DAY"

_INTEGER_TEXT = r"-?[0-9]{1,19}"
_NUMBER_TEXT = r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|-?Infinity"
_ISO_NAIVE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
_ISO_WITH_OFFSET = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)"
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def json_path(dotted: str) -> str:
    """Turn `location.lng` into the quoted JSONPath `$."location"."lng"`."""
    return "$" + "".join(f'."{part}"' for part in dotted.split("."))


def _member_text(value: str, key: str) -> str:
    return f"json_extract_string({value}, {_quote(json_path(key))})"


def _iso_to_timestamptz(text: str) -> str:
    return (
        f"CASE WHEN regexp_full_match({text}, {_quote(_ISO_WITH_OFFSET)}) "
        f"THEN TRY_CAST({text} AS TIMESTAMPTZ) "
        f"WHEN regexp_full_match({text}, {_quote(_ISO_NAIVE)}) "
        f"THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMP)) END"
    )


def _epoch_ms_to_timestamptz(milliseconds: str) -> str:
    return f"timezone('UTC', epoch_ms({milliseconds}))"


def _integer_value(value: str) -> str:
    as_double = f"TRY_CAST({value} AS DOUBLE)"
    extended = f"coalesce({_member_text(value, '$numberLong')}, {_member_text(value, '$numberInt')})"
    return (
        f"CASE json_type({value}) "
        f"WHEN 'BIGINT' THEN TRY_CAST({value} AS BIGINT) "
        f"WHEN 'UBIGINT' THEN TRY_CAST({value} AS BIGINT) "
        f"WHEN 'DOUBLE' THEN CASE WHEN isfinite({as_double}) AND {as_double} = trunc({as_double}) "
        f"AND abs({as_double}) <= 9007199254740992 THEN CAST({as_double} AS BIGINT) END "
        f"WHEN 'OBJECT' THEN CASE WHEN regexp_full_match({extended}, {_quote(_INTEGER_TEXT)}) "
        f"THEN TRY_CAST({extended} AS BIGINT) END "
        f"END"
    )


def _double_value(value: str) -> str:
    extended = (
        f"coalesce({_member_text(value, '$numberDouble')}, {_member_text(value, '$numberInt')}, "
        f"{_member_text(value, '$numberLong')})"
    )
    return (
        f"CASE json_type({value}) "
        f"WHEN 'BIGINT' THEN TRY_CAST({value} AS DOUBLE) "
        f"WHEN 'UBIGINT' THEN TRY_CAST({value} AS DOUBLE) "
        f"WHEN 'DOUBLE' THEN TRY_CAST({value} AS DOUBLE) "
        f"WHEN 'OBJECT' THEN CASE WHEN regexp_full_match({extended}, {_quote(_NUMBER_TEXT)}) "
        f"THEN TRY_CAST({extended} AS DOUBLE) END "
        f"END"
    )


def _time_value(value: str) -> str:
    as_text = f"json_extract_string({value}, '$')"
    date_member = f"json_extract({value}, {_quote(json_path('$date'))})"
    date_text = f"json_extract_string({date_member}, '$')"
    date_long = _member_text(date_member, "$numberLong")
    return (
        f"CASE json_type({value}) "
        f"WHEN 'VARCHAR' THEN {_iso_to_timestamptz(as_text)} "
        f"WHEN 'BIGINT' THEN {_epoch_ms_to_timestamptz(f'TRY_CAST({value} AS BIGINT)')} "
        f"WHEN 'UBIGINT' THEN {_epoch_ms_to_timestamptz(f'TRY_CAST({value} AS BIGINT)')} "
        f"WHEN 'OBJECT' THEN CASE json_type({date_member}) "
        f"WHEN 'VARCHAR' THEN {_iso_to_timestamptz(date_text)} "
        f"WHEN 'BIGINT' THEN {_epoch_ms_to_timestamptz(f'TRY_CAST({date_member} AS BIGINT)')} "
        f"WHEN 'UBIGINT' THEN {_epoch_ms_to_timestamptz(f'TRY_CAST({date_member} AS BIGINT)')} "
        f"WHEN 'OBJECT' THEN CASE WHEN regexp_full_match({date_long}, {_quote(_INTEGER_TEXT)}) "
        f"THEN {_epoch_ms_to_timestamptz(f'TRY_CAST({date_long} AS BIGINT)')} END "
        f"END "
        f"END"
    )


def _text_list_value(value: str) -> str:
    return (
        f"CASE WHEN {value} IS NULL OR json_type({value}) = 'NULL' THEN []::VARCHAR[] "
        f"WHEN json_type({value}) = 'ARRAY' "
        f"AND len(list_filter(json_type({value}, '$[*]'), lambda t: t <> 'VARCHAR')) = 0 "
        f"THEN json_extract_string({value}, '$[*]') END"
    )


def value_sql(kind: Kind, value: str) -> str:
    """SQL converting the JSON expression `value` to `kind`, NULL when it does not fit."""
    if kind in (Kind.ID, Kind.INT):
        return _integer_value(value)
    if kind is Kind.DOUBLE:
        return _double_value(value)
    if kind is Kind.TEXT:
        return f"CASE json_type({value}) WHEN 'VARCHAR' THEN json_extract_string({value}, '$') END"
    if kind is Kind.BOOL:
        return f"CASE json_type({value}) WHEN 'BOOLEAN' THEN TRY_CAST({value} AS BOOLEAN) END"
    if kind is Kind.TIME:
        return _time_value(value)
    if kind is Kind.TEXT_LIST:
        return _text_list_value(value)
    if kind is Kind.JSON:
        return value
    raise ValueError(f"unknown field kind: {kind}")


_EXPECTED = {
    Kind.ID: "整数 id",
    Kind.INT: "整数",
    Kind.DOUBLE: "有限数值",
    Kind.TEXT: "字符串",
    Kind.BOOL: "布尔值",
    Kind.TIME: "时间（ISO-8601 字符串、$date 或毫秒时间戳）",
    Kind.TEXT_LIST: "字符串数组",
}


def _error(field: str, code: str, message_sql: str) -> str:
    return f"{{'field': {_quote(field)}, 'code': {_quote(code)}, 'message': {message_sql}}}"


def _with_value(text: str, preview: str) -> str:
    """SQL for a fixed message followed by the offending value."""
    return f"{_quote(text)} || {preview}"


def _field_errors(field: SourceField, value: str, column: str, now_sql: str) -> list[str]:
    """CASE expressions, each NULL or one error struct for this field."""
    path = field.path
    present = f"({value} IS NOT NULL AND json_type({value}) <> 'NULL')"
    preview = f"left(CAST({value} AS VARCHAR), 80)"
    wrong_type = _with_value(f"字段 {path} 应为{_EXPECTED.get(field.kind, '')}，实际为 ", f"json_type({value}) || ' 值 ' || {preview}")
    errors = []

    if field.required:
        errors.append(f"CASE WHEN NOT {present} THEN {_error(path, 'missing', _quote(f'缺少必填字段 {path}'))} END")

    if field.kind is Kind.JSON:
        return errors

    if field.kind is Kind.ID:
        object_id = f"json_extract({value}, {_quote(json_path('$oid'))}) IS NOT NULL"
        object_id_message = _with_value(f"字段 {path} 是 ObjectId，本项目的 id 应为整数：", preview)
        errors.append(f"CASE WHEN {present} AND {object_id} THEN {_error(path, 'object_id', object_id_message)} END")
        errors.append(
            f"CASE WHEN {present} AND {column} IS NULL AND NOT ({object_id}) "
            f"THEN {_error(path, 'wrong_type', wrong_type)} END"
        )
    else:
        errors.append(f"CASE WHEN {present} AND {column} IS NULL THEN {_error(path, 'wrong_type', wrong_type)} END")

    range_checks = []
    if field.kind is Kind.DOUBLE:
        range_checks.append((f"NOT isfinite({column})", "out_of_range", f"字段 {path} 不是有限数值："))
    if field.min_value is not None:
        range_checks.append((f"{column} < {field.min_value}", "out_of_range", f"字段 {path} 小于下限 {field.min_value:g}："))
    if field.max_value is not None:
        range_checks.append((f"{column} > {field.max_value}", "out_of_range", f"字段 {path} 大于上限 {field.max_value:g}："))
    if field.kind is Kind.TIME:
        range_checks.append(
            (
                f"{column} < TIMESTAMPTZ {_quote(EARLIEST_VALID_TIME)}",
                "too_old",
                f"字段 {path} 早于 2000 年，可能是以秒为单位的时间戳：",
            )
        )
        range_checks.append((f"{column} > {now_sql} + {FUTURE_TOLERANCE}", "in_future", f"字段 {path} 晚于加载时间一天以上："))
    for condition, code, text in range_checks:
        errors.append(f"CASE WHEN {condition} THEN {_error(path, code, _with_value(text, preview))} END")
    return errors


def validation_sql(spec: CollectionSpec, landing_table: str, loaded_at: datetime) -> str:
    """Build a SELECT over `landing_table(seq, doc, problem)` with typed columns and errors.

    Output columns: seq, doc, doc_hash, source_id (the `_id` as written, for the
    quarantine), one column per field, `_watermark_time`, `unknown_fields`, and
    `errors`, a list of {field, code, message} structs that is empty for a
    valid document.
    """
    now_sql = f"TIMESTAMPTZ {_quote(loaded_at.isoformat())}"
    paths = [field.path for field in spec.fields] + list(spec.object_paths)
    path_list = "[" + ", ".join(_quote(json_path(path)) for path in paths) + "]"
    known_keys = "[" + ", ".join(_quote(key) for key in spec.top_level_keys) + "]"

    typed_columns = []
    for index, field in enumerate(spec.fields, start=1):
        typed_columns.append(f"{value_sql(field.kind, f'v[{index}]')} AS {field.column}")

    error_cases = [
        f"CASE WHEN problem = 'invalid_utf8' THEN "
        f"{_error('', 'invalid_utf8', _quote('文档不是有效的 UTF-8：') + ' || problem_detail')} END",
        f"CASE WHEN problem IS NULL AND NOT is_json THEN {_error('', 'invalid_json', _quote('文档不是有效的 JSON（可能被截断）'))} END",
        f"CASE WHEN is_json AND doc_type <> 'OBJECT' THEN {_error('', 'not_object', _quote('文档应为 JSON 对象，实际为 ') + ' || doc_type')} END",
    ]
    field_error_cases = []
    for index, field in enumerate(spec.fields, start=1):
        field_error_cases.extend(_field_errors(field, f"v[{index}]", field.column, now_sql))
    for offset, path in enumerate(spec.object_paths, start=len(spec.fields) + 1):
        value = f"v[{offset}]"
        field_error_cases.append(
            f"CASE WHEN {value} IS NOT NULL AND json_type({value}) NOT IN ('NULL', 'OBJECT') THEN "
            f"{_error(path, 'wrong_type', _quote(f'字段 {path} 应为对象，实际为 ') + f' || json_type({value})')} END"
        )
    # Field checks only run on JSON objects, so a broken document has one reason.
    guarded_field_errors = [f"CASE WHEN doc_type = 'OBJECT' THEN {case} END" for case in field_error_cases]

    watermark = "coalesce(" + ", ".join(spec.column_for(path) for path in spec.watermark_paths) + ")"
    id_path = json_path("_id")

    return f"""
WITH parsed AS (
    SELECT seq, doc, problem, problem_detail, md5(doc) AS doc_hash,
           problem IS NULL AND json_valid(doc) AS is_json
    FROM {landing_table}
),
shaped AS (
    SELECT *, CASE WHEN is_json THEN json_type(doc) END AS doc_type
    FROM parsed
),
extracted AS (
    SELECT *,
           CASE WHEN doc_type = 'OBJECT' THEN json_extract(doc, {path_list}) END AS v,
           CASE WHEN doc_type = 'OBJECT' THEN CAST(json_extract(doc, {_quote(id_path)}) AS VARCHAR) END AS source_id,
           CASE WHEN doc_type = 'OBJECT'
                THEN list_filter(json_keys(doc), lambda k: NOT list_contains({known_keys}, k)) END AS unknown_fields
    FROM shaped
),
typed AS (
    SELECT *, {", ".join(typed_columns)}
    FROM extracted
)
SELECT seq, doc, doc_hash, source_id,
       {", ".join(field.column for field in spec.fields)},
       {watermark} AS _watermark_time,
       coalesce(unknown_fields, []::VARCHAR[]) AS unknown_fields,
       list_filter([{", ".join(error_cases + guarded_field_errors)}], lambda e: e IS NOT NULL) AS errors
FROM typed
"""
