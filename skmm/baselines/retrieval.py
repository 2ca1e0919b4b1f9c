"""Linear cross-modal retrieval: CCA or PLS between two sides' classical features.

Each side's columns become features as :func:`~skmm.baselines.make_baseline`'s
do (TF-IDF, pooled pixels, MFCC statistics, scaled numbers), reduced to at
most ``n_features`` dimensions by a truncated SVD; then regularised CCA (or
PLS, the SVD of the cross-covariance) maps both into ``n_components``
dimensions where matching rows correlate. Rows are compared by cosine, as
:class:`~skmm.MultimodalEmbedder` compares its embeddings, through the same
``embed`` / ``similarity`` / ``retrieve`` / ``score``.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ..estimators.retrieval import RetrievalMixin
from ..utils.sklearn_compat import Interval, StrOptions, _fit_context
from .features import MFCCStats, PooledPixels, text_features

#: The kinds a column may be, and the featuriser of each.
KINDS = ("text", "image", "audio", "numeric")


def _featurizer(kind: str):
    if kind == "text":
        return text_features()
    if kind == "image":
        return make_pipeline(PooledPixels(), StandardScaler())
    if kind == "audio":
        return make_pipeline(MFCCStats(), StandardScaler())
    if kind == "numeric":
        return StandardScaler()
    raise ValueError(f"a column's kind must be one of {KINDS}, got {kind!r}.")


def side_features(columns: dict[str, str] | None, n_features: int, seed: int):
    """Column name -> kind, as one featuriser reduced to ``n_features`` dimensions."""
    if not isinstance(columns, dict) or not columns:
        raise ValueError(f"a side must be a non-empty dict of column name -> kind, got {columns!r}.")
    parts = [(f"{kind}_{i}", _featurizer(kind), [name] if kind == "numeric" else name)
             for i, (name, kind) in enumerate(columns.items())]
    return make_pipeline(ColumnTransformer(parts), _Reduce(n_features, seed))


class _Reduce(TransformerMixin, BaseEstimator):
    """A truncated SVD to at most ``n`` dimensions (fewer when the features are fewer)."""

    def __init__(self, n: int = 128, seed: int = 0) -> None:
        self.n = n
        self.seed = seed

    def fit_transform(self, X, y=None):
        width = min(self.n, X.shape[1] - 1, X.shape[0] - 1)
        self.svd_ = None if width < 1 or X.shape[1] <= self.n else TruncatedSVD(width, random_state=self.seed)
        return np.asarray(X.todense() if hasattr(X, "todense") else X) if self.svd_ is None else \
            self.svd_.fit_transform(X)

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def transform(self, X):
        return np.asarray(X.todense() if hasattr(X, "todense") else X) if self.svd_ is None else \
            self.svd_.transform(X)


def _inverse_sqrt(c: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(c)
    return (vectors / np.sqrt(np.clip(values, 1e-12, None))) @ vectors.T


class LinearRetrieval(RetrievalMixin, BaseEstimator):
    """Cross-modal retrieval by CCA or PLS over TF-IDF, pixel and MFCC features.

    The classical baseline of :class:`~skmm.MultimodalEmbedder`, with its
    ``embed``, ``similarity``, ``retrieve`` and ``score`` (recall@1), so both
    sit in one :class:`~sklearn.model_selection.GridSearchCV`.

    Parameters
    ----------
    query : dict of str -> str, default=None
        The query side's columns: column name -> ``"text"``, ``"image"``,
        ``"audio"`` or ``"numeric"``; required.
    target : dict of str -> str, default=None
        The target side's, likewise; required.
    method : {"cca", "pls"}, default="cca"
        Regularised CCA (whitened cross-covariance) or PLS (the raw one).
    n_components : int, default=32
        Dimensions of the shared space.
    n_features : int, default=128
        Each side's features are reduced to at most this many by a
        truncated SVD first.
    reg : float, default=0.1
        CCA's ridge on each side's covariance, relative to its mean
        variance (0: plain CCA, which overfits once features approach rows).
    random_state : int, default=0
        Seeds the truncated SVD.

    Attributes
    ----------
    query_features_, target_features_ : Pipeline
        Each side's fitted featuriser.
    query_weights_, target_weights_ : ndarray of shape (n_features_side, n_components)
    correlations_ : ndarray of shape (n_components,)
        The canonical correlations (CCA) or singular values (PLS) on the
        training rows.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skmm.baselines import LinearRetrieval
    >>> rng = np.random.RandomState(0)
    >>> z = rng.normal(size=(100, 3))
    >>> X = pd.DataFrame(np.c_[z @ rng.normal(size=(3, 4)), z @ rng.normal(size=(3, 5))],
    ...                  columns=[f"a{i}" for i in range(4)] + [f"b{i}" for i in range(5)])
    >>> cca = LinearRetrieval(query={f"a{i}": "numeric" for i in range(4)},
    ...                       target={f"b{i}": "numeric" for i in range(5)}, n_components=3).fit(X)
    >>> cca.retrieve(X, k=3).shape, cca.score(X) > 0.5
    ((100, 3), True)
    """

    _parameter_constraints: dict = {
        "query": [dict, None],
        "target": [dict, None],
        "method": [StrOptions({"cca", "pls"})],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, query: dict[str, str] | None = None, target: dict[str, str] | None = None, *,
                 method: Literal["cca", "pls"] = "cca", n_components: int = 32, n_features: int = 128,
                 reg: float = 0.1, random_state: int = 0) -> None:
        self.query = query
        self.target = target
        self.method = method
        self.n_components = n_components
        self.n_features = n_features
        self.reg = reg
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: ArrayLike | None = None) -> LinearRetrieval:
        """Fit both sides' features and the shared space on matching rows of X.

        Parameters
        ----------
        X : DataFrame
            Rows whose query and target columns match.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        seed = int(self.random_state) if isinstance(self.random_state, Integral) else 0
        self.query_features_ = side_features(self.query, self.n_features, seed)
        self.target_features_ = side_features(self.target, self.n_features, seed)
        fq = self.query_features_.fit_transform(X)
        ft = self.target_features_.fit_transform(X)
        self.query_mean_, self.target_mean_ = fq.mean(0), ft.mean(0)
        fq, ft = fq - self.query_mean_, ft - self.target_mean_
        n = len(fq)
        cross = fq.T @ ft / n
        if self.method == "cca":
            wq, wt = (_inverse_sqrt(f.T @ f / n + self.reg * np.mean(np.var(f, 0)) * np.eye(f.shape[1]))
                      for f in (fq, ft))
            u, s, vt = np.linalg.svd(wq @ cross @ wt)
            wq, wt = wq @ u, wt @ vt.T
        else:
            wq, s, vt = np.linalg.svd(cross)
            wt = vt.T
        d = min(self.n_components, len(s))
        self.query_weights_, self.target_weights_ = wq[:, :d], wt[:, :d]
        self.correlations_ = s[:d]
        return self

    def embed(self, X: Any, side: Literal["query", "target"] = "query") -> np.ndarray:
        """One side's rows in the shared space, unit-norm.

        Parameters
        ----------
        X : DataFrame
        side : {"query", "target"}, default="query"

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self, "query_weights_")
        if side not in ("query", "target"):
            raise ValueError(f'side must be "query" or "target", got {side!r}.')
        features = getattr(self, f"{side}_features_").transform(X) - getattr(self, f"{side}_mean_")
        # Each direction weighed by its correlation: the strongly shared ones count most.
        z = features @ getattr(self, f"{side}_weights_") * np.sqrt(self.correlations_)
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
