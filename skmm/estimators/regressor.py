"""MultimodalRegressor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.base import RegressorMixin

from ..compose._columns import row_label
from ..nn.losses import WeightedMSE
from ..utils.docstrings import fill_doc
from ..utils.threads import scoped
from ..utils.types import ModalityInput, SampleWeight
from .base import BaseMultimodal


def _numbers(values):
    try:
        np.asarray(values).astype(np.float64)
    except (TypeError, ValueError):
        return False
    return True


class MultimodalRegressor(RegressorMixin, BaseMultimodal):
    """Neural network regressor over several modalities, trained with skorch.

    The same network as :class:`MultimodalClassifier` with a linear output
    per target and a mean squared error loss; targets are standardised for
    training and mapped back in ``predict``.

    Parameters
    ----------
    preprocessor : transformer or None, default=None
        As in :class:`MultimodalClassifier`.
    **params
        Every other parameter of :class:`MultimodalClassifier` but
        ``class_weight`` (weigh samples with ``fit(..., sample_weight=...)``).

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    modalities_, net_, history_, preprocessor_
        As in :class:`MultimodalClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MultimodalRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(80, 3)).astype("float32")}
    >>> y = 3 * X["a"][:, 0] + 1
    >>> reg = MultimodalRegressor(max_epochs=60, random_state=0, verbose=0).fit(X, y)
    >>> reg.score(X, y) > 0.8
    True
    """

    _stratify = False

    def _criterion(self):
        return WeightedMSE, {"n_targets": self.n_outputs_, "weights": self._task_weights()}

    def _n_targets(self):
        return self.n_outputs_

    def _encode_target(self, y, refit=True, classes=None):
        """Standardised y as a tensor, and the number of outputs.

        ``refit`` learns the scaling; otherwise that of the first fit is kept.
        """
        y_frame = y if isinstance(y, pd.DataFrame) else None
        original = y
        y = np.asarray(y)
        if np.iscomplexobj(y):
            raise ValueError("Complex data not supported: y holds complex numbers.")
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            bad = next((i for i, v in enumerate(y.reshape(len(y), -1)) if not _numbers(v)), 0)
            raise ValueError(
                f"Unknown label type: {type(self).__name__} needs numeric y; row "
                f"{row_label(original, bad)!r} holds {y.reshape(len(y), -1)[bad].tolist()!r}."
            ) from None
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
        finite = np.isfinite(y.reshape(len(y), -1))
        if not finite.all():
            row, column = (int(i) for i in np.argwhere(~finite)[0])
            where = f"y[{y_frame.columns[column]!r}]" if y_frame is not None else "y"
            raise ValueError(
                f"{where}, row {row_label(original, row)!r}: the target is NaN or infinite; "
                "drop the row or fill the value."
            )
        y2 = y.reshape(len(y), -1)
        if refit:
            self.y_ndim_ = y.ndim
            self.target_names_ = [str(c) for c in y_frame.columns] if y_frame is not None else None
            self.n_outputs_ = y2.shape[1]
            self.y_mean_ = y2.mean(axis=0)
            std = y2.std(axis=0)
            self.y_scale_ = np.where(std > 0, std, 1.0)
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y2.shape[1]} target(s); the network was fitted on {self.n_outputs_}.")
        scaled = (y2 - self.y_mean_) / self.y_scale_
        return torch.as_tensor(scaled, dtype=torch.float32), self.n_outputs_

    def partial_fit(
        self, X: ModalityInput, y: ArrayLike, sample_weight: SampleWeight | None = None
    ) -> MultimodalRegressor:
        """Train one epoch on (X, y), continuing from the previous call.

        The first call fits the preprocessor and the target scaling, builds
        the network and trains one epoch; later calls reuse them
        (``transform`` only) and train one more epoch, as
        :meth:`sklearn.neural_network.MLPRegressor.partial_fit` does.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from skmm import MultimodalRegressor
        >>> X = np.linspace(0, 1, 40, dtype="float32")[:, None]
        >>> reg = MultimodalRegressor(random_state=0, verbose=0)
        >>> for start in (0, 20):
        ...     reg = reg.partial_fit(X[start:start + 20], 2 * X[start:start + 20, 0])
        >>> len(reg.history_)
        2
        """
        return self._partial_fit(X, y, sample_weight)

    def _n_outputs(self):
        return self.n_outputs_

    def _check_loaded(self):
        n = getattr(self, "n_outputs_", None)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n_outputs_ must be a positive int, got {n!r}")
        for name in ("y_mean_", "y_scale_"):
            value = getattr(self, name, None)
            if not isinstance(value, np.ndarray) or value.shape != (n,) or value.dtype.kind != "f":
                raise ValueError(f"{name} must be a float array of shape ({n},)")
        if getattr(self, "y_ndim_", None) not in (1, 2):
            raise ValueError("y_ndim_ must be 1 or 2")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @scoped
    @fill_doc
    def predict(self, X: ModalityInput) -> np.ndarray:
        """Predicted targets.

        {prediction_parameters}

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, ``n_outputs_``)
        """
        out = self._forward(X).double().numpy() * self.y_scale_ + self.y_mean_
        return out[:, 0] if self.y_ndim_ == 1 else out
