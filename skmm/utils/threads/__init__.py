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

The pieces: the cores this process may use (:mod:`.cores`), the load other
processes put on them (:mod:`.load`), one count in force for overlapping
calls (:mod:`.limit`), and the choice per estimator call (:mod:`.calls`).
"""

from .calls import SMALL_WORK_ROWS, RetuneThreads, call_verbosity, check_n_threads, choose_threads, n_rows, scoped
from .cores import in_worker, usable_cores
from .limit import thread_limit

__all__ = [
    "SMALL_WORK_ROWS", "RetuneThreads", "call_verbosity", "check_n_threads", "choose_threads", "in_worker", "n_rows",
    "scoped", "thread_limit", "usable_cores",
]
