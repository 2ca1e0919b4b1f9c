"""The estimators: :class:`~skmm.MultimodalClassifier`, :class:`~skmm.MultimodalRegressor` and their base."""

from .base import BaseMultimodal
from .classifier import MultimodalClassifier
from .regressor import MultimodalRegressor

__all__ = ["BaseMultimodal", "MultimodalClassifier", "MultimodalRegressor"]
