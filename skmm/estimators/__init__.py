"""The estimators: :class:`~skmm.MultimodalClassifier`, :class:`~skmm.MultimodalRegressor`,
:class:`~skmm.MultimodalEmbedder`, :class:`~skmm.MultipleChoiceClassifier` and their base."""

from .base import BaseMultimodal
from .classifier import MultimodalClassifier
from .embedder import MultimodalEmbedder
from .multiple_choice import MultipleChoiceClassifier
from .regressor import MultimodalRegressor

__all__ = [
    "BaseMultimodal", "MultimodalClassifier", "MultimodalEmbedder", "MultimodalRegressor", "MultipleChoiceClassifier",
]
