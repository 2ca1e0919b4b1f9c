"""The machine and its load, printed beside every figure (helper of profile_fit.py and real_size.py)."""

from __future__ import annotations

import os
import platform
import subprocess


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def load1() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def machine() -> str:
    import torch

    model = platform.processor() or "?"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    mem = "?"
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as f:
            mem = next((int(line.split()[1]) // 2**20 for line in f if line.startswith("MemTotal")), "?")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{model}, {cores} usable of {os.cpu_count()} cores, {mem} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, torch {torch.__version__}, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
