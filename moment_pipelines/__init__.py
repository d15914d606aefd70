"""moment_pipelines: MongoDB moments, likes and comments to DuckDB features and PyTorch models.

`moment_pipelines.defs` is the Dagster Definitions object. It is loaded on
first access, so `moment_pipelines.ml` and `moment_pipelines.demo` can be
imported without building the Dagster code location.
"""

import os

# Training steps run in parallel processes that share a few cores. With
# OpenMP's default active wait, a PyTorch thread spins on a core that another
# step needs. On 2 cores at a load average of 8, passive waiting made a GRU
# training loop 4.5 times faster (bench/torch_threads.py). The variable must
# be set before torch is imported, and a value set by the user wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def __getattr__(name: str):
    if name == "defs":
        from moment_pipelines.definitions import defs

        return defs
    raise AttributeError(f"module 'moment_pipelines' has no attribute {name!r}")
