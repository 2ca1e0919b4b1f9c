"""Per-modality transformers: one column in, one array out."""

from .audio import AudioFeaturizer
from .decode_cache import decode_cache
from .image import ImageLoader
from .sequence import SequencePadder
from .text import TextSequencer
from .video import VideoLoader

__all__ = [
    "AudioFeaturizer", "ImageLoader", "SequencePadder", "TextSequencer", "VideoLoader", "decode_cache",
]
