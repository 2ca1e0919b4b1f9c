"""Decoding and featurising media rows on several cores.

Work is cut into chunks of consecutive rows and results come back in row
order, so the output is the same as a serial run's, bit for bit, and errors
are raised for the first bad row, as a serial run raises them.

A chunk is decoded *and featurised* (resized, log-mel frames, ...) by the
worker that takes it, so the calling process is left only with stacking the
results, and what travels back is the compact features rather than the
decoded media. The featuriser always sees the same chunks (fixed by row
position and :data:`CHUNK`, not by ``n_jobs`` or by what the cache held), so
batched featurisers give the same output however the work is spread.

Decoding one small file is mostly Python (Pillow's and soundfile's own
code, holding the GIL) around a little C: threads barely scale on it. So a
long job (more than :data:`PROCESS_MIN_SECONDS` of estimated work) runs
in forked worker processes, which inherit the values, the decoder and the
featuriser and send back only arrays; shorter work, and platforms without a
safe ``fork``, use threads. The decode cache stays in the calling process:
cached rows are looked up first, and only misses are decoded (each distinct
file once).

This module schedules the chunks (serial, threads or forked processes); the
workers' results come back through a spool file (:mod:`._spool`), and
:mod:`._prefetch` decodes a column's values through the cache with it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import warnings
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from itertools import count

from ..utils.threads import in_worker, thread_limit, usable_cores
from . import _spool
from .decode_cache import decode_cache

#: Rows per task: large enough that the pool's own cost is small, and one batch of a batched featuriser.
CHUNK = 64
#: Work (decoding and featurising) estimated to take longer than this (seconds, on one core) runs in processes.
#: Threads barely beat one core on small files (the GIL), and a pool of forked processes costs a fixed
#: ~0.1 s (forking, each worker's first chunk, shutdown): measured break-even at 0.05-0.4 s of work
#: (images, audio), so from a quarter of a second processes are no slower and usually twice as fast.
PROCESS_MIN_SECONDS = 0.25


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


# Work handed to forked workers: they inherit it at fork time, so neither the
# values nor the decoder are pickled.
_INHERITED: dict[int, tuple] = {}
_tokens = count()


def _work(token):
    """A worker's loop: take the next chunk, run its task, spool the results, until none is left.

    Workers take chunks themselves (a shared counter) rather than being fed
    by the parent, which on a loaded machine may wait long for a core.
    """
    task, chunks, spool, next_chunk, finished = _INHERITED[token]
    while True:
        with next_chunk.get_lock():
            c = next_chunk.value
            next_chunk.value += 1
        if c >= len(chunks):
            return
        _spool.write(task(*chunks[c]), os.path.join(spool, str(c)))
        finished[c] = 1


def _child_init():
    # One torch/BLAS thread per worker, as the pool fills the cores.
    import torch

    torch.set_num_threads(1)


def can_fork():
    """Whether worker processes may be forked here (Linux, not inside a daemonic pool worker)."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _collect(workers, chunks, pending, finished, spool, results, bar):
    """Read chunks back as workers finish them, until all are in ``results``."""
    while pending:
        stopped, _ = wait(workers, timeout=0.05, return_when=FIRST_EXCEPTION)
        for worker in stopped:
            worker.result()  # a worker's crash is raised here
        ready = [c for c in pending if finished[c]]
        for c in ready:  # read as they come, so that the spool folder holds little
            results[c] = _spool.read(os.path.join(spool, str(c)))
            bar.update(chunks[c][1] - chunks[c][0])
        pending = [c for c in pending if results[c] is None]
        if pending and len(stopped) == len(workers) and not ready:
            raise RuntimeError(f"media-decoding workers stopped with chunks {pending} not done")


def _process_map(task, chunks, n_jobs, bar, spool_dir):
    """``task(start, stop)`` for each of ``chunks`` in ``n_jobs`` forked processes; results in order.

    The results' arrays are spooled in files in ``spool_dir`` and mapped, so they use its room
    until they are freed.
    """
    context = multiprocessing.get_context("fork")
    token = next(_tokens)
    spool = tempfile.mkdtemp(prefix="skmm-decode-", dir=spool_dir)
    finished, next_chunk = context.Array("b", len(chunks), lock=False), context.Value("i", 0)
    _INHERITED[token] = (task, chunks, spool, next_chunk, finished)
    results = [None] * len(chunks)
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns on fork in a threaded process; the workers only decode
            # and featurise (no locks of the parent's other threads).
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            with ProcessPoolExecutor(n_jobs, context, initializer=_child_init) as pool:
                workers = [pool.submit(_work, token) for _ in range(n_jobs)]
                pending = list(range(len(chunks)))
                try:
                    _collect(workers, chunks, pending, finished, spool, results, bar)
                except BaseException:  # an error or Ctrl-C: workers stop after their chunk, not at the end
                    with next_chunk.get_lock():
                        next_chunk.value = len(chunks)
                    raise
        return [r for done in results for r in done]
    except BrokenProcessPool:
        raise RuntimeError(
            "a media-decoding process died (out of memory, or a crash in a decoding library); "
            "n_jobs=1 decodes in this process"
        ) from None
    finally:
        del _INHERITED[token]
        shutil.rmtree(spool, ignore_errors=True)


def run_chunks(task, n_rows, n_jobs, bar):
    """``task(start, stop)`` over chunks of :data:`CHUNK` rows, concatenated in order.

    Serial, threads or processes, by ``n_jobs`` and the estimated work; torch
    and BLAS use one thread throughout (the pool fills the cores, and the
    output must not depend on how many threads a batched step had).
    """
    chunks = [(start, min(start + CHUNK, n_rows)) for start in range(0, n_rows, CHUNK)]
    n = min(resolve_n_jobs(n_jobs), len(chunks))

    def run(chunk):
        done = task(*chunk)
        bar.update(len(done))
        return done

    with thread_limit(1):
        if n <= 1:
            return [r for chunk in chunks for r in run(chunk)]
        # The first chunk, run here, tells how long the rest would take on one core.
        started = time.perf_counter()
        first = run(chunks[0])
        left = n_rows - len(first)
        estimate = (time.perf_counter() - started) * left / len(first)
        if estimate > PROCESS_MIN_SECONDS and can_fork():
            nbytes = sum(a.nbytes for ok, out in first if ok for a in _spool.arrays(out))
            spool_dir = _spool.spool_dir(2 * nbytes * left / len(first))
            if spool_dir is not None:
                return first + _process_map(task, chunks[1:], n, bar, spool_dir)
        return first + [r for done in parallel_map(run, chunks[1:], n) for r in done]
