"""Staged training: every modality to its own best epoch first, then the fusion on top."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import ClassVar

import torch
from torch import nn

from ..utils.sklearn_compat import Interval, StrOptions
from .base import FUSED_MEMBER, BalanceModule, BalanceSpec, Parts, make_unimodal_heads, register_balance
from .heads import product
from .staged_stopping import FUSION_KEY, StagedStopping, member_parameters

__all__ = ["FUSION_KEY", "Staged", "StagedModule", "StagedStopping"]


@register_balance("staged")
class Staged(BalanceSpec):
    """Train each modality as its own net first, then the fusion on top; predict with all of them.

    Stage one trains every encoder with a head of its own on its own loss
    (nothing joint, so no modality can starve another: the uni-modal
    ensemble of Du et al., ICML 2023); each modality stops at its own best
    validation epoch (``patience`` epochs without improvement), gets those
    weights back and is frozen, as a separately trained single-modality
    net would be. Stage two trains the chosen fusion and its head on the
    frozen encoders, so it can only add what the modalities give together,
    until it too stops improving. Prediction is the product of every
    member's probabilities (each modality's head and the fused head); for
    regression, the product of Gaussians: the mean of their values, each
    weighted by its precision (the inverse of its best validation squared
    error), so a modality that predicts nothing weighs little. A member
    stops at its second plateau (its rate cut once by the plateau schedule
    already), and stage one ends at the latest ``2 * patience`` epochs
    before ``max_epochs`` (half of them where that is less), leaving the
    fusion, which trains on kept encoder outputs in a fraction of a second
    an epoch, the rest. Without a validation split (``early_stopping=False``
    and no ``validation_fraction``) the members train to that epoch. On the
    emoji and Wesnoth sets, freezing at half of ``max_epochs`` (30) cut
    image members that were still improving: ending stage one at 50 raised
    the test accuracy by 1.1-1.8 points (emoji, seeds 0 and 1) and 0.5
    (Wesnoth, seed 0), for 22-50% more fit time.

    Parameters
    ----------
    patience : int or None, default=None
        Epochs without improvement before a member stops (None: the
        estimator's ``n_iter_no_change``).
    weights : {"equal", "learned"}, default="equal"
        Each member's weight in the product: equal (the plain product), or
        fitted on the validation split after training, which helps only
        when the validation rows are like the test rows (on AV-Digits,
        whose test writers are unseen, it lost 1.6 points).
    fusion_lr : float or None, default=1e-2
        The fusion stage's learning rate where the estimator's ``lr`` is
        smaller (None: ``lr``): on frozen encoders the fusion and its head
        are a small net over fixed vectors, which takes larger steps (as a
        linear probe does). On AV-Digits (seeds 0 and 1), 1e-2 beside the
        default ``lr=1e-3`` ended the fit 12-15% sooner at the same
        accuracy (0.970 / 0.964 against 0.972 / 0.966).
    fusion_loss : {"own", "residual"}, default="own"
        What the fusion stage trains on (classification; a regressor's
        fusion always trains on its own loss). ``"own"``: the fused head's
        own loss, as a separate fusion net would. ``"residual"``: the loss
        of the prediction itself (the product of every member, fused head
        included), so the fused head learns only what the frozen
        modalities' product gets wrong, as a boosting stage does. Over 3
        seeds on AV-Digits, Debian, emoji and Wesnoth the two were within
        0.3 points of each other on every set, "own" ahead on three
        (``benchmarks/README.md``, "Balanced fusion"), so it stays the
        default.

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> MultimodalClassifier(balance="staged").set_params(balance__patience=3).balance
    Staged(patience=3)
    """

    _parameter_constraints: ClassVar[dict] = {
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "weights": [StrOptions({"equal", "learned"})],
        "fusion_lr": [Interval(Real, 0, None, closed="neither"), None],
        "fusion_loss": [StrOptions({"own", "residual"})],
    }

    def __init__(self, *, patience: int | None = None, weights: str = "equal", fusion_lr: float | None = 1e-2,
                 fusion_loss: str = "own") -> None:
        self.patience = patience
        self.weights = weights
        self.fusion_lr = fusion_lr
        self.fusion_loss = fusion_loss

    stops_training = True
    fusion_loss = "own"  # for Staged objects pickled before the parameter existed (instances set their own)
    # Each modality trains alone in stage one, so a text's linear part cannot starve the media there.
    wide_beside_media = True

    def build_module(
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None, hidden_size: int,
        dropout: float,
    ) -> StagedModule:
        heads = make_unimodal_heads(dims, n_outputs, hidden_size, dropout, kind="mlp")
        return StagedModule(heads, task_sizes, learned=self.weights == "learned",
                            residual=self.fusion_loss == "residual")

    def training_callbacks(
        self, *, patience: int, max_epochs: int, lr_schedule: str | None
    ) -> list[tuple[str, StagedStopping]]:
        return [("staged", StagedStopping(self.patience or patience, max_epochs, plateau=lr_schedule == "plateau",
                                          fusion_lr=self.fusion_lr))]


class StagedModule(BalanceModule):
    """The module of :class:`Staged` (see there).

    ``frozen`` (a buffer, saved with the weights) marks the modalities whose
    stage one is over; the fusion trains once all are. ``residual``: the
    fusion trains on the prediction's loss (classification only).
    """

    residual = False  # modules pickled before the option read as the fusion's own loss

    def __init__(self, heads: nn.ModuleDict, task_sizes, *, learned: bool = False, residual: bool = False) -> None:
        super().__init__(heads, task_sizes)
        self.residual = residual and task_sizes is not None
        # A regressor's members are always weighed: by their precision, unless learned (see StagedStopping).
        if learned or task_sizes is None:
            self.learn_member_weights([FUSED_MEMBER, *self.names])
        self.fits_member_weights = learned
        self.register_buffer("frozen", torch.zeros(len(self.names), dtype=torch.bool))

    @property
    def uses_fusion(self) -> bool:  # type: ignore[override]
        return bool(self.frozen.all())

    def members(self, fused, unimodal):
        return {FUSED_MEMBER: fused, **unimodal} if fused is not None else dict(unimodal)

    def output(self, fused, unimodal, present):
        weights = self.weights_by_name()
        members = self.members(fused, unimodal)
        return product(members, present, self.task_sizes, weights)

    def loss(self, parts: Parts, criterion, y, pass_=None):
        if parts.fused is not None:
            return criterion(self.fusion_prediction(parts), y)
        losses = self.unimodal_losses(parts, criterion, y)
        return sum(loss for name, loss in losses.items() if not self.is_frozen(name))

    def training_heads(self):
        # Stage one trains the modalities not yet frozen; stage two the fusion alone.
        return [] if self.uses_fusion else [name for name in self.names if not self.is_frozen(name)]

    def frozen_modules(self, network):
        modules = []
        for name in self.names:
            if self.is_frozen(name):
                modules += [network.encoders[name], self.heads[name]]
                if name in network.wide:
                    modules.append(network.wide[name])
        return modules

    def param_groups(self, network):
        return {name: member_parameters(network, name) for name in [*self.names, FUSION_KEY]}

    def validation_loss(self, parts, criterion, y):
        # Each member stops on its own loss; this one is what is reported (and a cosine schedule ignores).
        return criterion(parts.output, y)

    def fusion_prediction(self, parts: Parts):
        """What the fusion stage's loss (and its stop) is computed on."""
        return parts.output if self.residual else parts.fused

    def is_frozen(self, name: str) -> bool:
        return name in self.names and bool(self.frozen[self.names.index(name)])

    def scores(self, parts, criterion, y):
        out = super().scores(parts, criterion, y)
        if parts.fused is not None:
            target = y["target"] if isinstance(y, dict) else y
            per_sample = criterion.per_sample(self.fusion_prediction(parts), target)
            out[f"loss_{FUSION_KEY}"] = (float(per_sample.sum()), float(len(target)))
        return out
