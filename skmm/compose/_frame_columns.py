"""Reading a modality's columns from the input frame, and naming the cell behind a bad value.

:class:`~skmm.ModalityTransformer` picks each modality's columns here and
runs its transformer through :func:`apply_step`, so that a conversion error
deep in a scikit-learn transformer comes back naming the column, the row
label and the value.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._columns import is_missing
from ._native_frames import to_pandas


def as_frame(X, when):
    X = to_pandas(X)  # polars, pyarrow, Arrow-stream and narwhals frames: media columns not copied
    if isinstance(X, pd.DataFrame):
        frame = X
    elif isinstance(X, Mapping):
        frame = pd.DataFrame(dict(X))
    else:
        raise TypeError(
            f"ModalityTransformer.{when} takes a pandas DataFrame, a polars DataFrame or a pyarrow "
            f"Table (columns of text, media, numbers), got {type(X).__name__}."
        )
    if len(frame) == 0:
        raise ValueError(f"ModalityTransformer.{when} got an empty frame (0 rows).")
    return frame


def selected(frame, name, columns, when, fitted_columns=None):
    """``frame[columns]``: a Series for one column name, a DataFrame for a list."""
    wanted = [columns] if isinstance(columns, str) else list(columns)
    for column in wanted:
        if wanted.count(column) > 1:
            raise ValueError(f"modality {name!r}: column {column!r} is listed twice in its columns.")
        if (frame.columns == column).sum() > 1:
            raise ValueError(
                f"modality {name!r}: X has {(frame.columns == column).sum()} columns named "
                f"{column!r} at {when}; column names must be unique (rename or drop the copies)."
            )
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        seen = fitted_columns if fitted_columns is not None else list(frame.columns)
        raise ValueError(
            f"modality {name!r}: column(s) {missing} not found in X at {when}; "
            f"X has columns {list(frame.columns)}"
            + (f" (fitted with {list(seen)})" if fitted_columns is not None else "")
            + "."
        )
    return frame[columns] if isinstance(columns, str) else frame[wanted]


def label_of(label):
    return label.item() if isinstance(label, np.generic) else label


def first_non_number(data):
    """(column, row label, value) of the first cell that is neither a number nor missing, or None."""
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        for label, value in values.items():
            if is_missing(value):
                continue
            try:
                float(value)
            except (TypeError, ValueError):
                return column, label_of(label), value
    return None


def first_non_finite(data):
    """(column, row label, value) of the first NaN or infinite number, or None."""
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    for column in frame.columns:
        for label, value in frame[column].items():
            if is_bad_number(value):
                return column, label_of(label), value
    return None


def explain_non_numbers(name, data, exc):
    """Re-raise a transformer's input error naming the column, row label and value."""
    message = str(exc).lower()
    if not isinstance(data, (pd.Series, pd.DataFrame)) or ", row " in message:
        return  # skmm's preprocessors name the column and row themselves
    if "convert" in message:
        found = first_non_number(data)
        if found is not None:
            column, label, value = found
            raise ValueError(
                f"modality {name!r}: column {column!r}, row {label!r}: {value!r} is not a number "
                "(write decimals with a point, or convert the column with pd.to_numeric first)."
            ) from exc
    if "infinity" in message or "nan" in message:
        found = first_non_finite(data)
        if found is not None:
            column, label, value = found
            problem = "NaN (missing)" if value != value else "infinite"
            raise ValueError(
                f"modality {name!r}: column {column!r}, row {label!r}: the value is {problem}; "
                "impute it (e.g. SimpleImputer) or drop the row."
            ) from exc


def is_bad_number(value):
    """A missing (None, NaN, pandas' NA) or infinite cell."""
    if is_missing(value):
        return True
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def passthrough(name, data):
    """Numeric columns as float32 ``(n, k)``; a missing cell (None, NaN, pandas' NA) becomes NaN."""
    try:
        if isinstance(data, (pd.Series, pd.DataFrame)):
            # Nullable dtypes (Int64, Float64) hold pd.NA, which np.asarray cannot cast.
            values = data.to_numpy(dtype=np.float32, na_value=np.nan)
        else:
            values = np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError):
        found = first_non_number(data) if isinstance(data, (pd.Series, pd.DataFrame)) else None
        where = f": column {found[0]!r}, row {found[1]!r} holds {found[2]!r}" if found else ""
        raise TypeError(
            f"modality {name!r} is 'passthrough' but its columns are not all "
            f"numeric{where}; give it a transformer."
        ) from None
    return values.reshape(len(values), -1)


def apply_step(name, data, call):
    """Run a transformer step, naming the cell behind a conversion error."""
    try:
        return call(data)
    except (TypeError, ValueError) as exc:
        explain_non_numbers(name, data, exc)
        raise
