"""The network that joins encoders, fusion and head, and its inputs.

The encoder and fusion modules live with their parameter objects in
:mod:`skmm.encoders` and :mod:`skmm.fusion`; they stay importable from here.
"""

from ..encoders import (  # noqa: F401
    ConvEncoder,
    CustomEncoder,
    DeconvEncoder,
    MLPEncoder,
    RecurrentEncoder,
    VideoEncoder,
)
from ..fusion import (  # noqa: F401
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

__all__ = ["MultimodalNetwork"]
