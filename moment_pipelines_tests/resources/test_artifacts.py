"""ArtifactStore: per-run folders, atomic writes and sha256 verification."""

import hashlib

import pytest
from dagster import Failure

from moment_pipelines.resources.artifacts import ArtifactStore


def test_write_returns_hash_and_size(artifact_store: ArtifactStore):
    stored = artifact_store.write("some_asset", "run-1", "data.bin", lambda path: path.write_bytes(b"abc"))

    assert stored.path == artifact_store.run_dir("some_asset", "run-1") / "data.bin"
    assert stored.path.read_bytes() == b"abc"
    assert stored.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert stored.size_bytes == 3


def test_runs_get_separate_folders(artifact_store: ArtifactStore):
    first = artifact_store.write_text("some_asset", "run-1", "report.md", "first")
    second = artifact_store.write_text("some_asset", "run-2", "report.md", "second")

    assert first.path != second.path
    assert first.path.read_text(encoding="utf-8") == "first"
    assert second.path.read_text(encoding="utf-8") == "second"


def test_failed_write_leaves_no_file(artifact_store: ArtifactStore):
    def failing_writer(path):
        path.write_bytes(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        artifact_store.write("some_asset", "run-1", "model.pt", failing_writer)

    assert list(artifact_store.run_dir("some_asset", "run-1").iterdir()) == []


def test_failed_rewrite_keeps_previous_file(artifact_store: ArtifactStore):
    artifact_store.write_text("some_asset", "run-1", "report.md", "complete")

    def failing_writer(path):
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        artifact_store.write("some_asset", "run-1", "report.md", failing_writer)

    directory = artifact_store.run_dir("some_asset", "run-1")
    assert [path.name for path in directory.iterdir()] == ["report.md"]
    assert (directory / "report.md").read_text(encoding="utf-8") == "complete"


def test_verified_path_accepts_recorded_hash(artifact_store: ArtifactStore):
    stored = artifact_store.write_text("some_asset", "run-1", "model.pt", "weights")

    assert artifact_store.verified_path(stored.path, stored.sha256) == stored.path


def test_verified_path_rejects_changed_file(artifact_store: ArtifactStore):
    stored = artifact_store.write_text("some_asset", "run-1", "model.pt", "weights")
    stored.path.write_text("tampered", encoding="utf-8")

    with pytest.raises(Failure, match="sha256"):
        artifact_store.verified_path(stored.path, stored.sha256)


def test_verified_path_rejects_missing_file(artifact_store: ArtifactStore, tmp_path):
    with pytest.raises(Failure, match="不存在"):
        artifact_store.verified_path(tmp_path / "gone.pt", "0" * 64)
