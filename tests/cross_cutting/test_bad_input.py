"""The bad-input catalogue, as a user meets it: through the estimator on a frame.

Each case either works (and says how) or raises a ValueError/TypeError that
names the column and the row or file. No case modifies the user's frame.
"""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image
from sklearn.exceptions import NotFittedError

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

FAST = dict(max_epochs=2, batch_size=16, hidden_size=8, random_state=0, verbose=0)


def _prep(**audio):
    return ModalityTransformer([
        ("text", TextSequencer(max_len=6), "text"),
        ("image", ImageLoader(size=(14, 14)), "image"),
        ("audio", AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, **audio), "audio"),
    ])


def _clf(**audio):
    return MultimodalClassifier(_prep(**audio), **FAST)


@pytest.fixture
def small(frame):
    X, y = frame
    return X.iloc[:30].drop(columns="number").copy(), y.iloc[:30].copy()


def _fails(X, y, error, match, fitted=None):
    before = X.copy(deep=True)
    with pytest.raises(error, match=match):
        (fitted.predict(X) if fitted is not None else _clf().fit(X, y))
    pd.testing.assert_frame_equal(X, before)  # the frame is never modified


def test_missing_column_at_fit(small):
    X, y = small
    _fails(X.drop(columns="audio"), y, ValueError, r"modality 'audio': column\(s\) \['audio'\] not found in X at fit")


def test_missing_and_renamed_column_at_predict(small):
    X, y = small
    clf = _clf().fit(X, y)
    _fails(X.drop(columns="text"), y, ValueError, r"column\(s\) \['text'\] not found in X at transform", clf)
    _fails(X.rename(columns={"image": "img"}), y, ValueError, r"\['image'\] not found .* has columns \['text', 'img', 'audio'\]", clf)


def test_extra_columns_and_other_order_at_predict(small):
    X, y = small
    clf = _clf().fit(X, y)
    other = X[["audio", "text", "image"]].assign(comment="ignored")
    np.testing.assert_array_equal(clf.predict_proba(other), clf.predict_proba(X))


@pytest.mark.parametrize("column", ["text", "image", "audio"])
@pytest.mark.parametrize("missing", [None, np.nan])
def test_missing_value_without_mask_support(small, column, missing):
    X, y = small
    X = X.astype(object)
    X.loc[X.index[4], column] = missing
    _fails(X, y, ValueError, rf"column '{column}', row 4: {column} is missing .*on_missing='mask'")


def test_empty_string_text_is_a_text_with_no_tokens(small):
    X, y = small
    X = X.copy()
    X.loc[3, "text"] = ""
    clf = _clf().fit(X, y)
    assert not clf.preprocessor_.transform(X)["text"][3].any()
    assert clf.predict(X.iloc[[3]]).shape == (1,)


def test_empty_frame(small):
    X, y = small
    _fails(X.iloc[:0], y.iloc[:0], ValueError, "X has 0 samples")


def test_one_sample_frame(small):
    X, y = small
    _fails(X.iloc[:1], y.iloc[:1], ValueError, "n_samples=1")


def test_single_class(small):
    X, y = small
    _fails(X, np.zeros(len(X), dtype=int), ValueError, "single class")


@pytest.mark.parametrize("labels", [
    lambda y: np.array(["zero", "one", "two"])[y],
    lambda y: y.to_numpy() * 10,
    lambda y: (y == 1).to_numpy(),
    lambda y: pd.Categorical(np.array(["a", "b", "c"])[y]),
])
def test_labels_of_any_type(small, labels):
    X, y = small
    target = labels(y)
    clf = _clf().fit(X, target)
    assert set(clf.predict(X)) <= set(np.asarray(target))
    assert clf.score(X, target) >= 0


def test_number_in_text_column(small):
    X, y = small
    X = X.astype(object)
    X.loc[7, "text"] = 42
    _fails(X, y, TypeError, r"column 'text', row 7: expected a string, got int 42")


def test_text_in_image_column_and_missing_file(small):
    X, y = small
    X = X.copy()
    X.loc[2, "image"] = "a red car"
    _fails(X, y, ValueError, r"column 'image', row 2: image file 'a red car' does not exist")


@pytest.mark.parametrize("column, content, match", [
    ("image", b"\x89PNG\r\n\x1a\n broken", r"column 'image', row 5: cannot read image file .*broken.png"),
    ("audio", b"RIFF\x00\x00\x00\x00WAVEfmt junk", r"column 'audio', row 5: cannot read audio file .*broken.wav"),
])
def test_corrupt_files(small, tmp_path, column, content, match):
    X, y = small
    path = tmp_path / ("broken.png" if column == "image" else "broken.wav")
    path.write_bytes(content)
    X = X.copy()
    X.loc[5, column] = str(path)
    _fails(X, y, ValueError, match)


def test_empty_audio_file(small, tmp_path):
    X, y = small
    sf.write(tmp_path / "silent.wav", np.zeros(0, np.float32), 8000)
    X = X.copy()
    X.loc[6, "audio"] = str(tmp_path / "silent.wav")
    _fails(X, y, ValueError, r"column 'audio', row 6: audio file .*silent.wav' is empty")


def test_mixed_sample_rates_channels_sizes_and_modes(small, tmp_path):
    X, y = small
    X = X.copy()
    t = np.arange(16000) / 16000
    sf.write(tmp_path / "stereo44k.wav", np.stack([np.sin(900 * t)] * 2, axis=1)[: 11025], 44100)
    sf.write(tmp_path / "mono16k.flac", np.sin(700 * t), 16000)
    X.loc[0, "audio"] = str(tmp_path / "stereo44k.wav")
    X.loc[1, "audio"] = str(tmp_path / "mono16k.flac")
    Image.new("RGBA", (40, 20), (255, 0, 0, 128)).save(tmp_path / "rgba.png")
    Image.fromarray(np.full((9, 31), 40000, np.uint16)).save(tmp_path / "deep.png")
    Image.new("RGB", (64, 64), (0, 0, 255)).save(tmp_path / "big.jpg")
    for row, name in enumerate(["rgba.png", "deep.png", "big.jpg"], start=2):
        X.loc[row, "image"] = str(tmp_path / name)
    clf = _clf().fit(X, y)
    out = clf.preprocessor_.transform(X)
    assert out["image"].shape == (30, 3, 14, 14)  # colour seen in fit -> 3 channels
    assert np.isfinite(out["image"]).all()
    assert clf.predict(X).shape == (30,)


def test_very_long_text_and_audio_are_truncated(small, tmp_path):
    X, y = small
    X = X.copy()
    X.loc[0, "text"] = "word " * 10_000
    sf.write(tmp_path / "long.wav", np.random.RandomState(0).normal(0, 0.1, 8000 * 60).astype(np.float32), 8000)
    X.loc[1, "audio"] = str(tmp_path / "long.wav")
    clf = _clf(max_duration=0.5).fit(X, y)
    out = clf.preprocessor_.transform(X)
    assert out["text"].shape[:2] == (30, 6) and (out["text"][0, :, 0] > 0).all()
    assert out["audio"].shape[1] == 1 + 4000 // 128


def test_non_ascii_text(small):
    X, y = small
    X = X.copy()
    X.loc[:5, "text"] = ["Grüße", "日本語 テキスト", "ça va 🙂", "Ελληνικά", "привет мир", "نص عربي"]
    clf = _clf().fit(X, y)
    assert "grüße" in clf.preprocessor_.named_transformers_["text"].vocabulary_
    assert clf.predict(X.iloc[:6]).shape == (6,)


def test_predict_before_fit(small):
    X, _ = small
    with pytest.raises(NotFittedError):
        _clf().predict(X)
