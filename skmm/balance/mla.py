"""Alternating unimodal adaptation (MLA): one modality per optimizer step, a shared head."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import torch
from torch import nn

from .base import FUSED_MEMBER, BalanceModule, BalanceSpec, Parts, log_probabilities, masked_loss, register_balance

#: The pass that trains the fusion (MLA's passes are otherwise named by modality).
FUSED = FUSED_MEMBER


@register_balance("mla")
class MLA(BalanceSpec):
    """Alternating unimodal adaptation (Zhang et al., CVPR 2024).

    Each training batch takes one optimizer step per modality in turn, each
    on that modality's loss alone through a head shared by all modalities
    (a projection per modality, then one shared layer to the outputs), so
    no modality's gradient can crowd out another's; a last step trains the
    fusion on the fused loss. Prediction mixes the members (each present
    modality's head and the fused head) with weights from their confidence
    on that sample: ``softmax(-entropy)``, the paper's test-time fusion
    (for regression, the mean of the members).

    A batch costs about two forward and backward passes of the whole
    network instead of one.

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.balance import MLA
    >>> MultimodalClassifier(balance=MLA()).get_params()["balance"]
    MLA()
    """

    _parameter_constraints: ClassVar[dict] = {}

    def build_module(
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None, hidden_size: int,
        dropout: float,
    ) -> MLAModule:
        return MLAModule(dims, task_sizes, n_outputs=n_outputs, hidden_size=hidden_size, dropout=dropout)


class MLAModule(BalanceModule):
    """The module of :class:`MLA` (see there)."""

    def __init__(self, dims, task_sizes, *, n_outputs: int, hidden_size: int, dropout: float) -> None:
        projections = nn.ModuleDict({name: nn.Linear(dim, hidden_size) for name, dim in sorted(dims.items())})
        super().__init__(projections, task_sizes)
        self.shared = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden_size, n_outputs))

    def heads_of(self, features):
        return {name: self.shared(proj(features[name])) for name, proj in self.heads.items() if name in features}

    def passes(self):
        return [*self.names, FUSED]

    def output(self, fused, unimodal, present):
        members = {"": fused, **unimodal}
        present = present or {}
        first = fused
        if self.task_sizes is None:
            total = torch.zeros_like(first)
            count = torch.zeros(first.shape[0], 1, dtype=first.dtype, device=first.device)
            for name, out in members.items():
                w = present[name].to(first.dtype)[:, None] if name in present else torch.ones_like(count)
                total, count = total + w * out, count + w
            return total / count.clamp(min=1.0)
        logps = {name: log_probabilities(out, self.task_sizes) for name, out in members.items()}
        entropy = {}
        for name, logp in logps.items():
            value = -(logp.exp() * logp).sum(1)
            if name in present:  # an absent member gets no weight
                value = value.masked_fill(~present[name], float("inf"))
            entropy[name] = value
        weights = torch.softmax(-torch.stack(list(entropy.values()), dim=1), dim=1)  # (n, members)
        stacked = torch.stack(list(logps.values()), dim=1)  # (n, members, outputs)
        parts = []
        start = 0
        for size in self.task_sizes:
            block = stacked[:, :, start:start + size]
            parts.append(torch.logsumexp(block + weights.clamp(min=1e-12).log()[:, :, None], dim=1))
            start += size
        return torch.cat(parts, dim=1)

    def validation_loss(self, parts, criterion, y):
        return criterion(parts.fused, y) + sum(self.unimodal_losses(parts, criterion, y).values())

    def loss(self, parts: Parts, criterion, y, pass_=None):
        if pass_ is None:  # a whole-network pass (not MLA's own schedule): every member's loss
            return criterion(parts.fused, y) + sum(self.unimodal_losses(parts, criterion, y).values())
        if pass_ == FUSED:
            return criterion(parts.fused, y)
        present = (parts.present or {}).get(pass_)
        return masked_loss(criterion, parts.unimodal[pass_], y, present)
