"""A column's present values decoded (and featurised) up front, in parallel, through the decode cache.

Cached rows are looked up first and only misses are decoded, each distinct
file once (the cache stays in the calling process); :func:`prefetched`
returns a replayer that the column's reader calls row by row, so errors still
name the row and file of the first bad value.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..compose._columns import is_missing
from ..utils.threads import call_verbosity
from . import _spool
from ._parallel import run_chunks
from .decode_cache import decode_cache

#: A progress bar appears only when the work lasts longer than this (seconds).
PROGRESS_DELAY = 1.0


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
    stacked = None
    if featurize is not None and stack_as is not None:
        stacked = _spool.shared_empty((len(present), *stack_as[0]), stack_as[1])

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

            results = run_chunks(decode_and_featurize, len(present), n_jobs, bar)
            for i, (ok, out) in enumerate(results):
                if ok:
                    if out[0] is not None:
                        decode_cache.store(keys[i], out[0])
                    results[i] = (True, out[1])
        else:
            def decode_misses(start, stop):
                return [_attempt(decode, present[i], settings) for i in misses[start:stop]]

            for i, (ok, out) in zip(misses, run_chunks(decode_misses, len(misses), n_jobs, bar)):
                decoded[i] = (True, decode_cache.store(keys[i], out)) if ok else (False, out)
            for i, first in repeats.items():
                decoded[i] = decoded[first]
            results = decoded
            if featurize is not None:
                def featurize_decoded(start, stop):
                    return features(decoded[start:stop], start)

                results = run_chunks(featurize_decoded, len(present), n_jobs, bar)
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
