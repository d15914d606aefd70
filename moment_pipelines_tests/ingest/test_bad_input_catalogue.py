"""Catalogue of bad or odd source documents and the outcome each one gets.

Every case writes export files, materializes the raw and staging assets, and
checks that the document was either loaded with a defined value or
quarantined with a specific field and reason code. The reconciliation check
(read = loaded + skipped + quarantined) must pass in every case.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from dagster import materialize

from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.assets.staging import staging_assets
from moment_pipelines.resources import ExportDirSource, Warehouse

UTC = timezone.utc

BASE_MOMENT = {
    "_id": 1000,
    "uid": 501,
    "type": 1,
    "text": "周末去爬山",
    "pics": [],
    "status": 3,
    "createTime": {"$date": "2025-03-01T02:00:00.000Z"},
    "updateTime": {"$date": "2025-03-01T02:00:00.000Z"},
    "likeCount": 1,
}


def moment(**changes) -> dict:
    document = {**BASE_MOMENT, "_id": 2000, **changes}
    return {key: value for key, value in document.items() if value is not ...}


def like(**changes) -> dict:
    document = {"_id": 7000, "momentId": 1000, "uid": 502, "actionTime": {"$date": "2025-03-01T03:00:00Z"}, **changes}
    return {key: value for key, value in document.items() if value is not ...}


def comment(**changes) -> dict:
    document = {
        "_id": 9000,
        "momentId": 1000,
        "uid": 503,
        "toUid": 501,
        "content": "好看",
        "publishTime": {"$date": "2025-03-01T04:00:00Z"},
        "status": 3,
        **changes,
    }
    return {key: value for key, value in document.items() if value is not ...}


@dataclass
class Case:
    """One bad-input kind: the files to write and what must happen to the document."""

    name: str
    collection: str
    lines: list  # documents (dicts are JSON-encoded) or raw bytes lines
    quarantined: tuple[str, str] | None = None  # expected (field, reason_code)
    check: Callable | None = None  # receives a DuckDB connection; asserts the loaded outcome
    extra_files: dict = field(default_factory=dict)  # file name -> bytes, replacing the default file


def one(con, query):
    return con.execute(query).fetchone()


def check_moment_value(column, expected):
    def check(con):
        assert one(con, f"SELECT {column} FROM raw_moments WHERE moment_id = 2000") == (expected,)

    return check


CASES = [
    # Identity
    Case("id-missing", "moments", [moment(_id=...)], quarantined=("_id", "missing")),
    Case("id-objectid", "moments", [moment(_id={"$oid": "65f1d7f3b9d1e8a0a1c2b3c4"})], quarantined=("_id", "object_id")),
    Case("id-string", "moments", [moment(_id="2000")], quarantined=("_id", "wrong_type")),
    Case(
        "id-beyond-2-53",
        "moments",
        [b'{"_id": 9007199254740993, "uid": 501, "type": 1, "createTime": "2025-03-01T02:00:00Z"}'],
        check=lambda con: assert_equal(one(con, "SELECT max(moment_id) FROM raw_moments"), (9007199254740993,)),
    ),
    Case(
        "same-id-two-update-times",
        "moments",
        [
            moment(likeCount=5, updateTime={"$date": "2025-03-02T00:00:00Z"}),
            moment(likeCount=3, updateTime={"$date": "2025-03-01T12:00:00Z"}),
        ],
        check=check_moment_value("like_count", 5),
    ),
    # Text
    Case("text-missing", "moments", [moment(text=...)], check=check_moment_value("text", None)),
    Case("text-null", "moments", [moment(text=None)], check=check_moment_value("text", None)),
    Case("text-100k-characters", "moments", [moment(text="长" * 100_000)], check=check_moment_value("length(text)", 100_000)),
    Case(
        "text-emoji-rare-cjk",
        "moments",
        [moment(text="早安☀️👨‍👩‍👧𠀀𪚥")],
        check=check_moment_value("text", "早安☀️👨‍👩‍👧𠀀𪚥"),
    ),
    Case("text-number", "moments", [moment(text=42)], quarantined=("text", "wrong_type")),
    Case(
        "invalid-utf8-line",
        "moments",
        [b'{"_id": 2000, "uid": 501, "type": 1, "text": "\xe4\xb8", "createTime": "2025-03-01T02:00:00Z"}'],
        quarantined=("", "invalid_utf8"),
    ),
    # Times
    Case("create-time-missing", "moments", [moment(createTime=...)], quarantined=("createTime", "missing")),
    Case(
        "create-time-plus-0800",
        "moments",
        [moment(createTime="2025-03-01T10:00:00+08:00")],
        check=check_moment_value("create_time", datetime(2025, 3, 1, 2, 0, tzinfo=UTC)),
    ),
    Case(
        "create-time-milliseconds",
        "moments",
        [moment(createTime=1740794400000)],
        check=check_moment_value("create_time", datetime(2025, 3, 1, 2, 0, tzinfo=UTC)),
    ),
    Case(
        "create-time-numberlong-date",
        "moments",
        [moment(createTime={"$date": {"$numberLong": "1740794400000"}})],
        check=check_moment_value("create_time", datetime(2025, 3, 1, 2, 0, tzinfo=UTC)),
    ),
    Case("create-time-future", "moments", [moment(createTime="2099-01-01T00:00:00Z")], quarantined=("createTime", "in_future")),
    Case("create-time-before-2000", "moments", [moment(createTime="1999-06-01T00:00:00Z")], quarantined=("createTime", "too_old")),
    Case("create-time-seconds", "moments", [moment(createTime=1740794400)], quarantined=("createTime", "too_old")),
    # Location
    Case("location-missing", "moments", [moment()], check=check_moment_value("location_lng", None)),
    Case(
        "location-swapped",
        "moments",
        [moment(location={"area": "上海市", "lng": 31.18, "lat": 121.29})],
        quarantined=("location.lat", "out_of_range"),
    ),
    Case(
        "location-out-of-range",
        "moments",
        [moment(location={"lng": 190.0, "lat": 31.18})],
        quarantined=("location.lng", "out_of_range"),
    ),
    Case(
        "location-strings",
        "moments",
        [moment(location={"lng": "121.29", "lat": "31.18"})],
        quarantined=("location.lng", "wrong_type"),
    ),
    # Pictures
    Case("pics-null", "moments", [moment(pics=None)], check=check_moment_value("pics", [])),
    Case("pics-string", "moments", [moment(pics="a.webp")], quarantined=("pics", "wrong_type")),
    Case(
        "pics-duplicates",
        "moments",
        [moment(pics=["a.webp", "a.webp", "b.webp"])],
        check=lambda con: assert_equal(one(con, "SELECT pics FROM stg_moments WHERE moment_id = 2000"), (["a.webp", "b.webp"],)),
    ),
    # Like counts
    Case("like-count-negative", "moments", [moment(likeCount=-2)], quarantined=("likeCount", "out_of_range")),
    Case("like-count-string", "moments", [moment(likeCount="12")], quarantined=("likeCount", "wrong_type")),
    Case("like-count-fraction", "moments", [moment(likeCount=2.5)], quarantined=("likeCount", "wrong_type")),
    Case("like-count-integral-double", "moments", [moment(likeCount=7.0)], check=check_moment_value("like_count", 7)),
    # Status and shape
    Case("status-unknown", "moments", [moment(status=99)], check=check_moment_value("status", 99)),
    Case(
        "extra-fields",
        "moments",
        [moment(topicId=5, score=0.3)],
        check=check_moment_value("unknown_fields", ["topicId", "score"]),
    ),
    Case(
        "type-changes-between-documents",
        "moments",
        [moment(_id=2001, type=2), moment(_id=2002, type="2")],
        quarantined=("type", "wrong_type"),
    ),
    Case(
        "truncated-last-line",
        "moments",
        [moment(), b'{"_id": 2003, "uid": 501, "ty'],
        quarantined=("", "invalid_json"),
    ),
    Case("document-not-object", "moments", [b'["not", "a", "document"]'], quarantined=("", "not_object")),
    # Likes
    Case(
        "like-unknown-moment",
        "likes",
        [like(momentId=424242)],
        check=lambda con: assert_equal(one(con, "SELECT is_orphan FROM stg_likes WHERE like_id = 7000"), (True,)),
    ),
    Case(
        "like-twice-same-user",
        "likes",
        [like(), like(_id=7001, actionTime={"$date": "2025-03-01T05:00:00Z"})],
        check=lambda con: assert_equal(one(con, "SELECT list(like_id) FROM stg_likes"), ([7000],)),
    ),
    Case("like-without-uid", "likes", [like(uid=...)], quarantined=("uid", "missing")),
    # Comments
    Case(
        "comment-without-to-uid",
        "comments",
        [comment(toUid=...)],
        check=lambda con: assert_equal(one(con, "SELECT to_uid FROM stg_comments WHERE comment_id = 9000"), (None,)),
    ),
    Case(
        "comment-before-moment",
        "comments",
        [comment(publishTime={"$date": "2025-03-01T01:00:00Z"})],
        check=lambda con: assert_equal(
            one(con, "SELECT is_before_moment FROM stg_comments WHERE comment_id = 9000"), (True,)
        ),
    ),
    Case(
        "comment-text-only-in-publication",
        "comments",
        [comment(content=..., publicationContent={"commentType": 1, "text": "哈哈", "pics": []})],
        check=lambda con: assert_equal(one(con, "SELECT content FROM stg_comments WHERE comment_id = 9000"), ("哈哈",)),
    ),
    # Files
    Case(
        "empty-file",
        "comments",
        [],
        check=lambda con: assert_equal(one(con, "SELECT count(*) FROM raw_comments"), (0,)),
    ),
]


def assert_equal(actual, expected):
    assert actual == expected


def encode(line) -> bytes:
    if isinstance(line, bytes):
        return line
    return json.dumps(line, ensure_ascii=False).encode("utf-8")


def write_case(directory, case: Case) -> int:
    """Write the case's collection file plus minimal files for the others; return the documents written."""
    files = {"moments": [BASE_MOMENT], "likes": [], "comments": []}
    files[case.collection] = ([BASE_MOMENT] if case.collection == "moments" else []) + case.lines
    for collection, lines in files.items():
        (directory / f"{collection}.json").write_bytes(b"\n".join(encode(line) for line in lines))
    return len(files[case.collection])


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_outcome(case, tmp_path):
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    written = write_case(export_dir, case)
    warehouse = Warehouse(database=str(tmp_path / "warehouse.duckdb"))

    result = materialize(
        [*raw_assets, *staging_assets],
        resources={"source": ExportDirSource(export_dir=str(export_dir)), "warehouse": warehouse},
    )

    assert result.success
    metadata = {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }
    raw = metadata[f"raw_{case.collection}"]
    assert raw["documents_read"] == written
    with warehouse.get_connection() as con:
        quarantine = con.execute(
            "SELECT field, reason_code FROM quarantine WHERE collection = ?", [case.collection]
        ).fetchall()
        if case.quarantined:
            assert quarantine == [case.quarantined]
        else:
            assert quarantine == []
        if case.check:
            case.check(con)


def test_catalogue_size():
    assert len(CASES) >= 30


def test_missing_file_fails_clearly(tmp_path, warehouse):
    (tmp_path / "moments.json").write_text(json.dumps(BASE_MOMENT), encoding="utf-8")
    (tmp_path / "likes.json").write_text("", encoding="utf-8")

    result = materialize(
        raw_assets,
        resources={"source": ExportDirSource(export_dir=str(tmp_path)), "warehouse": warehouse},
        raise_on_error=False,
    )

    failure = next(event for event in result.all_events if event.event_type_value == "STEP_FAILURE")
    assert not result.success
    assert failure.step_key == "raw_comments"
    assert "comments.json.gz" in str(failure.event_specific_data.error)
