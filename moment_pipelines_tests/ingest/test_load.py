"""Loading documents into a raw table: typing, quarantine, upserts and watermarks."""

import json
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from moment_pipelines.ingest.load import SourceBatch, load_collection
from moment_pipelines.ingest.schema import COMMENTS, LIKES, MOMENTS

LOADED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def moment(moment_id=1, **overrides) -> dict:
    document = {
        "_id": moment_id,
        "uid": 3321830351,
        "type": 4,
        "location": {"area": "上海市", "lng": 121.295432, "lat": 31.18271},
        "text": "2025元旦快乐、新年快乐",
        "pics": ["https://oss.example.invalid/feed/a.webp"],
        "status": 3,
        "createTime": {"$date": "2024-12-31T16:00:11.282Z"},
        "updateTime": {"$date": "2024-12-31T16:02:09.084Z"},
        "likeCount": 6,
    }
    document.update(overrides)
    return {key: value for key, value in document.items() if value is not ...}


def load(con, spec, documents, since=None):
    texts = [doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False) for doc in documents]
    return load_collection(con, spec, [SourceBatch(texts)], since=since, loaded_at=LOADED_AT, run_id="test")


def quarantine_rows(con):
    return con.execute("SELECT source_id, field, reason_code FROM quarantine ORDER BY source_id").fetchall()


def test_valid_moment_typed(con):
    stats = load(con, MOMENTS, [moment()])

    row = con.execute(
        "SELECT moment_id, uid, type, pics, location_lng, create_time, like_count FROM raw_moments"
    ).fetchone()
    assert stats.inserted == 1
    assert row[0] == 1
    assert row[1] == 3321830351
    assert row[3] == ["https://oss.example.invalid/feed/a.webp"]
    assert row[4] == pytest.approx(121.295432)
    assert row[5] == datetime(2024, 12, 31, 16, 0, 11, 282000, tzinfo=timezone.utc)
    assert row[6] == 6


TIME_SPELLINGS = [
    {"$date": "2024-12-31T16:00:11.282Z"},
    {"$date": {"$numberLong": "1735660811282"}},
    {"$date": 1735660811282},
    "2024-12-31T16:00:11.282Z",
    "2025-01-01T00:00:11.282+08:00",
    "2025-01-01 00:00:11.282+0800",
    "2024-12-31T16:00:11.282",
    1735660811282,
]


@pytest.mark.parametrize("spelling", TIME_SPELLINGS, ids=[json.dumps(s) for s in TIME_SPELLINGS])
def test_time_spellings_same_instant(con, spelling):
    load(con, MOMENTS, [moment(createTime=spelling)])

    created = con.execute("SELECT create_time FROM raw_moments").fetchone()[0]
    assert created == datetime(2024, 12, 31, 16, 0, 11, 282000, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "spelling",
    [{"$numberLong": "3700000000010"}, {"$numberInt": "3700000000010"}, 3700000000010, 3700000000010.0],
    ids=["numberLong", "numberInt", "int", "integral-double"],
)
def test_id_spellings_accepted(con, spelling):
    load(con, MOMENTS, [moment(moment_id=spelling)])

    assert con.execute("SELECT moment_id FROM raw_moments").fetchone()[0] == 3700000000010


def test_id_beyond_2_53_exact(con):
    big_id = 2**60 + 7
    load(con, MOMENTS, [f'{{"_id": {big_id}, "uid": 1, "type": 1, "createTime": "2024-01-01T00:00:00Z"}}'])

    assert con.execute("SELECT moment_id FROM raw_moments").fetchone()[0] == big_id


def test_unparseable_documents_quarantined(con):
    stats = load(con, MOMENTS, ['{"_id": 7, "uid": 1, "createTi', "[1, 2]", moment()])

    codes = sorted(row[0] for row in con.execute("SELECT reason_code FROM quarantine").fetchall())
    assert codes == ["invalid_json", "not_object"]
    assert stats.inserted == 1
    assert stats.reconciles()


def test_null_optional_fields_defined(con):
    load(con, MOMENTS, [moment(text=None, pics=None, location=..., likeCount=..., updateTime=...)])

    row = con.execute("SELECT text, pics, location_lng, like_count, _watermark_time FROM raw_moments").fetchone()
    assert row[0] is None
    assert row[1] == []
    assert row[2] is None
    assert row[3] is None
    assert row[4] == datetime(2024, 12, 31, 16, 0, 11, 282000, tzinfo=timezone.utc)


def test_unknown_fields_recorded(con):
    load(con, MOMENTS, [moment(extraField=1, anotherOne="x")])

    assert con.execute("SELECT unknown_fields FROM raw_moments").fetchone()[0] == ["extraField", "anotherOne"]


def test_rerun_adds_no_duplicates(con):
    documents = [moment(moment_id=i) for i in range(1, 6)]
    first = load(con, MOMENTS, documents)
    second = load(con, MOMENTS, documents)

    assert first.inserted == 5
    assert second.inserted == 0
    assert second.unchanged == 5
    assert con.execute("SELECT count(*) FROM raw_moments").fetchone()[0] == 5


def test_updated_document_replaces_row(con):
    load(con, MOMENTS, [moment(likeCount=6)])
    stats = load(con, MOMENTS, [moment(likeCount=9, updateTime={"$date": "2025-01-02T00:00:00Z"})])

    rows = con.execute("SELECT like_count, _watermark_time FROM raw_moments").fetchall()
    assert stats.updated == 1
    assert rows == [(9, datetime(2025, 1, 2, tzinfo=timezone.utc))]


def test_older_version_does_not_replace(con):
    load(con, MOMENTS, [moment(likeCount=9, updateTime={"$date": "2025-01-02T00:00:00Z"})])
    stats = load(con, MOMENTS, [moment(likeCount=6)])

    assert stats.stale == 1
    assert con.execute("SELECT like_count FROM raw_moments").fetchone()[0] == 9


def test_newest_version_in_one_read_wins(con):
    older = moment(likeCount=1, updateTime={"$date": "2025-01-01T00:00:00Z"})
    newer = moment(likeCount=2, updateTime={"$date": "2025-01-03T00:00:00Z"})
    stats = load(con, MOMENTS, [newer, older])

    assert stats.superseded == 1
    assert con.execute("SELECT like_count FROM raw_moments").fetchone()[0] == 2
    assert stats.reconciles()


def test_documents_before_since_skipped(con):
    old = moment(moment_id=1, updateTime={"$date": "2025-01-01T00:00:00Z"})
    recent = moment(moment_id=2, updateTime={"$date": "2025-01-05T00:00:00Z"})
    stats = load(con, MOMENTS, [old, recent], since=datetime(2025, 1, 3, tzinfo=timezone.utc))

    assert stats.before_watermark == 1
    assert stats.inserted == 1
    assert stats.reconciles()


def test_late_document_inside_overlap_loaded(con):
    load(con, MOMENTS, [moment(moment_id=1, updateTime={"$date": "2025-01-05T00:00:00Z"})])
    watermark = con.execute("SELECT max(_watermark_time) FROM raw_moments").fetchone()[0]
    late = moment(moment_id=2, updateTime={"$date": "2025-01-04T12:00:00Z"})

    stats = load(con, MOMENTS, [late], since=watermark - timedelta(hours=48))

    assert stats.inserted == 1


def test_quarantine_not_repeated_on_rerun(con):
    bad = moment(likeCount="many")
    load(con, MOMENTS, [bad])
    stats = load(con, MOMENTS, [bad])

    assert stats.quarantined == 1
    assert stats.quarantined_new == 0
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1


def test_invalid_utf8_problem_quarantined(con):
    batch = SourceBatch(
        documents=[json.dumps(moment(moment_id=1)), '{"_id": 2, "text": "\ufffd"}'],
        problems=[None, "invalid_utf8"],
        details=[None, "第 2 行，字节位置 17"],
    )
    stats = load_collection(con, MOMENTS, [batch], since=None, loaded_at=LOADED_AT, run_id="test")

    reason = con.execute("SELECT reason_code, reason FROM quarantine").fetchone()
    assert stats.inserted == 1
    assert reason[0] == "invalid_utf8"
    assert "第 2 行" in reason[1]


def test_like_and_comment_loaded(con):
    like = {"_id": 38946135052504, "momentId": 1, "uid": 2, "actionTime": {"$date": "2025-03-31T16:08:02.983Z"}}
    comment = {
        "_id": 1489515022504,
        "momentId": 1,
        "uid": 2,
        "content": "人生亦是如此",
        "publishTime": {"$date": "2025-03-31T16:15:39.067Z"},
        "publicationContent": {"commentType": 1, "text": "人生亦是如此", "pics": []},
    }
    load(con, LIKES, [like])
    load(con, COMMENTS, [comment])

    assert con.execute("SELECT like_id, moment_id FROM raw_likes").fetchall() == [(38946135052504, 1)]
    assert con.execute("SELECT to_uid, comment_type, content FROM raw_comments").fetchall() == [(None, 1, "人生亦是如此")]


def test_comment_without_publish_time_quarantined(con):
    stats = load(con, COMMENTS, [{"_id": 5, "momentId": 1, "uid": 2, "content": "x"}])

    assert stats.quarantined == 1
    assert quarantine_rows(con) == [("5", "publishTime", "missing")]
