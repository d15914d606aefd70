"""Dagster resources: the document sources and the DuckDB warehouse."""

from moment_pipelines.resources.sources import ExportDirSource, MomentSource, MongoSource
from moment_pipelines.resources.warehouse import WAREHOUSE_POOL, Warehouse

__all__ = ["ExportDirSource", "MomentSource", "MongoSource", "WAREHOUSE_POOL", "Warehouse"]
