"""Time-series column -> NaN-padded frames, scaled per feature."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..compose._columns import Column, MediaError, MediaTypeError, MissingMediaError, one_column_tags
from ..utils.sklearn_compat import StrOptions, _fit_context
from ..utils.spec_params import ON_MISSING, POSITIVE_INT
from ..utils.threads import call_verbosity
from ..utils.types import ColumnLike
from ._frames import feature_stats, learned_cap, pad_frames, report_cut
from .presence import PresenceMixin, presence


def _steps(value):
    """One cell -> float64 (T, d); raises the column's error types."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise MediaTypeError(
            f"expected a sequence (array or list of shape (T,) or (T, d)), got {type(value).__name__}"
        )
    try:
        steps = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MediaError(f"cannot read the sequence as numbers of shape (T,) or (T, d) ({exc})") from None
    if steps.ndim == 1:
        steps = steps[:, None]
    if steps.ndim != 2:
        raise MediaError(f"a sequence must have shape (T,) or (T, d), got shape {steps.shape}")
    if steps.shape[1] == 0:
        raise MediaError(f"a sequence needs at least one feature per step, got shape {steps.shape}")
    if len(steps) == 0:
        # Nothing observed: absent under on_missing="mask", else an error.
        raise MissingMediaError("the sequence is empty (no steps)")
    bad = ~np.isfinite(steps).all(axis=1)
    if bad.any():
        raise MediaError(
            f"step {int(np.flatnonzero(bad)[0])} holds NaN or infinite values; impute "
            "them (NaN only marks padding after the last step)"
        )
    return steps


class SequencePadder(PresenceMixin, TransformerMixin, BaseEstimator):
    """Pad variable-length time series (one per cell) into NaN-padded frames.

    Each cell holds one sample's series: an array or list of shape ``(T,)``
    (one value per step) or ``(T, d)`` (``d`` features per step); lengths
    differ between rows, ``d`` may not. The output is ``(n, max_len_, d)``
    float32, each feature standardised with the mean and standard deviation
    of the real training steps, and the steps after a series' end NaN: the
    "frames" kind that skmm's recurrent encoders read, with a row's length
    its number of leading non-NaN steps (as :class:`AudioFeaturizer`'s).

    Parameters
    ----------
    max_len : int, "auto" or None, default="auto"
        At most this many steps per series (the first ones). "auto" learns
        it in ``fit``: the 99th percentile of the training series' lengths,
        at most twice the 95th
        (the estimator's ``verbose`` says how many it cuts); None keeps the
        longest training series. Series longer than ``max_len_`` at
        transform are truncated to it.
    normalize : bool, default=True
        Standardise each feature with the training mean and std.
    on_missing : {"error", "mask"}, default="error"
        A missing cell (None/NaN) or an empty series raises a ValueError
        naming the column and row, or with "mask" gives an all-NaN row
        (reported absent by ``transform_with_presence``), so the network
        treats the sample as lacking this modality.

    Attributes
    ----------
    max_len_ : int
        Steps per output row.
    n_cut_ : int
        Training series longer than that, which were cut.
    n_step_features_ : int
        Features per step (``d``; 1 for ``(T,)`` cells).
    mean_, std_ : ndarray of shape (n_step_features_,)
        Per-feature statistics of the real training steps.
    n_features_in_ : int
        Always 1 (one series column).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing import SequencePadder
    >>> series = [[1.0, 2.0, 3.0], np.array([4.0, 5.0])]
    >>> padder = SequencePadder(normalize=False).fit(series)
    >>> padder.transform(series)[:, :, 0]
    array([[ 1.,  2.,  3.],
           [ 4.,  5., nan]], dtype=float32)

    Series of two features per step, scaled per feature:

    >>> rng = np.random.default_rng(0)
    >>> series = [rng.normal(size=(t, 2)) * [1, 100] for t in (5, 9, 7)]
    >>> frames = SequencePadder(max_len=6).fit_transform(series)
    >>> frames.shape, np.isnan(frames[:, :, 0]).sum(axis=1).tolist()
    ((3, 6, 2), [1, 0, 0])
    """

    modality = "series"
    output_kind = "frames"
    _parameter_constraints: ClassVar[dict] = {
        "max_len": [POSITIVE_INT, StrOptions({"auto"}), None],
        "normalize": ["boolean"],
        "on_missing": [ON_MISSING],
    }

    def __init__(
        self, max_len: int | Literal["auto"] | None = "auto", *, normalize: bool = True,
        on_missing: Literal["error", "mask"] = "error",
    ) -> None:
        self.max_len = max_len
        self.normalize = normalize
        self.on_missing = on_missing

    def __sklearn_tags__(self):
        return one_column_tags(super().__sklearn_tags__(), self, string=False)

    def _read(self, X, n_step_features=None):
        """(column, list of (T, d) arrays or None), with one ``d`` for every row."""
        column = Column(X, type(self).__name__)
        series = column.decode(_steps, "series", self.on_missing)
        seen = "the series seen in fit have"
        for i, steps in enumerate(series):
            if steps is None:
                continue
            if n_step_features is None:
                n_step_features, seen = steps.shape[1], f"{column.where(i)} has"
            if steps.shape[1] != n_step_features:
                raise ValueError(
                    f"{column.where(i)}: the series has {steps.shape[1]} feature(s) per "
                    f"step, but {seen} {n_step_features}; every row needs the same."
                )
        return column, series

    def fit(self, X: ColumnLike, y: object = None) -> SequencePadder:
        """Learn the padded length, the features per step and their statistics.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            One series per cell: arrays or lists of shape (T,) or (T, d).
        y : ignored

        Returns
        -------
        self : SequencePadder
        """
        self.fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform_with_presence(self, X: ColumnLike, y: object = None) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`fit_transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        column, series = self._read(X)
        column.check_not_empty()
        column.check_some_present(series, "series")
        present = [s for s in series if s is not None]
        lengths = [len(s) for s in present]
        longest, self.n_cut_ = max(lengths), 0
        if self.max_len == "auto":
            longest, self.n_cut_ = learned_cap(lengths)
            report_cut(self, self.n_cut_, len(lengths), "series", f"{longest} steps", call_verbosity.get())
        elif self.max_len is not None:
            longest = min(self.max_len, longest)
        self.max_len_ = longest
        self.n_step_features_ = present[0].shape[1]
        # Series may be on any scale: only an exact constant keeps its own.
        self.mean_, self.std_ = feature_stats(
            series, self.max_len_, self.n_step_features_, self.normalize, min_std=1e-12
        )
        column.record_input(self)
        return pad_frames(series, self.max_len_, self.mean_, self.std_), presence(series)

    def transform(self, X: ColumnLike) -> np.ndarray:
        """Pad, truncate and scale the series.

        Parameters
        ----------
        X : Series, one-column DataFrame, 1-D array or list
            One series per cell, with the features per step seen in fit.

        Returns
        -------
        frames : ndarray of shape (n_samples, max_len_, n_step_features_), float32
            NaN in the steps after each series' end, and in every step of an
            absent series.
        """
        return self.transform_with_presence(X)[0]

    def transform_with_presence(self, X: ColumnLike) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`transform`, with the bool mask of the rows present (see :class:`PresenceMixin`)."""
        check_is_fitted(self, "max_len_")
        _, series = self._read(X, self.n_step_features_)
        return pad_frames(series, self.max_len_, self.mean_, self.std_), presence(series)
