"""Retrieval metrics, and scorers for model selection.

:func:`recall_at_k` scores ranked gallery positions (what an estimator's
``retrieve`` returns); :func:`recall_scorer` makes a scorer of it for
``GridSearchCV(scoring=...)`` or ``cross_val_score``, over any estimator with
``retrieve(X_query, X_gallery, k=...)`` (:class:`~skmm.MultimodalEmbedder`,
the retrieval baselines of :mod:`skmm.baselines`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["recall_at_k", "recall_scorer", "relevance"]


def relevance(y_true: ArrayLike | None, n_queries: int, n_gallery: int,
              gallery_labels: ArrayLike | None = None) -> np.ndarray:
    """Which gallery rows are right for each query: a bool ``(n_queries, n_gallery)`` array.

    Parameters
    ----------
    y_true : None, array-like of shape (n_queries,) or (n_queries, n_gallery)
        None: the queries and the gallery are the same rows, and row ``i``'s
        one right answer is gallery row ``i``. 1-D: a label per query; a
        gallery row is right when its label (``gallery_labels``, else
        ``y_true`` itself: the same rows) is the query's. 2-D: the relevance
        itself (bool or 0/1).
    n_queries, n_gallery : int
    gallery_labels : array-like of shape (n_gallery,) or None, default=None

    Returns
    -------
    relevant : ndarray of bool, shape (n_queries, n_gallery)

    Examples
    --------
    >>> from skmm.metrics import relevance
    >>> relevance(["cat", "dog"], 2, 3, gallery_labels=["dog", "cat", "cat"]).astype(int).tolist()
    [[0, 1, 1], [1, 0, 0]]
    """
    if y_true is None:
        if n_queries != n_gallery:
            raise ValueError(
                f"y_true=None means query i matches gallery row i, but there are {n_queries} queries "
                f"and {n_gallery} gallery rows; pass labels or a relevance matrix."
            )
        return np.eye(n_queries, dtype=bool)
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] != 1:
        if y.shape != (n_queries, n_gallery):
            raise ValueError(f"a relevance matrix must have shape {(n_queries, n_gallery)}, got {y.shape}.")
        return y.astype(bool)
    y = y.reshape(-1)
    gallery = y if gallery_labels is None else np.asarray(gallery_labels).reshape(-1)
    if len(y) != n_queries or len(gallery) != n_gallery:
        raise ValueError(
            f"labels: {len(y)} for {n_queries} queries and {len(gallery)} for {n_gallery} gallery rows."
        )
    return y[:, None] == gallery[None, :]


def recall_at_k(y_true: ArrayLike | None, y_pred: ArrayLike, *, k: int = 1,
                gallery_labels: ArrayLike | None = None, n_gallery: int | None = None) -> float:
    """Fraction of queries with a right gallery row among their top ``k``.

    Parameters
    ----------
    y_true : None or array-like
        Which gallery rows are right for each query; see :func:`relevance`
        (None: the queries and the gallery are the same rows, query ``i``'s
        answer is row ``i``).
    y_pred : array-like of int, shape (n_queries, >= k)
        Gallery row positions, best first (``retrieve``'s output).
    k : int, default=1
    gallery_labels : array-like or None, default=None
        Labels of the gallery rows when they are not the queries' rows.
    n_gallery : int or None, default=None
        Rows in the gallery (None: the queries' count, or the labels').

    Returns
    -------
    recall : float

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.metrics import recall_at_k
    >>> ranked = np.array([[0, 2], [2, 0], [1, 2]])  # each query's two best gallery rows
    >>> recall_at_k(None, ranked, k=1), recall_at_k(None, ranked, k=2)
    (0.3333333333333333, 0.6666666666666666)
    >>> recall_at_k(["a", "b", "b"], ranked, k=1)  # rows 1 and 2 share a label
    1.0
    """
    ranked = np.asarray(y_pred)
    if ranked.ndim != 2 or ranked.dtype.kind not in "iu":
        raise ValueError(f"y_pred must be a 2-D array of gallery positions, got {ranked.dtype} {ranked.shape}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}.")
    if ranked.shape[1] < k:
        raise ValueError(f"y_pred ranks {ranked.shape[1]} gallery rows per query; recall@{k} needs {k}.")
    if n_gallery is None:
        n_gallery = len(ranked) if gallery_labels is None else len(np.asarray(gallery_labels))
        if y_true is not None and np.ndim(y_true) == 2 and np.shape(y_true)[1] != 1:
            n_gallery = np.shape(y_true)[1]
    relevant = relevance(y_true, len(ranked), n_gallery, gallery_labels)
    top = ranked[:, :k]
    return float(np.take_along_axis(relevant, top, axis=1).any(axis=1).mean())


def _recall_score(estimator: Any, X: Any, y: ArrayLike | None = None, *, k: int = 1) -> float:
    return recall_at_k(y, estimator.retrieve(X, X, k=k), k=k)


def recall_scorer(k: int = 1) -> Callable[..., float]:
    """A scorer ``(estimator, X, y=None) -> recall@k`` of X's queries against X's targets.

    For ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV`,
    :func:`~sklearn.model_selection.cross_val_score` and the like; ``y``
    (the labels the search passes on, when fitted with them) makes rows of
    one label each other's right answers. Picklable, so it runs in
    joblib's worker processes.

    Parameters
    ----------
    k : int, default=1

    Returns
    -------
    scorer : callable

    Examples
    --------
    >>> from skmm.metrics import recall_scorer
    >>> scorer = recall_scorer(5)
    >>> scorer.keywords
    {'k': 5}
    """
    return partial(_recall_score, k=k)
