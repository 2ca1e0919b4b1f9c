"""Retrieval from embeddings: similarity, ranked gallery rows, recall@1 as ``score``.

Shared by :class:`~skmm.MultimodalEmbedder` and the retrieval baselines of
:mod:`skmm.baselines`: a class gives ``embed(X, side)`` (unit-norm rows) and
gets the rest.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..metrics import recall_at_k


class RetrievalMixin:
    """``similarity``, ``retrieve`` and ``score`` over ``embed(X, side="query"|"target")``."""

    def embed(self, X: Any, side: Literal["query", "target"] = "query") -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def similarity(self, X_query: Any, X_gallery: Any = None) -> np.ndarray:
        """Cosine similarity of each query (``X_query``'s query side) to each gallery row (its target side).

        Parameters
        ----------
        X_query : DataFrame, ModalityDict or array
            The rows whose query side is embedded.
        X_gallery : DataFrame, ModalityDict, array or None, default=None
            The rows whose target side is embedded; None: ``X_query``'s.

        Returns
        -------
        similarity : ndarray of shape (n_queries, n_gallery)
        """
        queries = self.embed(X_query, side="query")
        gallery = self.embed(X_query if X_gallery is None else X_gallery, side="target")
        return queries @ gallery.T

    def retrieve(self, X_query: Any, X_gallery: Any = None, k: int | None = 10) -> np.ndarray:
        """The ``k`` gallery rows nearest each query, best first.

        Parameters
        ----------
        X_query : DataFrame, ModalityDict or array
            Rows whose query side searches.
        X_gallery : DataFrame, ModalityDict, array or None, default=None
            Rows whose target side is searched; None: ``X_query``'s own
            (each row's target among all rows').
        k : int or None, default=10
            Rows returned per query (at most the gallery's size); None ranks
            the whole gallery.

        Returns
        -------
        positions : ndarray of int, shape (n_queries, min(k, n_gallery))
            Row positions in ``X_gallery`` (0-based, whatever its index).
            ``sklearn.metrics.make_scorer(skmm.metrics.recall_at_k,
            response_method=["retrieve"], k=5)`` scores these (``k`` up to
            10, this method's default).
        """
        if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
            raise ValueError(f"k must be a positive int or None, got {k!r}.")
        scores = self.similarity(X_query, X_gallery)
        ranked = np.argsort(-scores, axis=1, kind="stable")
        return ranked if k is None else ranked[:, :k]

    def score(self, X: Any, y: ArrayLike | None = None, sample_weight: ArrayLike | None = None) -> float:
        """Recall@1: the fraction of rows whose query finds their own target first among all rows' targets.

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
        y : array-like of shape (n_samples,) or None, default=None
            Labels: a row's right answers are then every row of its label
            (as when fitted with ``y``). None: only its own target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weight of each query in the mean.

        Returns
        -------
        recall : float
        """
        ranked = self.retrieve(X, X, k=1)
        if sample_weight is None:
            return recall_at_k(y, ranked, k=1)
        relevant = np.eye(len(ranked), dtype=bool) if y is None else np.asarray(y)[:, None] == np.asarray(y)[None]
        hits = np.take_along_axis(relevant, ranked, axis=1)[:, 0]
        return float(np.average(hits, weights=np.asarray(sample_weight, dtype=float)))
