"""ModalityTransformer: route DataFrame columns to per-modality transformers."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import TransformerMixin, clone
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import check_is_fitted

from .modality_dict import ModalityDict


def _as_frame(X, when):
    if isinstance(X, pd.DataFrame):
        frame = X
    elif isinstance(X, Mapping):
        frame = pd.DataFrame(dict(X))
    else:
        raise TypeError(
            f"ModalityTransformer.{when} takes a pandas DataFrame (columns of text, "
            f"media paths, numbers), got {type(X).__name__}."
        )
    if len(frame) == 0:
        raise ValueError(f"ModalityTransformer.{when} got an empty frame (0 rows).")
    return frame


def _selected(frame, name, columns, when, fitted_columns=None):
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


def _label(label):
    return label.item() if isinstance(label, np.generic) else label


def _first_non_number(data):
    """(column, row label, value) of the first cell that is not a number, or None."""
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        for label, value in values.items():
            try:
                float(value)
            except (TypeError, ValueError):
                return column, _label(label), value
    return None


def _first_non_finite(data):
    """(column, row label, value) of the first NaN or infinite number, or None."""
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    for column in frame.columns:
        for label, value in frame[column].items():
            if _is_bad_number(value):
                return column, _label(label), value
    return None


def _explain_non_numbers(name, data, exc):
    """Re-raise a transformer's input error naming the column, row label and value."""
    message = str(exc).lower()
    if not isinstance(data, (pd.Series, pd.DataFrame)) or ", row " in message:
        return  # skmm's preprocessors name the column and row themselves
    if "convert" in message:
        found = _first_non_number(data)
        if found is not None:
            column, label, value = found
            raise ValueError(
                f"modality {name!r}: column {column!r}, row {label!r}: {value!r} is not a number "
                "(write decimals with a point, or convert the column with pd.to_numeric first)."
            ) from exc
    if "infinity" in message or "nan" in message:
        found = _first_non_finite(data)
        if found is not None:
            column, label, value = found
            problem = "NaN (missing)" if value != value else "infinite"
            raise ValueError(
                f"modality {name!r}: column {column!r}, row {label!r}: the value is {problem}; "
                "impute it (e.g. SimpleImputer) or drop the row."
            ) from exc


def _check_numeric_rows(name, out, data):
    """Name the column and row label of NaN or infinity in a vector modality.

    A row with every value NaN is a sample lacking the modality; a row with
    some NaN, or any infinity, cannot be encoded.
    """
    if sp.issparse(out) or out.ndim != 2 or out.dtype.kind != "f" or not isinstance(data, (pd.Series, pd.DataFrame)):
        return  # a sparse modality's values are checked when it becomes tensors
    nan = np.isnan(out)
    bad = (nan.any(axis=1) & ~nan.all(axis=1)) | np.isinf(out).any(axis=1)
    if not bad.any():
        return
    position = int(np.flatnonzero(bad)[0])
    row = data.iloc[[position]]
    frame = row.to_frame() if isinstance(row, pd.Series) else row
    values = frame.iloc[0]
    culprits = [c for c in frame.columns if _is_bad_number(values[c])] or list(frame.columns)
    problem = "infinite" if np.isinf(out[position]).any() else "NaN (missing)"
    raise ValueError(
        f"modality {name!r}: column {culprits[0]!r}, row {_label(data.index[position])!r}: the value "
        f"is {problem}; impute it (e.g. SimpleImputer) or drop the row."
    )


def _is_bad_number(value):
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _passthrough(name, data):
    try:
        values = np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError):
        found = _first_non_number(data) if isinstance(data, (pd.Series, pd.DataFrame)) else None
        where = f": column {found[0]!r}, row {found[1]!r} holds {found[2]!r}" if found else ""
        raise TypeError(
            f"modality {name!r} is 'passthrough' but its columns are not all "
            f"numeric{where}; give it a transformer."
        ) from None
    return values.reshape(len(values), -1)


def _apply(name, data, call):
    """Run a transformer step, naming the cell behind a conversion error."""
    try:
        return call(data)
    except (TypeError, ValueError) as exc:
        _explain_non_numbers(name, data, exc)
        raise


def _as_modality_array(name, out, n_rows):
    """Normalise one transformer's output to an array of n_rows rows.

    Sparse output (e.g. a TfidfVectorizer's) stays sparse, as float32 CSR:
    the estimator feeds it to a sparse linear "wide" encoder.
    """
    if sp.issparse(out):
        if out.shape[0] != n_rows:
            raise ValueError(
                f"modality {name!r}: its transformer returned {out.shape[0]} rows "
                f"for {n_rows} input rows."
            )
        return sp.csr_matrix(out, dtype=np.float32)
    out = np.asarray(out)
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    if out.shape[0] != n_rows:
        raise ValueError(
            f"modality {name!r}: its transformer returned {out.shape[0]} rows "
            f"for {n_rows} input rows."
        )
    if out.dtype == object:
        raise TypeError(
            f"modality {name!r}: its transformer returned objects (dtype=object), "
            "not numbers; use a transformer that outputs numeric arrays."
        )
    if np.issubdtype(out.dtype, np.floating) or out.dtype == np.bool_:
        out = out.astype(np.float32, copy=False)
    return out


class ModalityTransformer(TransformerMixin, _BaseComposition):
    """Apply one transformer per modality and keep the outputs apart.

    Like :class:`~sklearn.compose.ColumnTransformer`, it takes
    ``(name, transformer, columns)`` triples and exposes nested parameters
    (``text__max_len``), but instead of stacking the outputs side by side it
    returns a :class:`ModalityDict` of name -> array, each keeping its shape
    (token ids, images, frames, vectors) for the modality's own encoder.

    Parameters
    ----------
    transformers : list of (name, transformer, columns) tuples
        ``columns`` is one column name (the transformer gets a Series) or a
        list of names (it gets a DataFrame). ``transformer`` is any sklearn
        transformer, ``"passthrough"`` (numeric columns as float32) or
        ``"drop"``. Any transformer returning a 2-D float array (e.g.
        ``StandardScaler``) becomes a vector modality.
    verbose : bool, default=False
        Print the time each modality takes to fit.

    Attributes
    ----------
    transformers_ : list of (name, fitted transformer, columns)
        The fitted transformers (clones of the given ones).
    feature_names_in_ : ndarray of str
        Columns of the frame seen in ``fit``.
    n_features_in_ : int
        Number of those columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm import ModalityTransformer
    >>> from skmm.preprocessing import TextSequencer
    >>> X = pd.DataFrame({"review": ["good", "bad film"], "age": [20, 40], "price": [1.0, 3.0]})
    >>> prep = ModalityTransformer([
    ...     ("text", TextSequencer(max_len=3), "review"),
    ...     ("numbers", StandardScaler(), ["age", "price"]),
    ... ])
    >>> out = prep.fit_transform(X)
    >>> out["text"].shape, out["numbers"].shape  # text: 3 tokens, each with its subword ids
    ((2, 3, 25), (2, 2))
    >>> prep.set_params(text__max_len=5).fit_transform(X)["text"].shape
    (2, 5, 25)
    """

    def __init__(self, transformers, *, verbose=False):
        self.transformers = transformers
        self.verbose = verbose

    # As in sklearn's ColumnTransformer: get/set_params must not validate
    # ``transformers`` (that happens in fit), so a value that is not a list
    # of triples passes through unchanged.
    @property
    def _transformers(self):
        try:
            return [(name, trans) for name, trans, _ in self.transformers]
        except (TypeError, ValueError):
            return self.transformers

    @_transformers.setter
    def _transformers(self, value):
        try:
            self.transformers = [
                (name, trans, columns)
                for ((name, trans), (_, _, columns)) in zip(value, self.transformers)
            ]
        except (TypeError, ValueError):
            self.transformers = value

    def get_params(self, deep=True):
        """Parameters, including ``<name>__<param>`` of each transformer."""
        return self._get_params("_transformers", deep=deep)

    def set_params(self, **params):
        """Set parameters, including ``<name>__<param>`` of each transformer."""
        self._set_params("_transformers", **params)
        return self

    def _check_transformers(self):
        if not isinstance(self.transformers, (list, tuple)) or not self.transformers:
            raise ValueError("transformers must be a non-empty list of (name, transformer, columns).")
        for entry in self.transformers:
            if not isinstance(entry, tuple) or len(entry) != 3:
                raise ValueError(
                    f"each transformer must be a (name, transformer, columns) tuple, got {entry!r}."
                )
            name, trans, columns = entry
            if not isinstance(name, str) or not name or "__" in name:
                raise ValueError(f"modality names must be non-empty strings without '__', got {name!r}.")
            if not (isinstance(columns, str) or (
                isinstance(columns, (list, tuple)) and columns
                and all(isinstance(c, str) for c in columns)
            )):
                raise ValueError(
                    f"modality {name!r}: columns must be a column name or a non-empty "
                    f"list of names, got {columns!r}."
                )
            if trans not in ("passthrough", "drop") and not (
                hasattr(trans, "fit") and hasattr(trans, "transform")
            ):
                raise TypeError(
                    f"modality {name!r}: {trans!r} is not a transformer (needs fit and "
                    "transform), 'passthrough' or 'drop'."
                )
        self._validate_names([name for name, _, _ in self.transformers])

    def fit(self, X, y=None):
        """Fit every modality's transformer on its columns.

        Parameters
        ----------
        X : DataFrame
            Input frame; columns not named by any transformer are ignored.
        y : array-like, optional
            Passed to each transformer's ``fit``.

        Returns
        -------
        self : ModalityTransformer
        """
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None):
        """Fit every transformer and return its output on ``X``.

        Returns
        -------
        Xt : ModalityDict
            Modality name -> array with one row per row of ``X``.
        """
        self._check_transformers()
        frame = _as_frame(X, "fit")
        fitted, out = [], ModalityDict()
        for name, trans, columns in self.transformers:
            if trans == "drop":
                continue
            data = _selected(frame, name, columns, "fit")
            start = time.perf_counter()
            if trans == "passthrough":
                fitted.append((name, trans, columns))
                result = _passthrough(name, data)
            else:
                est = clone(trans)
                result = _apply(name, data, lambda d: est.fit_transform(d, y))
                fitted.append((name, est, columns))
            out[name] = _as_modality_array(name, result, len(frame))
            _check_numeric_rows(name, out[name], data)
            if self.verbose:
                print(f"[ModalityTransformer] {name}: fitted in {time.perf_counter() - start:.1f}s")
        self.transformers_ = fitted
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return out

    def transform(self, X):
        """Transform each modality's columns with its fitted transformer.

        Parameters
        ----------
        X : DataFrame
            Must hold every column used in ``fit`` (in any order).

        Returns
        -------
        Xt : ModalityDict
            Modality name -> array with one row per row of ``X``.
        """
        check_is_fitted(self, "transformers_")
        frame = _as_frame(X, "transform")
        out = ModalityDict()
        for name, trans, columns in self.transformers_:
            data = _selected(frame, name, columns, "transform", self.feature_names_in_)
            result = _passthrough(name, data) if trans == "passthrough" else _apply(name, data, trans.transform)
            out[name] = _as_modality_array(name, result, len(frame))
            _check_numeric_rows(name, out[name], data)
        return out

    @property
    def named_transformers_(self):
        """Fitted transformers by modality name."""
        check_is_fitted(self, "transformers_")
        return {name: trans for name, trans, _ in self.transformers_}
