"""Decoding and featurising media rows on several cores, in threads.

Pillow, soundfile, soxr and torch release the GIL while they work, so a
thread pool uses the cores without copying arrays between processes. Work is
cut into chunks of rows whose boundaries do not depend on the number of
threads, and results come back in row order: the output is the same as a
serial run's, bit for bit.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from numbers import Integral

from tqdm.auto import tqdm

from .._columns import is_missing
from .._threads import call_verbosity, in_worker, thread_limit, usable_cores
from .decode_cache import decode_cache

#: Rows per task: large enough that the pool's own cost is small.
CHUNK = 32
#: A progress bar appears only when the work lasts longer than this (seconds).
PROGRESS_DELAY = 1.0


def check_n_jobs(owner):
    """Validate ``owner.n_jobs`` (None or an int >= 1) and ``owner.verbose`` (None or int >= 0)."""
    n_jobs, verbose = owner.n_jobs, owner.verbose
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs < 1):
        raise ValueError(f"n_jobs must be None or an integer >= 1, got {n_jobs!r}.")
    if verbose is not None and (isinstance(verbose, bool) or not isinstance(verbose, Integral) or verbose < 0):
        raise ValueError(f"verbose must be None or an integer >= 0, got {verbose!r}.")


def resolve_n_jobs(n_jobs):
    """Threads to use: ``n_jobs``, or (None) the usable cores, 1 inside a worker."""
    if n_jobs is not None:
        return int(n_jobs)
    return 1 if in_worker() else usable_cores()


def parallel_map(func, items, n_jobs=None):
    """``[func(item) for item in items]`` on ``n_jobs`` threads, in order.

    Parameters
    ----------
    func : callable
        Must be safe to call from several threads at once.
    items : list
    n_jobs : int or None
        See :func:`resolve_n_jobs`.
    """
    n = min(resolve_n_jobs(n_jobs), len(items))
    if n <= 1:
        return [func(item) for item in items]
    paused = decode_cache.is_paused()

    def run(item):
        # The cache's pause is per thread: pool threads follow their caller's.
        with decode_cache.paused() if paused else nullcontext():
            return func(item)

    # One torch/BLAS thread per pool thread: the pool already fills the cores.
    with thread_limit(1), ThreadPoolExecutor(n, thread_name_prefix="skmm-decode") as pool:
        return list(pool.map(run, items))


def _attempt(decode, value):
    try:
        return True, decode(value)
    except Exception as exc:  # replayed in row order by the caller, as a serial run raises it
        return False, exc


def prefetched(values, decode, n_jobs=None, verbose=None, what="media"):
    """Decode every present value up front (in parallel); return a replaying ``decode``.

    :meth:`skmm._columns.Column.decode` then calls the returned function on
    the present values in row order, as it would call ``decode``; each call
    returns the next stored result or raises the stored error, so errors
    still name the row and file of the first bad value.

    Parameters
    ----------
    values : sequence
        The column's values.
    decode : callable
        value -> decoded object.
    n_jobs : int or None
        Threads (None: the cores skmm may use).
    verbose : int or None
        >= 1 shows a progress bar when decoding takes more than a second;
        None follows the estimator being fitted or run (silent otherwise).
    what : str
        Shown beside the progress bar.
    """
    present = [value for value in values if not is_missing(value)]
    chunks = [present[i : i + CHUNK] for i in range(0, len(present), CHUNK)]
    if verbose is None:
        verbose = call_verbosity.get()
    with tqdm(
        total=len(present), desc=f"decoding {what}", unit="row", disable=verbose < 1 or not present,
        delay=PROGRESS_DELAY, leave=False,
    ) as bar:
        def decode_chunk(chunk):
            done = [_attempt(decode, value) for value in chunk]
            bar.update(len(chunk))
            return done

        results = iter([r for done in parallel_map(decode_chunk, chunks, n_jobs) for r in done])

    def replay(value):
        ok, out = next(results)
        if ok:
            return out
        raise out

    return replay
