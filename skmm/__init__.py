"""skmm: multimodal deep learning as scikit-learn estimators."""

from .utils import aliases

aliases.install()  # before anything else: old module paths (in pickles) resolve to their new homes

from .compose import ModalityDict, ModalityTransformer  # noqa: E402
from .estimators import MultimodalClassifier, MultimodalEmbedder, MultimodalRegressor  # noqa: E402

__all__ = [
    "ModalityDict", "ModalityTransformer", "MultimodalClassifier", "MultimodalEmbedder", "MultimodalRegressor",
]
__version__ = "0.1.0"
