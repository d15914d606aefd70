"""The scenario 4 chain materialized on small generated data, shared by the asset tests of this package."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

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

from moment_pipelines.resources import ArtifactStore, ExportDirSource, ImageStore, Warehouse

# Small networks and few epochs keep one chain run to seconds; quality is measured in bench/.
TEST_RUN_CONFIG = {
    "ops": {
        "moment_type_model": {
            "config": {"epochs": 2, "embedding_dim": 16, "text_hidden_dim": 16, "fusion_hidden_dim": 16, "batch_size": 64}
        },
        "moment_type_image_embeddings": {"config": {"backbone": "resnet18"}},
    }
}
TEST_IMAGE_SIZE = 32  # pixels; the backbone accepts any size, and small pictures embed fast


@dataclass
class MomentTypeRun:
    instance: DagsterInstance
    result: ExecuteInProcessResult
    resources: dict
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
    """Return the assets upstream of moment_type_evaluation, raw layer included."""
    from moment_pipelines.assets import all_assets

    selected = AssetSelection.assets("moment_type_evaluation").upstream().resolve(all_assets)
    return [asset for asset in all_assets if asset.keys & selected]


@pytest.fixture(scope="session")
def empty_torch_home(tmp_path_factory) -> Path:
    """Point TORCH_HOME at an empty folder for the session, so no machine cache changes the results."""
    directory = tmp_path_factory.mktemp("torch_home")
    previous = os.environ.get("TORCH_HOME")
    os.environ["TORCH_HOME"] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop("TORCH_HOME", None)
    else:
        os.environ["TORCH_HOME"] = previous


def run_chain(export_dir: Path, directory: Path, instance: DagsterInstance) -> MomentTypeRun:
    warehouse = Warehouse(database=str(directory / "warehouse.duckdb"))
    artifacts = ArtifactStore(root=str(directory / "artifacts"))
    resources = {
        "source": ExportDirSource(export_dir=str(export_dir)),
        "warehouse": warehouse,
        "artifacts": artifacts,
        "images": ImageStore(
            mirror_dir=str(export_dir / "images"), cache_dir=str(directory / "image_cache"), image_size=TEST_IMAGE_SIZE
        ),
    }
    result = materialize(scenario_assets(), instance=instance, resources=resources, run_config=TEST_RUN_CONFIG)
    assert result.success
    return MomentTypeRun(instance, result, resources, warehouse, artifacts)


@pytest.fixture(scope="session")
def moment_type_demo(small_demo_dir, tmp_path_factory, empty_torch_home) -> MomentTypeRun:
    with instance_for_test() as instance:
        yield run_chain(small_demo_dir, tmp_path_factory.mktemp("moment_type_demo"), instance)


@pytest.fixture(scope="session")
def no_pictures_dir(small_demo_dir, tmp_path_factory) -> Path:
    """The small demo with every moment's pictures removed, and no image folder."""
    directory = tmp_path_factory.mktemp("no_pictures")
    with open(small_demo_dir / "moments.json", encoding="utf-8") as source:
        lines = [json.loads(line) | {"pics": []} for line in source]
    (directory / "moments.json").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    for name in ("likes.json", "comments.json"):
        (directory / name).write_bytes((small_demo_dir / name).read_bytes())
    return directory
