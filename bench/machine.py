"""Describe the machine a benchmark ran on: cores, memory, CPU model, load and library versions.

Usage:
    .venv/bin/python bench/machine.py
"""

import os
import platform
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import psutil

PACKAGES = ("dagster", "duckdb", "torch", "pandas", "numpy")


def cpu_model() -> str:
    """Return the first "model name" of /proc/cpuinfo, or the platform's processor string elsewhere."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def describe() -> dict[str, str]:
    """Return the facts a benchmark table needs next to its numbers."""
    load = os.getloadavg()
    facts = {
        "date (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "cpu": cpu_model(),
        "load average (1, 5, 15 min)": ", ".join(f"{value:.2f}" for value in load),
        "python": platform.python_version(),
    }
    for package in PACKAGES:
        facts[package] = version(package)
    return facts


def print_description() -> None:
    for name, value in describe().items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    print_description()
