"""Tensor Fusion Network: outer product of the modality vectors."""

from __future__ import annotations

import math
from typing import ClassVar, Mapping

import torch
from torch import Tensor as TorchTensor
from torch import nn

from ..utils.spec_params import POSITIVE_INT
from .base import FusionModule, FusionSpec, register_fusion
from .masking import present_mask, zero_absent


@register_fusion("tensor")
class Tensor(FusionSpec):
    """Tensor Fusion Network (Zadeh et al. 2017): outer product of the vectors, each extended with 1.

    Each modality vector (projected to ``dim`` first, unless ``dim`` is
    None) is extended with a constant 1; the flattened outer product of all
    of them holds every unimodal, bimodal, ... interaction. An absent
    modality's vector is zeros, so only its constant-1 term remains.

    Parameters
    ----------
    dim : int or None, default=16
        Each modality vector is first projected to this size (None: used as
        it is). The fused size is ``prod(dim_i + 1)``.
    max_features : int, default=65536
        A larger product raises ValueError (use ``"low_rank"`` instead, or a
        smaller ``dim``).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Tensor
    >>> MultimodalClassifier(fusion="tensor").set_params(fusion__dim=8).fusion
    Tensor(dim=8)

    Two modalities projected to 4 features each: ``(4 + 1) * (4 + 1)``.

    >>> Tensor(dim=4).build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    25
    """

    _parameter_constraints: ClassVar[dict] = {
        "dim": [POSITIVE_INT, None],
        "max_features": [POSITIVE_INT],
    }

    def __init__(self, *, dim: int | None = 16, max_features: int = 65536) -> None:
        self.dim = dim
        self.max_features = max_features

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> TensorFusion:
        return TensorFusion(dims, dim=self.dim, max_features=self.max_features)


class TensorFusion(FusionModule):
    """The module of :class:`Tensor` (see there).

    Parameters
    ----------
    dims : dict of str -> int
    dim : int or None
    max_features : int

    Examples
    --------
    >>> import torch
    >>> from skmm.fusion import TensorFusion
    >>> fusion = TensorFusion({"a": 8, "b": 4}, dim=4)
    >>> fusion({"a": torch.randn(5, 8), "b": torch.randn(5, 4)}).shape
    torch.Size([5, 25])
    """

    def __init__(self, dims: Mapping[str, int], *, dim: int | None = 16, max_features: int = 65536) -> None:
        super().__init__(dims)
        sizes = {name: (dim if dim is not None else dims[name]) for name in self.names}
        size = math.prod(s + 1 for s in sizes.values())
        if size > max_features:
            raise ValueError(
                f"tensor fusion of {len(sizes)} modalities of sizes {sizes} has "
                f"prod(d_i + 1) = {size} features, more than max_features={max_features}; "
                "use fusion='low_rank' (the same interactions in low-rank factors), a smaller "
                "`dim` (e.g. fusion__dim=8) or raise max_features."
            )
        self.project = None
        if dim is not None:
            self.project = nn.ModuleDict({name: nn.Linear(dims[name], dim) for name in self.names})
        self.output_dim = size

    def forward(
        self, features: dict[str, TorchTensor], present: dict[str, TorchTensor] | None = None,
    ) -> TorchTensor:
        first = features[self.names[0]]
        n = first.shape[0]
        vectors = [
            self.project[name](features[name]) if self.project is not None else features[name]
            for name in self.names
        ]
        vectors = zero_absent(vectors, present_mask(present, self.names, n, first.device))
        ones = torch.ones(n, 1, dtype=first.dtype, device=first.device)
        fused = ones
        for vector in vectors:
            extended = torch.cat([ones, vector], dim=1)
            fused = (fused.unsqueeze(2) * extended.unsqueeze(1)).flatten(1)
        return fused
