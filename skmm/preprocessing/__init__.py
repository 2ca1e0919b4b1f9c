"""Per-modality transformers: one column in, one array out."""

from ..utils.bounded import file_limits
from .audio import AudioFeaturizer
from .decode_cache import decode_cache
from .image import ImageLoader
from .presence import PresenceMixin
from .pretrained_tokenizer import PretrainedTokenizer
from .sequence import SequencePadder
from .text import TextSequencer
from .video import VideoLoader

__all__ = [
    "AudioFeaturizer", "ImageLoader", "PresenceMixin", "PretrainedTokenizer", "SequencePadder", "TextSequencer",
    "VideoLoader", "decode_cache", "file_limits",
]
