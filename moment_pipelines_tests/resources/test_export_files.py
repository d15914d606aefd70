"""Reading mongoexport and GUI export files in each dialect."""

import gzip
import json
from datetime import datetime, timezone

import duckdb
import pytest

from moment_pipelines.ingest.load import load_collection
from moment_pipelines.ingest.schema import MOMENTS
from moment_pipelines.resources.export_files import ExportFileError, find_export_file, read_export_file

LOADED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)

RELAXED = [
    {"_id": 11, "uid": 101, "type": 1, "text": "早安", "pics": [], "createTime": {"$date": "2025-01-01T00:00:00.000Z"}},
    {"_id": 12, "uid": 102, "type": 2, "text": "午饭", "pics": ["p.webp"], "createTime": {"$date": "2025-01-01T04:30:00.000Z"}},
]
CANONICAL = [
    {
        "_id": {"$numberLong": "11"},
        "uid": {"$numberLong": "101"},
        "type": {"$numberInt": "1"},
        "text": "早安",
        "pics": [],
        "createTime": {"$date": {"$numberLong": "1735689600000"}},
    },
    {
        "_id": {"$numberLong": "12"},
        "uid": {"$numberLong": "102"},
        "type": {"$numberInt": "2"},
        "text": "午饭",
        "pics": ["p.webp"],
        "createTime": {"$date": {"$numberLong": "1735705800000"}},
    },
]
PLAIN = [
    {"_id": 11, "uid": 101, "type": 1, "text": "早安", "pics": [], "createTime": "2025-01-01T00:00:00.000Z"},
    {"_id": 12, "uid": 102, "type": 2, "text": "午饭", "pics": ["p.webp"], "createTime": "2025-01-01T04:30:00.000Z"},
]
EXPECTED_ROWS = [
    (11, 101, 1, "早安", [], datetime(2025, 1, 1, tzinfo=timezone.utc)),
    (12, 102, 2, "午饭", ["p.webp"], datetime(2025, 1, 1, 4, 30, tzinfo=timezone.utc)),
]


def write_lines(path, documents):
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in documents) + "\n", encoding="utf-8")


def write_array(path, documents):
    path.write_text(json.dumps(documents, ensure_ascii=False, indent=2), encoding="utf-8")


def write_gzip_lines(path, documents):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(json.dumps(d, ensure_ascii=False) for d in documents))


def load_file(path):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    stats = load_collection(con, MOMENTS, read_export_file(path), since=None, loaded_at=LOADED_AT, run_id="test")
    rows = con.execute("SELECT moment_id, uid, type, text, pics, create_time FROM raw_moments ORDER BY 1").fetchall()
    reasons = con.execute("SELECT reason_code FROM quarantine ORDER BY 1").fetchall()
    con.close()
    return stats, rows, [reason[0] for reason in reasons]


DIALECTS = [
    ("relaxed-lines", "moments.json", write_lines, RELAXED),
    ("canonical-lines", "moments.json", write_lines, CANONICAL),
    ("plain-array", "moments.json", write_array, PLAIN),
    ("relaxed-array", "moments.json", write_array, RELAXED),
    ("jsonl-suffix", "moments.jsonl", write_lines, PLAIN),
    ("gzip-lines", "moments.json.gz", write_gzip_lines, CANONICAL),
]


@pytest.mark.parametrize(
    ("file_name", "writer", "documents"), [d[1:] for d in DIALECTS], ids=[d[0] for d in DIALECTS]
)
def test_dialect_loads_same_rows(tmp_path, file_name, writer, documents):
    writer(tmp_path / file_name, documents)

    stats, rows, reasons = load_file(find_export_file(tmp_path, "moments"))

    assert rows == EXPECTED_ROWS
    assert reasons == []
    assert stats.read == 2


def test_byte_order_mark_ignored(tmp_path):
    path = tmp_path / "moments.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(RELAXED[0]).encode() + b"\n")

    stats, rows, _ = load_file(path)

    assert stats.inserted == 1


def test_invalid_utf8_line_quarantined(tmp_path):
    path = tmp_path / "moments.json"
    good = json.dumps(RELAXED[0], ensure_ascii=False).encode()
    broken = b'{"_id": 13, "uid": 1, "type": 1, "text": "\xff\xfe", "createTime": "2025-01-01T00:00:00Z"}'
    path.write_bytes(good + b"\n" + broken + b"\n")

    stats, rows, reasons = load_file(path)

    assert [row[0] for row in rows] == [11]
    assert reasons == ["invalid_utf8"]
    assert stats.reconciles()


def test_truncated_last_line_quarantined(tmp_path):
    path = tmp_path / "moments.json"
    text = "\n".join(json.dumps(d) for d in RELAXED)
    path.write_text(text + '\n{"_id": 13, "uid": 1, "ty', encoding="utf-8")

    stats, rows, reasons = load_file(path)

    assert len(rows) == 2
    assert reasons == ["invalid_json"]
    assert stats.read == 3


def test_truncated_array_keeps_complete_elements(tmp_path):
    path = tmp_path / "moments.json"
    text = json.dumps(PLAIN, ensure_ascii=False)
    path.write_text(text[:-1] + ', {"_id": 13, "uid"', encoding="utf-8")

    stats, rows, reasons = load_file(path)

    assert len(rows) == 2
    assert reasons == ["invalid_json"]
    assert stats.reconciles()


def test_empty_file_yields_nothing(tmp_path):
    path = tmp_path / "moments.json"
    path.write_text("", encoding="utf-8")

    assert list(read_export_file(path)) == []


def test_empty_array_yields_nothing(tmp_path):
    path = tmp_path / "moments.json"
    path.write_text("[]\n", encoding="utf-8")

    assert list(read_export_file(path)) == []


def test_missing_file_names_candidates(tmp_path):
    with pytest.raises(ExportFileError, match="moments.json.gz"):
        find_export_file(tmp_path, "moments")


def test_two_candidate_files_rejected(tmp_path):
    write_lines(tmp_path / "moments.json", RELAXED)
    write_lines(tmp_path / "moments.jsonl", RELAXED)

    with pytest.raises(ExportFileError, match="多个文件"):
        find_export_file(tmp_path, "moments")


def test_batches_respect_batch_size(tmp_path):
    path = tmp_path / "moments.json"
    write_lines(path, [dict(RELAXED[0], _id=i) for i in range(1, 8)])

    sizes = [len(batch.documents) for batch in read_export_file(path, batch_size=3)]

    assert sizes == [3, 3, 1]
