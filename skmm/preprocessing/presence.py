"""What a preprocessor tells the network about its output: its kind, and which rows are present."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import TransformerMixin

from ..utils.types import ColumnLike


class PresenceMixin(TransformerMixin):
    """Declare a transformer's output kind and report, row by row, which samples have the modality.

    skmm's preprocessors (and any transformer that mixes this in) declare
    ``output_kind``, the way the network reads their arrays, and implement
    ``transform_with_presence(X) -> (Xt, present)``: ``present`` is a bool
    array of one entry per row, False where the sample lacks the modality
    (None, NaN, pandas' NA, a media file that does not exist, under
    ``on_missing="mask"``). :class:`~skmm.ModalityTransformer` carries both
    on its :class:`~skmm.ModalityDict` (``kinds`` and ``present``), so the
    network neither guesses the kind from the array nor absence from its
    content. ``transform`` returns ``Xt`` alone, as scikit-learn expects.

    ``output_kind`` is one of ``"tokens"``, ``"tokenized"``, ``"frames"``,
    ``"image"``, ``"video"``, ``"vector"``, ``"sparse"``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator, TransformerMixin
    >>> from skmm.preprocessing import PresenceMixin
    >>> class Lengths(PresenceMixin, TransformerMixin, BaseEstimator):
    ...     output_kind = "vector"
    ...     def fit(self, X, y=None):
    ...         return self
    ...     def transform_with_presence(self, X):
    ...         present = np.array([x is not None for x in X])
    ...         lengths = [[len(x)] if x is not None else [np.nan] for x in X]
    ...         return np.array(lengths, dtype=np.float32), present
    ...     def transform(self, X):
    ...         return self.transform_with_presence(X)[0]
    >>> Lengths().fit_transform_with_presence(["ab", None, ""])[1]
    array([ True, False,  True])
    """

    output_kind: ClassVar[str]

    def transform_with_presence(self, X: ColumnLike) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - interface
        """``(Xt, present)``: ``transform``'s output and a bool mask of its present rows.

        Parameters
        ----------
        X : column
            What ``transform`` takes.

        Returns
        -------
        Xt : ndarray
            What ``transform`` returns.
        present : ndarray of bool, shape (n_samples,)
            False where the sample lacks the modality.
        """
        raise NotImplementedError

    def fit_transform_with_presence(self, X: ColumnLike, y: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Fit on ``X``, then return ``transform_with_presence(X)``; preprocessors that decode once override it."""
        return self.fit(X, y).transform_with_presence(X)

    def fit_transform(self, X: ColumnLike, y: object = None) -> np.ndarray:
        """Fit and transform: ``fit_transform_with_presence``'s array (media preprocessors read each value once).

        A ``TransformerMixin`` method here, so ``set_output`` wraps it as scikit-learn's own.
        """
        return self.fit_transform_with_presence(X, y)[0]


def presence(decoded) -> np.ndarray:
    """The mask of a column's decoded values: False where the column reader gave None (missing)."""
    return np.fromiter((value is not None for value in decoded), dtype=bool, count=len(decoded))
