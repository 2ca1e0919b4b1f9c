"""Unimodal heads: every encoder also learns through a head and loss of its own."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import ClassVar, Mapping

import torch
from torch import Tensor, nn

from ..utils.sklearn_compat import Interval, StrOptions
from .base import (
    FUSED_MEMBER,
    BalanceModule,
    BalanceSpec,
    Parts,
    log_probabilities,
    make_unimodal_heads,
    register_balance,
)


@register_balance("heads")
class UnimodalHeads(BalanceSpec):
    """Each encoder also trained through its own head and loss, beside the fused loss.

    The loss is the fused output's plus ``weight`` times each modality's own
    head's (a two-layer head like the fused one, over that modality's vector
    alone; samples lacking the modality do not count in its loss). Every
    encoder thus keeps a gradient of its own even once another modality
    fits the labels, as in uni-modal teacher / uni-modal feature learning
    (Du et al., ICML 2023) and gradient blending (Wang et al., CVPR 2020).

    Parameters
    ----------
    weight : float, default=1.0
        Weight of each modality's loss beside the fused one.
    predict : {"product", "learned", "fused"}, default="product"
        What prediction uses: the fused head alone; the product of the
        fused head's and every present modality's head's probabilities
        (the mean of their values for regression); or that product with a
        non-negative weight per member (a power of its probabilities; for
        regression a weighted mean), fitted on the validation split after
        training (equal weights without one).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> MultimodalClassifier(balance="heads").set_params(balance__weight=0.5).balance
    UnimodalHeads(weight=0.5)
    """

    _parameter_constraints: ClassVar[dict] = {
        "weight": [Interval(Real, 0, None, closed="left")],
        "predict": [StrOptions({"learned", "product", "fused"})],
    }

    def __init__(self, *, weight: float = 1.0, predict: str = "product") -> None:
        self.weight = weight
        self.predict = predict

    def build_module(
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None, hidden_size: int,
        dropout: float,
    ) -> HeadsModule:
        heads = make_unimodal_heads(dims, n_outputs, hidden_size, dropout, kind="mlp")
        return HeadsModule(heads, task_sizes, weight=float(self.weight), predict=self.predict)


def product(members: Mapping[str, Tensor], present, task_sizes, weights: Mapping[str, Tensor] | None = None) -> Tensor:
    """Weighted sum of the members' log-probabilities over the samples that have each.

    For regression, the weighted mean of the members' values. A member
    whose name has no presence mask counts for every sample; ``weights``
    (name -> scalar tensor) default to 1, also for a member they do not name.
    """
    present = present or {}
    first = next(iter(members.values()))
    total = torch.zeros_like(first)
    count = torch.zeros(first.shape[0], 1, dtype=first.dtype, device=first.device)
    for name, out in members.items():
        mask = present.get(name)
        w = torch.ones_like(count) if mask is None else mask.to(first.dtype)[:, None]
        # A sparse modality's linear part alone is a member with no weight of its own: 1 (for a regressor,
        # the precision of predicting its scaled target by the mean).
        if weights is not None and name in weights:
            w = w * weights[name]
        total = total + w * log_probabilities(out, task_sizes)
        count = count + w
    if task_sizes is None:
        return total / count.clamp(min=torch.finfo(first.dtype).tiny)
    return total


class HeadsModule(BalanceModule):
    """The module of :class:`UnimodalHeads` (see there)."""

    def __init__(self, heads: nn.ModuleDict, task_sizes, *, weight: float = 1.0, predict: str = "product") -> None:
        super().__init__(heads, task_sizes)
        self.weight = weight
        self.predict = predict
        if predict == "learned":
            self.learn_member_weights([FUSED_MEMBER, *self.names])

    def members(self, fused, unimodal):
        return {FUSED_MEMBER: fused, **unimodal}

    def output(self, fused, unimodal, present):
        if self.predict == "fused" or not unimodal:
            return fused
        return product(self.members(fused, unimodal), present, self.task_sizes, self.weights_by_name())

    def loss(self, parts: Parts, criterion, y, pass_=None):
        losses = self.unimodal_losses(parts, criterion, y)
        return criterion(parts.fused, y) + self.weight * sum(losses.values())
