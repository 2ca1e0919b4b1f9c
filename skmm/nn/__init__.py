"""Torch modules: encoders, fusions and the network that joins them."""

from .encoders import ConvEncoder, MLPEncoder, RecurrentEncoder
from .fusion import ConcatFusion
from .model import MultimodalNetwork

__all__ = ["ConcatFusion", "ConvEncoder", "MLPEncoder", "MultimodalNetwork", "RecurrentEncoder"]
