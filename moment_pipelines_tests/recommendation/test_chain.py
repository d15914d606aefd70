"""The whole scenario 5 chain materialized on the small demo: graph, both models, evaluation and recommendations."""

from pathlib import Path

import pytest
from dagster import materialize

from moment_pipelines.assets.like_behavior.provinces import province_coordinates
from moment_pipelines.assets.raw import raw_assets
from moment_pipelines.assets.recommendation import recommendation_assets
from moment_pipelines.assets.staging import staging_assets
from moment_pipelines.resources.artifacts import ArtifactStore

# Fewer epochs keep the test short; the small demo converges in a few anyway.
MODEL_RUN_CONFIG = {"epochs": 3, "patience": 2, "batch_size": 2048}
RUN_CONFIG = {
    "ops": {
        "recommendation_lightgcn_model": {"config": MODEL_RUN_CONFIG},
        "recommendation_geo_model": {"config": MODEL_RUN_CONFIG},
    }
}


@pytest.fixture(scope="module")
def chain(small_demo_dir, tmp_path_factory):
    from moment_pipelines.resources import ExportDirSource, Warehouse

    directory = tmp_path_factory.mktemp("recommendation_chain")
    warehouse = Warehouse(database=str(directory / "warehouse.duckdb"))
    result = materialize(
        [*raw_assets, *staging_assets, province_coordinates, *recommendation_assets],
        resources={
            "source": ExportDirSource(export_dir=str(small_demo_dir)),
            "warehouse": warehouse,
            "artifacts": ArtifactStore(root=str(directory / "artifacts")),
        },
        run_config=RUN_CONFIG,
    )
    return result, warehouse


def metadata_of(result, asset_name):
    return {key: value.value for key, value in result.asset_materializations_for_node(asset_name)[0].metadata.items()}


def check_passed(result, check_name):
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION" and event.event_specific_data.check_name == check_name:
            return event.event_specific_data.passed
    raise AssertionError(f"check {check_name} was not evaluated")


def test_chain_succeeds(chain):
    result, _ = chain
    assert result.success


def test_models_trained_on_graph(chain):
    result, _ = chain
    graph_version = metadata_of(result, "recommendation_graph")["graph_version"]
    for asset_name in ("recommendation_lightgcn_model", "recommendation_geo_model"):
        metadata = metadata_of(result, asset_name)
        assert metadata["graph_version"] == graph_version
        assert metadata["epochs_run"] >= 1
        assert metadata["samples_per_second"] > 0


def test_evaluation_reports_every_ranker(chain):
    result, _ = chain
    metadata = metadata_of(result, "recommendation_evaluation")
    for ranker in ("geo_model", "lightgcn", "popularity", "geo_nearest_popular"):
        for k in (10, 20):
            assert 0.0 <= metadata[f"{ranker}_recall_at_{k}"] <= 1.0
            assert 0.0 <= metadata[f"{ranker}_ndcg_at_{k}"] <= 1.0
            assert 0.0 <= metadata[f"{ranker}_hit_rate_at_{k}"] <= 1.0
    report = Path(metadata["report_path"]).read_text(encoding="utf-8")
    assert "Recall@20" in report
    assert "热门基线" in report


def test_recommendations_exclude_own_and_seen(chain):
    result, warehouse = chain
    assert check_passed(result, "no_own_or_seen_moments")
    with warehouse.get_connection() as con:
        own = con.execute(
            "SELECT count(*) FROM moment_recommendations AS r JOIN stg_moments AS m USING (moment_id) WHERE m.uid = r.uid"
        ).fetchone()[0]
        liked = con.execute("SELECT count(*) FROM moment_recommendations AS r JOIN stg_likes AS l USING (uid, moment_id)").fetchone()[0]
        commented = con.execute(
            "SELECT count(*) FROM moment_recommendations AS r JOIN stg_comments AS c USING (uid, moment_id)"
        ).fetchone()[0]
    assert own == 0
    assert liked == 0
    assert commented == 0


def test_recommendations_are_recent_and_ranked(chain):
    _, warehouse = chain
    with warehouse.get_connection() as con:
        rows, users, oldest_age_days, max_rank = con.execute(
            """
            SELECT count(*), count(DISTINCT r.uid),
                   max(epoch(r.generated_at) - epoch(m.create_time)) / 86400, max(r.rank)
            FROM moment_recommendations AS r JOIN stg_moments AS m USING (moment_id)
            """
        ).fetchone()
    assert rows > 0
    assert users > 0
    assert oldest_age_days <= 3.0
    assert max_rank <= 20
