"""Bad inputs that used to pass silently or name the wrong thing.

Each either works correctly or raises a ValueError/TypeError that names the
column and the row label (or the file), and leaves the user's frame alone.
"""

import os
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image
from sklearn.preprocessing import StandardScaler

from skmm import ModalityTransformer, MultimodalClassifier, MultimodalRegressor
from skmm.preprocessing import AudioFeaturizer, ImageLoader, decode_cache
from skmm.preprocessing._audio_io import decode_audio

FAST = dict(max_epochs=1, batch_size=16, hidden_size=8, random_state=0, verbose=0)


@pytest.fixture(autouse=True)
def _no_cache():
    with decode_cache.paused():
        yield


# -- audio memory follows max_duration --------------------------------------
def _warm_up():
    """Import-time allocations (librosa, soxr) are not the clip's."""
    AudioFeaturizer(max_duration=1.0).fit_transform([(np.zeros(30000, np.float32), 22050)])


def test_a_ten_minute_file_is_read_only_up_to_max_duration(tmp_path):
    path = tmp_path / "ten_minutes.wav"
    rng = np.random.RandomState(0)
    with sf.SoundFile(path, "w", samplerate=22050, channels=1, subtype="PCM_16") as f:
        for _ in range(10):  # one minute at a time
            f.write(rng.normal(0, 0.1, 22050 * 60).astype(np.float32))
    _warm_up()
    tracemalloc.start()
    wave = decode_audio(str(path), 16000, max_samples=16000)
    frames = AudioFeaturizer(max_duration=1.0).fit_transform([str(path), str(path)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert wave.shape == (16000,)
    assert frames.shape == (2, 101, 40)
    # The whole file as float32 at 22.05 kHz is 53 MB; a 1 s clip is 64 kB.
    assert peak < 8 * 2**20, peak


def test_transform_without_max_duration_reads_only_the_fitted_length(tmp_path):
    sf.write(tmp_path / "long.wav", np.zeros(16000 * 120, np.float32) + 0.1, 16000)
    featurizer = AudioFeaturizer().fit([np.full(16000, 0.1, np.float32)])
    _warm_up()
    tracemalloc.start()
    out = featurizer.transform([str(tmp_path / "long.wav")])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out.shape == (1, featurizer.max_frames_, 40)
    assert peak < 4 * 2**20, peak  # the file is 7.7 MB of float32


@pytest.mark.parametrize("rate", [1, 10, 2_000_000])
def test_a_file_declaring_an_absurd_rate_is_refused(tmp_path, rate):
    path = tmp_path / "tiny.wav"
    sf.write(path, np.zeros(256, np.float32), rate)
    assert path.stat().st_size < 2000
    with pytest.raises(ValueError, match=rf"column 'voice', row 'r1': audio file .*tiny.wav' declares a sample rate of {rate} Hz"):
        AudioFeaturizer(max_duration=1.0).fit(pd.Series([np.zeros(100), str(path)], index=["r0", "r1"], name="voice"))


def test_a_pair_with_an_absurd_rate_is_refused():
    with pytest.raises(ValueError, match=r"row 0: the rate of a \(waveform, rate\) pair declares a sample rate of 1 Hz"):
        AudioFeaturizer().fit(pd.Series([(np.zeros(10), 1)], name="voice"))


# -- silent wrong data ------------------------------------------------------
def test_integer_waveforms_in_lists_are_refused_not_silenced():
    with pytest.raises(TypeError, match=r"column 'voice', row 0: audio waveform holds int64 integers, whose full scale is unknown"):
        AudioFeaturizer().fit(pd.Series([[0, 12000, -12000, 3000] * 400], name="voice"))


@pytest.mark.parametrize("dtype, full_scale", [(np.int16, 2**15), (np.int32, 2**31), (np.int8, 2**7)])
def test_integer_pcm_arrays_are_scaled_like_files(dtype, full_scale):
    pcm = (np.sin(np.arange(4000) / 5) * (full_scale // 2)).astype(dtype)
    np.testing.assert_allclose(decode_audio(pcm, 16000), pcm / full_scale, atol=1e-6)
    unsigned = (np.full(100, 192)).astype(np.uint8)  # 8-bit WAV: unsigned around 128
    np.testing.assert_allclose(decode_audio(unsigned, 16000), 0.5)


@pytest.mark.parametrize("image", [np.full((6, 6), 200.0), np.full((6, 6, 3), 255.0, np.float32), np.full((4, 4), -0.5)])
def test_float_images_outside_0_1_are_refused(image):
    X = pd.Series([np.zeros((6, 6)), image], index=["a", "b"], name="photo")
    with pytest.raises(ValueError, match=r"column 'photo', row 'b': the image array holds floats from .* must be in \[0, 1\]; divide 0..255"):
        ImageLoader().fit(X)


def test_float_pil_images_outside_0_1_are_refused():
    img = Image.fromarray(np.full((5, 5), 128.0, np.float32), mode="F")
    with pytest.raises(ValueError, match=r"row 0: the float image holds floats from 128 to 128"):
        ImageLoader().fit(pd.Series([img], name="photo"))


def test_duplicated_column_names_are_refused():
    X = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "a"])
    prep = ModalityTransformer([("x", StandardScaler(), ["a", "b"])])
    with pytest.raises(ValueError, match=r"modality 'x': X has 2 columns named 'a' at fit; column names must be unique"):
        prep.fit(X)
    with pytest.raises(ValueError, match=r"modality 'x': column 'b' is listed twice"):
        ModalityTransformer([("x", StandardScaler(), ["b", "b"])]).fit(X)
    with pytest.raises(ValueError, match=r"X has several columns named 'a'"):
        MultimodalClassifier(**FAST).fit(X, [0, 1, 0, 1])


# -- errors name the column and the row label --------------------------------
def _numbers_frame():
    X = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0], "price": [1.0, 2.0, 3.0, 4.0]}, index=["w", "x", "y", "z"])
    return X, np.array([0, 1, 0, 1])


def test_nan_in_a_numeric_column_names_column_and_row_label():
    X, y = _numbers_frame()
    X.loc["y", "price"] = np.nan
    before = X.copy()
    prep = ModalityTransformer([("numbers", StandardScaler(), ["age", "price"])])
    with pytest.raises(ValueError, match=r"modality 'numbers': column 'price', row 'y': the value is NaN"):
        MultimodalClassifier(prep, **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"column 'price', row 'y': the value is NaN or infinite"):
        MultimodalClassifier(**FAST).fit(X, y)  # no preprocessor: the frame itself
    pd.testing.assert_frame_equal(X, before)


def test_infinity_at_predict_names_column_and_row_label():
    X, y = _numbers_frame()
    prep = ModalityTransformer([("numbers", StandardScaler(), ["age", "price"])])
    clf = MultimodalClassifier(prep, **FAST).fit(X, y)
    X.loc["x", "age"] = np.inf
    with pytest.raises(ValueError, match=r"column 'age', row 'x': the value is infinite"):
        clf.predict(X)


@pytest.mark.parametrize("transformer", [StandardScaler(), "passthrough"])
def test_a_decimal_comma_names_column_row_and_value(transformer):
    X, y = _numbers_frame()
    X = X.astype(object)
    X.loc["z", "price"] = "1,5"
    prep = ModalityTransformer([("numbers", transformer, ["age", "price"])])
    with pytest.raises((ValueError, TypeError), match=r"column 'price', row 'z'.*'1,5'"):
        MultimodalClassifier(prep, **FAST).fit(X, y)


def test_nan_in_a_regression_target_names_the_row():
    X, _ = _numbers_frame()
    y = pd.Series([1.0, np.nan, 2.0, 3.0], index=X.index)
    with pytest.raises(ValueError, match=r"y, row 'x': the target is NaN or infinite"):
        MultimodalRegressor(**FAST).fit(X, y)
    targets = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 2.0, np.inf, 4.0]}, index=X.index)
    with pytest.raises(ValueError, match=r"y\['b'\], row 'y': the target is NaN or infinite"):
        MultimodalRegressor(**FAST).fit(X, targets)
    with pytest.raises(ValueError, match=r"row 'w' holds \['1,5'\]"):
        MultimodalRegressor(**FAST).fit(X, pd.Series(["1,5", "2", "3", "4"], index=X.index))


def test_a_missing_class_label_names_the_row_label():
    X, _ = _numbers_frame()
    with pytest.raises(ValueError, match=r"y holds missing labels \(row 'z'\)"):
        MultimodalClassifier(**FAST).fit(X, pd.Series(["a", "b", "a", None], index=X.index))


# -- media paths that are not missing files ----------------------------------
def _link_loop(tmp_path):
    os.symlink(tmp_path / "loop_b", tmp_path / "loop_a")
    os.symlink(tmp_path / "loop_a", tmp_path / "loop_b")
    return str(tmp_path / "loop_a")


def _dangling(tmp_path):
    os.symlink(tmp_path / "gone.png", tmp_path / "dangling.png")
    return str(tmp_path / "dangling.png")


def _fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    return str(tmp_path / "pipe")


PATHS = [
    (lambda p: str(p), r"is a directory, not a file"),
    (_link_loop, r"is a symbolic link loop"),
    (_dangling, r"is a broken symbolic link"),
    (_fifo, r"is not a regular file"),
    (lambda p: "https://example.com/cat.png", r"is a URL; skmm reads local files only"),
    (lambda p: "  ", r"path is an empty string"),
    (lambda p: "a\0b", r"is not a valid path"),
    (lambda p: str(p / "file.txt" / "x.png"), r"cannot access .* \(Not a directory\)"),
]


@pytest.mark.parametrize("make, match", PATHS)
@pytest.mark.parametrize("featurizer", [ImageLoader, AudioFeaturizer])
@pytest.mark.parametrize("on_missing", ["error", "mask"])
def test_paths_that_exist_but_cannot_be_read_get_their_own_message(tmp_path, make, match, featurizer, on_missing):
    (tmp_path / "file.txt").write_text("x")
    good = np.zeros((4, 4)) if featurizer is ImageLoader else np.zeros(400)
    X = pd.Series([good, make(tmp_path)], index=["ok", "bad"], name="media")
    with pytest.raises(ValueError, match=rf"column 'media', row 'bad': .*{match}") as info:
        featurizer(on_missing=on_missing).fit(X)
    assert "does not exist" not in str(info.value)


def test_only_a_path_that_truly_does_not_exist_is_masked(tmp_path):
    X = pd.Series([np.zeros((4, 4)), str(tmp_path / "nope.png")], name="photo")
    out = ImageLoader(size=(4, 4), on_missing="mask").fit_transform(X)
    assert np.isnan(out[1]).all() and not np.isnan(out[0]).any()


def test_a_decompression_bomb_names_column_row_and_file(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("L", (200, 200)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 40,000 pixels is then > 2x the limit
    with pytest.raises(ValueError, match=r"column 'photo', row 'r': image file .*bomb.png' is too large to decode safely"):
        ImageLoader().fit(pd.Series([str(path)], index=["r"], name="photo"))


@pytest.mark.parametrize("exc", [EOFError("early end"), IndexError("bad palette"), ZeroDivisionError("0 width")])
def test_any_decoder_failure_names_column_row_and_file(tmp_path, monkeypatch, exc):
    path = tmp_path / "odd.png"
    Image.new("L", (4, 4)).save(path)

    def broken(self, *args, **kwargs):
        raise exc

    monkeypatch.setattr(Image.Image, "load", broken)
    with pytest.raises(ValueError, match=rf"column 'photo', row 0: cannot read image file .*odd.png' \({type(exc).__name__}"):
        ImageLoader().fit(pd.Series([str(path)], name="photo"))


def test_a_samples_by_channels_array_is_refused_not_averaged():
    stereo = np.zeros((16000, 2), np.float32)
    with pytest.raises(ValueError, match=r"row 0: audio waveform has shape \(16000, 2\): waveforms are \(channels, samples\)"):
        AudioFeaturizer().fit(pd.Series([stereo], name="voice"))
    assert AudioFeaturizer().fit_transform([stereo.T]).shape[1] == 101


def test_pausing_the_decode_cache_in_one_thread_leaves_other_threads_alone(tmp_path):
    import threading

    path = tmp_path / "x.png"
    Image.new("L", (4, 4)).save(path)
    cache = type(decode_cache)(max_bytes=10_000)
    inside, release = threading.Event(), threading.Event()

    def paused_fit():
        with cache.paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=paused_fit)
    worker.start()
    inside.wait(5)
    cache.get(str(path), lambda v: np.zeros(3))  # this thread still caches
    release.set()
    worker.join()
    assert cache.stats()["entries"] == 1 and cache.max_bytes == 10_000
