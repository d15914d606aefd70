"""Executor settings of the project's jobs: one process a step, forked from a preloaded server.

Dagster's multiprocess executor runs every step in its own process. With the
default `spawn` start method each of those processes imports the whole code
location again, torch and the models included, which took 7 to 14 seconds a
step on 2 cores. With `forkserver` one server process imports
`moment_pipelines.definitions` once and every step process is forked from it,
so a step starts with everything already loaded.

A run configuration that sets `execution` replaces this dictionary as a
whole, so it must repeat `start_method` to keep the forkserver.
"""

STEP_PROCESSES_CONFIG = {
    "multiprocess": {
        "start_method": {"forkserver": {"preload_modules": ["moment_pipelines.definitions"]}},
    }
}
