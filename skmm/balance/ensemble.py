"""A unimodal ensemble: each modality's own net, trained on its own loss, combined."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from torch import nn

from ..utils.sklearn_compat import StrOptions
from .base import BalanceModule, BalanceSpec, Parts, make_unimodal_heads, register_balance
from .heads import product


@register_balance("ensemble")
class UnimodalEnsemble(BalanceSpec):
    """One net per modality inside one estimator: each encoder with its own head and loss.

    Nothing is trained jointly: each modality's encoder and head learn from
    that modality's loss alone, and prediction combines them, by the
    product of their probabilities (``rule="product"``: the uni-modal
    ensemble of Du et al., ICML 2023) or with a learned non-negative weight
    per modality (``rule="learned"``, trained on the combined output with the
    members' outputs held fixed). The fusion is not used. It is the floor a
    fusion must clear: a fusion that does not beat it is not yet fusing.

    Parameters
    ----------
    rule : {"product", "learned"}, default="product"

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> MultimodalClassifier(balance="ensemble").set_params(balance__rule="learned").balance
    UnimodalEnsemble(rule='learned')
    """

    _parameter_constraints: ClassVar[dict] = {"rule": [StrOptions({"product", "learned"})]}

    def __init__(self, *, rule: str = "product") -> None:
        self.rule = rule

    def build_module(
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None, hidden_size: int,
        dropout: float,
    ) -> EnsembleModule:
        heads = make_unimodal_heads(dims, n_outputs, hidden_size, dropout, kind="mlp")
        return EnsembleModule(heads, task_sizes, rule=self.rule)


class EnsembleModule(BalanceModule):
    """The module of :class:`UnimodalEnsemble` (see there)."""

    uses_fusion = False

    def __init__(self, heads: nn.ModuleDict, task_sizes, *, rule: str = "product") -> None:
        super().__init__(heads, task_sizes)
        self.rule = rule
        if rule == "learned":
            self.learn_member_weights(self.names)

    def output(self, fused, unimodal, present):
        return product(unimodal, present, self.task_sizes, self.weights_by_name())

    def loss(self, parts: Parts, criterion, y, pass_=None):
        return sum(self.unimodal_losses(parts, criterion, y).values())
