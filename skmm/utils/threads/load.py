"""Cores kept busy by other processes: this process's CPU time subtracted from /proc/stat's."""

from __future__ import annotations

import os
import threading
import time

from . import cores

#: Shortest window over which CPU use is measured, in seconds.
_WINDOW = 0.05
#: A measurement window older than this is stale; a fresh one is taken.
_STALE = 10.0


def _cpu_snapshot(cpus):
    """(wall time, busy seconds of ``cpus`` from /proc/stat, this process's CPU seconds)."""
    wanted = {f"cpu{c}" for c in cpus}
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields and fields[0] in wanted:
                # user nice system idle iowait irq softirq steal (guest is inside user)
                values = [int(v) for v in fields[1:9]]
                busy += sum(values) - values[3] - values[4]
    own = os.times()
    return time.monotonic(), busy / os.sysconf("SC_CLK_TCK"), own.user + own.system


class _LoadMeter:
    """Cores kept busy by other processes, from CPU time counted since the last reading."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last = None
        self._estimate = None

    def other_busy_cores(self):
        cpus = cores._affinity()
        try:
            with self._lock:
                last, now = self._last, _cpu_snapshot(cpus)
                age = None if last is None else now[0] - last[0]
                if age is not None and age < _WINDOW and self._estimate is not None:
                    return self._estimate  # calls in quick succession: the last reading stands
                if age is None or age > _STALE:
                    # No recent reading: measure a short window now.
                    last = now
                    time.sleep(_WINDOW)
                    now = _cpu_snapshot(cpus)
                self._last = now
                others = (now[1] - last[1]) - (now[2] - last[2])
                self._estimate = max(0.0, others / (now[0] - last[0]))
                return self._estimate
        except (OSError, ValueError):
            # No /proc (not Linux): the 1-minute load average, less ourselves.
            return max(0.0, os.getloadavg()[0] - 1.0) if hasattr(os, "getloadavg") else 0.0


_meter = _LoadMeter()
