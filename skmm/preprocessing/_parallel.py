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

import math
import mmap
import multiprocessing
import os
import pickle
import shutil
import sys
import tempfile
import time
import warnings
from collections import namedtuple
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from itertools import count

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
# values nor the decoder are pickled.
_INHERITED = {}
_tokens = count()
_HEADER = 8  # bytes: length of a chunk file's pickled header

#: Where a worker wrote one array in its chunk's file, after the header.
_Spooled = namedtuple("_Spooled", "offset shape dtype")


def _work(token):
    """A worker's loop: take the next chunk, decode it, spool it, until none is left.

    Workers take chunks themselves (a shared counter) rather than being fed
    by the parent, which on a loaded machine may wait long for a core.
    """
    decode, settings, items, chunks, spool, next_chunk, finished = _INHERITED[token]
    while True:
        with next_chunk.get_lock():
            c = next_chunk.value
            next_chunk.value += 1
        if c >= len(chunks):
            return
        start, stop = chunks[c]
        _spool([_attempt(decode, value, settings) for value in items[start:stop]], os.path.join(spool, str(c)))
        finished[c] = 1


def _spool(done, path):
    """Write a chunk's results to ``path``: pickled (ok, error or :class:`_Spooled`) list, then raw arrays.

    Arrays through a pipe cost more CPU than decoding them (64 KiB at a time,
    pickled on both sides); a file in memory (/dev/shm) is written and read at once.
    """
    arrays, offset = [], 0
    for i, (ok, out) in enumerate(done):
        if ok and isinstance(out, np.ndarray) and not out.dtype.hasobject:
            arrays.append(np.ascontiguousarray(out))
            done[i] = (ok, _Spooled(offset, out.shape, out.dtype))
            offset += out.nbytes
        elif not ok:
            try:
                pickle.dumps(out)
            except Exception:  # noqa: BLE001 - an error that cannot travel back is sent as its text
                done[i] = (False, RuntimeError(f"{type(out).__name__}: {out}"))
    header = pickle.dumps(done)
    header += b"\0" * (-(_HEADER + len(header)) % 64)  # arrays start aligned
    with open(path + ".part", "wb") as f:
        f.write(len(header).to_bytes(_HEADER, "little"))
        f.write(header)
        for array in arrays:
            f.write(array.data)
    os.replace(path + ".part", path)


def _unspool(path):
    """A chunk's results read back from :func:`_spool`'s file, which is then removed.

    The arrays are mapped, not copied (copy-on-write: they stay writeable): the parent's
    copy of the rows would cost about as much CPU as the workers' decoding saves.
    """
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(_HEADER), "little")
        done = pickle.loads(f.read(size))  # noqa: S301 - written by our own worker just now
        base = _HEADER + size
        total = os.fstat(f.fileno()).st_size
        data = mmap.mmap(f.fileno(), total, access=mmap.ACCESS_COPY) if total > base else None
    os.unlink(path)  # the mapping keeps the data; nothing is left to clean up
    return [(ok, _mapped(data, base, out) if ok and isinstance(out, _Spooled) else out) for ok, out in done]


def _mapped(data, base, spooled):
    count = math.prod(spooled.shape)
    if not count:
        return np.empty(spooled.shape, spooled.dtype)
    return np.frombuffer(data, spooled.dtype, count, base + spooled.offset).reshape(spooled.shape)


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


def _spool_dir(nbytes):
    """A folder with room for ``nbytes`` of decoded arrays, in memory if possible; None if none has."""
    for folder in ("/dev/shm", tempfile.gettempdir()):  # Docker's /dev/shm is 64 MB unless raised
        try:
            info = os.statvfs(folder)
        except OSError:
            continue
        if info.f_bavail * info.f_frsize > nbytes:
            return folder
    return None


def _collect(workers, chunks, pending, finished, spool, results, bar):
    """Read chunks back as workers finish them, until all are in ``results``."""
    while pending:
        stopped, _ = wait(workers, timeout=0.05, return_when=FIRST_EXCEPTION)
        for worker in stopped:
            worker.result()  # a worker's crash is raised here
        ready = [c for c in pending if finished[c]]
        for c in ready:  # read as they come, so that the spool folder holds little
            results[c] = _unspool(os.path.join(spool, str(c)))
            bar.update(chunks[c][1] - chunks[c][0])
        pending = [c for c in pending if results[c] is None]
        if pending and len(stopped) == len(workers) and not ready:
            raise RuntimeError(f"media-decoding workers stopped with chunks {pending} not done")


def _process_map(decode, settings, items, chunks, n_jobs, bar, spool_dir):
    """Decode ``items`` by ``chunks`` ((start, stop) pairs) in ``n_jobs`` forked processes, in order.

    The decoded arrays are spooled in files in ``spool_dir`` and mapped, so they use its room
    until they are freed.
    """
    context = multiprocessing.get_context("fork")
    token = next(_tokens)
    spool = tempfile.mkdtemp(prefix="skmm-decode-", dir=spool_dir)
    finished, next_chunk = context.Array("b", len(chunks), lock=False), context.Value("i", 0)
    _INHERITED[token] = (decode, settings, items, chunks, spool, next_chunk, finished)
    results = [None] * len(chunks)
    try:
        with warnings.catch_warnings():
            # Python >= 3.12 warns on fork in a threaded process; the workers only decode
            # (no torch, no locks of the parent's other threads).
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
        nbytes = sum(out.nbytes for ok, out in first if ok and isinstance(out, np.ndarray))
        spool_dir = _spool_dir(2 * nbytes * len(rest) / len(first))
        if spool_dir is not None:
            return first + _process_map(decode, settings, items, chunks, n, bar, spool_dir)

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
