"""A classifier's targets: columns of labels -> class indices, with rows named in errors.

Also what is checked of them after loading, and the validation accuracy
over several targets that training reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ..compose._columns import row_label


def target_columns(y):
    """``(columns, names, labels)``: y's target columns, their names (a DataFrame's) and its row labels."""
    names = [str(c) for c in y.columns] if isinstance(y, pd.DataFrame) else None
    labels = y if hasattr(y, "index") else None  # row labels for messages
    if isinstance(y, pd.DataFrame) and y.shape[1] > 1:
        return [y.iloc[:, i] for i in range(y.shape[1])], names, labels
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D, or 2-D for several targets; got shape {y.shape}.")
    return ([y] if y.ndim == 1 else [y[:, i] for i in range(y.shape[1])]), names, labels


def encode_column(y, name, labels=None, classes=None):
    """(classes, class indices) of one target column; ``classes`` given: check y against them."""
    where = "y" if name is None else f"y[{name!r}]"
    rows = y if labels is None else labels
    # Before sklearn's target check, which casts infinities to int (and warns).
    missing = np.asarray(pd.isna(y))
    if missing.any():
        raise ValueError(f"{where} holds missing labels (row {row_label(rows, np.flatnonzero(missing)[0])!r}).")
    values = np.asarray(y)
    if values.dtype.kind == "f" and np.isinf(values).any():
        row = row_label(rows, np.flatnonzero(np.isinf(values))[0])
        raise ValueError(f"{where} holds infinite labels (row {row!r}).")
    check_classification_targets(y)
    if classes is not None:
        unknown = np.setdiff1d(np.unique(values), classes)
        if unknown.size:
            raise ValueError(
                f"{where} holds classes {unknown.tolist()} not among the classes "
                f"{classes.tolist()} the network was built for; pass every class in "
                "partial_fit's first call (classes=...) or refit."
            )
        return classes, np.searchsorted(classes, values)
    classes, encoded = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"{where} has a single class ({classes[0]!r}); a classifier needs at least 2 classes."
        )
    return classes, encoded


def given_classes(classes, n_columns):
    """partial_fit's ``classes``, one sorted array per target column (None: learn from y)."""
    if classes is None:
        return [None] * n_columns
    per_column = list(classes) if n_columns > 1 else [classes]
    if len(per_column) != n_columns:
        raise ValueError(f"classes must give one array per target ({n_columns}), got {len(per_column)}.")
    known = [np.unique(np.asarray(c)) for c in per_column]
    if any(len(c) < 2 for c in known):
        raise ValueError(f"classes must hold at least 2 classes per target, got {classes!r}.")
    return known


def encode_targets(y, classes=None, fitted=None):
    """``(classes, class indices, target names)`` of y: one array per target column.

    ``fitted`` (``classes_`` of an earlier call) given, y is encoded with
    those classes and ``classes``, when given too, must agree with them;
    otherwise the classes are learned from y, or taken from ``classes``.
    """
    columns, names, labels = target_columns(y)
    if fitted is None:
        known = given_classes(classes, len(columns))
    else:
        known = fitted if isinstance(fitted, list) else [fitted]
        if len(columns) != len(known):
            raise ValueError(f"y has {len(columns)} target column(s); the network was fitted on {len(known)}.")
        if classes is not None and any(
            not np.array_equal(a, b) for a, b in zip(given_classes(classes, len(columns)), known)
        ):
            raise ValueError(f"classes={classes!r} differs from the classes of the first call, {fitted!r}.")
    learned, encoded = [], []
    for i, column in enumerate(columns):
        name = None if len(columns) == 1 else (names or range(len(columns)))[i]
        c, e = encode_column(column, name, labels, known[i])
        learned.append(c)
        encoded.append(e)
    return learned, encoded, names


def check_classes(classes, sizes) -> None:
    """Raise ValueError unless a loaded ``classes_`` and ``task_sizes_`` agree (at least 2 classes each)."""
    if not isinstance(sizes, list) or not sizes or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 2 for s in sizes
    ):
        raise ValueError(f"task_sizes_ must be a list of class counts >= 2, got {sizes!r}")
    per_task = classes if isinstance(classes, list) else [classes]
    if len(per_task) != len(sizes) or not all(
        isinstance(c, np.ndarray) and c.ndim == 1 and len(c) == s for c, s in zip(per_task, sizes)
    ):
        raise ValueError("classes_ does not match task_sizes_")


class ValidAccuracy:
    """Validation accuracy for skorch's EpochScoring (mean over targets)."""

    def __init__(self, sizes):
        self.sizes = sizes

    def __call__(self, net, dataset, y):
        logits = net.forward(dataset, training=False)
        y = np.asarray(y).reshape(len(logits), -1)
        parts = torch.split(logits, self.sizes, dim=1)
        return float(np.mean([(p.argmax(1).numpy() == y[:, i]).mean() for i, p in enumerate(parts)]))
