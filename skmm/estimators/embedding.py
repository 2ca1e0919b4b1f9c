"""A fitted network as a featuriser: the fused vector, or each modality's encoding."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin

from ..utils.docstrings import fill_doc
from ..utils.threads import scoped
from ..utils.types import ModalityInput


class EmbeddingMixin(TransformerMixin, ClassNamePrefixFeaturesOutMixin):
    """``transform`` (fused vectors) and ``encode`` (per-modality vectors) for the estimators.

    Part of ``BaseMultimodal``: runs on ``_per_batch`` (skmm/estimators/inference.py)
    (raw X or what ``preprocess`` returned, eager or lazy) and a fitted
    skorch ``net_`` whose module has ``encode`` and ``fuse``.
    As a TransformerMixin it also gives ``fit_transform(X, y)`` and
    ``set_output(transform="pandas")``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # the network's precision, whatever X's
        return tags

    @scoped
    @fill_doc
    def transform(self, X: ModalityInput) -> np.ndarray:
        """The fused representation of each sample: the trained network as a featuriser.

        The vector the fusion gives the head (after ``fusion="late"``, which
        has no such vector, the averaged per-modality outputs), so that a
        fitted estimator can feed another model, e.g. in a Pipeline before
        a :class:`~sklearn.linear_model.LogisticRegression`. Samples lacking
        a modality are fused as in ``predict``.

        {network_input_parameters}

        Returns
        -------
        embedding : ndarray of shape (n_samples, n_features_out), float32
            ``n_features_out`` is the fusion's ``output_dim``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skmm import MultimodalClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = {"a": rng.normal(size=(60, 3)), "b": rng.normal(size=(60, 2))}
        >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
        >>> clf = MultimodalClassifier(hidden_size=16, max_epochs=30, random_state=0, verbose=0).fit(X, y)
        >>> Z = clf.transform(X)
        >>> Z.shape, Z.dtype
        ((60, 32), dtype('float32'))
        >>> clf.get_feature_names_out()[:2].tolist()
        ['multimodalclassifier0', 'multimodalclassifier1']
        >>> LogisticRegression().fit(Z, y).score(Z, y) > 0.8
        True
        """
        parts = self._per_batch(X, lambda module, batch: module.fuse(batch).float().cpu())
        return torch.cat(parts).numpy()

    @scoped
    @fill_doc
    def encode(self, X: ModalityInput) -> dict[str, np.ndarray]:
        """Each modality's encoding, before fusion.

        {network_input_parameters}

        Returns
        -------
        encodings : dict of str -> ndarray of shape (n_samples, output_dim), float32
            One entry per modality (its encoder's ``output_dim`` columns),
            in sorted-name order. Rows of samples that lack the modality are
            NaN. With ``fusion=Condition(...)``, the target's encoding is
            its unconditioned one.

        Examples
        --------
        >>> import numpy as np
        >>> from skmm import MultimodalRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = {"a": rng.normal(size=(40, 3)), "b": rng.normal(size=(40, 2))}
        >>> X["b"][:5] = np.nan  # the first five samples lack "b"
        >>> reg = MultimodalRegressor(hidden_size=8, max_epochs=2, random_state=0, verbose=0)
        >>> codes = reg.fit(X, X["a"][:, 0]).encode(X)
        >>> {name: code.shape for name, code in codes.items()}
        {'a': (40, 8), 'b': (40, 8)}
        >>> np.isnan(codes["b"]).all(axis=1).sum()
        np.int64(5)
        """

        def step(module, batch):
            codes = module.encode(batch)
            for name, code in codes.items():
                present = batch[name].get("present")
                if present is not None:
                    codes[name] = code.masked_fill(~present.to(code.device)[:, None], float("nan"))
            return {name: code.float().cpu() for name, code in codes.items()}

        parts = self._per_batch(X, step)
        return {name: torch.cat([p[name] for p in parts]).numpy() for name in sorted(parts[0])}

    @property
    def _n_features_out(self):
        """Width of ``transform``'s output (for ``get_feature_names_out``)."""
        return int(self.net_.module_.fusion.output_dim)
