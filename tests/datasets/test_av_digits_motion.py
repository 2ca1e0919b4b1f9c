"""make_av_digits' video and trajectory columns (small n_samples, tmp_path as data_home)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmm.datasets import make_av_digits
from skmm.datasets.av_digits import _load_av_digits
from tools.calibrate_av_digits import trajectory_features, video_features

av = pytest.importorskip("av")

ALL = ["text", "image", "audio", "video", "trajectory"]


def _frames(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "ffv1"
        return np.stack([f.to_ndarray(format="gray") for f in container.decode(video=0)])


def test_columns_shapes_and_types(tmp_path):
    X, y = make_av_digits(12, data_home=tmp_path, random_state=1, modalities=ALL)
    assert list(X.columns) == ALL and X.shape == (12, 5) and len(y) == 12
    for traj in X["trajectory"]:
        assert isinstance(traj, np.ndarray) and traj.dtype == np.float32
        assert traj.ndim == 2 and traj.shape[1] == 3 and traj.shape[0] >= 4
        assert np.isfinite(traj).all() and set(np.unique(traj[:, 2])) <= {0.0, 1.0}
        assert traj[:, 2].mean() > 0.5  # mostly pen down
    lengths = {len(t) for t in X["trajectory"]}
    assert len(lengths) > 1  # writers draw at different speeds
    for path in X["video"]:
        path = Path(path)
        assert path.suffix == ".mkv" and tmp_path.resolve() in path.parents
        frames = _frames(path)
        assert frames.shape == (12, 28, 28) and frames.dtype == np.uint8
        assert frames.max() > frames.min()


def test_old_columns_unchanged_and_selection(tmp_path):
    X, y = make_av_digits(30, data_home=tmp_path, random_state=2)
    before = {p: Path(p).read_bytes() for p in list(X["image"]) + list(X["audio"])}
    X5, y5 = make_av_digits(30, data_home=tmp_path, random_state=2, modalities=ALL)
    pd.testing.assert_frame_equal(X5[["text", "image", "audio"]], X)
    pd.testing.assert_series_equal(y5, y)
    assert {p: Path(p).read_bytes() for p in before} == before
    # any subset, in the order asked
    Xt, _ = make_av_digits(30, data_home=tmp_path, random_state=2,
                           modalities=("trajectory", "text"))
    assert list(Xt.columns) == ["trajectory", "text"]
    pd.testing.assert_series_equal(Xt["text"], X["text"])
    for a, b in zip(Xt["trajectory"], X5["trajectory"]):
        np.testing.assert_array_equal(a, b)


def test_trajectory_alone_writes_no_video_and_video_is_added_later(tmp_path):
    Xt, _ = make_av_digits(20, data_home=tmp_path, random_state=3, modalities=["trajectory"])
    folder = next((tmp_path / "av_digits").iterdir())
    assert not list(folder.rglob("*.mkv"))
    Xv, _ = make_av_digits(20, data_home=tmp_path, random_state=3,
                           modalities=["trajectory", "video"])
    assert len(list(folder.rglob("*.mkv"))) == 20
    for a, b in zip(Xt["trajectory"], Xv["trajectory"]):
        np.testing.assert_array_equal(a, b)
    # cached: a third call rewrites nothing
    files = [Path(p) for p in Xv["video"]] + list(folder.rglob("*.npz"))
    mtimes = [p.stat().st_mtime_ns for p in files]
    make_av_digits(20, data_home=tmp_path, random_state=3, modalities=ALL)
    assert [p.stat().st_mtime_ns for p in files] == mtimes
    assert not [p for p in folder.rglob("*") if p.name.startswith(".tmp")]


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    runs = [make_av_digits(15, data_home=tmp_path / h, random_state=s, modalities=ALL)[0]
            for h, s in (("a", 7), ("b", 7), ("c", 8))]
    a, b, c = runs
    for x, z in zip(a["trajectory"], b["trajectory"]):
        np.testing.assert_array_equal(x, z)
    assert [Path(p).read_bytes() for p in a["video"]] == [Path(p).read_bytes() for p in b["video"]]
    assert not all(len(x) == len(z) and np.array_equal(x, z)
                   for x, z in zip(a["trajectory"], c["trajectory"]))
    assert {Path(p).read_bytes() for p in a["video"]}.isdisjoint(
        Path(p).read_bytes() for p in c["video"])


def test_noise_zero_is_clean(tmp_path):
    clean, _ = make_av_digits(30, data_home=tmp_path, noise=0.0, random_state=4, modalities=ALL)
    noisy, _ = make_av_digits(30, data_home=tmp_path, noise=1.0, random_state=4, modalities=ALL)
    zeros = [np.mean(np.stack([_frames(p) for p in X["video"]]) == 0) for X in (clean, noisy)]
    assert zeros[0] > 0.5 and zeros[1] < 0.3, zeros

    def roughness(X):  # mean size of the second difference of the pen path
        return np.mean([np.abs(np.diff(t[:, :2], n=2, axis=0)).mean() for t in X["trajectory"]])

    assert roughness(noisy) > 1.5 * roughness(clean)


def test_unseen_split_keeps_writers_apart(tmp_path):
    frame = _load_av_digits(200, split="unseen", data_home=tmp_path, random_state=5,
                            modalities=ALL)
    train, test = frame[frame.subset == "train"], frame[frame.subset == "test"]
    assert set(train.writer).isdisjoint(test.writer)
    X_tr, X_te, _, y_te = make_av_digits(200, split="unseen", data_home=tmp_path,
                                         random_state=5, modalities=ALL)
    assert list(X_te["video"]) == list(test["video"]) and list(y_te) == list(test["digit"])
    for a, b in zip(X_tr["trajectory"], train["trajectory"]):
        np.testing.assert_array_equal(a, b)


def test_each_new_modality_is_weak_alone(tmp_path):
    """Logistic regression on each new column: well above chance (0.1), far from perfect."""
    from sklearn.linear_model import LogisticRegression

    X_tr, X_te, y_tr, y_te = make_av_digits(
        600, split="unseen", data_home=tmp_path, random_state=0,
        modalities=["video", "trajectory"],
    )
    acc = {}
    for name, feats in (("video", video_features), ("trajectory", trajectory_features)):
        clf = LogisticRegression(max_iter=1000).fit(feats(X_tr[name]), y_tr)
        acc[name] = clf.score(feats(X_te[name]), y_te)
    assert 0.25 < acc["video"] < 0.75 and 0.2 < acc["trajectory"] < 0.75, acc


@pytest.mark.parametrize("modalities", ["video", [], ["text", "text"], ["image", "pen"], 3])
def test_invalid_modalities(tmp_path, modalities):
    with pytest.raises(ValueError, match="modalities"):
        make_av_digits(10, data_home=tmp_path, random_state=0, modalities=modalities)
    assert not (tmp_path / "av_digits").exists()  # nothing written


def test_video_without_pyav_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError
    with pytest.raises(ImportError, match="PyAV"):
        make_av_digits(10, data_home=tmp_path, random_state=0, modalities=["video"])
    assert not (tmp_path / "av_digits").exists()
    X, _ = make_av_digits(10, data_home=tmp_path, random_state=0, modalities=["trajectory"])
    assert X.shape == (10, 1)
