"""A classifier's targets: columns of labels -> class indices, with rows named in errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from .._columns import row_label


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
        raise ValueError(f"{where} holds infinite labels (row {row_label(rows, np.flatnonzero(np.isinf(values))[0])!r}).")
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
