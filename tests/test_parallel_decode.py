"""Media decoded on several threads: same output, same errors, quiet unless asked."""

import numpy as np
import pytest

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.preprocessing import AudioFeaturizer, ImageLoader, decode_cache
from skmm.preprocessing import _parallel


@pytest.fixture
def no_cache():
    with decode_cache.paused():
        yield


@pytest.mark.parametrize("make", [
    lambda **kw: ImageLoader(size=(10, 12), on_missing="mask", **kw),
    lambda **kw: AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, on_missing="mask", **kw),
])
def test_parallel_decode_equals_serial(frame, no_cache, make, monkeypatch):
    X, _ = frame
    column = "image" if "ImageLoader" in repr(make()) else "audio"
    values = X[column].copy()
    values.iloc[[3, 40]] = None  # absent rows keep their places
    values.iloc[7] = "/no/such/file"
    monkeypatch.setattr(_parallel, "CHUNK", 4)  # many chunks, so threads interleave
    serial = make(n_jobs=1).fit(values)
    parallel = make(n_jobs=3).fit(values)
    for attr in ("mean_", "std_"):
        np.testing.assert_array_equal(getattr(serial, attr), getattr(parallel, attr))
    np.testing.assert_array_equal(serial.transform(values), parallel.transform(values))
    np.testing.assert_array_equal(serial.transform(values), make(n_jobs=None).fit(values).transform(values))


def test_errors_name_column_row_and_file_of_the_first_bad_row(frame, no_cache, tmp_path):
    X, _ = frame
    X.index = [f"r{i}" for i in range(len(X))]
    for row in (5, 20):
        bad = tmp_path / f"bad{row}.png"
        bad.write_bytes(b"not an image")
        X.loc[f"r{row}", "image"] = str(bad)
    for n_jobs in (1, 4):
        with pytest.raises(ValueError) as error:
            ImageLoader(n_jobs=n_jobs).fit(X["image"])
        message = str(error.value)
        assert "column 'image'" in message and "row 'r5'" in message and "bad5.png" in message


def test_wrong_kind_still_a_type_error_naming_the_row(frame, no_cache):
    X, _ = frame
    audio = X["audio"].astype(object)
    audio.iloc[9] = 3.5
    with pytest.raises(TypeError, match="row 9"):
        AudioFeaturizer(sample_rate=8000, n_jobs=2).fit(audio)


def test_progress_bar_only_when_asked(frame, no_cache, monkeypatch, capsys):
    X, y = frame
    monkeypatch.setattr(_parallel, "PROGRESS_DELAY", 0)  # show it however short the work
    ImageLoader(n_jobs=2, verbose=0).fit(X["image"])
    ImageLoader(n_jobs=2).fit(X["image"])  # verbose=None on its own: silent
    assert capsys.readouterr().err == ""
    ImageLoader(n_jobs=2, verbose=1).fit(X["image"])
    assert "decoding column 'image'" in capsys.readouterr().err
    # Inside an estimator, verbose=None follows the estimator's verbose.
    prep = ModalityTransformer([("image", ImageLoader(size=(8, 8)), "image")])
    MultimodalClassifier(prep, max_epochs=1, verbose=0).fit(X, y)
    assert capsys.readouterr().err == ""
    MultimodalClassifier(prep, max_epochs=1, verbose=1).fit(X, y)
    assert "decoding column 'image'" in capsys.readouterr().err


@pytest.mark.parametrize("param, bad", [("n_jobs", 0), ("n_jobs", 1.5), ("verbose", -1), ("n_jobs", True)])
def test_n_jobs_and_verbose_validation(frame, param, bad):
    X, _ = frame
    with pytest.raises(ValueError, match=param):
        ImageLoader(**{param: bad}).fit(X["image"])


def test_cache_shared_by_threads_counts_each_file_once(frame):
    X, _ = frame
    decode_cache.clear()
    ImageLoader(n_jobs=4).fit(X["image"])
    ImageLoader(n_jobs=4).fit(X["image"])
    stats = decode_cache.stats()
    assert stats["decodes"] == len(X) and stats["hits"] == len(X) and stats["entries"] == len(X)
