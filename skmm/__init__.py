"""skmm: multimodal deep learning as scikit-learn estimators."""

from .estimators import MultimodalClassifier, MultimodalRegressor
from .compose import ModalityTransformer
from .modality_dict import ModalityDict

__all__ = ["ModalityDict", "ModalityTransformer", "MultimodalClassifier", "MultimodalRegressor"]
__version__ = "0.1.0"
