"""Late (decision-level) fusion: a head per modality, outputs averaged."""

from __future__ import annotations

from typing import ClassVar, Mapping

import torch
from torch import Tensor, nn

from ..utils.sklearn_compat import StrOptions
from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import FusionModule, FusionSpec, register_fusion
from .head import make_head
from .masking import masked_softmax, present_mask


@register_fusion("late")
class Late(FusionSpec):
    """Late (decision-level) fusion: a head per modality, outputs averaged.

    Each modality's vector goes through its own two-layer head to the
    network's outputs (logits or values); these are averaged over the
    modalities present in each sample, equal-weighted (``weights="mean"``)
    or with learned softmax weights (``weights="learned"``, one logit per
    modality, shared by all samples). The estimator adds no head after it.

    Parameters
    ----------
    weights : {"mean", "learned"}, default="mean"
        Equal weights, or learned softmax weights per modality (readable
        with ``modality_weights``).
    hidden_size : int or None
        Width of each modality's head (None: the estimator's).
    dropout : float or None
        In each head (None: the estimator's).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Late
    >>> MultimodalClassifier(fusion=Late(weights="learned")).get_params()["fusion__weights"]
    'learned'

    Its output is already the network's (here 3 classes):

    >>> fusion = Late().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> fusion.output_dim, fusion.is_output
    (3, True)
    """

    _parameter_constraints: ClassVar[dict] = {
        "weights": [StrOptions({"mean", "learned"})],
        "hidden_size": [POSITIVE_INT, None],
        "dropout": [PROBABILITY, None],
    }

    def __init__(self, *, weights: str = "mean", hidden_size: int | None = None, dropout: float | None = None) -> None:
        self.weights = weights
        self.hidden_size = hidden_size
        self.dropout = dropout

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> LateFusion:
        return LateFusion(
            dims, n_outputs, hidden_size=or_default(self.hidden_size, hidden_size),
            dropout=or_default(self.dropout, dropout), weights=self.weights,
        )


class LateFusion(FusionModule):
    """The module of :class:`Late` (see there).

    Parameters
    ----------
    dims : dict of str -> int
    n_outputs : int
    hidden_size : int
        Width of each head.
    dropout : float
    weights : {"mean", "learned"}

    Examples
    --------
    >>> import torch
    >>> features = {"a": torch.randn(5, 8), "b": torch.randn(5, 4)}
    >>> from skmm.fusion import LateFusion
    >>> fusion = LateFusion({"a": 8, "b": 4}, n_outputs=3, hidden_size=16, weights="learned")
    >>> fusion(features).shape
    torch.Size([5, 3])
    >>> fusion.modality_weights(features).shape
    torch.Size([5, 2])
    """

    is_output = True

    def __init__(
        self, dims: Mapping[str, int], n_outputs: int, *, hidden_size: int = 64, dropout: float = 0.0,
        weights: str = "mean",
    ) -> None:
        super().__init__(dims)
        if weights not in ("mean", "learned"):
            raise ValueError(f"weights must be 'mean' or 'learned', got {weights!r}.")
        self.heads = nn.ModuleDict(
            {name: make_head(dims[name], hidden_size, n_outputs, dropout) for name in self.names}
        )
        self.weights = weights
        self.logits = nn.Parameter(torch.zeros(len(self.names))) if weights == "learned" else None
        self.output_dim = n_outputs

    def _weights(self, features: dict[str, Tensor], present: dict[str, Tensor] | None) -> Tensor:
        first = features[self.names[0]]
        mask = present_mask(present, self.names, first.shape[0], first.device)
        logits = self.logits if self.logits is not None else torch.zeros(len(self.names), device=first.device)
        return masked_softmax(logits.expand(first.shape[0], -1), mask)

    def forward(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        outputs = torch.stack([self.heads[name](features[name]) for name in self.names], dim=1)
        return (self._weights(features, present).unsqueeze(-1) * outputs).sum(1)

    def modality_weights(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        """(n, n_modalities) learned weights (zero for absent modalities)."""
        if self.logits is None:
            raise ValueError(
                "late fusion with weights='mean' averages modalities equally and learns no "
                "weights; use Late(weights='learned')."
            )
        return self._weights(features, present)
