"""Shared fixtures: small generated demo exports and a warehouse in a temporary directory."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetSelection,
    AssetsDefinition,
    DagsterInstance,
    ExecuteInProcessResult,
    instance_for_test,
    materialize,
)

from moment_pipelines.resources import ArtifactStore, ExportDirSource, Warehouse

REALDATA_DIR = Path(
    os.environ.get("MOMENTS_REALDATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "realdata"
)

SMALL_DEMO_MOMENTS = 1_500


@pytest.fixture(scope="session")
def small_demo_dir(tmp_path_factory) -> Path:
    """Demo exports with SMALL_DEMO_MOMENTS moments, generated once per test session."""
    from moment_pipelines.demo import generate

    directory = tmp_path_factory.mktemp("demo")
    generate(directory, n_moments=SMALL_DEMO_MOMENTS, seed=7, show_progress=False)
    return directory


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(database=str(tmp_path / "warehouse.duckdb"))


@pytest.fixture
def artifact_store(tmp_path) -> ArtifactStore:
    return ArtifactStore(root=str(tmp_path / "artifacts"))


@pytest.fixture
def demo_resources(small_demo_dir, warehouse) -> dict:
    """Resources for materializing assets on the small demo into a fresh warehouse."""
    return {"source": ExportDirSource(export_dir=str(small_demo_dir)), "warehouse": warehouse}


def realdata_pack(name: str) -> Path:
    """Return the path of a real data pack, skipping the test when it is absent."""
    path = REALDATA_DIR / name
    if not path.is_dir():
        pytest.skip(f"real data pack {name} not found at {path}")
    return path


# Enough epochs on the small demo for the validation loss to fall well below its start.
DEMO_TRAINING_EPOCHS = 8


@dataclass
class MaterializedDemo:
    """The scenario 1 chain materialized once on the small demo, with what the tests need to inspect it."""

    instance: DagsterInstance
    result: ExecuteInProcessResult
    assets: list[AssetsDefinition]  # the assets that were materialized, and only those
    resources: dict
    warehouse: Warehouse
    artifacts: ArtifactStore

    def metadata(self, asset_name: str) -> dict:
        """Return the metadata of the asset's materialization in this run, with plain values."""
        (materialization,) = self.result.asset_materializations_for_node(asset_name)
        return {key: value.value for key, value in materialization.metadata.items()}

    def check(self, asset_name: str, check_name: str) -> AssetCheckEvaluation:
        """Return the evaluation of one asset check in this run."""
        (evaluation,) = [
            item
            for item in self.result.get_asset_check_evaluations()
            if item.asset_key == AssetKey(asset_name) and item.check_name == check_name
        ]
        return evaluation


@pytest.fixture(scope="session")
def materialized_demo(small_demo_dir, tmp_path_factory) -> MaterializedDemo:
    """Every asset upstream of like_count_evaluation, materialized on the small demo in a temporary instance.

    Assets of other scenarios are left out, so their cost and state do not
    reach these tests. Tests must not change what this fixture built, or
    must restore it before they end.
    """
    from moment_pipelines.assets import all_assets

    selected = AssetSelection.assets("like_count_evaluation").upstream().resolve(all_assets)
    assets = [asset for asset in all_assets if asset.keys & selected]
    directory = tmp_path_factory.mktemp("materialized_demo")
    warehouse = Warehouse(database=str(directory / "warehouse.duckdb"))
    artifacts = ArtifactStore(root=str(directory / "artifacts"))
    resources = {"source": ExportDirSource(export_dir=str(small_demo_dir)), "warehouse": warehouse, "artifacts": artifacts}
    run_config = {"ops": {"like_count_model": {"config": {"epochs": DEMO_TRAINING_EPOCHS}}}}

    with instance_for_test() as instance:
        result = materialize(assets, instance=instance, resources=resources, run_config=run_config)
        assert result.success
        yield MaterializedDemo(instance, result, assets, resources, warehouse, artifacts)
