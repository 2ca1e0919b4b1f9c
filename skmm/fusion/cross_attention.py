"""Cross-modal attention between the modalities' step states."""

from __future__ import annotations

from typing import ClassVar, Mapping

import torch
from torch import Tensor, nn

from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import BatchFusion, FusionSpec, register_fusion
from .masking import present_mask


@register_fusion("cross_attention")
class CrossAttention(FusionSpec):
    """Cross-modal attention between the modalities' step states.

    Each encoder's ``encode_steps`` states (recurrent outputs, image
    regions) are projected to ``dim``; each modality's steps then attend
    (``nn.MultiheadAttention``) to the steps of all other modalities
    (padding and absent modalities masked out as keys), with a residual
    connection and layer norm (one attention layer and norm shared by the
    modalities; the projections are per modality). The result is
    mean-pooled over the modality's real steps and the modalities are
    concatenated (an absent modality's part is zeros). With one modality, it
    attends to itself; a sample whose other modalities are all absent keeps
    its own steps unchanged by attention. Only the encoders' step states are
    used: layers that only make an encoder's pooled vector (a CNN's final
    linear layer) stay unused.

    Parameters
    ----------
    dim : int or None
        Common size the steps are projected to (None: the estimator's
        ``hidden_size``).
    num_heads : int, default=4
        Attention heads; must divide ``dim``.
    dropout : float or None
        On the attention weights (None: the estimator's).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import CrossAttention
    >>> MultimodalClassifier(fusion=CrossAttention(num_heads=2)).get_params()["fusion__num_heads"]
    2

    Each modality's attended steps are pooled to ``dim`` (here the
    ``hidden_size`` of 16) and the modalities concatenated:

    >>> CrossAttention().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    32
    """

    _parameter_constraints: ClassVar[dict] = {
        "dim": [POSITIVE_INT, None],
        "num_heads": [POSITIVE_INT],
        "dropout": [PROBABILITY, None],
    }

    def __init__(self, *, dim: int | None = None, num_heads: int = 4, dropout: float | None = None) -> None:
        self.dim = dim
        self.num_heads = num_heads
        self.dropout = dropout

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> CrossAttentionFusion:
        return CrossAttentionFusion(
            dims, dim=or_default(self.dim, hidden_size), num_heads=self.num_heads,
            dropout=or_default(self.dropout, dropout),
        )


class CrossAttentionFusion(BatchFusion):
    """The module of :class:`CrossAttention` (see there).

    Parameters
    ----------
    dims : dict of str -> int
        The modalities (only their names are used: ``bind`` sizes each
        projection from its encoder's ``step_dim``).
    dim : int
    num_heads : int
    dropout : float

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skmm.encoders import MLPEncoder, RecurrentEncoder
    >>> from skmm.fusion import CrossAttentionFusion
    >>> encoders = nn.ModuleDict({"a": MLPEncoder(8, 16), "b": RecurrentEncoder(4, 8)})
    >>> fusion = CrossAttentionFusion({"a": 16, "b": 16}, dim=16, num_heads=2)
    >>> fusion.bind(encoders)  # MultimodalNetwork does this itself
    >>> batch = {"a": {"x": torch.randn(5, 8)},
    ...          "b": {"x": torch.randn(5, 7, 4), "lengths": torch.tensor([7, 7, 3, 2, 1])}}
    >>> fusion(batch, encoders).shape
    torch.Size([5, 32])
    """

    def __init__(self, dims: Mapping[str, int], *, dim: int = 64, num_heads: int = 4, dropout: float = 0.0) -> None:
        super().__init__(dims)
        if dim % num_heads:
            raise ValueError(f"cross-attention: num_heads ({num_heads}) must divide dim ({dim}).")
        self.dim = dim
        self.attention = nn.MultiheadAttention(dim, num_heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.project = None
        self.output_dim = dim * len(self.names)

    def bind(self, encoders: nn.ModuleDict) -> None:
        """Create each modality's projection from its encoder's ``step_dim``."""
        missing = [name for name in self.names if not hasattr(encoders[name], "encode_steps")]
        if missing:
            raise ValueError(
                f"cross-attention needs encoders with encode_steps; those of {missing} have none."
            )
        self.project = nn.ModuleDict(
            {name: nn.Linear(encoders[name].step_dim, self.dim) for name in self.names}
        )

    def forward(
        self, batch: dict[str, dict[str, Tensor]], encoders: nn.ModuleDict,
        present: dict[str, Tensor] | None = None,
    ) -> Tensor:
        steps, masks = {}, {}
        for name in self.names:
            states, mask = encoders[name].encode_steps(batch[name]["x"], batch[name].get("lengths"))
            steps[name], masks[name] = self.project[name](states), mask
        first = steps[self.names[0]]
        n = first.shape[0]
        available = present_mask(present, self.names, n, first.device)
        if available is None:
            available = torch.ones(n, len(self.names), dtype=torch.bool, device=first.device)
        pooled = []
        for i, name in enumerate(self.names):
            others = [j for j in range(len(self.names)) if j != i] or [i]
            keys = torch.cat([steps[self.names[j]] for j in others], dim=1)
            valid = torch.cat([masks[self.names[j]] & available[:, j : j + 1] for j in others], dim=1)
            has_keys = valid.any(1)
            # A row with no valid key would attend to nothing (NaN): let it
            # attend anywhere, then drop the result.
            valid = valid | ~has_keys[:, None]
            attended, _ = self.attention(steps[name], keys, keys, key_padding_mask=~valid, need_weights=False)
            attended = attended * has_keys[:, None, None].to(attended.dtype)
            states = self.norm(steps[name] + attended)
            mask = masks[name].unsqueeze(-1).to(states.dtype)
            mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
            pooled.append(mean * available[:, i : i + 1].to(mean.dtype))
        return torch.cat(pooled, dim=1)
