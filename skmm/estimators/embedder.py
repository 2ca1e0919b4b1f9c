"""MultimodalEmbedder: two towers trained with a contrastive loss, for cross-modal retrieval."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import ArrayLike

from ..compose._native_frames import to_pandas
from ..nn.towers import SymmetricInfoNCE, TwoTowers
from ..persistence.config import NETWORK
from ..utils.docstrings import fill_doc
from ..utils.sklearn_compat import Interval
from ..utils.spec_params import POSITIVE_INT
from ..utils.threads import n_rows, scoped
from ..utils.types import Estimator, ModalityInput, SampleWeight
from .base import BaseMultimodal
from .network import build_network
from .params import derived_signature, refuse_dropped
from .retrieval import RetrievalMixin

#: Shared parameters that do not apply: one loss, no per-modality heads to balance.
DROPPED = ("balance", "task_weights")


def _names(value, what):
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{what} must name a modality or a non-empty list of modalities, got {value!r}.")
    return names


def resolve_sides(query, target, modalities) -> tuple[list[str], list[str]]:
    """The query's and the target's modalities: as named, else the others; one modality serves both."""
    query, target = _names(query, "query"), _names(target, "target")
    names = list(modalities)
    for what, chosen in (("query", query), ("target", target)):
        unknown = sorted(set(chosen or ()) - set(names))
        if unknown:
            raise ValueError(f"{what} names modalities {unknown} that X does not have; it has {sorted(names)}.")
    if query is None and target is None:
        if len(names) != 1:
            raise ValueError(
                f"X has modalities {sorted(names)}: name the query's and the target's "
                '(e.g. query="audio", target=["image", "text"]).'
            )
        return names, names  # one modality: each side its own encoder of it
    if query is None:
        query = [n for n in names if n not in target]
    if target is None:
        target = [n for n in names if n not in query]
    if not query or not target:
        raise ValueError(f"query={query!r} and target={target!r} leave one side without a modality.")
    return query, target


class MultimodalEmbedder(RetrievalMixin, BaseMultimodal):
    """Cross-modal retrieval: a query network and a target network trained so that matching rows embed close.

    ``query`` and ``target`` name modalities of the same row (a unit's sound;
    its sprite and description). Each side has one encoder per modality, a
    fusion and a head projecting to ``embedding_dim``, L2-normalised. The
    two are trained with CLIP's symmetric contrastive loss (InfoNCE): in
    each batch a row's query must pick its own target among the batch's
    targets, and its target its own query. ``fit(X, y)`` with labels makes
    rows of one label each other's positives (supervised contrastive
    learning: several captions of one image, several rows of one item).

    Parameters
    ----------
    preprocessor : transformer or None, default=None
        As in :class:`MultimodalClassifier`.
    query : str, list of str or None, default=None
        The query side's modalities (None: those ``target`` does not name).
    target : str, list of str or None, default=None
        The target side's modalities (None: those ``query`` does not name).
        With both None, X must hold one modality, which both sides read
        (each with its own encoder).
    embedding_dim : int, default=128
        Width of the shared space.
    temperature : float, default=0.07
        Temperature of the similarities in the loss (CLIP's initial value);
        it does not change rankings.
    learn_temperature : bool, default=False
        Train the temperature with the networks (as CLIP; capped at 0.01).
    **params
        Every other parameter of :class:`MultimodalClassifier` but
        ``class_weight``, ``balance`` and ``task_weights``: ``encoders``,
        ``fusion`` (each side's), ``hidden_size``, ``max_epochs``,
        ``batch_size`` (also the number of candidates each row competes
        with), ``modality_dropout``, ``checkpoint_dir``, ``random_state``,
        ``verbose``... Early stopping watches the validation loss.

    Attributes
    ----------
    query_, target_ : list of str
        The modalities of each side.
    modalities_, net_, history_, preprocessor_
        As in :class:`MultimodalClassifier`; ``net_.module_`` is a
        :class:`skmm.nn.towers.TwoTowers`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDict, MultimodalEmbedder
    >>> rng = np.random.RandomState(0)
    >>> z = rng.normal(size=(200, 4)).astype("float32")
    >>> X = ModalityDict(a=z @ rng.normal(size=(4, 6)).astype("float32"),
    ...                  b=np.tanh(z @ rng.normal(size=(4, 5))).astype("float32"))
    >>> emb = MultimodalEmbedder(query="a", target="b", embedding_dim=16, max_epochs=40,
    ...                          random_state=0, verbose=0).fit(X)
    >>> emb.transform(X).shape
    (200, 16)
    >>> emb.retrieve(X[:3], X, k=5).shape
    (3, 5)
    >>> emb.score(X) > 0.3  # recall@1 of 200 (chance: 0.005)
    True
    """

    _stratify = False
    balance = "none"
    task_weights = None
    _parameter_constraints: dict = {
        **{k: v for k, v in BaseMultimodal._parameter_constraints.items() if k not in DROPPED},
        "query": [str, list, tuple, None],
        "target": [str, list, tuple, None],
        "embedding_dim": [POSITIVE_INT],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "learn_temperature": ["boolean"],
    }

    def __init__(
        self, preprocessor: Estimator | None = None, query: str | Sequence[str] | None = None,
        target: str | Sequence[str] | None = None, *, embedding_dim: int = 128, temperature: float = 0.07,
        learn_temperature: bool = False, **params: Any,
    ) -> None:
        refuse_dropped(self, params, DROPPED)
        super().__init__(preprocessor, **params)
        del self.balance, self.task_weights  # the class's: not parameters here
        self.query = query
        self.target = target
        self.embedding_dim = embedding_dim
        self.temperature = temperature
        self.learn_temperature = learn_temperature

    __init__.__signature__ = derived_signature(  # type: ignore[attr-defined]
        BaseMultimodal.__init__, __init__, drop=DROPPED)

    # -- the subclass contract ------------------------------------------
    def _encode_target(self, y, refit=True, classes=None):
        """Each row's group (rows of one label share one) as int64, and the embedding width."""
        values = np.asarray(y)
        if values.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per row), got shape {values.shape}.")
        try:
            _, groups = np.unique(values, return_inverse=True)
        except TypeError:
            raise ValueError("y's labels must be comparable with each other (one type).") from None
        return torch.as_tensor(groups.reshape(-1), dtype=torch.int64), self.embedding_dim

    def _criterion(self):
        return SymmetricInfoNCE, {"scale": 1.0 / self.temperature}

    def _n_outputs(self):
        return self.embedding_dim

    def _configuration(self, names=None):
        if names is not None and tuple(names) == NETWORK:
            names = (*NETWORK, "query", "target", "embedding_dim", "learn_temperature")
        return super()._configuration(names)

    def _check_loaded(self):
        for name in ("query_", "target_"):
            side = getattr(self, name, None)
            if not isinstance(side, list) or not side or not set(side) <= set(self.modalities_):
                raise ValueError(f"{name} must be a list of the fitted modalities")

    def _build_module(self, n_outputs):
        self.query_, self.target_ = resolve_sides(self.query, self.target, self.modalities_)
        sides = [
            build_network({n: self.modalities_[n] for n in names}, self.encoders_for(names), self.fusion,
                          self.hidden_size, self.dropout, n_outputs, balance="none")
            for names in (self.query_, self.target_)
        ]
        return TwoTowers(*sides, temperature=self.temperature, learn_temperature=self.learn_temperature)

    def encoders_for(self, names: list[str]) -> dict | None:
        """The ``encoders`` choices of one side's modalities."""
        if self.encoders is None:
            return None
        unknown = sorted(set(self.encoders) - set(self.modalities_))
        if unknown:
            raise ValueError(f"encoders names modalities {unknown} that X does not have; it has "
                             f"{sorted(self.modalities_)}.")
        return {n: c for n, c in self.encoders.items() if n in names}

    def _warm_start(self, module):
        from .warm_start import warm_start  # the classifier's rule, side by side

        reports = [warm_start(side, self.warm_start_from, BaseMultimodal, self.verbose, strict=False)
                   for side in (module.query, module.target)]
        loaded = [f"{side}.{part}" for side, r in zip(("query", "target"), reports) for part in r["loaded"]]
        if not loaded:
            raise ValueError("warm_start_from: no encoder or fusion of either side matches the source.")
        skipped = {f"{side}.{part}": why for side, r in zip(("query", "target"), reports)
                   for part, why in r["skipped"].items()}
        return {"loaded": loaded, "skipped": skipped}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags

    # -- fit and the embeddings -------------------------------------------
    def fit(
        self, X: ModalityInput, y: ArrayLike | None = None, sample_weight: SampleWeight | None = None
    ) -> MultimodalEmbedder:
        """Fit the preprocessor (if any) and train both networks.

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
            As in :meth:`MultimodalClassifier.fit`: rows whose query and
            target match.
        y : array-like of shape (n_samples,) or None, default=None
            Labels: rows of one label are each other's positives. None:
            each row is its own.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weight of each row's loss.

        Returns
        -------
        self
        """
        return super().fit(X, self._groups(X, y), sample_weight)

    def partial_fit(self, X: ModalityInput, y: ArrayLike | None = None,
                    sample_weight: SampleWeight | None = None) -> MultimodalEmbedder:
        """Train one epoch on X, continuing from the previous call (the first builds the networks).

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.

        Returns
        -------
        self
        """
        return self._partial_fit(X, self._groups(X, y), sample_weight)

    @staticmethod
    def _groups(X, y):
        return np.arange(n_rows(to_pandas(X))) if y is None else y

    @scoped
    @fill_doc
    def embed(self, X: ModalityInput, side: Literal["query", "target"] = "query") -> np.ndarray:
        """One side's embedding of each row: unit-norm vectors in the shared space.

        {network_input_parameters}
        side : {"query", "target"}, default="query"
            Which network embeds the rows.

        Returns
        -------
        embedding : ndarray of shape (n_samples, embedding_dim), float32
        """
        if side not in ("query", "target"):
            raise ValueError(f'side must be "query" or "target", got {side!r}.')
        parts = self._per_batch(X, lambda module, batch: module.embed(batch, side).float().cpu())
        return torch.cat(parts).numpy()

    @fill_doc
    def transform(self, X: ModalityInput) -> np.ndarray:
        """The query embedding of each row (``embed(X, side="query")``).

        {network_input_parameters}

        Returns
        -------
        embedding : ndarray of shape (n_samples, embedding_dim), float32
        """
        return self.embed(X, side="query")

    @property
    def _n_features_out(self):
        return self.embedding_dim
