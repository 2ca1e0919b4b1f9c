"""Attention over modalities: a softmax weight per modality per sample."""

from __future__ import annotations

from typing import ClassVar, Mapping

import torch
from torch import Tensor, nn

from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import FusionModule, FusionSpec, register_fusion
from .masking import masked_softmax, present_mask


@register_fusion("attention")
class Attention(FusionSpec):
    """Weighted sum of projected modality vectors, softmax weights per sample.

    Each modality vector is projected to ``hidden_size``; a small scorer
    (shared by the modalities) gives each projected vector a score, the
    scores are soft-maxed over the modalities present in the sample, and the
    fused vector is the weighted sum. ``modality_weights`` returns them.

    Parameters
    ----------
    hidden_size : int or None
        Projection size (None: the estimator's).
    dropout : float or None
        In the scorer (None: the estimator's).

    Examples
    --------
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Attention
    >>> MultimodalClassifier(fusion=Attention(hidden_size=32)).get_params()["fusion__hidden_size"]
    32
    >>> fusion = Attention().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> fusion.output_dim
    16
    >>> fusion.modality_weights({"a": torch.zeros(5, 8), "b": torch.zeros(5, 4)}).shape
    torch.Size([5, 2])
    """

    _parameter_constraints: ClassVar[dict] = {
        "hidden_size": [POSITIVE_INT, None],
        "dropout": [PROBABILITY, None],
    }

    def __init__(self, *, hidden_size: int | None = None, dropout: float | None = None) -> None:
        self.hidden_size = hidden_size
        self.dropout = dropout

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> AttentionFusion:
        return AttentionFusion(
            dims, hidden_size=or_default(self.hidden_size, hidden_size), dropout=or_default(self.dropout, dropout)
        )


class AttentionFusion(FusionModule):
    """The module of :class:`Attention` (see there).

    Parameters
    ----------
    dims : dict of str -> int
    hidden_size : int
    dropout : float

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.fusion import AttentionFusion
    >>> fusion = AttentionFusion({"a": 8, "b": 4}, hidden_size=16)
    >>> fusion(features).shape
    torch.Size([5, 16])
    >>> weights = fusion.modality_weights(features)
    >>> weights.shape, bool(torch.allclose(weights.sum(1), torch.ones(5)))
    (torch.Size([5, 2]), True)
    """

    def __init__(self, dims: Mapping[str, int], *, hidden_size: int = 64, dropout: float = 0.0) -> None:
        super().__init__(dims)
        self.project = nn.ModuleDict({name: nn.Linear(dims[name], hidden_size) for name in self.names})
        self.score = nn.Sequential(
            nn.Linear(hidden_size, hidden_size), nn.Tanh(), nn.Dropout(dropout), nn.Linear(hidden_size, 1)
        )
        self.output_dim = hidden_size

    def _attend(self, features: dict[str, Tensor], present: dict[str, Tensor] | None) -> tuple[Tensor, Tensor]:
        projected = torch.stack([self.project[name](features[name]) for name in self.names], dim=1)
        mask = present_mask(present, self.names, projected.shape[0], projected.device)
        weights = masked_softmax(self.score(projected).squeeze(-1), mask)
        return projected, weights

    def forward(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        projected, weights = self._attend(features, present)
        return (weights.unsqueeze(-1) * projected).sum(1)

    def modality_weights(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        """(n, n_modalities) attention weights (zero for absent modalities)."""
        return self._attend(features, present)[1]
