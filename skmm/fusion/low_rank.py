"""Low-rank Multimodal Fusion: tensor fusion in rank-r factors."""

from __future__ import annotations

import math
from typing import ClassVar, Mapping

import torch
from torch import Tensor, nn

from ..utils.spec_params import POSITIVE_INT, or_default
from .base import FusionModule, FusionSpec, register_fusion
from .masking import present_mask, zero_absent


@register_fusion("low_rank")
class LowRank(FusionSpec):
    """Low-rank Multimodal Fusion (Liu et al. 2018): tensor fusion in rank-r factors.

    The tensor-fusion weight is decomposed into ``rank`` modality-specific
    factors: each modality vector, extended with a constant 1, is mapped by
    its factors ``(rank, d_m + 1, output_dim)``; the modalities' results are
    multiplied elementwise and summed over the rank with learned weights.
    Linear in the number of modalities, it never builds the product tensor.

    Initialisation: each factor's constant-1 row is 1 and its other rows are
    N(0, 1/d_m), so every modality's term starts near 1 and the product
    starts close to a sum of modality contributions, at any modality count.
    An absent modality's vector is zeros: its term is its constant row.

    Parameters
    ----------
    rank : int, default=4
        Rank of the factorised fusion weight.
    output_dim : int or None
        Fused vector size (None: the estimator's ``hidden_size``).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import LowRank
    >>> MultimodalClassifier(fusion=LowRank(rank=8)).get_params()["fusion__rank"]
    8
    >>> LowRank(rank=8).build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    16
    """

    _parameter_constraints: ClassVar[dict] = {
        "rank": [POSITIVE_INT],
        "output_dim": [POSITIVE_INT, None],
    }

    def __init__(self, *, rank: int = 4, output_dim: int | None = None) -> None:
        self.rank = rank
        self.output_dim = output_dim

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> LowRankFusion:
        return LowRankFusion(dims, rank=self.rank, output_dim=or_default(self.output_dim, hidden_size))


class LowRankFusion(FusionModule):
    """The module of :class:`LowRank` (see there).

    Parameters
    ----------
    dims : dict of str -> int
    rank : int
    output_dim : int

    Examples
    --------
    >>> import torch
    >>> from skmm.fusion import LowRankFusion
    >>> fusion = LowRankFusion({"a": 8, "b": 4}, rank=4, output_dim=16)
    >>> fusion({"a": torch.randn(5, 8), "b": torch.randn(5, 4)}).shape
    torch.Size([5, 16])
    >>> fusion.factors["a"].shape  # (rank, d_a + 1, output_dim)
    torch.Size([4, 9, 16])
    """

    def __init__(self, dims: Mapping[str, int], *, rank: int = 4, output_dim: int = 64) -> None:
        super().__init__(dims)
        self.factors = nn.ParameterDict()
        for name in self.names:
            factor = torch.randn(rank, dims[name] + 1, output_dim) / math.sqrt(dims[name])
            factor[:, 0, :] = 1.0
            self.factors[name] = nn.Parameter(factor)
        self.rank_weights = nn.Parameter(torch.randn(rank) / math.sqrt(rank))
        self.bias = nn.Parameter(torch.zeros(output_dim))
        self.output_dim = output_dim

    def forward(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        first = features[self.names[0]]
        n = first.shape[0]
        vectors = zero_absent([features[name] for name in self.names],
                              present_mask(present, self.names, n, first.device))
        ones = torch.ones(n, 1, dtype=first.dtype, device=first.device)
        fused = None
        for name, vector in zip(self.names, vectors):
            term = torch.einsum("nd,rdo->nro", torch.cat([ones, vector], dim=1), self.factors[name])
            fused = term if fused is None else fused * term
        return torch.einsum("nro,r->no", fused, self.rank_weights) + self.bias
