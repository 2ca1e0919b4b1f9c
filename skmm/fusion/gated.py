"""Gated Multimodal Units, for any number of modalities."""

from __future__ import annotations

from typing import ClassVar, Mapping

import torch
from torch import Tensor, nn

from ..utils.sklearn_compat import StrOptions
from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import FusionModule, FusionSpec, register_fusion
from .masking import masked_softmax, present_mask, zero_absent


@register_fusion("gated")
class Gated(FusionSpec):
    """Gated Multimodal Units (Arevalo et al. 2017), for any number of modalities.

    ``h_m = tanh(W_m x_m)`` per modality; gates ``z = W_z [x_1; ...; x_M]``
    (one per modality per unit) are a softmax over the modalities
    (``gate="softmax"``, the two-modality GMU's ``z, 1 - z`` generalised) or
    independent sigmoids (``gate="sigmoid"``); the fused vector is
    ``sum_m z_m * h_m``. Absent modalities enter the gates as zeros and get
    gate 0. ``modality_weights`` is each modality's mean gate.

    Parameters
    ----------
    hidden_size : int or None
        Size of the gated units (None: the estimator's).
    dropout : float or None
        Before each modality's tanh layer (None: the estimator's).
    gate : {"softmax", "sigmoid"}, default="softmax"
        Gates compete across modalities (softmax) or are independent.

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Gated
    >>> MultimodalClassifier(fusion=Gated(gate="sigmoid")).get_params()["fusion__gate"]
    'sigmoid'
    >>> Gated().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    16
    """

    _parameter_constraints: ClassVar[dict] = {
        "hidden_size": [POSITIVE_INT, None],
        "dropout": [PROBABILITY, None],
        "gate": [StrOptions({"softmax", "sigmoid"})],
    }

    def __init__(self, *, hidden_size: int | None = None, dropout: float | None = None, gate: str = "softmax") -> None:
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.gate = gate

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> GatedFusion:
        return GatedFusion(
            dims, hidden_size=or_default(self.hidden_size, hidden_size), dropout=or_default(self.dropout, dropout),
            gate=self.gate,
        )


class GatedFusion(FusionModule):
    """The module of :class:`Gated` (see there).

    Parameters
    ----------
    dims : dict of str -> int
    hidden_size : int
    dropout : float
    gate : {"softmax", "sigmoid"}

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.fusion import GatedFusion
    >>> fusion = GatedFusion({"a": 8, "b": 4}, hidden_size=16)
    >>> fusion(features).shape
    torch.Size([5, 16])
    >>> fusion.modality_weights(features).shape
    torch.Size([5, 2])
    """

    def __init__(
        self, dims: Mapping[str, int], *, hidden_size: int = 64, dropout: float = 0.0, gate: str = "softmax",
    ) -> None:
        super().__init__(dims)
        if gate not in ("softmax", "sigmoid"):
            raise ValueError(f"gate must be 'softmax' or 'sigmoid', got {gate!r}.")
        self.gate = gate
        self.hidden_size = hidden_size
        self.transform = nn.ModuleDict(
            {name: nn.Sequential(nn.Dropout(dropout), nn.Linear(dims[name], hidden_size), nn.Tanh())
             for name in self.names}
        )
        self.gates = nn.Linear(sum(dims.values()), hidden_size * len(self.names))
        self.output_dim = hidden_size

    def _gated(self, features: dict[str, Tensor], present: dict[str, Tensor] | None) -> tuple[Tensor, Tensor]:
        vectors = [features[name] for name in self.names]
        n = vectors[0].shape[0]
        mask = present_mask(present, self.names, n, vectors[0].device)
        vectors = zero_absent(vectors, mask)
        logits = self.gates(torch.cat(vectors, dim=1)).view(n, len(self.names), self.hidden_size)
        if self.gate == "softmax":
            gates = masked_softmax(logits, None if mask is None else mask.unsqueeze(-1))
        else:
            gates = torch.sigmoid(logits)
            if mask is not None:
                gates = gates * mask.unsqueeze(-1).to(gates.dtype)
        hidden = torch.stack([self.transform[name](v) for name, v in zip(self.names, vectors)], dim=1)
        return hidden, gates

    def forward(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        hidden, gates = self._gated(features, present)
        return (gates * hidden).sum(1)

    def modality_weights(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        """(n, n_modalities) mean gate of each modality over the hidden units."""
        return self._gated(features, present)[1].mean(-1)
