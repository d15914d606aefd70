"""Personal data: IP addresses stay in the raw layer, and what people read shows no full uid or IP."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster import DagsterEventType, DagsterInstance, instance_for_test

from moment_pipelines.definitions import build_definitions
from moment_pipelines.privacy import mask_frame, mask_ip, mask_text, mask_uid, mask_url
from moment_pipelines.settings import load_settings
from moment_pipelines_tests.small_job_config import SMALL_DEMO_MOMENTS, SMALL_TRAINING_OPS_CONFIG

# The raw layer: one row per source document, and the rejected documents as they arrived.
RAW_LAYER_TABLES = ("raw_moments", "raw_likes", "raw_comments", "quarantine")
IPV4_PATTERN = r"(^|[^0-9.])[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}([^0-9.]|$)"
DIGIT_RUN = re.compile(r"(?<!\d)\d+(?!\d)")


def test_mask_uid_keeps_last_digits():
    assert mask_uid(3321830351) == "***351"
    assert mask_uid("3321830351") == "***351"
    assert mask_uid(3321830351.0) == "***351"
    assert mask_uid(12) == "***"
    assert mask_uid(None) is None


def test_mask_ip_keeps_first_part():
    assert mask_ip("114.83.176.134") == "114.*.*.*"
    assert mask_ip("2408:8207:1851:1234::1") == "2408:*"
    assert mask_ip("not an address") == "***"
    assert mask_ip(None) is None


def test_mask_text_finds_addresses():
    assert mask_text("登录自 171.41.95.121，时间 16:02:09") == "登录自 171.*.*.*，时间 16:02:09"
    assert mask_text("v6 2408:8207:1851:1234::1 结束") == "v6 2408:* 结束"
    assert mask_text("版本 1.2.3 和 2025-01-01") == "版本 1.2.3 和 2025-01-01"


def test_mask_url_hides_uid_in_file_name():
    url = "https://oss.qingyujiaoyou.com/feed/and_3321830351_1c27122346ba10e8d69281b9a31e663e.webp"
    masked = mask_url(url)
    assert "3321830351" not in masked
    assert "and_***351_" in masked


def test_mask_frame_by_column_name():
    frame = pd.DataFrame(
        {
            "uid": [3321830351, None],
            "author_uid": [2531366049, 2472675109],
            "visible_uids": [np.array([2472675109]), []],
            "ip": ["114.83.176.134", None],
            "url": ["https://oss.example.com/feed/and_3321830351_a.webp", None],
            "text": ["来自 10.1.2.3", "普通文本"],
            "moment_id": [3724833012501, 3748844012504],
        }
    )
    masked = mask_frame(frame)
    assert masked["uid"].tolist()[0] == "***351"
    assert masked["author_uid"].tolist() == ["***049", "***109"]
    assert masked["visible_uids"].tolist()[0] == ["***109"]
    assert masked["ip"].tolist()[0] == "114.*.*.*"
    assert "3321830351" not in masked["url"].tolist()[0]
    assert masked["text"].tolist() == ["来自 10.*.*.*", "普通文本"]
    assert masked["moment_id"].tolist() == [3724833012501, 3748844012504]
    assert frame["uid"].tolist()[0] == 3321830351, "mask_frame changed its input"


@dataclass
class MaterializedJob:
    """main_job run once in process on the small demo, with its instance and warehouse."""

    instance: DagsterInstance
    run_id: str
    database: Path
    artifacts_dir: Path


@pytest.fixture(scope="module")
def materialized_job(tmp_path_factory) -> MaterializedJob:
    from moment_pipelines.demo import generate

    directory = tmp_path_factory.mktemp("privacy")
    export_dir = directory / "demo"
    generate(export_dir, n_moments=SMALL_DEMO_MOMENTS, seed=7, show_progress=False)
    settings = load_settings(
        {
            "MOMENTS_EXPORT_DIR": str(export_dir),
            "MOMENTS_WAREHOUSE": str(directory / "warehouse.duckdb"),
            "MOMENTS_ARTIFACTS_DIR": str(directory / "artifacts"),
            "MOMENTS_IMAGE_CACHE_DIR": str(directory / "image_cache"),
        }
    )
    job = build_definitions(settings).resolve_job_def("main_job")

    with instance_for_test() as instance:
        result = job.execute_in_process(run_config={"ops": SMALL_TRAINING_OPS_CONFIG}, instance=instance)
        assert result.success
        yield MaterializedJob(instance, result.run_id, settings.warehouse_path, settings.artifacts_dir)


def raw_personal_data(database: Path) -> tuple[set[str], set[str]]:
    """Return every uid and every IP address in the raw layer, as strings."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        uids = {
            str(row[0])
            for row in con.execute(
                "SELECT uid FROM raw_moments UNION SELECT uid FROM raw_likes "
                "UNION SELECT uid FROM raw_comments UNION SELECT to_uid FROM raw_comments"
            ).fetchall()
            if row[0] is not None
        }
        ips = {
            row[0]
            for row in con.execute("SELECT ip FROM raw_moments UNION SELECT ip FROM raw_comments").fetchall()
            if row[0]
        }
    finally:
        con.close()
    assert uids and ips, "the demo should contain uids and IP addresses"
    return uids, ips


def metadata_texts(instance: DagsterInstance, run_id: str) -> list[tuple[str, str]]:
    """Return (where, text) for every metadata value of every materialization and check in the run."""
    texts = []
    event_types = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.event_type not in event_types:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            metadata = event.step_materialization_data.materialization.metadata
        else:
            metadata = event.event_specific_data.metadata
        for key, value in metadata.items():
            raw = value.value if hasattr(value, "value") else value
            if isinstance(raw, str):
                text = raw
            elif isinstance(raw, (dict, list)):
                text = json.dumps(raw, default=str, ensure_ascii=False)
            else:
                text = repr(raw)
            texts.append((f"{entry.step_key}.{key}", text))
    return texts


def test_no_ip_outside_raw_layer(materialized_job):
    con = duckdb.connect(str(materialized_job.database), read_only=True)
    try:
        tables = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        checked = [table for table in tables if table not in RAW_LAYER_TABLES]
        assert {"stg_moments", "stg_comments", "user_moment_geo_features", "like_behavior_training_set"} <= set(checked)
        for table in checked:
            for column, data_type in con.execute(f'SELECT column_name, column_type FROM (DESCRIBE "{table}")').fetchall():
                assert column.lower() != "ip", f"{table}.{column}"
                assert not column.lower().endswith("_ip"), f"{table}.{column}"
                if data_type != "VARCHAR":
                    continue
                addresses = con.execute(
                    f'SELECT count(*) FROM "{table}" WHERE regexp_matches("{column}", ?)', [IPV4_PATTERN]
                ).fetchone()[0]
                assert addresses == 0, f"{table}.{column} holds {addresses} IP addresses"
    finally:
        con.close()


def test_metadata_shows_no_full_uid_or_ip(materialized_job):
    uids, ips = raw_personal_data(materialized_job.database)
    texts = metadata_texts(materialized_job.instance, materialized_job.run_id)
    assert any(key.endswith(".preview") for key, _ in texts)

    for where, text in texts:
        full_uids = set(DIGIT_RUN.findall(text)) & uids
        assert not full_uids, f"{where} shows user ids {sorted(full_uids)[:3]}"
        shown_ips = [ip for ip in ips if ip in text]
        assert not shown_ips, f"{where} shows IP addresses {shown_ips[:3]}"


def test_previews_mask_uid_columns(materialized_job):
    texts = dict(metadata_texts(materialized_job.instance, materialized_job.run_id))
    # Previews of tables keyed by user show the masked form, so the column is still there.
    for where in ("stg_moments.preview", "like_behavior_candidates.preview", "moment_recommendations.preview"):
        assert re.search(r"\*\*\*\d{3}", texts[where]), f"{where} has no masked uid"


def test_reports_and_logs_mask_personal_data(materialized_job):
    uids, ips = raw_personal_data(materialized_job.database)
    reports = sorted(materialized_job.artifacts_dir.rglob("*.md"))
    assert reports
    messages = [entry.user_message or "" for entry in materialized_job.instance.all_logs(materialized_job.run_id)]
    for where, text in [*((str(path), path.read_text(encoding="utf-8")) for path in reports), *(("log", m) for m in messages)]:
        full_uids = set(DIGIT_RUN.findall(text)) & uids
        assert not full_uids, f"{where} shows user ids {sorted(full_uids)[:3]}"
        shown_ips = [ip for ip in ips if ip in text]
        assert not shown_ips, f"{where} shows IP addresses {shown_ips[:3]}"
