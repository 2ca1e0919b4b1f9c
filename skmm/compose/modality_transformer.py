"""ModalityTransformer: route DataFrame columns to per-modality transformers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..utils.sklearn_compat import _BaseComposition
from ..utils.types import Estimator, FrameLike
from ._frame_columns import as_frame, selected
from ._modality_output import modality_output
from .modality_dict import ModalityDict


def _put(out, name, output):
    """Store one modality's ``(array, present, kind)`` in ``out``."""
    array, present, kind = output
    out[name] = array
    if present is not None:
        out.present[name] = present
    if kind is not None:
        out.kinds[name] = kind


class ModalityTransformer(TransformerMixin, _BaseComposition):
    """Apply one transformer per modality and keep the outputs apart.

    Like :class:`~sklearn.compose.ColumnTransformer`, it takes
    ``(name, transformer, columns)`` triples and exposes nested parameters
    (``text__max_len``), but instead of stacking the outputs side by side it
    returns a :class:`ModalityDict` of name -> array, each keeping its shape
    (token ids, images, frames, vectors) for the modality's own encoder.

    Parameters
    ----------
    transformers : list of (name, transformer, columns) tuples
        ``columns`` is one column name (the transformer gets a Series) or a
        list of names (it gets a DataFrame). ``transformer`` is any sklearn
        transformer, ``"passthrough"`` (numeric columns as float32) or
        ``"drop"``. Any transformer returning a 2-D float array (e.g.
        ``StandardScaler``) becomes a vector modality.

        With each array, the output carries what the transformer reports
        (see :ref:`absence`): ``Xt.present[name]``, which rows have the
        modality (a skmm preprocessor says so row by row; for another
        transformer a float row that is all NaN is absent), and
        ``Xt.kinds[name]``, how the network reads the array (a
        transformer's ``output_kind``; else read off the array).
    verbose : bool, default=False
        Print the time each modality takes to fit.

    Attributes
    ----------
    transformers_ : list of (name, fitted transformer, columns)
        The fitted transformers (clones of the given ones).
    feature_names_in_ : ndarray of str
        Columns of the frame seen in ``fit``.
    n_features_in_ : int
        Number of those columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmm import ModalityTransformer
    >>> from skmm.preprocessing import TextSequencer
    >>> X = pd.DataFrame({"review": ["good", "bad film"], "age": [20, 40], "price": [1.0, 3.0]})
    >>> prep = ModalityTransformer([
    ...     ("text", TextSequencer(max_len=3), "review"),
    ...     ("numbers", StandardScaler(), ["age", "price"]),
    ... ])
    >>> out = prep.fit_transform(X)
    >>> out["text"].shape, out["numbers"].shape  # text: 3 tokens, each with its subword ids
    ((2, 3, 25), (2, 2))
    >>> prep.set_params(text__max_len=5).fit_transform(X)["text"].shape
    (2, 5, 25)
    >>> out.kinds, out.present["numbers"]
    ({'text': 'tokens'}, array([ True,  True]))
    """

    def __init__(
        self, transformers: Sequence[tuple[str, Estimator | str, str | Sequence[str]]], *, verbose: bool = False
    ) -> None:
        self.transformers = transformers
        self.verbose = verbose

    # As in sklearn's ColumnTransformer: get/set_params must not validate
    # ``transformers`` (that happens in fit), so a value that is not a list
    # of triples passes through unchanged.
    @property
    def _transformers(self):
        try:
            return [(name, trans) for name, trans, _ in self.transformers]
        except (TypeError, ValueError):
            return self.transformers

    @_transformers.setter
    def _transformers(self, value):
        try:
            self.transformers = [
                (name, trans, columns)
                for ((name, trans), (_, _, columns)) in zip(value, self.transformers)
            ]
        except (TypeError, ValueError):
            self.transformers = value

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters, including ``<name>__<param>`` of each transformer."""
        return self._get_params("_transformers", deep=deep)

    def set_params(self, **params: Any) -> ModalityTransformer:
        """Set parameters, including ``<name>__<param>`` of each transformer."""
        self._set_params("_transformers", **params)
        return self

    def _check_transformers(self):
        if not isinstance(self.transformers, (list, tuple)) or not self.transformers:
            raise ValueError("transformers must be a non-empty list of (name, transformer, columns).")
        for entry in self.transformers:
            if not isinstance(entry, tuple) or len(entry) != 3:
                raise ValueError(
                    f"each transformer must be a (name, transformer, columns) tuple, got {entry!r}."
                )
            name, trans, columns = entry
            if not isinstance(name, str) or not name or "__" in name:
                raise ValueError(f"modality names must be non-empty strings without '__', got {name!r}.")
            if not (isinstance(columns, str) or (
                isinstance(columns, (list, tuple)) and columns
                and all(isinstance(c, str) for c in columns)
            )):
                raise ValueError(
                    f"modality {name!r}: columns must be a column name or a non-empty "
                    f"list of names, got {columns!r}."
                )
            if trans not in ("passthrough", "drop") and not (
                hasattr(trans, "fit") and hasattr(trans, "transform")
            ):
                raise TypeError(
                    f"modality {name!r}: {trans!r} is not a transformer (needs fit and "
                    "transform), 'passthrough' or 'drop'."
                )
        self._validate_names([name for name, _, _ in self.transformers])

    def fit(self, X: FrameLike, y: ArrayLike | None = None) -> ModalityTransformer:
        """Fit every modality's transformer on its columns.

        Parameters
        ----------
        X : DataFrame
            Input frame; columns not named by any transformer are ignored.
        y : array-like, optional
            Passed to each transformer's ``fit``.

        Returns
        -------
        self : ModalityTransformer
        """
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: FrameLike, y: ArrayLike | None = None) -> ModalityDict:
        """Fit every transformer and return its output on ``X``.

        Returns
        -------
        Xt : ModalityDict
            Modality name -> array with one row per row of ``X``, with the
            presence masks and kinds the transformers reported.
        """
        self._check_transformers()
        frame = as_frame(X, "fit")
        fitted, out = [], ModalityDict()
        for name, trans, columns in self.transformers:
            if trans == "drop":
                continue
            data = selected(frame, name, columns, "fit")
            start = time.perf_counter()
            est = trans if trans == "passthrough" else clone(trans)
            _put(out, name, modality_output(name, est, data, len(frame), fit=True, y=y))
            fitted.append((name, est, columns))
            if self.verbose:
                print(f"[ModalityTransformer] {name}: fitted in {time.perf_counter() - start:.1f}s")
        self.transformers_ = fitted
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return out

    def transform(self, X: FrameLike) -> ModalityDict:
        """Transform each modality's columns with its fitted transformer.

        Parameters
        ----------
        X : DataFrame
            Must hold every column used in ``fit`` (in any order).

        Returns
        -------
        Xt : ModalityDict
            Modality name -> array with one row per row of ``X``, with the
            presence masks and kinds the transformers reported.
        """
        check_is_fitted(self, "transformers_")
        frame = as_frame(X, "transform")
        out = ModalityDict()
        for name, trans, columns in self.transformers_:
            data = selected(frame, name, columns, "transform", self.feature_names_in_)
            _put(out, name, modality_output(name, trans, data, len(frame), fit=False))
        return out

    @property
    def named_transformers_(self) -> dict[str, Estimator]:
        """Fitted transformers by modality name."""
        check_is_fitted(self, "transformers_")
        return {name: trans for name, trans, _ in self.transformers_}
