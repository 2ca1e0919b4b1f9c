"""The cores this process may run on: its CPU affinity, capped by its cgroup's quota; whether it is a worker."""

from __future__ import annotations

import math
import multiprocessing
import os
import threading


def _cgroup_cores():
    """CPU quota of this process's cgroup in cores (v2, then v1), or None."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def _affinity():
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def usable_cores():
    """Cores this process may run on: its CPU affinity, capped by the cgroup quota."""
    cores = len(_affinity())
    quota = _cgroup_cores()
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota)))
    return max(1, cores)


def in_worker():
    """True in a thread other than the main one or in a child process (a pool's worker)."""
    return threading.current_thread() is not threading.main_thread() or (
        multiprocessing.parent_process() is not None
    )
