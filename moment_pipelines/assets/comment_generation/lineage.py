"""Locate the files an upstream asset recorded on its latest materialization, verified by sha256.

Assets call this with `context.instance`; the command-line generator calls it
with the instance in DAGSTER_HOME. Either way the file used is the one the
asset graph's lineage points to, never "the newest file in the folder".
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterInstance, Failure

from moment_pipelines.resources.artifacts import ArtifactStore


@dataclass(frozen=True)
class RecordedArtifact:
    path: Path  # verified file
    sha256: str
    metadata: dict[str, Any]  # every metadata entry of the materialization, unwrapped to plain values
    run_id: str  # run that wrote the file


def metadata_values(metadata: dict) -> dict[str, Any]:
    """Unwrap Dagster MetadataValue objects to their plain values (a path becomes its string)."""
    values = {}
    for key, value in metadata.items():
        raw = getattr(value, "value", value)
        values[key] = getattr(raw, "path", raw)
    return values


def latest_materialization(instance: DagsterInstance, asset_key: str) -> tuple[dict[str, Any], str]:
    """Return the plain metadata and run id of the asset's latest materialization.

    Raises dagster.Failure with a Chinese message when the asset was never materialized.
    """
    event = instance.get_latest_materialization_event(AssetKey(asset_key))
    if event is None or event.asset_materialization is None:
        raise Failure(f"asset {asset_key} 尚未物化。请先在 Dagster UI 中物化它（或运行 make run）。")
    return metadata_values(event.asset_materialization.metadata), event.run_id


def recorded_artifact(
    instance: DagsterInstance, asset_key: str, prefix: str, artifacts: ArtifactStore
) -> RecordedArtifact:
    """Return the file recorded as `<prefix>_path` / `<prefix>_sha256` on the asset's latest materialization.

    Raises dagster.Failure when the asset was never materialized, recorded no
    such file, or the file is missing or changed since it was written.
    """
    metadata, run_id = latest_materialization(instance, asset_key)
    path_key, hash_key = f"{prefix}_path", f"{prefix}_sha256"
    if path_key not in metadata or hash_key not in metadata:
        raise Failure(
            f"asset {asset_key} 最近一次物化（run {run_id}）没有记录 {path_key} 和 {hash_key}。"
            "它可能被跳过了，请查看该次物化的元数据，修正后重新物化。"
        )
    sha256 = str(metadata[hash_key])
    path = artifacts.verified_path(str(metadata[path_key]), sha256)
    return RecordedArtifact(path=path, sha256=sha256, metadata=metadata, run_id=run_id)
