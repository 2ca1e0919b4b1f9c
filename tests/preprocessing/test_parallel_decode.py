"""Media decoded on several threads: same output, same errors, quiet unless asked."""

import pickle

import numpy as np
import pytest

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.compose._columns import MediaError
from skmm.preprocessing import AudioFeaturizer, ImageLoader, _prefetch, decode_cache


@pytest.fixture
def no_cache():
    with decode_cache.paused():
        yield


@pytest.mark.parametrize("make", [
    lambda **kw: ImageLoader(size=(10, 12), on_missing="mask", **kw),
    lambda **kw: AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, on_missing="mask", **kw),
])
def test_parallel_decode_equals_serial(frame, no_cache, make, workers):
    X, _ = frame
    column = "image" if "ImageLoader" in repr(make()) else "audio"
    values = X[column].copy()
    values.iloc[[3, 40]] = None  # absent rows keep their places
    values.iloc[7] = "/no/such/file"
    serial = make(n_jobs=1).fit(values)
    assert workers == []
    parallel = make(n_jobs=3).fit(values)
    assert bool(workers) == (workers.kind == "processes")
    for attr in ("mean_", "std_"):
        np.testing.assert_array_equal(getattr(serial, attr), getattr(parallel, attr))
    np.testing.assert_array_equal(serial.transform(values), parallel.transform(values))
    np.testing.assert_array_equal(serial.transform(values), make(n_jobs=None).fit(values).transform(values))


def test_errors_name_column_row_and_file_of_the_first_bad_row(frame, no_cache, workers, tmp_path):
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
    monkeypatch.setattr(_prefetch, "PROGRESS_DELAY", 0)  # show it however short the work
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


def _image_loader(**kw):
    return ImageLoader(size=(10, 12), **kw)


def _audio_featurizer(**kw):
    return AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, **kw)


@pytest.mark.parametrize("make, column", [(_image_loader, "image"), (_audio_featurizer, "audio"),
                                          (lambda **kw: _image_loader(channels=3, **kw), "image")])
def test_workers_featurise_to_the_serial_output_with_and_without_the_cache(frame, make, column, workers,
                                                                           monkeypatch):
    # Every row present: the workers write the output array itself; clips of several lengths
    # batched by chunk. Cache off (decoded and featurised in one go), then on (the decoded
    # arrays sent back and kept), then all from the cache (only featurised).
    X, _ = frame
    values = X[column]
    with decode_cache.paused():
        serial = make(n_jobs=1).fit(values)
        expected = serial.transform(values)
        fit_expected = make(n_jobs=1).fit_transform(values)
        assert workers == []
        np.testing.assert_array_equal(make(n_jobs=3).fit_transform(values), fit_expected)
        np.testing.assert_array_equal(serial.set_params(n_jobs=3).transform(values), expected)
    assert bool(workers) == (workers.kind == "processes")
    monkeypatch.setattr(decode_cache, "max_bytes", 2**30)
    decode_cache.clear()
    try:
        np.testing.assert_array_equal(serial.transform(values), expected)
        decodes = decode_cache.stats()["decodes"]
        assert decode_cache.stats()["entries"] == decodes == values.nunique()
        out = serial.transform(values)
        assert decode_cache.stats()["decodes"] == decodes  # nothing decoded again
    finally:
        decode_cache.clear()
    np.testing.assert_array_equal(out, expected)
    out[0] = 0  # the caller's own array: writeable, pickles like any other
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(out)), out)


@pytest.mark.parametrize("make, column, bad", [(_image_loader, "image", b"not an image"),
                                               (_audio_featurizer, "audio", b"RIFF not a wave")])
def test_transform_errors_from_workers_name_column_row_and_file(frame, no_cache, workers, tmp_path, make,
                                                                column, bad):
    X, _ = frame
    fitted = make().fit(X[column])
    X.index = [f"r{i}" for i in range(len(X))]
    for row in (25, 50):
        path = tmp_path / f"bad{row}.{column}"
        path.write_bytes(bad)
        X.loc[f"r{row}", column] = str(path)
    for n_jobs in (1, 3):
        with pytest.raises(ValueError) as error:
            fitted.set_params(n_jobs=n_jobs).transform(X[column])
        message = str(error.value)
        assert f"column '{column}'" in message and "row 'r25'" in message and "bad25" in message


def _fill(value):
    return np.full(3, float(value), dtype=np.float32)


def _featurize_refusing_13(arrays):
    if any(a[0] == 13 for a in arrays):
        raise MediaError("13 is refused by the featuriser")
    return [a * 2 for a in arrays]


@pytest.mark.parametrize("stack_as", [None, ((3,), np.float32)])
def test_a_featuriser_error_is_raised_for_its_own_row(workers, stack_as):
    replay = _prefetch.prefetched(list(range(40)), _fill, (), 2, 0, "column 'x'", _featurize_refusing_13, stack_as)
    for i in range(13):
        np.testing.assert_array_equal(replay(i), np.full(3, 2.0 * i, dtype=np.float32))
    with pytest.raises(MediaError, match="13 is refused"):
        replay(13)
    np.testing.assert_array_equal(replay(14), np.full(3, 28.0, dtype=np.float32))
    assert bool(workers) == (workers.kind == "processes")


def test_learned_channels_from_rows_shaped_by_workers_equal_converting_first(frame, no_cache, workers):
    # Grey rows are resized with their one channel and broadcast over three when another row
    # has colour: the same as converting them to RGB first (what channels=3 does), bit for bit.
    X, _ = frame
    rng = np.random.RandomState(1)
    images = list(X["image"]) + [rng.randint(0, 255, (9, 7, 3)).astype(np.uint8),
                                  rng.randint(0, 255, (16, 16, 4)).astype(np.uint8)]
    learned = ImageLoader(size=(10, 12), n_jobs=3)
    out = learned.fit_transform(images)
    assert learned.channels_ == 3
    np.testing.assert_array_equal(out, ImageLoader(size=(10, 12), channels=3, n_jobs=1).fit_transform(images))
    np.testing.assert_array_equal(learned.transform(images), out)
    grey = ImageLoader(size=(10, 12), n_jobs=3).fit(images[:-2])
    assert grey.channels_ == 1
    np.testing.assert_array_equal(grey.transform(images[:-2]),
                                  ImageLoader(size=(10, 12), channels=1, n_jobs=1).fit_transform(images[:-2]))
