"""One modality's transformer output: checked, normalised, with its presence mask and kind.

The one place where :class:`~skmm.ModalityTransformer` learns which samples
have a modality: a transformer that reports it (``transform_with_presence``,
see :class:`~skmm.preprocessing.PresenceMixin`) says so row by row; for any
other, a float row that is entirely NaN (a NaN numeric cell passed through,
or kept NaN by a scaler) is absent, a sparse row is present, and other
outputs (integer ids of a custom tokenizer) are left for the network to
read as a plain array. The kind is the transformer's ``output_kind`` when
it declares one ("vector" for ``"passthrough"``, "sparse" for sparse output).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._frame_columns import apply_step, is_bad_number, label_of, passthrough


def modality_output(name, trans, data, n_rows, *, fit, y=None):
    """``(array, present or None, kind or None)``: ``trans`` (fitted here when ``fit``) applied to ``data``."""
    present, kind = None, getattr(trans, "output_kind", None)
    if trans == "passthrough":
        result, kind = passthrough(name, data), "vector"
    elif hasattr(trans, "transform_with_presence"):
        step = (lambda d: trans.fit_transform_with_presence(d, y)) if fit else trans.transform_with_presence
        result, present = apply_step(name, data, step)
    else:
        result = apply_step(name, data, (lambda d: trans.fit_transform(d, y)) if fit else trans.transform)
    array = as_modality_array(name, result, n_rows)
    check_numeric_rows(name, array, data)
    if present is None:
        present = _unreported_presence(array)
    else:
        present = np.asarray(present)
        if present.dtype != np.bool_ or present.shape != (n_rows,):
            raise ValueError(
                f"modality {name!r}: its transformer reported presence of dtype {present.dtype} and "
                f"shape {present.shape}; expected a bool array of shape ({n_rows},)."
            )
    if kind is None and sp.issparse(array):
        kind = "sparse"
    return array, present, kind


def _unreported_presence(array):
    """Presence of an output whose transformer reports none (see the module's docstring)."""
    if sp.issparse(array):
        return np.ones(array.shape[0], dtype=bool)
    if array.dtype.kind != "f":
        return None
    return ~np.isnan(array.reshape(len(array), -1)).all(axis=1)


def as_modality_array(name, out, n_rows):
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


def check_numeric_rows(name, out, data):
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
    culprits = [c for c in frame.columns if is_bad_number(values[c])] or list(frame.columns)
    problem = "infinite" if np.isinf(out[position]).any() else "NaN (missing)"
    raise ValueError(
        f"modality {name!r}: column {culprits[0]!r}, row {label_of(data.index[position])!r}: the value "
        f"is {problem}; impute it (e.g. SimpleImputer) or drop the row."
    )
