"""Batch inference over Dask DataFrames (``pip install skmm[dask]``).

Grid search needs nothing from skmm: skmm estimators pickle, so
``GridSearchCV`` runs on a ``dask.distributed`` cluster through joblib's
Dask backend (``with joblib.parallel_backend("dask"): search.fit(X, y)``).
Media paths must resolve on every worker (shared storage, or the same
paths on each machine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .utils.types import Estimator

if TYPE_CHECKING:
    import dask.dataframe

__all__ = ["predict_dask"]


def _predict_partition(part, estimator, method, columns):
    out = getattr(estimator, method)(part) if len(part) else np.empty((0, len(columns)))
    out = np.asarray(out)
    return pd.DataFrame(out.reshape(len(part), -1), index=part.index, columns=columns)


def predict_dask(
    estimator: Estimator, ddf: dask.dataframe.DataFrame, method: Literal["predict", "predict_proba"] = "predict"
) -> dask.dataframe.DataFrame:
    """Predict a Dask DataFrame of media paths partition by partition.

    The fitted estimator is put into the task graph once (not once per
    partition) and each partition is predicted where it lives.

    Parameters
    ----------
    estimator : fitted skmm estimator or Pipeline ending in one
    ddf : dask.dataframe.DataFrame
        The same columns as the frame the estimator was fitted on.
    method : {"predict", "predict_proba"}, default="predict"

    Returns
    -------
    result : dask.dataframe.DataFrame
        One column ``"prediction"`` for ``predict``; one column per class
        for ``predict_proba``. Call ``.compute()`` to get a pandas frame.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import dask.dataframe as dd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skmm.dask import predict_dask
    >>> X = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) % 3})
    >>> model = LogisticRegression().fit(X, np.arange(10) > 4)
    >>> out = predict_dask(model, dd.from_pandas(X, npartitions=3)).compute()
    >>> bool((out["prediction"].to_numpy() == model.predict(X)).all())
    True
    """
    import dask

    if method not in ("predict", "predict_proba"):
        raise ValueError(f"method must be 'predict' or 'predict_proba', got {method!r}.")
    if method == "predict":
        columns = ["prediction"]
        dtype = np.asarray(estimator.predict(ddf.head(1))).dtype if len(ddf.head(1)) else float
    else:
        columns = [str(c) for c in estimator.classes_]
        dtype = float
    meta = pd.DataFrame({c: pd.Series(dtype=dtype) for c in columns})
    shared = dask.delayed(estimator, pure=True)  # one copy in the graph, shared by partitions
    return ddf.map_partitions(_predict_partition, shared, method, columns, meta=meta)
