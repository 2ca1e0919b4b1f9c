"""The public inference path: preprocess once, then run the network as often as needed."""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.utils import to_tensor

from ..compose.modality_dict import ModalityDict
from ..data.kinds import ModalityInfo
from ..data.tensors import without
from ..utils.docstrings import fill_doc
from ..utils.threads import scoped
from ..utils.types import ModalityInput
from . import data


class InferenceMixin:
    """``preprocess``, ``without`` and ``modality_weights``; part of :class:`BaseMultimodal`.

    ``predict``, ``predict_proba``, ``score`` and ``modality_weights`` take
    raw X or what :meth:`preprocess` returned (a :class:`~skmm.ModalityDict`),
    in eager and lazy mode alike.
    """

    # Set by BaseMultimodal's fit (declared here for the type checker).
    modalities_: dict[str, ModalityInfo]
    _predict_dataset: Callable[..., Any]

    @fill_doc
    def preprocess(self, X: ModalityInput) -> ModalityDict:
        """X as the network reads it: the fitted preprocessor's output, once.

        ``predict``, ``predict_proba``, ``score`` and ``modality_weights``
        accept the result in place of X, so media are decoded once however
        often the network then runs on it, perturbed or not (see
        :func:`skmm.inspection.modality_importance`). A ``ModalityDict``
        passes through as it is. With ``lazy=True`` this decodes every row
        of X into memory; ``predict`` on the raw frame does not.

        {network_input_parameters}

        Returns
        -------
        data : ModalityDict
            Modality name -> array, one row per row of X.

        Examples
        --------
        >>> import numpy as np
        >>> from skmm import MultimodalClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(40, 3)).astype("float32")
        >>> y = (X[:, 0] > 0).astype(int)
        >>> clf = MultimodalClassifier(max_epochs=2, random_state=0, verbose=0).fit(X, y)
        >>> data = clf.preprocess(X)
        >>> data
        ModalityDict(x: float32(40, 3))
        >>> bool((clf.predict(data) == clf.predict(X)).all())
        True
        """
        return data.preprocess(self, X)

    def without(self, prepared: ModalityDict, name: str) -> ModalityDict:
        """A copy of ``prepared`` in which no sample has modality ``name``.

        The modality's presence mask (``ModalityDict.present``) is False in
        every row, and its rows are emptied: what the network then predicts
        is what it predicts for samples that lack the modality (the
        preprocessors' ``on_missing="mask"``).

        Parameters
        ----------
        prepared : ModalityDict
            What :meth:`preprocess` returned.
        name : str
            The modality to remove.

        Returns
        -------
        data : ModalityDict
            ``prepared`` with ``name`` absent from every row; the other
            modalities are the same arrays, with their masks and kinds.

        Examples
        --------
        >>> import numpy as np
        >>> from skmm import ModalityDict, MultimodalClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = ModalityDict(a=rng.normal(size=(40, 2)).astype("float32"),
        ...                  b=rng.normal(size=(40, 2)).astype("float32"))
        >>> clf = MultimodalClassifier(max_epochs=2, random_state=0, verbose=0).fit(X, X["a"][:, 0] > 0)
        >>> clf.predict_proba(clf.without(clf.preprocess(X), "a")).shape
        (40, 2)
        >>> clf.without(clf.preprocess(X), "a").present["a"][:3]
        array([False, False, False])
        """
        check_is_fitted(self, "net_")
        if name not in prepared:
            raise ValueError(f"X has no modality {name!r}; it has {sorted(prepared)}.")
        return without(prepared, name)

    def _forward(self, X):
        """Network outputs (logits or scaled values) for raw or preprocessed X."""
        dataset = self._predict_dataset(X)  # checks first that this estimator is fitted
        with torch.no_grad():
            return self.net_.forward(dataset, training=False, device="cpu")

    def _per_batch(self, X, step):
        """``step(module, batch)`` on every batch of raw or preprocessed X, in eval mode, without gradients."""
        dataset = self._predict_dataset(X)
        module = self.net_.module_
        module.eval()
        with torch.no_grad():
            return [step(module, to_tensor(batch, self.net_.device)) for batch, _ in self.net_.get_iterator(
                dataset, training=False)]

    @scoped
    @fill_doc
    def modality_weights(self, X: ModalityInput) -> pd.DataFrame:
        """The weight the fusion gives each modality, sample by sample.

        For fusions that weigh modalities: ``"attention"`` (softmax weights),
        ``"gated"`` (mean gate), ``Late(weights="learned")``; absent
        modalities get 0.

        {network_input_parameters}

        Returns
        -------
        weights : DataFrame of shape (n_samples, n_modalities)
            Columns are the modality names (sorted); the index is X's when
            X is a DataFrame.
        """
        parts = self._per_batch(X, lambda module, batch: module.modality_weights(batch).cpu())
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(torch.cat(parts).numpy(), columns=sorted(self.modalities_), index=index)
