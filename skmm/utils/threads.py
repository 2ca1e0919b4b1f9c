"""How many CPU threads skmm's torch and BLAS calls may use, chosen per call.

torch's intra-op pool (OpenMP) synchronises its threads at the end of every
parallel region. When another process keeps one of the cores busy, the
thread that shares that core is descheduled for whole time slices and every
other thread waits for it: on 2 shared cores a fit ran 8-35x slower with 2
threads than with 1. skmm's networks are small, so extra threads gain at most
~2x on an idle machine. The rule here:

* ``n_threads`` given (an int): use exactly that many.
* inside a worker (a thread other than the main one, as in joblib's threading
  backend or a Dask worker, or a child process, as joblib's loky workers and
  DataLoader workers are): 1 thread, since the parallelism is already above us.
* little work (fewer than ``SMALL_WORK_ROWS`` rows): 1 thread.
* otherwise: the usable cores (CPU affinity, cgroup quota) minus the cores
  other processes keep busy, measured from ``/proc/stat`` minus this process's
  own CPU time, rounded down; at least 1.

The count is set for the duration of one call (:func:`thread_limit`) and the
caller's settings are restored afterwards, exceptions included. During a fit
:class:`RetuneThreads` measures again at each epoch, as the load changes.

torch's thread count is one setting for the whole process. Calls that overlap
(nested, or in several threads) share it: the smallest count asked for by the
calls under way is in force, and the last one out restores what the caller had.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Integral

import scipy.sparse as sp
import torch
from sklearn.utils.validation import _num_samples
from skorch.callbacks import Callback
from threadpoolctl import ThreadpoolController

#: Below this many rows a call runs on one thread: pools cost more than they give.
SMALL_WORK_ROWS = 256
#: Other processes keeping more than this fraction of a core busy count as one core taken.
_BUSY_MARGIN = 0.2
#: Shortest window over which CPU use is measured, in seconds.
_WINDOW = 0.05
#: A measurement window older than this is stale; a fresh one is taken.
_STALE = 10.0

#: ``verbose`` of the estimator call being run (preprocessors with verbose=None follow it).
call_verbosity: ContextVar[int] = ContextVar("skmm_call_verbosity", default=0)


def check_n_threads(n_threads):
    """Validate an ``n_threads`` parameter: None or an int >= 1."""
    if n_threads is None:
        return
    if isinstance(n_threads, bool) or not isinstance(n_threads, Integral) or n_threads < 1:
        raise ValueError(f"n_threads must be None or an integer >= 1, got {n_threads!r}.")


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
        cpus = _affinity()
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


def in_worker():
    """True in a thread other than the main one or in a child process (a pool's worker)."""
    return threading.current_thread() is not threading.main_thread() or (
        multiprocessing.parent_process() is not None
    )


def choose_threads(n_threads=None, n_rows=None):
    """The thread count for one call: ``n_threads`` if given, else skmm's choice.

    Parameters
    ----------
    n_threads : int or None
        The user's choice; None lets skmm choose (see the module's docstring).
    n_rows : int or None
        Rows the call works on (None: unknown, taken as large).

    Returns
    -------
    int
        At least 1; skmm's choice never exceeds :func:`usable_cores`.

    Examples
    --------
    >>> from skmm.utils.threads import choose_threads, usable_cores
    >>> choose_threads(3)
    3
    >>> 1 <= choose_threads(None, n_rows=100_000) <= usable_cores()
    True
    >>> choose_threads(None, n_rows=10)
    1
    """
    check_n_threads(n_threads)
    if n_threads is not None:
        return int(n_threads)
    cores = usable_cores()
    if cores == 1 or in_worker() or (n_rows is not None and n_rows < SMALL_WORK_ROWS):
        return 1
    free = cores - _meter.other_busy_cores()
    return max(1, min(cores, math.floor(free + _BUSY_MARGIN)))


class _Scope:
    """The process-wide state of overlapping :func:`thread_limit` blocks.

    The count in force is the smallest of the active blocks' counts; when
    the last block ends, the caller's settings come back.
    """

    def __init__(self):
        self._controller = None
        self.lock = threading.RLock()
        self.requests = []  # one [count] per active block, in entry order
        self.current = None
        self.saved = None
        self.limiter = None

    @property
    def depth(self):
        return len(self.requests)

    @property
    def controller(self):
        # Scanning the loaded libraries costs ~1 ms: once per process (torch and
        # numpy, which bring the OpenMP and BLAS libraries, are imported by then).
        if self._controller is None:
            self._controller = ThreadpoolController()
        return self._controller

    def _apply(self, n):
        if n != self.current:
            self.controller.limit(limits=n)  # restored by the outermost limiter
            torch.set_num_threads(n)
            self.current = n

    def _least(self):
        return min(count for count, in self.requests)

    def enter(self, n):
        """Start a block asking for ``n`` threads; returns its token for :meth:`exit`."""
        token = [n]
        with self.lock:
            if not self.requests:
                self.saved = torch.get_num_threads()
                self.limiter = self.controller.limit(limits=n)
                torch.set_num_threads(n)
                self.current = n
            self.requests.append(token)
            self._apply(self._least())
        return token

    def retune(self, n):
        """Change the count mid-call; only when no other block overlaps this one."""
        with self.lock:
            if len(self.requests) == 1:
                self.requests[0][0] = n
                self._apply(n)

    def exit(self, token):
        with self.lock:
            self.requests = [t for t in self.requests if t is not token]
            if self.requests:
                self._apply(self._least())
                return
            # BLAS/OpenMP first: torch's own setter also writes OpenMP's count.
            self.limiter.restore_original_limits()
            torch.set_num_threads(self.saved)
            self.limiter = self.saved = self.current = None


_scope = _Scope()


@contextmanager
def thread_limit(n):
    """Run the block with ``n`` torch and BLAS/OpenMP threads, then restore the caller's.

    Parameters
    ----------
    n : int
        Threads (>= 1).

    Examples
    --------
    >>> import torch
    >>> from skmm.utils.threads import thread_limit
    >>> before = torch.get_num_threads()
    >>> with thread_limit(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    n = int(n)
    token = _scope.enter(n)
    try:
        yield n
    finally:
        _scope.exit(token)


def n_rows(X):
    """Samples in X; a dict of modality arrays counts rows, not keys."""
    if isinstance(X, dict) and not sp.issparse(X):  # a DOK matrix is a dict
        first = next(iter(X.values()), None)
        # A sparse modality (the wide part) has rows but no len().
        return 0 if first is None else (first.shape[0] if sp.issparse(first) else len(first))
    return _num_samples(X)


def _rows(X):
    try:
        return n_rows(X)
    except (TypeError, ValueError):
        return None  # validation later says what is wrong with X


def scoped(method):
    """Decorate an estimator method ``method(self, X, ...)`` to run under its thread count.

    Uses ``self.n_threads`` and the rows of X, and makes ``self.verbose``
    visible to preprocessors whose own ``verbose`` is None.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        n = choose_threads(getattr(self, "n_threads", None), _rows(X))
        token = call_verbosity.set(getattr(self, "verbose", 0) or 0)
        try:
            with thread_limit(n):
                return method(self, X, *args, **kwargs)
        finally:
            call_verbosity.reset(token)

    return wrapper


class RetuneThreads(Callback):
    """skorch callback: choose the thread count again at each epoch, as the machine's load changes.

    With ``retune=False`` (``n_threads`` given) it only records. The count
    in force is recorded in each epoch's history (``"threads"``), since
    a seeded fit repeats bit for bit only on the same thread counts. The CPU
    use of other processes is measured over the previous epoch, so it adds
    no waiting.

    Parameters
    ----------
    retune : bool, default=True
    """

    def __init__(self, retune=True):
        self.retune = retune

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.n_rows_ = None if X is None else _rows(X)

    def on_epoch_begin(self, net, **kwargs):
        if self.retune and _scope.depth:
            _scope.retune(choose_threads(None, getattr(self, "n_rows_", None)))
        net.history.record("threads", torch.get_num_threads())
