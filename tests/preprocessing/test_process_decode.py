"""Long decodes run in forked worker processes: same errors, cache and progress as a serial run, nothing left.

That their output equals a serial run's is tested in test_parallel_decode.py.
"""

import glob
import multiprocessing
import os
import tempfile
import threading

import numpy as np
import pandas as pd
import pytest
import torch

from skmm.preprocessing import ImageLoader, _parallel, _prefetch, decode_cache

pytestmark = [
    pytest.mark.parametrize("workers", ["processes"], indirect=True),  # conftest's fixture, forced to processes
    pytest.mark.skipif(not _parallel.can_fork(), reason="worker processes are forked on Linux only"),
]


@pytest.fixture
def processes(workers):
    """Every multi-chunk decode goes to processes; the pools started are listed."""
    assert workers.kind == "processes"
    return workers


@pytest.fixture
def no_cache():
    with decode_cache.paused():
        yield


def _spools():
    return set(glob.glob("/dev/shm/skmm-decode-*") + glob.glob(os.path.join(tempfile.gettempdir(), "skmm-decode-*")))


def test_processes_leave_nothing_behind(frame, no_cache, processes):
    X, _ = frame
    ImageLoader(size=(8, 8), n_jobs=2).fit(X["image"])  # tqdm starts its one monitor thread once
    threads, torch_threads, spools = threading.enumerate(), torch.get_num_threads(), _spools()
    ImageLoader(size=(8, 8), n_jobs=2).fit(X["image"])
    assert len(processes) == 2
    assert multiprocessing.active_children() == []
    assert threading.enumerate() == threads
    assert torch.get_num_threads() == torch_threads
    assert _spools() == spools


def test_process_progress_only_when_asked(frame, no_cache, processes, monkeypatch, capsys):
    X, _ = frame
    monkeypatch.setattr(_prefetch, "PROGRESS_DELAY", 0)
    ImageLoader(n_jobs=2, verbose=0).fit(X["image"])
    assert capsys.readouterr().err == ""
    ImageLoader(n_jobs=2, verbose=1).fit(X["image"])
    err = capsys.readouterr().err
    assert "decoding column 'image'" in err and f"/{len(X)}" in err
    assert len(processes) == 2


def test_cache_is_filled_by_the_caller_and_each_file_decoded_once(frame, processes, monkeypatch):
    X, _ = frame
    monkeypatch.setattr(decode_cache, "max_bytes", 2**30)
    decode_cache.clear()
    twice = pd.concat([X["image"], X["image"]], ignore_index=True)
    loader = ImageLoader(size=(8, 8), n_jobs=2)
    first = loader.fit_transform(twice)
    stats = decode_cache.stats()
    assert stats["decodes"] == stats["entries"] == X["image"].nunique()
    assert stats["hits"] == len(twice) - X["image"].nunique()
    assert len(processes) == 2  # the distinct files decoded, then every row shaped
    np.testing.assert_array_equal(loader.transform(twice), first)  # all from the cache: only resized
    assert decode_cache.stats()["decodes"] == stats["decodes"]
    assert decode_cache.stats()["hits"] == stats["hits"] + len(twice)
    decode_cache.clear()


def _dies_in_a_worker(value):
    if multiprocessing.parent_process() is not None:
        os._exit(1)  # as a crash in a decoding library would end the worker
    return np.zeros(1)


def test_a_worker_that_dies_is_a_clear_error_not_a_hang(processes):
    with pytest.raises(RuntimeError, match="decoding process died"):
        _prefetch.prefetched([f"row{i}" for i in range(40)], _dies_in_a_worker, (), 2, 0, "column 'x'")
    assert processes and multiprocessing.active_children() == []
