"""Plots of training curves, modality importances and confusion matrices.

matplotlib is optional: install it with ``pip install skmm[plot]``. Each
function draws on ``ax`` when given (else on a new figure) and returns the
matplotlib Figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .utils.types import Estimator, ModalityInput

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.lines import Line2D
    from sklearn.utils import Bunch

__all__ = ["plot_confusion_matrix", "plot_history", "plot_modality_importance", "plot_modality_scores"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "skmm.plotting needs matplotlib; install it with `pip install skmm[plot]` "
            "(or `pip install matplotlib`)."
        ) from None
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    else:
        _pyplot()
    return ax


def _column(history, key):
    """Per-epoch values of ``key`` (NaN where an epoch lacks it), or None if no epoch has it."""
    values = [epoch.get(key) for epoch in history]
    if all(v is None for v in values):
        return None
    return np.array([np.nan if v is None else float(v) for v in values])


def plot_history(estimator: Estimator, ax: Axes | None = None) -> Figure | SubFigure:
    """Training and validation loss per epoch (and validation accuracy if recorded).

    Parameters
    ----------
    estimator : fitted MultimodalClassifier, MultimodalRegressor or Pipeline
        Anything with a skorch ``history_``; for a Pipeline its last step's.
        Validation curves exist when it was fitted with
        ``validation_fraction``.
    ax : matplotlib Axes, default=None
        Where to draw the losses; validation accuracy goes on a twin axis
        on the right. None draws on a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skmm import MultimodalClassifier
    >>> from skmm.plotting import plot_history
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3)).astype("float32")
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = MultimodalClassifier(max_epochs=3, validation_fraction=0.2,
    ...                            random_state=0, verbose=0).fit(X, y)
    >>> fig = plot_history(clf)
    >>> [line.get_label() for ax in fig.axes for line in ax.get_lines()]
    ['train loss', 'valid loss', 'valid accuracy']
    """
    ax = _axes(ax)
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    history = estimator.history_
    epochs = _column(history, "epoch")
    if epochs is None:
        epochs = np.arange(1, len(history) + 1)
    lines: list[Line2D] = []
    for key, label, style in [("train_loss", "train loss", "-"), ("valid_loss", "valid loss", "--")]:
        values = _column(history, key)
        if values is not None:
            lines += ax.plot(epochs, values, style, marker="o", markersize=3, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    accuracy = _column(history, "valid_acc")
    if accuracy is not None:
        right = ax.twinx()
        lines += right.plot(epochs, accuracy, ":", marker="s", markersize=3, color="tab:green",
                            label="valid accuracy")
        right.set_ylabel("validation accuracy")
    if lines:
        # Losses fall towards the bottom right and accuracy rises towards the top right.
        # matplotlib's stubs type Artist.get_label as object; a line's label is a str.
        ax.legend(lines, [line.get_label() for line in lines], loc="center right")  # type: ignore[call-overload]
    ax.set_title("Training history")
    return ax.figure


def plot_modality_scores(estimator: Estimator, ax: Axes | None = None) -> Figure | SubFigure:
    """Each modality's own validation score per epoch, beside the fused output's: imbalance made visible.

    A balanced fit (``balance`` other than ``"none"``, see
    :mod:`skmm.balance`) gives every modality a head of its own and records
    its validation score in ``history_`` every epoch (``valid_acc_<name>``
    for classifiers, ``valid_loss_<name>`` for regressors). A modality whose
    curve stays flat near chance while the fused score rises is not being
    learned.

    Parameters
    ----------
    estimator : fitted MultimodalClassifier, MultimodalRegressor or Pipeline
        Fitted with a balance option and a validation split (early stopping
        holds one out by default).
    ax : matplotlib Axes, default=None

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skmm import ModalityDict, MultimodalClassifier
    >>> from skmm.plotting import plot_modality_scores
    >>> rng = np.random.RandomState(0)
    >>> X = ModalityDict(a=rng.normal(size=(80, 3)).astype("float32"), b=rng.normal(size=(80, 2)).astype("float32"))
    >>> y = (X["a"][:, 0] > 0).astype(int)
    >>> clf = MultimodalClassifier(balance="heads", max_epochs=3, random_state=0, verbose=0).fit(X, y)
    >>> fig = plot_modality_scores(clf)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['fused output', 'a', 'b']
    """
    if hasattr(estimator, "steps"):
        estimator = estimator.steps[-1][1]
    history = estimator.history_
    recorded = {k for epoch in history for k in epoch} - {"valid_acc_best", "valid_loss_best"}
    metric = "acc" if any(k.startswith("valid_acc_") for k in recorded) else "loss"
    keys = sorted(k for k in recorded if k.startswith(f"valid_{metric}_"))
    if not keys:
        raise ValueError(
            "history_ has no per-modality scores: fit with a balance option other than 'none' "
            "(e.g. balance='heads') and a validation split."
        )
    ax = _axes(ax)
    epochs = np.arange(1, len(history) + 1)
    fused = _column(history, f"valid_{metric}")
    if fused is not None:
        ax.plot(epochs, fused, "-", linewidth=2.5, color="black", label="fused output")
    for key in keys:
        values = _column(history, key)
        ax.plot(epochs, values, "--", marker="o", markersize=3, label=key[len(f"valid_{metric}_"):])
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy" if metric == "acc" else "validation loss")
    ax.legend(loc="best")
    ax.set_title("Each modality's own head")
    return ax.figure


def plot_modality_importance(result: Bunch, ax: Axes | None = None) -> Figure | SubFigure:
    """Horizontal bars of modality importances with their standard deviations.

    Parameters
    ----------
    result : Bunch
        The output of :func:`skmm.inspection.modality_importance`. When it
        holds removal importances, each modality gets a second bar.
    ax : matplotlib Axes, default=None
        Where to draw; None draws on a new figure.

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.utils import Bunch
    >>> from skmm.plotting import plot_modality_importance
    >>> result = Bunch(modalities=["text", "image"], importances_mean=np.array([0.1, 0.3]),
    ...                importances_std=np.array([0.01, 0.02]))
    >>> fig = plot_modality_importance(result)
    >>> len(fig.axes[0].patches)
    2
    """
    ax = _axes(ax)
    names = list(result["modalities"])
    positions = np.arange(len(names))
    series = [("shuffled", result["importances_mean"], result["importances_std"])]
    if "removal_importances_mean" in result:
        series.append(("removed", result["removal_importances_mean"], result["removal_importances_std"]))
    height = 0.8 / len(series)
    for k, (label, mean, std) in enumerate(series):
        offset = (k - (len(series) - 1) / 2) * height
        std = np.asarray(std)
        ax.barh(positions + offset, mean, height=height, xerr=std if std.any() else None,
                capsize=4, label=label)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()  # first modality on top
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("drop in score")
    ax.set_title("Modality importance")
    if len(series) > 1:
        ax.legend(loc="best")
    return ax.figure


def plot_confusion_matrix(
    estimator: Estimator, X: ModalityInput, y: ArrayLike, ax: Axes | None = None, **kwargs: Any
) -> Figure | SubFigure:
    """Confusion matrix of a fitted classifier's predictions on ``X``.

    A thin wrapper of
    :meth:`sklearn.metrics.ConfusionMatrixDisplay.from_estimator`.

    Parameters
    ----------
    estimator : fitted classifier
        Any fitted classifier (a MultimodalClassifier, a Pipeline, a baseline).
    X : DataFrame, dict of arrays or array
        Data as ``estimator.predict`` takes it.
    y : array-like of shape (n_samples,)
        True labels.
    ax : matplotlib Axes, default=None
        Where to draw; None draws on a new figure.
    **kwargs
        Passed to ``from_estimator`` (e.g. ``normalize="true"``,
        ``cmap="Blues"``, ``colorbar=False``).

    Returns
    -------
    fig : matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.plotting import plot_confusion_matrix
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(40, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = LogisticRegression().fit(X, y)
    >>> fig = plot_confusion_matrix(clf, X, y, colorbar=False)
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('Predicted label', 'True label')
    """
    _pyplot()
    from sklearn.metrics import ConfusionMatrixDisplay

    display = ConfusionMatrixDisplay.from_estimator(estimator, X, y, ax=ax, **kwargs)
    return display.figure_
