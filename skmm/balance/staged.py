"""Staged training: every modality to its own best epoch first, then the fusion on top."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import ClassVar

import torch
from skorch.callbacks import Callback
from torch import nn

from ..utils.sklearn_compat import Interval, StrOptions
from .base import FUSED_MEMBER, BalanceModule, BalanceSpec, Parts, make_unimodal_heads, register_balance
from .frozen_outputs import FrozenOutputs
from .heads import product

#: History key of the fusion stage's validation loss (see ``StagedModule.fusion_prediction``).
FUSION_KEY = "fusion"


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


def member_modules(network, name: str) -> list[nn.Module]:
    """A member's modules: a modality's encoder and head (not its linear part: the wide SGD's), or the fusion's."""
    if name == FUSION_KEY:
        return [network.fusion, network.head]
    return [network.encoders[name], network.balance.heads[name]]


def member_parameters(network, name: str) -> list:
    """The parameters of :func:`member_modules`."""
    return [p for module in member_modules(network, name) for p in module.parameters()]


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


class StagedStopping(Callback):
    """Stage one: stop and freeze each modality at its best epoch; stage two: the fusion's own stop.

    Parameters
    ----------
    patience : int
    max_epochs : int
        Stage one ends ``2 * patience`` epochs before them at the latest (half
        of them where that is less; without a validation split, there), so
        that the fusion trains.
    plateau : bool
        Divide a member's learning rate by 10 when its own loss has not
        improved for ``patience // 2`` epochs (the estimator's "plateau"
        schedule, per member).
    fusion_lr : float or None
        When stage two starts, the fusion's learning rate is raised to it
        (never lowered; None: left as it is).
    """

    def __init__(self, patience: int = 5, max_epochs: int = 60, plateau: bool = True,
                 fusion_lr: float | None = None) -> None:
        self.fusion_lr = fusion_lr
        self.patience = patience
        self.max_epochs = max_epochs
        self.plateau = plateau

    @staticmethod
    def member_parameters(network, name: str):
        params = member_parameters(network, name)
        if name != FUSION_KEY and name in network.wide:
            params += list(network.wide[name].parameters())
        return params

    @classmethod
    def member_state(cls, network, name: str) -> list:
        """What a member's best epoch is: its parameters and its buffers (batch norm's running statistics)."""
        modules = member_modules(network, name)
        if name != FUSION_KEY and name in network.wide:
            modules.append(network.wide[name])
        return cls.member_parameters(network, name) + [b for module in modules for b in module.buffers()]

    def _freeze(self, network, name: str) -> None:
        for p in self.member_parameters(network, name):
            p.requires_grad_(False)
        if name != FUSION_KEY:
            network.balance.frozen[network.balance.names.index(name)] = True

    @property
    def stage_one_epochs(self) -> int:
        """The epoch by which every member is frozen: ``2 * patience`` before the end, at least half of them.

        The fusion stage runs on kept encoder outputs (a fraction of a second
        an epoch) and stops within about twice its patience, so the modalities
        get the rest: an image member that still improves at epoch 30 (emoji,
        Wesnoth) is worth more than a long fusion stage.
        """
        return max(1, self.max_epochs // 2, self.max_epochs - 2 * self.patience)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        network = net.module_
        self.best_, self.misses_, self.snapshots_, self.stopped_, self.epochs_ = {}, {}, {}, False, 0
        self.flat_, self.cuts_ = {}, {}
        for name in network.balance.names:  # a resumed fit keeps what was frozen
            if network.balance.is_frozen(name):
                self._freeze(network, name)
        # Rows are positions in this fit's dataset: outputs kept by an earlier fit do not apply.
        network.frozen_outputs = FrozenOutputs() if network.balance.uses_fusion else None

    def track(self, net, name: str, score) -> bool:
        """Record the member's score; True when its patience is spent (its best weights are then back)."""
        params = self.member_state(net.module_, name)
        if score is None:
            return False
        # skorch's EarlyStopping rule (a relative threshold of 1e-4): creeping gains do not count.
        if score < self.best_.get(name, float("inf")) * (1 - 1e-4):
            self.best_[name], self.misses_[name], self.flat_[name] = score, 0, 0
            self.snapshots_[name] = [p.detach().clone() for p in params]
            return False
        self.misses_[name] = self.misses_.get(name, 0) + 1
        self.flat_[name] = self.flat_.get(name, 0) + 1
        # As torch's ReduceLROnPlateau(patience=patience // 2): after more bad epochs than that.
        if self.plateau and self.flat_[name] > max(1, self.patience // 2):
            self.flat_[name] = 0
            self.cuts_[name] = self.cuts_.get(name, 0) + 1
            for group in net.optimizer_.param_groups:
                if group.get("member") == name:
                    group["lr"] *= 0.1
        # A member's second plateau ends it: at a tenth of its rate it only creeps (gains above the threshold,
        # one epoch in two, kept an AV-Digits image member training to the 60th epoch, and the fusion never
        # trained).
        if self.misses_[name] < self.patience and self.cuts_.get(name, 0) < 2:
            return False
        self._restore(params, self.snapshots_.pop(name, None))
        return True

    @staticmethod
    def _restore(params, snapshot):
        if snapshot is not None:
            with torch.no_grad():
                for p, saved in zip(params, snapshot):
                    p.copy_(saved)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        network = net.module_
        balance = network.balance
        row = net.history[-1]
        self.epochs_ += 1
        if not balance.uses_fusion:
            for name in balance.names:
                if balance.is_frozen(name):
                    continue
                # The fusion gets the last epochs (stage_one_epochs): a member still training then ends at its
                # best epoch so far (with no validation split, where it is).
                if self.track(net, name, row.get(f"valid_loss_{name}")):
                    self._freeze(network, name)
                elif self.epochs_ >= self.stage_one_epochs:
                    self._restore(self.member_state(network, name), self.snapshots_.pop(name, None))
                    self._freeze(network, name)
            if balance.uses_fusion:  # stage two starts
                # Every encoder is frozen now: its outputs are kept by row (skmm.balance.frozen_outputs).
                network.frozen_outputs = FrozenOutputs()
                for group in net.optimizer_.param_groups:
                    if self.fusion_lr is not None and group.get("member") == FUSION_KEY:
                        group["lr"] = max(group["lr"], self.fusion_lr)
            return
        if self.track(net, FUSION_KEY, row.get(f"valid_loss_{FUSION_KEY}")):
            self.stopped_ = True
            raise KeyboardInterrupt  # skorch's way to end training (as EarlyStopping does)

    _STATE = ("best_", "misses_", "flat_", "cuts_", "snapshots_", "epochs_", "stopped_")

    def checkpoint_state(self) -> dict:
        """What a resumed fit needs to stop where an uninterrupted one would (for checkpoints)."""
        return {key: getattr(self, key) for key in self._STATE if hasattr(self, key)}

    def restore_checkpoint_state(self, state: dict) -> None:
        for key, value in state.items():
            if key in self._STATE:
                setattr(self, key, value)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        net.module_.frozen_outputs = None  # rows of this fit's dataset: meaningless to predict
        # Members still training when the epochs ran out end at their best epoch too.
        for name, snapshot in list(self.snapshots_.items()):
            self._restore(self.member_state(net.module_, name), snapshot)
        self.snapshots_ = {}
        self._weigh_by_precision(net.module_.balance)

    def _weigh_by_precision(self, balance) -> None:
        """A regressor's members weighed by the inverse of their best validation error (each at its best epoch)."""
        if balance.task_sizes is not None or getattr(balance, "fits_member_weights", True):
            return
        for name, loss in self.best_.items():
            member = FUSED_MEMBER if name == FUSION_KEY else name
            if member in balance.member_names:
                balance.member_weights[balance.member_names.index(member)] = 1.0 / max(float(loss), 1e-6)
