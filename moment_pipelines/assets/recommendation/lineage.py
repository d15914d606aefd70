"""Find the files that an upstream asset's latest materialization recorded, and check they are unchanged."""

from dataclasses import dataclass
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, Failure

from moment_pipelines.resources.artifacts import ArtifactStore

RECOMMENDATION_GROUP = "recommendation"


@dataclass(frozen=True)
class UpstreamArtifact:
    path: Path  # hash-verified
    sha256: str
    run_id: str  # run that wrote it
    metadata: dict  # the materialization's metadata, values unwrapped


def upstream_artifact(context: AssetExecutionContext, asset_name: str, prefix: str, artifacts: ArtifactStore) -> UpstreamArtifact:
    """Return the `<prefix>_path` file of `asset_name`'s latest materialization after checking its sha256.

    Raises dagster.Failure when the asset was never materialized, its
    metadata has no such file, or the file changed after it was recorded.
    """
    event = context.instance.get_latest_materialization_event(AssetKey(asset_name))
    if event is None or event.asset_materialization is None:
        raise Failure(f"上游 asset {asset_name} 还没有物化过，请先物化它。")
    metadata = {key: value.value for key, value in event.asset_materialization.metadata.items()}
    if f"{prefix}_path" not in metadata or f"{prefix}_sha256" not in metadata:
        raise Failure(f"上游 asset {asset_name} 最近一次物化的元数据里没有 {prefix}_path / {prefix}_sha256，请重新物化它。")
    sha256 = metadata[f"{prefix}_sha256"]
    path = artifacts.verified_path(metadata[f"{prefix}_path"], sha256)
    return UpstreamArtifact(path=path, sha256=sha256, run_id=event.run_id, metadata=metadata)
