"""Reading one input column and naming its rows in error messages.

Every preprocessor takes one column (a pandas Series, a one-column DataFrame,
a 1-D array or a list). Errors must say *which* column and *which* row, using
the frame's own index labels, so the user can find the bad value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The media errors live with the bounded reads below every package; here they are named for the callers.
from ..utils.errors import MediaError, MediaTypeError, MissingMediaError  # noqa: F401


class Column:
    """The values of one column with the labels needed for error messages.

    Parameters
    ----------
    X : Series, DataFrame with one column, ndarray or list
        The column.
    owner : str
        The transformer's class name, used when the column has no name.
    """

    def __init__(self, X, owner):
        if isinstance(X, pd.DataFrame):
            if X.shape[1] != 1:
                raise ValueError(
                    f"{owner} takes exactly one column, got {X.shape[1]} "
                    f"columns {list(X.columns)}; give the column name as a "
                    "string in ModalityTransformer."
                )
            X = X.iloc[:, 0]
        if isinstance(X, pd.Series):
            self.name = None if X.name is None else str(X.name)
            self.labels = X.index
            self.values = X.to_numpy(dtype=object)
        else:
            if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
                X = X[:, 0]
            if isinstance(X, np.ndarray) and X.ndim != 1:
                raise ValueError(
                    f"{owner} takes one column of values (1-D), got an array "
                    f"of shape {X.shape}."
                )
            if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
                raise TypeError(
                    f"{owner} takes a column of values (Series, list or 1-D "
                    f"array), got {type(X).__name__}."
                )
            self.name = None
            self.labels = pd.RangeIndex(len(X))
            self.values = np.empty(len(X), dtype=object)
            self.values[:] = list(X)
        self.owner = owner

    def __len__(self):
        return len(self.values)

    def where(self, i):
        """Describe row ``i`` (a position) for an error message."""
        column = f"column {self.name!r}" if self.name is not None else self.owner
        label = self.labels[i]
        if isinstance(label, np.generic):
            label = label.item()  # np.int64(11) -> 11 in the message
        return f"{column}, row {label!r}"

    def check_not_empty(self):
        if len(self) == 0:
            raise ValueError(f"{self.where_all()} is empty: at least one row is needed.")

    def decode(self, decode, what, on_missing="error"):
        """Apply ``decode`` to every value, naming the row of any failure.

        Parameters
        ----------
        decode : callable
            Value -> decoded object; raises :class:`MediaError` on a bad
            value and :class:`MediaTypeError` on a value of the wrong kind.
        what : str
            What a value is ("image", "audio"), for the messages.
        on_missing : {"error", "mask"}
            What None/NaN and files that do not exist give: an error naming
            the row, or None in the output (the sample lacks this modality).
        """
        masking = on_missing == "mask"
        decoded = []
        for i, value in enumerate(self.values):
            if is_missing(value):
                if masking:
                    decoded.append(None)
                    continue
                raise ValueError(
                    f"{self.where(i)}: {what} is missing (None/NaN); drop the "
                    "row, fill it, or pass on_missing='mask' to treat it as absent."
                )
            try:
                decoded.append(decode(value))
            except MissingMediaError as exc:
                if not masking:
                    raise ValueError(f"{self.where(i)}: {exc}") from None
                decoded.append(None)
            except MediaError as exc:
                raise ValueError(f"{self.where(i)}: {exc}") from None
            except MediaTypeError as exc:
                raise TypeError(f"{self.where(i)}: {exc}") from None
        return decoded

    def record_input(self, estimator):
        """Set the sklearn input attributes of a one-column transformer."""
        estimator.n_features_in_ = 1
        if self.name is not None:
            estimator.feature_names_in_ = np.array([self.name], dtype=object)

    def check_some_present(self, decoded, what):
        if all(value is None for value in decoded):
            raise ValueError(f"{self.where_all()}: every {what} is missing; nothing to learn from.")

    def where_all(self):
        return f"column {self.name!r}" if self.name is not None else self.owner


def is_missing(value):
    """True for None, NaN and pandas' NA/NaT (not for empty strings or arrays)."""
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    try:
        return value is pd.NA or value is pd.NaT
    except TypeError:  # pragma: no cover - exotic objects
        return False


def one_column_tags(tags, estimator, string=True):
    """Honest sklearn tags of a transformer that reads one column of values."""
    tags.input_tags.one_d_array = True
    tags.input_tags.two_d_array = False  # one column (a Series), not a matrix
    tags.input_tags.string = string  # text, or media paths
    tags.input_tags.allow_nan = getattr(estimator, "on_missing", "error") == "mask"
    return tags


def row_label(values, position):
    """The label of row ``position`` of ``values`` (its index label, else the position)."""
    index = getattr(values, "index", None)
    if index is None or not hasattr(index, "__getitem__"):
        return int(position)
    label = index[int(position)]
    return label.item() if isinstance(label, np.generic) else label
