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
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from itertools import count

import numpy as np
from tqdm.auto import tqdm

from ..compose._columns import is_missing
from ..utils.threads import call_verbosity, in_worker, thread_limit, usable_cores
from .decode_cache import decode_cache

#: Rows per task: large enough that the pool's own cost is small, and one batch of a batched featuriser.
CHUNK = 64
#: A progress bar appears only when the work lasts longer than this (seconds).
PROGRESS_DELAY = 1.0
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


def _attempt(decode, value, settings=()):
    try:
        return True, decode(value, *settings)
    except Exception as exc:  # replayed in row order by the caller, as a serial run raises it
        return False, exc


def _featurize_one(decoded, featurize):
    return featurize([decoded])[0]


def _featurized(featurize, done):
    """``done`` ((ok, decoded or error) per row of a chunk) with each decoded array replaced by its features.

    The chunk's arrays are featurised together (one batch). If that fails they
    are featurised one by one, so that the error is raised for its own row.
    """
    out = list(done)
    rows = [i for i, (ok, _) in enumerate(done) if ok]
    if not rows:
        return out
    try:
        features = featurize([done[i][1] for i in rows])
    except Exception:  # noqa: BLE001 - replayed for its row, as a decoding error is
        for i in rows:
            out[i] = _attempt(_featurize_one, done[i][1], (featurize,))
        return out
    for i, feature in zip(rows, features):
        out[i] = (True, feature)
    return out


# Work handed to forked workers: they inherit it at fork time, so neither the
# values nor the decoder are pickled.
_INHERITED = {}
_tokens = count()
_HEADER = 8  # bytes: length of a chunk file's pickled header
_ALIGN = 64  # bytes: each block of arrays in a chunk file starts at a multiple of this


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
        _spool(task(*chunks[c]), os.path.join(spool, str(c)))
        finished[c] = 1


def _parts(out):
    """A row's result as a tuple: the result itself, or its members if it is a tuple."""
    return out if isinstance(out, tuple) else (out,)


def _arrays(out):
    """The arrays a row's result holds."""
    return [a for a in _parts(out) if isinstance(a, np.ndarray)]


def _spool(done, path):
    """Write a chunk's results to ``path``: a pickled header, then the arrays, raw.

    A row's result is an array or a tuple of arrays (or None). Arrays of the
    same place in the tuple, shape and dtype are written back to back as one
    block, read back as one array whose rows the results view; the header
    holds the rest of the results and, per block, (place, shape, dtype, offset,
    rows). Arrays through a pipe cost more CPU than decoding them (64 KiB at a
    time, pickled on both sides); a file in memory (/dev/shm) is written and
    read at once, and a few blocks cost the reader far less than many arrays.
    """
    groups = {}
    for i, (ok, out) in enumerate(done):
        if not ok:
            try:
                pickle.dumps(out)
            except Exception:  # noqa: BLE001 - an error that cannot travel back is sent as its text
                done[i] = (False, RuntimeError(f"{type(out).__name__}: {out}"))
            continue
        parts = list(_parts(out))
        for slot, part in enumerate(parts):
            if isinstance(part, np.ndarray) and not part.dtype.hasobject:
                groups.setdefault((slot, part.shape, part.dtype.str), []).append((i, part))
                parts[slot] = None
        done[i] = (True, tuple(parts) if isinstance(out, tuple) else parts[0])
    blocks, offset = [], 0
    for (slot, shape, dtype), members in groups.items():
        offset += -offset % _ALIGN
        blocks.append((slot, shape, dtype, offset, [i for i, _ in members]))
        offset += sum(part.nbytes for _, part in members)
    header = pickle.dumps((done, blocks))
    header += b"\0" * (-(_HEADER + len(header)) % _ALIGN)  # blocks start aligned
    with open(path + ".part", "wb") as f:
        f.write(len(header).to_bytes(_HEADER, "little"))
        f.write(header)
        written = 0
        for (_, members), (*_, at, _) in zip(groups.items(), blocks):
            f.write(b"\0" * (at - written))
            for _, part in members:
                f.write(np.ascontiguousarray(part).data)
            written = at + sum(part.nbytes for _, part in members)
    os.replace(path + ".part", path)


def _unspool(path):
    """A chunk's results read back from :func:`_spool`'s file, which is then removed.

    The blocks are mapped, not copied (private: they stay writeable), with
    their pages mapped at once rather than one fault at a time.
    """
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(_HEADER), "little")
        done, blocks = pickle.loads(f.read(size))  # noqa: S301 - written by our own worker just now
        base = _HEADER + size
        total = os.fstat(f.fileno()).st_size
        data = None
        if total > base:
            data = mmap.mmap(
                f.fileno(), total, flags=mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0),
                prot=mmap.PROT_READ | mmap.PROT_WRITE,
            )
    os.unlink(path)  # the mapping keeps the data; nothing is left to clean up
    for slot, shape, dtype, offset, rows in blocks:
        count = len(rows) * math.prod(shape)
        block = (np.frombuffer(data, dtype, count, base + offset) if count else np.empty(0, dtype)).reshape(
            len(rows), *shape
        )
        for row, array in zip(rows, block):
            ok, out = done[row]
            if isinstance(out, tuple):
                parts = list(out)
                parts[slot] = array
                done[row] = (ok, tuple(parts))
            else:
                done[row] = (ok, array)
    return done


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


def _spool_dir(nbytes):
    """A folder with room for ``nbytes`` of results, in memory if possible; None if none has."""
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


def _run(task, n_rows, n_jobs, bar):
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
            nbytes = sum(a.nbytes for ok, out in first if ok for a in _arrays(out))
            spool_dir = _spool_dir(2 * nbytes * left / len(first))
            if spool_dir is not None:
                return first + _process_map(task, chunks[1:], n, bar, spool_dir)
        return first + [r for done in parallel_map(run, chunks[1:], n) for r in done]


def _shared_empty(shape, dtype):
    """An uninitialised array in memory shared with processes forked later (they write rows into it)."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if not nbytes:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype).reshape(shape)


def stack_rows(rows, stacked, shape, dtype=np.float32):
    """Rows (arrays that broadcast to ``shape``, or None: NaN) as one array; ``stacked`` itself when it holds them all.

    ``stacked`` is :func:`prefetched`'s ``replayer.stacked``, whose rows the
    replayer returned for the present values.
    """
    if stacked is not None and len(stacked) == len(rows) and all(row is not None for row in rows):
        return stacked  # every row present and decoded: the workers wrote the output already
    out = np.full((len(rows), *shape), np.nan, dtype)
    for i, row in enumerate(rows):
        if row is not None:  # absent: stays NaN
            out[i] = row
    return out


def _written(done, stacked, start):
    """Write a chunk's features into their rows of ``stacked``; the results then carry None for them."""
    for j, (ok, out) in enumerate(done):
        if ok:
            stacked[start + j] = out
            done[j] = (True, None)
    return done


def prefetched(
    values, decode, settings=(), n_jobs=None, verbose=None, what="media", featurize=None, stack_as=None
):
    """Decode (and featurise) every present value up front, in parallel, through the cache; return a replayer.

    :meth:`skmm.compose._columns.Column.decode` then calls the returned function on
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
    featurize : callable or None
        ``featurize(list of decoded arrays)`` -> features, one per array
        (a list, or an array of rows); the replayer then returns features. It runs
        where the rows were decoded, on chunks of :data:`CHUNK` consecutive present
        rows, so it may batch them. The cache keeps the decoded arrays, not the features.
    stack_as : (tuple, dtype) or None
        With ``featurize``: the shape and dtype every feature has. The workers
        then write the features straight into one array of the present rows,
        ``replayer.stacked``, whose rows the replayer returns, rather than
        sending them back; a caller whose rows are all present and decoded
        takes it as its output, with no copy. Rows that failed hold garbage.

    Returns
    -------
    replayer : callable
        With the attribute ``stacked`` (None without ``stack_as``).
    """
    present = [value for value in values if not is_missing(value)]
    decoded = [None] * len(present)  # (ok, decoded array or error)
    keys = [None] * len(present)
    misses, repeats, first_of = [], {}, {}
    for i, value in enumerate(present):
        key = decode_cache.key(value, decode, settings)
        if key is not None and key in first_of:  # the same file again in this column: decoded once
            decode_cache.lookup(key, hit=True)
            repeats[i] = first_of[key]
        elif (cached := decode_cache.lookup(key)) is not None:
            decoded[i] = (True, cached)
        else:
            if key is not None:
                first_of[key] = i
            keys[i] = key
            misses.append(i)
    if verbose is None:
        verbose = call_verbosity.get()
    stacked = None if featurize is None or stack_as is None else _shared_empty((len(present), *stack_as[0]), stack_as[1])

    def features(done, start):
        done = _featurized(featurize, done)
        return done if stacked is None else _written(done, stacked, start)

    # Nothing known up front: each worker decodes and featurises its chunk in one go, and
    # sends back the features (and the decoded arrays only where the cache keeps them).
    fused = featurize is not None and len(misses) == len(present)
    total = len(misses) if fused or featurize is None else len(misses) + len(present)
    with tqdm(
        total=total, desc=f"decoding {what}", unit="row", disable=verbose < 1 or not total,
        delay=PROGRESS_DELAY, leave=False,
    ) as bar:
        if fused:
            def decode_and_featurize(start, stop):
                done = [_attempt(decode, value, settings) for value in present[start:stop]]
                return [
                    (True, (d if keys[i] is not None else None, f)) if ok else (False, f)
                    for i, (_, d), (ok, f) in zip(range(start, stop), done, features(done, start))
                ]

            results = _run(decode_and_featurize, len(present), n_jobs, bar)
            for i, (ok, out) in enumerate(results):
                if ok:
                    if out[0] is not None:
                        decode_cache.store(keys[i], out[0])
                    results[i] = (True, out[1])
        else:
            def decode_misses(start, stop):
                return [_attempt(decode, present[i], settings) for i in misses[start:stop]]

            for i, (ok, out) in zip(misses, _run(decode_misses, len(misses), n_jobs, bar)):
                decoded[i] = (True, decode_cache.store(keys[i], out)) if ok else (False, out)
            for i, first in repeats.items():
                decoded[i] = decoded[first]
            results = decoded
            if featurize is not None:
                results = _run(lambda start, stop: features(decoded[start:stop], start), len(present), n_jobs, bar)
    if stacked is not None:
        results = [(True, stacked[i]) if ok else (ok, out) for i, (ok, out) in enumerate(results)]
    results = iter(results)

    def replay(value):
        ok, out = next(results)
        if ok:
            return out
        raise out

    replay.stacked = stacked
    return replay
