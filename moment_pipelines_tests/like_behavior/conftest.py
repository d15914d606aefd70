"""The scenario 2 chain materialized once on the small demo, shared by the asset tests of this package."""

from dataclasses import dataclass

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    ExecuteInProcessResult,
    instance_for_test,
    materialize,
)

from moment_pipelines.resources import ExportDirSource, Warehouse
from moment_pipelines.resources.artifacts import ArtifactStore

# Enough epochs on the small demo for the validation AUC to rise above its first value.
DEMO_TRAINING_EPOCHS = 4


@dataclass
class LikeBehaviorDemo:
    instance: DagsterInstance
    result: ExecuteInProcessResult
    warehouse: Warehouse
    artifacts: ArtifactStore

    def metadata(self, asset_name: str) -> dict:
        """Return the metadata of the asset's materialization in this run, with plain values."""
        (materialization,) = self.result.asset_materializations_for_node(asset_name)
        return {key: value.value for key, value in materialization.metadata.items()}

    def check(self, asset_name: str, check_name: str) -> AssetCheckEvaluation:
        (evaluation,) = [
            item
            for item in self.result.get_asset_check_evaluations()
            if item.asset_key == AssetKey(asset_name) and item.check_name == check_name
        ]
        return evaluation

    def query(self, sql: str):
        with self.warehouse.get_connection() as con:
            return con.execute(sql).fetchdf()


def scenario_assets() -> list:
    """Return the assets upstream of like_behavior_evaluation, raw layer included."""
    from moment_pipelines.assets import all_assets

    selected = AssetSelection.assets("like_behavior_evaluation").upstream().resolve(all_assets)
    return [asset for asset in all_assets if asset.keys & selected]


@pytest.fixture(scope="session")
def like_behavior_demo(small_demo_dir, tmp_path_factory) -> LikeBehaviorDemo:
    directory = tmp_path_factory.mktemp("like_behavior_demo")
    warehouse = Warehouse(database=str(directory / "warehouse.duckdb"))
    artifacts = ArtifactStore(root=str(directory / "artifacts"))
    resources = {"source": ExportDirSource(export_dir=str(small_demo_dir)), "warehouse": warehouse, "artifacts": artifacts}
    run_config = {"ops": {"like_behavior_model": {"config": {"epochs": DEMO_TRAINING_EPOCHS}}}}

    with instance_for_test() as instance:
        result = materialize(scenario_assets(), instance=instance, resources=resources, run_config=run_config)
        assert result.success
        yield LikeBehaviorDemo(instance, result, warehouse, artifacts)
