"""Opt-in: every real data pack loads and reconciles.

The packs are public Weibo data in the app's export format. They are not part
of the repository, so each test skips when its pack is absent.
"""

import json

import pytest
from dagster import materialize

from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.assets.staging import staging_assets
from moment_pipelines.resources import ExportDirSource
from moment_pipelines_tests.conftest import REALDATA_DIR, realdata_pack

PACKS = ["weibo-rumor", "weibo-hot", "lccc-toy"]


@pytest.mark.realdata
@pytest.mark.parametrize("pack", PACKS)
def test_pack_loads_and_reconciles(pack, warehouse):
    export_dir = realdata_pack(pack)
    expected = json.loads((REALDATA_DIR / "summary.json").read_text(encoding="utf-8"))["counts"][pack]

    result = materialize(
        [*raw_assets, *staging_assets],
        resources={"source": ExportDirSource(export_dir=str(export_dir)), "warehouse": warehouse},
    )

    metadata = {
        event.asset_key.to_user_string(): {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }
    assert result.success
    for table, expected_count in zip(("raw_moments", "raw_likes", "raw_comments"), expected):
        stats = metadata[table]
        assert stats["documents_read"] == expected_count
        assert stats["rows_upserted"] + stats["rows_quarantined"] == expected_count
