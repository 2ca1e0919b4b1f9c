"""skmm: multimodal deep learning as scikit-learn estimators."""

from .classifier import MultimodalClassifier
from .compose import ModalityTransformer
from .modality_dict import ModalityDict
from .regressor import MultimodalRegressor

__all__ = ["ModalityDict", "ModalityTransformer", "MultimodalClassifier", "MultimodalRegressor"]
__version__ = "0.1.0"
