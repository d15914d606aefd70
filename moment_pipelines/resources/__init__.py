"""Dagster resources: the document sources, the DuckDB warehouse, the artifact store and the image store."""

from moment_pipelines.resources.artifacts import ArtifactStore
from moment_pipelines.resources.images import ImageStore
from moment_pipelines.resources.sources import ExportDirSource, MomentSource, MongoSource
from moment_pipelines.resources.warehouse import WAREHOUSE_POOL, Warehouse

__all__ = ["ArtifactStore", "ExportDirSource", "ImageStore", "MomentSource", "MongoSource", "WAREHOUSE_POOL", "Warehouse"]
