"""moment_pipelines: MongoDB moments, likes and comments to DuckDB features and PyTorch models.

`moment_pipelines.defs` is the Dagster Definitions object. It is loaded on
first access, so `moment_pipelines.ml` and `moment_pipelines.demo` can be
imported without building the Dagster code location.
"""


def __getattr__(name: str):
    if name == "defs":
        from moment_pipelines.definitions import defs

        return defs
    raise AttributeError(f"module 'moment_pipelines' has no attribute {name!r}")
