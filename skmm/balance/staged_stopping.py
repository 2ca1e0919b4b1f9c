"""Staged training's schedule: each modality stopped and frozen at its best epoch, then the fusion's own stop."""

from __future__ import annotations

import torch
from skorch.callbacks import Callback
from torch import nn

from .base import FUSED_MEMBER
from .frozen_outputs import FrozenOutputs

#: History key of the fusion stage's validation loss (see ``StagedModule.fusion_prediction``).
FUSION_KEY = "fusion"


def member_modules(network, name: str) -> list[nn.Module]:
    """A member's modules: a modality's encoder and head (not its linear part: the wide SGD's), or the fusion's."""
    if name == FUSION_KEY:
        return [network.fusion, network.head]
    return [network.encoders[name], network.balance.heads[name]]


def member_parameters(network, name: str) -> list:
    """The parameters of :func:`member_modules`."""
    return [p for module in member_modules(network, name) for p in module.parameters()]


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
    def _modules(network, name: str) -> list[nn.Module]:
        """:func:`member_modules` and, for a modality, its linear part: all that is frozen together."""
        modules = member_modules(network, name)
        if name != FUSION_KEY and name in network.wide:
            modules.append(network.wide[name])
        return modules

    @classmethod
    def member_parameters(cls, network, name: str) -> list:
        return [p for module in cls._modules(network, name) for p in module.parameters()]

    @classmethod
    def member_state(cls, network, name: str) -> list:
        """What a member's best epoch is: its parameters and its buffers (batch norm's running statistics)."""
        modules = cls._modules(network, name)
        return [p for m in modules for p in m.parameters()] + [b for m in modules for b in m.buffers()]

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
