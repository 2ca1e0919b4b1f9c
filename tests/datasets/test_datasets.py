"""Tests for skmm.datasets.make_av_digits (small n_samples, tmp_path as data_home)."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image

from skmm.datasets import make_av_digits
from skmm.datasets._av_media import N_WRITERS, _writer_partition
from skmm.datasets.av_digits import _load_av_digits

N = 40


def _files(X):
    return [Path(p) for col in ("image", "audio") for p in X[col]]


def _read_all(X):
    return {str(p): p.read_bytes() for p in _files(X)}


# ---------------------------------------------------------------- frame shape
def test_frame_columns_dtypes_and_shape(tmp_path):
    X, y = make_av_digits(N, data_home=tmp_path, random_state=0)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert list(X.columns) == ["text", "image", "audio"]
    assert X.shape == (N, 3) and y.shape == (N,)
    assert isinstance(X.index, pd.RangeIndex) and list(X.index) == list(range(N))
    assert isinstance(y.index, pd.RangeIndex) and list(y.index) == list(range(N))
    for col in X.columns:
        assert pd.api.types.is_string_dtype(X[col]), col
        assert all(isinstance(v, str) and v for v in X[col]), col
    assert y.name == "digit" and y.dtype == np.int64
    assert set(y.unique()) <= set(range(10))
    # every path is absolute and under data_home
    for p in _files(X):
        assert p.is_absolute() and tmp_path.resolve() in p.parents


def test_media_files_exist_and_load(tmp_path):
    X, y = make_av_digits(12, data_home=tmp_path, random_state=1)
    for path in X["image"]:
        with Image.open(path) as img:
            assert img.format == "PNG" and img.mode == "L" and img.size == (28, 28)
            pixels = np.asarray(img)
        assert pixels.dtype == np.uint8 and pixels.max() > pixels.min()
    for path in X["audio"]:
        info = sf.info(path)
        assert info.samplerate == 8000 and info.channels == 1
        assert info.subtype == "PCM_16" and info.format == "WAV"
        wave, sr = sf.read(path, dtype="int16")
        assert sr == 8000 and wave.ndim == 1 and len(wave) == 8000
        assert np.abs(wave).max() > 100  # not silent


_NUMBER_WORDS = "zero one two three four five six seven eight nine ten".split()
_CLEAN_VOCAB = set(
    _NUMBER_WORDS
    + "even odd an a number it's digit divisible by not prime".split()
    + "less than smaller below under more greater bigger above over".split()
    + "small big low high on the side large".split()
    + "looks like sounds maybe rhymes with bit also and but -".split()
    + "hero nero sun fun run shoe blue zoo tree free sea door floor".split()
    + "hive dive drive sticks bricks kicks heaven devon gate late plate".split()
    + "line wine mine".split()
)


def _words(texts):
    return {w for t in texts for w in t.replace(",", " ").replace(";", " ").split()}


def test_text_is_short_english_and_noise_zero_is_clean(tmp_path):
    X, y = make_av_digits(60, data_home=tmp_path, noise=0.0, random_state=2)
    assert X["text"].str.split().str.len().between(1, 20).all()
    # clean text: no typos or fillers, only the generator's clue vocabulary,
    # and every clue true (e.g. parity words agree with the label)
    assert _words(X["text"]) <= _CLEAN_VOCAB
    for text, digit in zip(X["text"], y):
        words = text.replace(",", " ").split()
        if "even" in words and "not" not in words and "odd" not in words:
            assert digit % 2 == 0, text
        if "odd" in words and "not" not in words and "even" not in words:
            assert digit % 2 == 1, text
    X1, y1 = make_av_digits(60, data_home=tmp_path, noise=1.0, random_state=2)
    assert not X1["text"].equals(X["text"])
    assert _words(X1["text"]) - _CLEAN_VOCAB  # fillers and typos appear
    # images get noisier with noise=1
    clean = np.stack([np.asarray(Image.open(p), float) for p in X["image"]])
    noisy = np.stack([np.asarray(Image.open(p), float) for p in X1["image"]])
    assert (clean == 0).mean() > (noisy == 0).mean() + 0.2
    # and so does speech: noise=0 keeps digital silence around the word
    silent = [np.mean(sf.read(p, dtype="int16")[0] == 0) for p in X["audio"]]
    silent1 = [np.mean(sf.read(p, dtype="int16")[0] == 0) for p in X1["audio"]]
    assert np.mean(silent) > 0.2 and np.mean(silent1) < 0.05


def test_labels_balanced(tmp_path):
    X, y = make_av_digits(200, data_home=tmp_path, random_state=3)
    counts = y.value_counts()
    assert set(counts.index) == set(range(10))
    assert counts.min() == counts.max() == 20
    X_tr, X_te, y_tr, y_te = make_av_digits(
        103, split="unseen", data_home=tmp_path, random_state=3
    )
    for part in (y_tr, y_te):
        counts = part.value_counts().reindex(range(10), fill_value=0)
        assert counts.max() - counts.min() <= 1


# -------------------------------------------------------------- determinism
def test_same_seed_same_frame_and_bytes(tmp_path):
    X1, y1 = make_av_digits(N, data_home=tmp_path / "a", random_state=7)
    X2, y2 = make_av_digits(N, data_home=tmp_path / "b", random_state=7)
    pd.testing.assert_series_equal(y1, y2)
    pd.testing.assert_series_equal(X1["text"], X2["text"])
    # same relative layout, same bytes, in two independent data homes
    rel1 = [os.path.relpath(p, tmp_path / "a") for p in _files(X1)]
    rel2 = [os.path.relpath(p, tmp_path / "b") for p in _files(X2)]
    assert rel1 == rel2
    for p1, p2 in zip(_files(X1), _files(X2)):
        assert p1.read_bytes() == p2.read_bytes()


def test_different_seed_differs(tmp_path):
    X1, y1 = make_av_digits(N, data_home=tmp_path, random_state=7)
    X2, y2 = make_av_digits(N, data_home=tmp_path, random_state=8)
    assert Path(X1.loc[0, "image"]).parent != Path(X2.loc[0, "image"]).parent
    assert not y1.equals(y2)
    assert not X1["text"].equals(X2["text"])
    b1, b2 = _read_all(X1), _read_all(X2)
    assert sorted(b1.values()) != sorted(b2.values())
    assert set(b1.values()).isdisjoint(b2.values())


def test_random_state_none_draws_fresh_data(tmp_path):
    X1, y1 = make_av_digits(N, data_home=tmp_path)
    X2, y2 = make_av_digits(N, data_home=tmp_path)
    assert X1.loc[0, "image"] != X2.loc[0, "image"]
    assert not (X1["text"].equals(X2["text"]) and y1.equals(y2))
    # a RandomState instance is accepted and is reproducible from its seed
    X3, _ = make_av_digits(N, data_home=tmp_path, random_state=np.random.RandomState(5))
    X4, _ = make_av_digits(N, data_home=tmp_path, random_state=np.random.RandomState(5))
    pd.testing.assert_frame_equal(X3, X4)


# ------------------------------------------------------------------ caching
def test_second_call_reuses_files(tmp_path):
    X1, y1 = make_av_digits(N, data_home=tmp_path, random_state=11)
    files = _files(X1)
    before = {p: p.stat().st_mtime_ns for p in files}
    folder = files[0].parent.parent
    marker_mtime = (folder / "samples.json").stat().st_mtime_ns
    X2, y2 = make_av_digits(N, data_home=tmp_path, random_state=11)
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)
    assert {p: p.stat().st_mtime_ns for p in files} == before
    assert (folder / "samples.json").stat().st_mtime_ns == marker_mtime
    # one dataset folder, no temporary leftovers
    assert [d.name for d in (tmp_path / "av_digits").iterdir()] == [folder.name]


def test_cache_key_depends_on_every_param(tmp_path):
    base = dict(n_samples=20, data_home=tmp_path, random_state=0)
    folders = set()
    for extra in (
        {},
        {"n_samples": 21},
        {"noise": 0.5},
        {"random_state": 1},
        {"split": "unseen"},
        {"split": "unseen", "test_size": 0.5},
    ):
        out = make_av_digits(**{**base, **extra})
        folders.add(Path(out[0].loc[0, "image"]).parent.parent)
    assert len(folders) == 6


def test_incomplete_folder_is_regenerated(tmp_path):
    X1, _ = make_av_digits(N, data_home=tmp_path, random_state=12)
    folder = Path(X1.loc[0, "image"]).parent.parent
    expected = _read_all(X1)
    (folder / "samples.json").unlink()  # as if interrupted before completion
    Path(X1.loc[0, "image"]).write_bytes(b"garbage")
    X2, _ = make_av_digits(N, data_home=tmp_path, random_state=12)
    pd.testing.assert_frame_equal(X1, X2)
    assert _read_all(X2) == expected


def test_data_home_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SKMM_DATA", str(tmp_path / "env_home"))
    X, _ = make_av_digits(5, random_state=0)
    assert (tmp_path / "env_home").resolve() in Path(X.loc[0, "audio"]).parents


# ---------------------------------------------------------------- split
def test_unseen_split_shapes(tmp_path):
    out = make_av_digits(40, split="unseen", test_size=0.25, data_home=tmp_path, random_state=0)
    assert len(out) == 4
    X_tr, X_te, y_tr, y_te = out
    assert (len(X_tr), len(X_te), len(y_tr), len(y_te)) == (30, 10, 30, 10)
    for X, y in ((X_tr, y_tr), (X_te, y_te)):
        assert list(X.columns) == ["text", "image", "audio"]
        assert isinstance(X.index, pd.RangeIndex) and X.index[0] == 0
        assert isinstance(y.index, pd.RangeIndex) and y.name == "digit"
        assert y.dtype == np.int64
    assert set(X_tr["image"]).isdisjoint(X_te["image"])
    assert set(X_tr["audio"]).isdisjoint(X_te["audio"])
    X_tr2, X_te2, _, _ = make_av_digits(
        40, split="unseen", test_size=0.5, data_home=tmp_path, random_state=0
    )
    assert (len(X_tr2), len(X_te2)) == (20, 20)


def test_unseen_split_speakers_and_writers_disjoint(tmp_path):
    frame = _load_av_digits(300, split="unseen", data_home=tmp_path, random_state=4)
    assert list(frame.columns[:3]) == ["text", "image", "audio"]
    train, test = frame[frame.subset == "train"], frame[frame.subset == "test"]
    assert (len(train), len(test)) == (225, 75)
    assert set(train.speaker).isdisjoint(test.speaker)
    assert set(train.writer).isdisjoint(test.writer)
    assert set(train.source_image).isdisjoint(test.source_image)
    # several speakers and writers on each side
    assert train.speaker.nunique() > 20 and test.speaker.nunique() > 5
    assert train.writer.nunique() > 20 and test.writer.nunique() > 5
    # the public split returns exactly these rows in the same order
    X_tr, X_te, y_tr, y_te = make_av_digits(
        300, split="unseen", data_home=tmp_path, random_state=4
    )
    assert list(X_tr["image"]) == list(train["image"])
    assert list(X_te["audio"]) == list(test["audio"])
    assert list(y_te) == list(test["digit"])


def test_source_images_match_labels_and_writers_partition(tmp_path):
    from sklearn.datasets import load_digits

    target = load_digits().target
    frame = _load_av_digits(100, data_home=tmp_path, random_state=5)
    assert (target[frame.source_image] == frame.digit).all()
    assert frame.subset.eq("train").all()
    groups = _writer_partition(np.random.RandomState(0), target)
    flat = np.concatenate([g for w in groups for g in w])
    assert len(groups) == N_WRITERS
    assert len(flat) == len(target) and len(np.unique(flat)) == len(target)
    for w in groups:
        for d in range(10):
            assert len(w[d]) >= 1 and (target[w[d]] == d).all()


# ----------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": -3}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"split": "random"}, "split"),
        ({"split": "unseen", "test_size": 0.0}, "test_size"),
        ({"split": "unseen", "test_size": 1.0}, "test_size"),
        ({"test_size": 1.5}, "test_size"),
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"n_samples": 1, "split": "unseen"}, "empty"),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, match):
    kwargs = {"n_samples": 10, "data_home": tmp_path, "random_state": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_av_digits(**kwargs)
    assert not (tmp_path / "av_digits").exists()  # nothing written


def test_doctest_example():
    import doctest

    import skmm.datasets.av_digits as mod

    result = doctest.testmod(mod, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_modalities_are_informative_but_fusion_wins(tmp_path):
    """A quick, small version of tools/calibrate_av_digits.py."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from tools.calibrate_av_digits import audio_features, image_features

    X_tr, X_te, y_tr, y_te = make_av_digits(
        600, split="unseen", data_home=tmp_path, random_state=0
    )

    def pooled(pixels):  # 28x28 -> 14x14 mean pooling keeps the test fast
        return pixels.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(pixels), -1)

    tfidf = TfidfVectorizer(ngram_range=(1, 2)).fit(X_tr["text"])
    scaler = StandardScaler().fit(audio_features(X_tr["audio"], n_mfcc=13))
    feats = {
        "image": tuple(pooled(image_features(X["image"])) for X in (X_tr, X_te)),
        "audio": tuple(
            scaler.transform(audio_features(X["audio"], n_mfcc=13)) for X in (X_tr, X_te)
        ),
        "text": (tfidf.transform(X_tr["text"]), tfidf.transform(X_te["text"])),
    }
    log_proba, acc = 0.0, {}
    for k, (tr, te) in feats.items():
        clf = LogisticRegression(max_iter=1000).fit(tr, y_tr)
        log_proba = log_proba + np.log(clf.predict_proba(te))
        acc[k] = clf.score(te, y_te)
    # late fusion: product of the per-modality probabilities
    acc["fused"] = np.mean(np.argmax(log_proba, axis=1) == y_te)
    # each modality is informative (chance is 0.1) but far from perfect
    assert 0.5 < acc["image"] < 0.9 and 0.45 < acc["audio"] < 0.9, acc
    assert 0.25 < acc["text"] < 0.75, acc
    assert acc["fused"] > max(acc["image"], acc["audio"], acc["text"]) + 0.08, acc
