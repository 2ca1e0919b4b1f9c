"""From estimator input to per-modality arrays the network reads.

:func:`as_modalities` is the entry: a :class:`~skmm.ModalityDict` (what
:class:`~skmm.ModalityTransformer` returns) keeps the kinds and presence
masks its transformers declared, a plain mapping or array is taken as it is.
The rest of the way lives in one module per step, re-exported here:

* :mod:`skmm.data.kinds`: each modality's kind and shape (``describe``,
  ``check_matches``, :class:`ModalityInfo`);
* :mod:`skmm.data.tensors`: arrays -> ``{"x", "lengths", "present"}`` tensors
  (``to_tensors``, ``without``);
* :mod:`skmm.data.batches`: the Dataset and DataLoader that fetch whole batches.

========  ==========================  ==========================================
kind      array                       conventions
========  ==========================  ==========================================
tokens    int (n, length)             id 0 is padding (TextSequencer's output)
tokenized int (n, 2, length)          ``[:, 0]`` a pretrained model's input ids,
                                      ``[:, 1]`` its attention mask (1 = real
                                      token): PretrainedTokenizer's output
          or (n, length, 1 + K)       each token's id, then its subword ids
frames    float (n, steps, features)  NaN frames are padding (AudioFeaturizer)
image     float (n, C, H, W)
video     float (n, T, C, H, W)       NaN frames are padding (VideoLoader)
vector    float (n, features)
sparse    scipy sparse (n, features)  kept sparse (TfidfVectorizer's output)
========  ==========================  ==========================================

A sample lacks a modality (it is *absent*) where the preprocessor's presence
mask (``ModalityDict.present``) says so; an array that comes without a mask
has its absent rows read off its content (no token, an all-zero attention
mask, all NaN). Every batch entry carries the boolean ``present`` tensor
that the fusions read.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..compose.modality_dict import ModalityDict
from .batches import BatchIndices, ModalityDataset, batch_loader, collate_identity, take_target
from .kinds import KINDS, ModalityInfo, check_matches, describe, kind_of
from .sparse import as_csr
from .tensors import reported_presence, to_tensors, without

__all__ = [
    "KINDS", "BatchIndices", "ModalityDataset", "ModalityInfo", "as_modalities", "batch_loader",
    "check_matches", "collate_identity", "describe", "kind_of", "take_target", "to_tensors", "without",
]


def as_modalities(X):
    """Coerce estimator input to a :class:`~skmm.ModalityDict` of name -> numpy array.

    A Mapping (ModalityTransformer's output) is taken as it is, with the
    kinds and presence masks a ModalityDict carries (the masks checked
    here); a plain 2-D numeric array or numeric DataFrame becomes one vector
    modality "x" with neither.
    """
    if isinstance(X, Mapping) and not sp.issparse(X):  # a DOK matrix is a dict
        if not X:
            raise ValueError("X holds no modality.")
        data = ModalityDict()
        for name, value in X.items():
            if not isinstance(name, str):
                raise TypeError(f"modality names must be strings, got {name!r}.")
            data[name] = (
                as_csr(value, f"modality {name!r}") if sp.issparse(value)
                else _numeric_array(value, f"modality {name!r}")
            )
        # What the transformers declared travels with the arrays.
        data.kinds = {name: kind for name, kind in getattr(X, "kinds", {}).items() if name in data}
        for name, mask in getattr(X, "present", {}).items():
            if name in data:
                data.present[name] = mask
                data.present[name] = reported_presence(data, name)  # checked once, here
        return data
    if isinstance(X, pd.DataFrame):
        duplicated = X.columns[X.columns.duplicated()].unique().tolist()
        if duplicated:
            raise ValueError(f"X has several columns named {duplicated[0]!r}; column names must be unique.")
        non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X.iloc[:, list(X.columns).index(c)])]
        if non_numeric:
            raise TypeError(
                f"columns {non_numeric} are not numeric: give the estimator a "
                "ModalityTransformer (as its first argument or in a Pipeline) "
                "that turns text, image and audio columns into arrays."
            )
    if sp.issparse(X):
        # Sparse features (e.g. a TfidfVectorizer's) stay sparse: the wide part.
        return ModalityDict(x=as_csr(X, "X"))
    if isinstance(X, (str, bytes)) or not (hasattr(X, "__len__") or hasattr(X, "__array__")):
        raise TypeError(f"X must be a DataFrame, a mapping of arrays or an array, got {type(X).__name__}.")
    array = _numeric_array(X, "X")
    if isinstance(X, pd.DataFrame) and array.dtype.kind == "f":
        # Name the column and row label here: later checks only know positions.
        nan = np.isnan(array)
        bad = (nan.any(axis=1) & ~nan.all(axis=1)) | np.isinf(array).any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            column = X.columns[int(np.flatnonzero(~np.isfinite(array[i]))[0])]
            label = X.index[i].item() if isinstance(X.index[i], np.generic) else X.index[i]
            raise ValueError(
                f"column {column!r}, row {label!r}: the value is NaN or infinite; impute it or drop the row."
            )
    if array.ndim != 2:
        raise ValueError(
            f"an array X must be 2-D (samples, features), got shape {array.shape}. "
            "Reshape your data with X.reshape(-1, 1) for one feature or "
            "X.reshape(1, -1) for one sample."
        )
    return ModalityDict(x=array)


def _numeric_array(value, what):
    """np.asarray, densifying sparse matrices and casting numbers held as objects."""
    if sp.issparse(value):
        value = value.toarray()
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise ValueError(f"{what}: Complex data not supported.")
    if array.dtype == object:
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{what} holds objects that are not numbers (e.g. strings or "
                "paths): give the estimator a ModalityTransformer that turns "
                f"them into arrays ({exc})."
            ) from None
    return array
