"""skmm: multimodal deep learning as scikit-learn estimators."""

from .utils import aliases

aliases.install()  # before anything else: old module paths (in pickles) resolve to their new homes

from .compose import ModalityDict, ModalityTransformer  # noqa: E402
from .estimators import (  # noqa: E402
    MultimodalClassifier,
    MultimodalEmbedder,
    MultimodalRegressor,
    MultipleChoiceClassifier,
)

__all__ = [
    "ModalityDict", "ModalityTransformer", "MultimodalClassifier", "MultimodalEmbedder", "MultimodalRegressor",
    "MultipleChoiceClassifier",
]
__version__ = "0.1.0"
