"""Dagster resources: the document sources, the DuckDB warehouse and the artifact store."""

from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.resources.sources import ExportDirSource, MomentSource, MongoSource
from moment_pipelines.resources.warehouse import WAREHOUSE_POOL, Warehouse

__all__ = ["ArtifactStore", "ExportDirSource", "MomentSource", "MongoSource", "WAREHOUSE_POOL", "Warehouse"]
