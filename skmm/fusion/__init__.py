"""Fusion choices: names and parameter objects for ``fusion=``.

``fusion="low_rank"`` picks by name; ``fusion=LowRank(rank=8)`` picks with
parameters, and ``set_params(fusion="low_rank", fusion__rank=8)`` (or
``net__fusion__rank`` in a Pipeline) reaches them in a grid search. An unset
parameter (None) takes the estimator's ``hidden_size`` or ``dropout``.

* ``"concat"`` (:class:`Concat`): concatenated vectors (early fusion);
* ``"late"`` (:class:`Late`): one head per modality, outputs averaged;
* ``"tensor"`` (:class:`Tensor`): outer product of the (vector, 1)s (TFN);
* ``"low_rank"`` (:class:`LowRank`): low-rank factors of that product (LMF);
* ``"attention"`` (:class:`Attention`): a softmax weight per modality per sample;
* ``"gated"`` (:class:`Gated`): gated multimodal units;
* ``"cross_attention"`` (:class:`CrossAttention`): modalities' steps attend to each other;
* ``"condition"`` (:class:`Condition`): one modality conditions another's recurrent encoder.

One file per fusion holds its parameter object and the module it builds;
``base`` declares the interface (:class:`FusionSpec`, :class:`FusionModule`,
:class:`BatchFusion`) and the registry (:data:`FUSIONS`), which each fusion's
file joins with :func:`register_fusion`.
"""

from .base import FUSIONS, BatchFusion, FusionModule, FusionSpec, register_fusion, resolve_fusion  # noqa: F401

# isort: off
# Importing a fusion's file registers it; the order is that of the docs' table.
from .concat import Concat, ConcatFusion
from .late import Late, LateFusion
from .tensor import Tensor, TensorFusion
from .low_rank import LowRank, LowRankFusion
from .attention import Attention, AttentionFusion
from .gated import Gated, GatedFusion
from .cross_attention import CrossAttention, CrossAttentionFusion
from .condition import Condition, ConditionFusion
# isort: on

__all__ = [
    "FusionSpec", "FusionModule", "BatchFusion", "register_fusion",
    "Concat", "Late", "Tensor", "LowRank", "Attention", "Gated", "CrossAttention", "Condition",
    "ConcatFusion", "LateFusion", "TensorFusion", "LowRankFusion", "AttentionFusion", "GatedFusion",
    "CrossAttentionFusion", "ConditionFusion",
    "FUSIONS",
]
