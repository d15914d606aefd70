"""Raw and staging assets materialized on hand-made exports and on the small demo."""

import json

from dagster import materialize

from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.assets.staging import staging_assets
from moment_pipelines.resources import ExportDirSource

ALL = [*raw_assets, *staging_assets]


def write_exports(directory, moments, likes=(), comments=()):
    for name, documents in (("moments", moments), ("likes", likes), ("comments", comments)):
        lines = [json.dumps(document, ensure_ascii=False) for document in documents]
        (directory / f"{name}.json").write_text("\n".join(lines), encoding="utf-8")


def run(directory, warehouse, assets=ALL):
    result = materialize(assets, resources={"source": ExportDirSource(export_dir=str(directory)), "warehouse": warehouse})
    assert result.success
    metadata = {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }
    checks = {
        (event.event_specific_data.asset_key.to_user_string(), event.event_specific_data.check_name): (
            event.event_specific_data.passed
        )
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    return metadata, checks


NEW_YEAR_MOMENT = {
    "_id": 3724833012501,
    "uid": 3321830351,
    "type": 4,
    "text": " 2025元旦快乐、新年快乐 ",
    "pics": ["a.webp", "a.webp", "", "b.webp"],
    "createTime": {"$date": "2024-12-31T16:00:11.282Z"},
    "updateTime": {"$date": "2024-12-31T16:02:09.084Z"},
    "likeCount": 2,
    "ip": "114.83.176.134",
    "ipLocation": "上海",
}


def like(like_id, moment_id, uid, time):
    return {"_id": like_id, "momentId": moment_id, "uid": uid, "actionTime": {"$date": time}}


def test_utc_midnight_is_local_new_year(tmp_path, warehouse):
    write_exports(tmp_path, [NEW_YEAR_MOMENT])

    run(tmp_path, warehouse)

    with warehouse.get_connection() as con:
        row = con.execute(
            "SELECT create_hour_local, create_date_local, create_weekday_local FROM stg_moments"
        ).fetchone()
    assert row[0] == 0
    assert str(row[1]) == "2025-01-01"
    assert row[2] == 3  # 2025-01-01 was a Wednesday


def test_staging_cleans_text_and_pictures(tmp_path, warehouse):
    write_exports(tmp_path, [NEW_YEAR_MOMENT])

    run(tmp_path, warehouse)

    with warehouse.get_connection() as con:
        text, pics, pic_count = con.execute("SELECT text, pics, pic_count FROM stg_moments").fetchone()
        columns = [row[0] for row in con.execute("DESCRIBE stg_moments").fetchall()]
    assert text == "2025元旦快乐、新年快乐"
    assert pics == ["a.webp", "b.webp"]
    assert pic_count == 2
    assert "ip" not in columns


def test_orphans_and_duplicate_likes_flagged(tmp_path, warehouse):
    likes = [
        like(1, 3724833012501, 7, "2025-01-01T00:00:00Z"),
        like(2, 3724833012501, 7, "2025-01-01T01:00:00Z"),  # same user again
        like(3, 3724833012501, 8, "2025-01-01T02:00:00Z"),
        like(4, 999, 9, "2025-01-01T03:00:00Z"),  # unknown moment
    ]
    comments = [
        {"_id": 11, "momentId": 999, "uid": 5, "content": "在吗", "publishTime": {"$date": "2025-01-01T00:00:00Z"}},
    ]
    write_exports(tmp_path, [NEW_YEAR_MOMENT], likes, comments)

    metadata, checks = run(tmp_path, warehouse)

    assert metadata["stg_likes"]["duplicate_likes_removed"] == 1
    assert metadata["stg_likes"]["orphan_likes"] == 1
    assert metadata["stg_comments"]["orphan_comments"] == 1
    assert checks[("stg_likes", "orphan_share")] is False
    assert checks[("stg_likes", "like_count_drift")] is True
    with warehouse.get_connection() as con:
        kept = con.execute("SELECT like_id FROM stg_likes WHERE uid = 7").fetchall()
    assert kept == [(1,)]


def test_like_count_drift_warns(tmp_path, warehouse):
    write_exports(tmp_path, [dict(NEW_YEAR_MOMENT, likeCount=40)], [like(1, 3724833012501, 7, "2025-01-01T00:00:00Z")])

    _, checks = run(tmp_path, warehouse)

    assert checks[("stg_likes", "like_count_drift")] is False


def test_empty_collections_valid(tmp_path, warehouse):
    write_exports(tmp_path, [NEW_YEAR_MOMENT])

    metadata, checks = run(tmp_path, warehouse)

    assert metadata["raw_likes"]["documents_read"] == 0
    assert "warning" in metadata["raw_likes"]
    assert metadata["stg_likes"]["dagster/row_count"] == 0
    assert checks[("raw_likes", "documents_reconcile")] is True


def test_quarantine_counted_in_metadata(tmp_path, warehouse):
    write_exports(tmp_path, [NEW_YEAR_MOMENT, dict(NEW_YEAR_MOMENT, _id=5, likeCount=-3)])

    metadata, checks = run(tmp_path, warehouse, raw_assets)

    assert metadata["raw_moments"]["rows_quarantined"] == 1
    assert metadata["raw_moments"]["rows_inserted"] == 1
    assert checks[("raw_moments", "documents_reconcile")] is True


TABLES = ("raw_moments", "raw_likes", "raw_comments", "stg_moments", "stg_likes", "stg_comments", "quarantine")
LOAD_BOOKKEEPING = {"_loaded_at", "_run_id", "first_seen_at", "run_id"}


def table_fingerprints(warehouse) -> dict[str, tuple[int, str]]:
    """Return (row count, content hash) per table, ignoring load-time bookkeeping columns."""
    fingerprints = {}
    with warehouse.get_connection() as con:
        for table in TABLES:
            columns = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
            kept = ", ".join(column for column in columns if column not in LOAD_BOOKKEEPING)
            fingerprints[table] = con.execute(
                f"SELECT count(*), md5(coalesce(string_agg(CAST(row AS VARCHAR), '|' ORDER BY CAST(row AS VARCHAR)), '')) "
                f"FROM (SELECT ({kept}) AS row FROM {table})"
            ).fetchone()
    return fingerprints


def test_three_runs_identical(demo_resources):
    fingerprints = []
    for _ in range(3):
        result = materialize(ALL, resources=demo_resources)
        assert result.success
        fingerprints.append(table_fingerprints(demo_resources["warehouse"]))

    assert fingerprints[0]["raw_moments"][0] > 0
    assert fingerprints[0]["raw_likes"][0] > 0
    assert fingerprints[1] == fingerprints[0]
    assert fingerprints[2] == fingerprints[0]
