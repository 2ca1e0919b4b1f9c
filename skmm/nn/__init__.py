"""Torch modules: encoders, fusions and the network that joins them."""

from .encoders import ConvEncoder, CustomEncoder, DeconvEncoder, MLPEncoder, RecurrentEncoder, VideoEncoder
from .fusion import (
    AttentionFusion,
    ConcatFusion,
    ConditionFusion,
    CrossAttentionFusion,
    GatedFusion,
    LateFusion,
    LowRankFusion,
    TensorFusion,
)
from .model import MultimodalNetwork

__all__ = [
    "AttentionFusion",
    "ConcatFusion",
    "ConditionFusion",
    "ConvEncoder",
    "CrossAttentionFusion",
    "CustomEncoder",
    "DeconvEncoder",
    "GatedFusion",
    "LateFusion",
    "LowRankFusion",
    "MLPEncoder",
    "MultimodalNetwork",
    "RecurrentEncoder",
    "TensorFusion",
    "VideoEncoder",
]
