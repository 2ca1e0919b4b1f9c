"""skmm.plotting: each function returns a Figure holding the expected artists."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils import Bunch  # noqa: E402

from skmm import ModalityDict, MultimodalClassifier  # noqa: E402
from skmm.plotting import plot_confusion_matrix, plot_history, plot_modality_importance  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _data(n=90, seed=0):
    rng = np.random.RandomState(seed)
    X = ModalityDict(a=rng.normal(size=(n, 3)).astype(np.float32), b=rng.normal(size=(n, 2)).astype(np.float32))
    y = np.digitize(X["a"][:, 0], [-0.4, 0.4])  # three classes
    return X, y


def _labels(fig):
    return [line.get_label() for ax in fig.axes for line in ax.get_lines()]


def test_plot_history_with_validation():
    X, y = _data()
    clf = MultimodalClassifier(max_epochs=4, hidden_size=8, validation_fraction=0.25,
                               random_state=0, verbose=0).fit(X, y)
    fig = plot_history(clf)
    assert isinstance(fig, Figure)
    assert _labels(fig) == ["train loss", "valid loss", "valid accuracy"]
    assert len(fig.axes) == 2  # accuracy on a twin axis
    train = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(train.get_ydata(), clf.history_[:, "train_loss"])
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), clf.history_[:, "valid_acc"])
    assert fig.axes[0].get_legend() is not None


def test_plot_history_train_only_pipeline_and_given_ax():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", MultimodalClassifier(max_epochs=3, hidden_size=8, early_stopping=False,
                                                 random_state=0, verbose=0))])
    pipe.fit(X, y)
    fig, ax = plt.subplots()
    assert plot_history(pipe, ax=ax) is fig
    assert _labels(fig) == ["train loss"]
    assert len(fig.axes) == 1


def test_plot_history_tolerates_missing_keys():
    class Fitted:
        history_ = [{"epoch": 1, "train_loss": 1.0}, {"epoch": 2, "train_loss": 0.5, "valid_loss": 0.7}]

    fig = plot_history(Fitted())
    assert _labels(fig) == ["train loss", "valid loss"]
    valid = fig.axes[0].get_lines()[1].get_ydata()
    assert np.isnan(valid[0]) and valid[1] == 0.7


def test_plot_modality_importance_bars():
    result = Bunch(modalities=["text", "image", "audio"], importances_mean=np.array([0.1, 0.3, 0.2]),
                   importances_std=np.array([0.01, 0.02, 0.03]))
    fig = plot_modality_importance(result)
    ax = fig.axes[0]
    assert isinstance(fig, Figure)
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.1, 0.3, 0.2])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["text", "image", "audio"]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 1 and bars[0].errorbar is not None
    caps = bars[0].errorbar.lines[2][0].get_segments()
    assert [seg[1, 0] - seg[0, 0] for seg in caps] == pytest.approx([0.02, 0.04, 0.06])  # ±std
    assert ax.get_legend() is None


def test_plot_modality_importance_with_removal():
    result = Bunch(modalities=["text", "image"], importances_mean=np.array([0.1, 0.3]),
                   importances_std=np.array([0.01, 0.02]), removal_importances_mean=np.array([0.2, 0.4]),
                   removal_importances_std=np.zeros(2))
    ax = plot_modality_importance(result).axes[0]
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["shuffled", "removed"]


def test_plot_confusion_matrix():
    X, y = _data()
    clf = MultimodalClassifier(max_epochs=3, hidden_size=8, random_state=0, verbose=0).fit(X, y)
    fig, ax = plt.subplots()
    assert plot_confusion_matrix(clf, X, y, ax=ax, colorbar=False) is fig
    image = ax.get_images()[0].get_array()
    assert image.shape == (3, 3)
    assert image.sum() == len(y)
    normalised = plot_confusion_matrix(clf, X, y, normalize="true").axes[0].get_images()[0].get_array()
    np.testing.assert_allclose(normalised.sum(axis=1), 1.0)


def test_clear_error_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install skmm\[plot\]"):
        plot_modality_importance(Bunch(modalities=["a"], importances_mean=np.zeros(1), importances_std=np.zeros(1)))


def test_plot_modality_scores_draws_each_modality_and_the_fused_output():
    from skmm.plotting import plot_modality_scores

    X, y = _data()
    clf = MultimodalClassifier(balance="heads", max_epochs=3, hidden_size=8, random_state=0, verbose=0).fit(X, y)
    fig = plot_modality_scores(clf)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["fused output", "a", "b"]
    np.testing.assert_allclose(lines[1].get_ydata(), clf.history_[:, "valid_acc_a"])
    plain = MultimodalClassifier(balance="none", max_epochs=2, random_state=0, verbose=0).fit(X, y)
    with pytest.raises(ValueError, match="balance option"):
        plot_modality_scores(plain)
