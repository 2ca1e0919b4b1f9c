"""Concatenation (early, feature-level) fusion."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor

from .base import FusionModule, FusionSpec, register_fusion
from .masking import present_mask, zero_absent


@register_fusion("concat")
class Concat(FusionSpec):
    """Concatenate the modality vectors (early, feature-level fusion).

    An absent modality's part is zeros. Takes no parameters;
    ``fusion="concat"`` is the estimators' default.

    Examples
    --------
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Concat
    >>> MultimodalClassifier(fusion=Concat()).get_params()["fusion"]
    Concat()
    >>> fusion = Concat().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> fusion.output_dim
    12
    >>> fusion({"a": torch.zeros(5, 8), "b": torch.zeros(5, 4)}).shape
    torch.Size([5, 12])
    """

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> ConcatFusion:
        return ConcatFusion(dims)


class ConcatFusion(FusionModule):
    """The module of :class:`Concat` (see there).

    Parameters
    ----------
    dims : dict of str -> int
        Each modality's vector size.

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.fusion import ConcatFusion
    >>> fusion = ConcatFusion({"a": 8, "b": 4})

    Samples without ``"b"`` get zeros in its part:

    >>> present = {"b": torch.tensor([True, False, True, True, False])}
    >>> fusion(features, present)[:, 8:].abs().sum(1).eq(0).tolist()
    [False, True, False, False, True]
    """

    def __init__(self, dims: Mapping[str, int]) -> None:
        super().__init__(dims)
        self.output_dim = sum(dims.values())

    def forward(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        vectors = [features[name] for name in self.names]
        mask = present_mask(present, self.names, vectors[0].shape[0], vectors[0].device)
        return torch.cat(zero_absent(vectors, mask), dim=1)
