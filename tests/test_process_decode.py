"""Long decodes run in forked worker processes: same output, errors, cache and progress as a serial run."""

import glob
import multiprocessing
import os
import tempfile
import threading

import numpy as np
import pandas as pd
import pytest
import torch

from skmm.preprocessing import AudioFeaturizer, ImageLoader, decode_cache
from skmm.preprocessing import _parallel

pytestmark = pytest.mark.skipif(not _parallel.can_fork(), reason="worker processes are forked on Linux only")


@pytest.fixture
def processes(monkeypatch):
    """Every multi-chunk decode goes to processes; counts the pools started."""
    monkeypatch.setattr(_parallel, "PROCESS_MIN_SECONDS", 0.0)
    monkeypatch.setattr(_parallel, "CHUNK", 4)
    pools = []
    real = _parallel._process_map

    def counted(*args):
        pools.append(len(args[2]))
        return real(*args)

    monkeypatch.setattr(_parallel, "_process_map", counted)
    return pools


@pytest.fixture
def no_cache():
    with decode_cache.paused():
        yield


def _spools():
    return set(glob.glob("/dev/shm/skmm-decode-*") + glob.glob(os.path.join(tempfile.gettempdir(), "skmm-decode-*")))


@pytest.mark.parametrize("make", [
    lambda **kw: ImageLoader(size=(10, 12), on_missing="mask", **kw),
    lambda **kw: AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, on_missing="mask", **kw),
])
def test_processes_give_the_serial_output_bit_for_bit(frame, no_cache, processes, make):
    X, _ = frame
    column = "image" if "ImageLoader" in repr(make()) else "audio"
    values = X[column].copy()
    values.iloc[[3, 40]] = None  # absent rows keep their places
    values.iloc[7] = "/no/such/file"
    serial = make(n_jobs=1).fit(values)
    assert processes == []
    parallel = make(n_jobs=2).fit(values)
    assert processes, "the process path was not taken"
    for attr in ("mean_", "std_"):
        np.testing.assert_array_equal(getattr(serial, attr), getattr(parallel, attr))
    out = parallel.transform(values)
    np.testing.assert_array_equal(serial.transform(values), out)
    assert out.dtype == np.float32


def test_process_errors_name_column_row_and_file_of_the_first_bad_row(frame, no_cache, processes, tmp_path):
    X, _ = frame
    X.index = [f"r{i}" for i in range(len(X))]
    for row in (5, 20):
        bad = tmp_path / f"bad{row}.wav"
        bad.write_bytes(b"not audio at all")
        X.loc[f"r{row}", "audio"] = str(bad)
    with pytest.raises(ValueError) as error:
        AudioFeaturizer(sample_rate=8000, n_jobs=2).fit(X["audio"])
    message = str(error.value)
    assert "column 'audio'" in message and "row 'r5'" in message and "bad5.wav" in message
    assert processes


def test_processes_leave_nothing_behind(frame, no_cache, processes):
    X, _ = frame
    threads, torch_threads, spools = threading.active_count(), torch.get_num_threads(), _spools()
    ImageLoader(size=(8, 8), n_jobs=2).fit(X["image"])
    assert processes
    assert multiprocessing.active_children() == []
    assert threading.active_count() == threads
    assert torch.get_num_threads() == torch_threads
    assert _spools() == spools


def test_process_progress_only_when_asked(frame, no_cache, processes, monkeypatch, capsys):
    X, _ = frame
    monkeypatch.setattr(_parallel, "PROGRESS_DELAY", 0)
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
    assert len(processes) == 1
    np.testing.assert_array_equal(loader.transform(twice), first)  # all from the cache: no pool
    assert len(processes) == 1
    decode_cache.clear()
