"""Shared fixtures: small generated demo exports and a warehouse in a temporary directory."""

import os
from pathlib import Path

import pytest

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
