"""Per-modality transformers: one column in, one array out."""

from .audio import AudioFeaturizer
from .decode_cache import decode_cache
from .image import ImageLoader
from .pretrained_tokenizer import PretrainedTokenizer
from .text import TextSequencer

__all__ = ["AudioFeaturizer", "ImageLoader", "PretrainedTokenizer", "TextSequencer", "decode_cache"]
