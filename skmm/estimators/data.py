"""X and y on their way into the network: checks, preprocessing, and the one dataset interface.

Every path to the network goes through :func:`fit_dataset` (in ``fit``) or
:func:`predict_dataset` (everywhere else). Both return a torch ``Dataset``
whose batches are ``{modality: {"x", "lengths", "present"}}`` tensors:
:class:`~skmm.data.inputs.ModalityDataset` over arrays decoded up front, or,
with ``lazy=True`` and a raw frame, :class:`~skmm.data.lazy.LazyModalityDataset`
that decodes each batch when it is fetched. Callers never ask which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import Dataset

from ..compose._native_frames import to_pandas
from ..compose.modality_dict import ModalityDict
from ..data.batches import ModalityDataset
from ..data.buckets import step_axes
from ..data.inputs import as_modalities
from ..data.kinds import check_matches, describe
from ..data.lazy import LazyModalityDataset
from ..data.tensors import to_tensors
from ..preprocessing.decode_cache import decode_cache
from ..utils.sklearn_compat import _num_samples
from ..utils.threads import n_rows


def n_features(X) -> int | None:
    """Columns of a DataFrame or 2-D array, modalities of a dict, else None."""
    if isinstance(X, dict) and not sp.issparse(X):  # a DOK matrix is a dict
        return len(X)
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return shape[1]
    return None


def check_X_y(estimator, X, y, reset=True) -> None:
    """sklearn's fit-time checks of X and y.

    ``reset`` records ``feature_names_in_``/``n_features_in_``; otherwise
    (a fit continuing a fitted estimator) X is checked against them.
    """
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None.")
    if reset:
        for attr in ("feature_names_in_", "n_features_in_"):
            estimator.__dict__.pop(attr, None)
        if isinstance(X, pd.DataFrame):
            estimator.feature_names_in_ = np.asarray(X.columns, dtype=object)
        width = n_features(X)
        if width is not None:
            estimator.n_features_in_ = width
    else:
        check_n_features(estimator, X)
    n, n_y = n_rows(X), _num_samples(y)
    if n == 0:
        raise ValueError("X has 0 samples; at least one is needed.")
    if n == 1:
        raise ValueError("n_samples=1: fitting needs at least 2 samples.")
    if n_y != n:
        raise ValueError(f"X has {n} samples but y has {n_y}.")


def check_n_features(estimator, X) -> None:
    """sklearn's check that predict gets as many features as fit did."""
    if estimator.preprocessor is not None or (isinstance(X, dict) and not sp.issparse(X)):
        # The preprocessor picks columns by name (extra ones are ignored),
        # and check_matches names missing modalities: both say more.
        return
    width = n_features(X)
    if width is not None and hasattr(estimator, "n_features_in_") and width != estimator.n_features_in_:
        raise ValueError(
            f"X has {width} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def _check_frame(X) -> None:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"lazy=True takes a DataFrame of paths and text, got {type(X).__name__}.")


def fit_dataset(estimator, X, target, seed) -> Dataset:
    """Fit the preprocessor (a clone, as ``preprocessor_``), learn ``modalities_``; the training dataset."""
    if estimator.preprocessor is not None:
        estimator.preprocessor_ = clone(estimator.preprocessor)
    if not estimator.lazy:
        data = X if estimator.preprocessor is None else estimator.preprocessor_.fit_transform(X)
        data = as_modalities(data)
        estimator.modalities_ = describe(data)
        return _dataset(data, estimator.modalities_, target)
    _check_frame(X)
    rows = np.sort(np.random.RandomState(seed).permutation(len(X))[: estimator.lazy_fit_rows])
    # Vocabulary, image and audio statistics and padded lengths come from
    # this sample, so memory does not depend on the number of rows.
    with decode_cache.paused():
        sample = estimator.preprocessor_.fit_transform(X.iloc[rows])
    estimator.modalities_ = describe(as_modalities(sample))
    return LazyModalityDataset(X, estimator.preprocessor_, estimator.modalities_, target)


def preprocess(estimator, X) -> ModalityDict:
    """X as predict takes it -> the network's input arrays (a ModalityDict already is)."""
    check_is_fitted(estimator, "net_")
    if isinstance(X, ModalityDict):
        return X
    X = to_pandas(X)
    check_n_features(estimator, X)
    if estimator.preprocessor is not None:
        X = estimator.preprocessor_.transform(X)
    return as_modalities(X)


def predict_dataset(estimator, X, target=None) -> Dataset:
    """X through the fitted preprocessor (no refit): lazy over a raw frame when ``lazy=True``, else over arrays.

    What predict runs on, and (with ``target``) what a fit continuing a
    fitted estimator trains on.
    """
    check_is_fitted(estimator, "net_")
    X = to_pandas(X)  # polars and pyarrow frames as pandas (skmm._native_frames)
    if estimator.lazy and not isinstance(X, ModalityDict):
        _check_frame(X)
        return LazyModalityDataset(X, estimator.preprocessor_, estimator.modalities_, target)
    data = as_modalities(preprocess(estimator, X))
    check_matches(data, estimator.modalities_)
    return _dataset(data, estimator.modalities_, target)


def _dataset(data, infos, target) -> ModalityDataset:
    return ModalityDataset(to_tensors(data, infos), target, step_axes(infos))
