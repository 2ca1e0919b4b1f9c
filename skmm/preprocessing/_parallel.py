"""Decoding and featurising media rows on several cores.

Work is cut into chunks of rows and results come back in row order, so the
output is the same as a serial run's, bit for bit, and errors are raised for
the first bad row, as a serial run raises them.

Decoding one small file is mostly Python (Pillow's and soundfile's own
code, holding the GIL) around a little C: threads barely scale on it. So a
long decode (more than :data:`PROCESS_MIN_SECONDS` of estimated work) runs
in forked worker processes, which inherit the values and the decoder and
send back only the decoded arrays; shorter work, and platforms without a
safe ``fork``, use threads. The decode cache stays in the calling process:
cached rows are looked up first, and only misses are decoded (each distinct
file once).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import shutil
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from collections import namedtuple
from itertools import count
from numbers import Integral

import numpy as np
from tqdm.auto import tqdm

from .._columns import is_missing
from .._threads import call_verbosity, in_worker, thread_limit, usable_cores
from .decode_cache import decode_cache

#: Rows per task: large enough that the pool's own cost is small.
CHUNK = 32
#: A progress bar appears only when the work lasts longer than this (seconds).
PROGRESS_DELAY = 1.0
#: Decoding estimated to take longer than this (seconds, on one core) runs in processes.
PROCESS_MIN_SECONDS = 1.0


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


def _attempt(decode, value, settings=()):
    try:
        return True, decode(value, *settings)
    except Exception as exc:  # replayed in row order by the caller, as a serial run raises it
        return False, exc


# Work handed to forked workers: they inherit it at fork time, so neither the
# values nor the decoder are pickled; only results travel back.
_INHERITED = {}
_tokens = count()


def _decode_inherited(token, start, stop):
    """Decode ``items[start:stop]`` in a worker; arrays go back through a file in ``spool``."""
    decode, settings, items, spool = _INHERITED[token]
    done = [_attempt(decode, value, settings) for value in items[start:stop]]
    offset = 0
    # Arrays through a pipe cost more CPU than decoding them (64 KiB at a time, pickled on both sides):
    # they are written to one file per chunk (in memory, /dev/shm where there is one) and read back at once.
    with open(os.path.join(spool, str(start)), "wb") as f:
        for i, (ok, out) in enumerate(done):
            if ok and isinstance(out, np.ndarray) and not out.dtype.hasobject:
                data = np.ascontiguousarray(out)
                f.write(data.data)
                done[i] = (ok, _Spooled(offset, out.shape, out.dtype))
                offset += data.nbytes
            elif not ok:
                try:
                    pickle.dumps(out)
                except Exception:  # noqa: BLE001 - an error that cannot travel back is sent as its text
                    done[i] = (False, RuntimeError(f"{type(out).__name__}: {out}"))
    return done


#: Where a worker wrote one array in its chunk's file.
_Spooled = namedtuple("_Spooled", "offset shape dtype")


def _unspool(done, path):
    """A chunk's results with its :class:`_Spooled` entries read back, each into its own array."""
    results = []
    # Row by row, not one buffer per chunk: arrays this small come from the heap's reused
    # memory, where a fresh multi-megabyte buffer would cost a page fault per 4 KiB.
    with open(path, "rb", buffering=0) as f:
        for ok, out in done:
            if ok and isinstance(out, _Spooled):
                array = np.empty(out.shape, out.dtype)
                f.seek(out.offset)
                f.readinto(memoryview(array).cast("B"))
                out = array
            results.append((ok, out))
    os.unlink(path)  # at once: /dev/shm holds only the chunks in flight
    return results


def _child_init():
    # The workers decode only; one torch/BLAS thread each, as the pool fills the cores.
    import torch

    torch.set_num_threads(1)


def can_fork():
    """Whether worker processes may be forked here (Linux, not inside a daemonic pool worker)."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _process_map(decode, settings, items, chunks, n_jobs, bar):
    """Decode ``items`` by ``chunks`` ((start, stop) pairs) in ``n_jobs`` forked processes, in order."""
    token = next(_tokens)
    spool = tempfile.mkdtemp(prefix="skmm-decode-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    _INHERITED[token] = (decode, settings, items, spool)
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns on fork in a threaded process; the workers only decode
            # (no torch, no locks of the parent's other threads).
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            pool = ProcessPoolExecutor(n_jobs, multiprocessing.get_context("fork"), initializer=_child_init)
            with pool:
                futures = {pool.submit(_decode_inherited, token, *chunk): chunk for chunk in chunks}
                results = {}
                for future in as_completed(futures):
                    start, stop = futures[future]
                    results[start] = _unspool(future.result(), os.path.join(spool, str(start)))
                    bar.update(stop - start)
                return [r for start, _ in chunks for r in results[start]]
    except BrokenProcessPool:
        raise RuntimeError(
            "a media-decoding process died (out of memory, or a crash in a decoding library); "
            "n_jobs=1 decodes in this process"
        ) from None
    finally:
        del _INHERITED[token]
        shutil.rmtree(spool, ignore_errors=True)


def _decode_all(decode, settings, items, n_jobs, bar):
    """``[_attempt(decode, item, settings) ...]``: threads or processes, by the estimated work."""
    n = min(resolve_n_jobs(n_jobs), -(-len(items) // CHUNK))
    if n <= 1:
        done = [_attempt(decode, item, settings) for item in items]
        bar.update(len(items))
        return done
    # The first chunk, decoded here, tells how long the rest would take on one core.
    started = time.perf_counter()
    first = [_attempt(decode, item, settings) for item in items[:CHUNK]]
    bar.update(len(first))
    rest = items[CHUNK:]
    estimate = (time.perf_counter() - started) * len(rest) / CHUNK
    chunks = [(i, min(i + CHUNK, len(items))) for i in range(CHUNK, len(items), CHUNK)]
    if estimate > PROCESS_MIN_SECONDS and can_fork():
        return first + _process_map(decode, settings, items, chunks, n, bar)

    def decode_chunk(chunk):
        done = [_attempt(decode, item, settings) for item in items[chunk[0] : chunk[1]]]
        bar.update(len(done))
        return done

    return first + [r for done in parallel_map(decode_chunk, chunks, n) for r in done]


def prefetched(values, decode, settings=(), n_jobs=None, verbose=None, what="media"):
    """Decode every present value up front (in parallel, through the cache); return a replaying decoder.

    :meth:`skmm._columns.Column.decode` then calls the returned function on
    the present values in row order; each call returns the next stored
    result or raises the stored error, so errors still name the row and file
    of the first bad value.

    Parameters
    ----------
    values : sequence
        The column's values.
    decode : callable
        ``decode(value, *settings)`` -> decoded array; a module-level function
        (it is also the decode cache's key).
    settings : tuple
        Decoder settings, part of the cache key.
    n_jobs : int or None
        Threads or processes (None: the cores skmm may use).
    verbose : int or None
        >= 1 shows a progress bar when decoding takes more than a second;
        None follows the estimator being fitted or run (silent otherwise).
    what : str
        Shown beside the progress bar.
    """
    present = [value for value in values if not is_missing(value)]
    results = [None] * len(present)
    misses, keys, first_of = [], [], {}
    for i, value in enumerate(present):
        key = decode_cache.key(value, decode, settings)
        if key is not None and key in first_of:  # the same file again in this column: decoded once
            decode_cache.lookup(key, hit=True)
            results[i] = first_of[key]
        elif (cached := decode_cache.lookup(key)) is not None:
            results[i] = (True, cached)
        else:
            if key is not None:
                first_of[key] = len(misses)
            misses.append(i)
            keys.append(key)
    if verbose is None:
        verbose = call_verbosity.get()
    with tqdm(
        total=len(misses), desc=f"decoding {what}", unit="row", disable=verbose < 1 or not misses,
        delay=PROGRESS_DELAY, leave=False,
    ) as bar:
        decoded = _decode_all(decode, settings, [present[i] for i in misses], n_jobs, bar)
    for i, key, (ok, out) in zip(misses, keys, decoded):
        results[i] = (True, decode_cache.store(key, out)) if ok else (ok, out)
    for i, result in enumerate(results):
        if isinstance(result, int):
            results[i] = results[misses[result]]
    results = iter(results)

    def replay(value):
        ok, out = next(results)
        if ok:
            return out
        raise out

    return replay
