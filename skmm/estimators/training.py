"""The translation into skorch: the net with its callbacks, split and schedule; training and resuming."""

from __future__ import annotations

import math

import numpy as np
from skorch.callbacks import EarlyStopping, LRScheduler
from skorch.dataset import ValidSplit
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau

from ..augment import resolve_augment
from ..balance import resolve_balance
from ..balance.weights import MemberWeights
from ..data.batches import batch_loader
from ..persistence import checkpoint
from ..utils.threads import RetuneThreads
from .params import OPTIMIZERS
from .seeding import cuda_generator


class TrainingMixin:
    """Builds ``net_`` (a skorch net around the network) and trains it; part of :class:`BaseMultimodal`.

    Reads the subclass contract (``_criterion``, ``_stratify``,
    ``_valid_callbacks``, ``_net_class``, ``_n_targets``) declared in
    :mod:`skmm.estimators.base`.
    """

    def _callbacks(self, seed, with_checkpoint, target=None, module=None):
        """(train_split, callbacks) in the order skorch runs them."""
        callbacks, train_split = [], None
        callbacks.append(("threads", RetuneThreads(retune=self.n_threads is None)))
        fraction = self.validation_fraction
        # Stratify by the single target; several targets split at random.
        stratified = self._stratify and self._n_targets() == 1
        if fraction is None and self.early_stopping and (
            target is None or can_hold_out(target, 0.1, stratified)
        ):
            # As MLPClassifier: early stopping holds out 10%. Data too small
            # to hold out a stratified 10% stops on the training loss instead.
            fraction = 0.1
        if fraction is not None:
            train_split = ValidSplit(fraction, stratified=stratified, random_state=seed)
            callbacks += self._valid_callbacks()
        monitor = "valid_loss" if fraction is not None else "train_loss"
        balance = resolve_balance(self.balance)
        balanced = getattr(module, "balance", None) is not None  # one modality has nothing to balance
        if balanced:
            callbacks += balance.training_callbacks(
                patience=self.n_iter_no_change, max_epochs=self.max_epochs, lr_schedule=self.lr_schedule)
        self_stopping = balanced and balance.stops_training
        if self.early_stopping and not self_stopping:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor=monitor, patience=self.n_iter_no_change, load_best=True)))
        if fraction is not None:
            # After early stopping has restored the best epoch: members weighed on held-out rows.
            callbacks.append(("member_weights", MemberWeights()))
        if self.lr_schedule == "cosine":
            callbacks.append(("lr_schedule", LRScheduler(CosineAnnealingLR, T_max=self.max_epochs)))
        elif self.lr_schedule == "plateau" and not self_stopping:
            callbacks.append(("lr_schedule", LRScheduler(
                ReduceLROnPlateau, monitor=monitor, patience=max(1, self.n_iter_no_change // 2))))
        if self.checkpoint_dir is not None and with_checkpoint:
            # After skmm's own callbacks (the saved schedule has stepped) and
            # before the user's, so an epoch is saved before one of those can fail.
            callbacks.append(("checkpoint", checkpoint.EpochCheckpoint(
                self.checkpoint_dir, self._configuration(), seed)))
        return train_split, callbacks + list(self.callbacks or [])

    def _make_net(self, module, seed, generator=None, target=None):
        """The skorch net around ``module``; ``generator`` is the fit's own stream (None: not training)."""
        train_split, callbacks = self._callbacks(
            seed, with_checkpoint=generator is not None, target=target, module=module)
        criterion, criterion_params = self._criterion()
        on_gpu = str(self.device).startswith("cuda")
        net_class, net_params = self._net_class()
        return net_class(
            module,
            criterion=criterion,
            **{f"criterion__{k}": v for k, v in criterion_params.items()},
            optimizer=OPTIMIZERS.get(self.optimizer, self.optimizer),
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=batch_loader,
            iterator_train__shuffle=True,
            # The fit's own stream (skmm.estimators.seeding): shuffling, dropout, modality dropout.
            iterator_train__generator=generator,
            iterator_train__length_aware=self._trimmable(module),
            random_generator=generator,
            cuda_generator=cuda_generator(self.device, seed) if generator is not None else None,
            # Batches are built on the CPU; pinned pages make the copy to a GPU asynchronous.
            iterator_train__pin_memory=on_gpu,
            iterator_train__num_workers=self.num_workers,
            iterator_valid=batch_loader,
            iterator_valid__pin_memory=on_gpu,
            iterator_valid__num_workers=self.num_workers,
            train_split=train_split,
            callbacks=callbacks or None,
            verbose=self.verbose,
            modality_dropout=self.modality_dropout,
            augment=resolve_augment(self.augment, self.modalities_),
            **{"device": self.device, **net_params},
        )

    def _trimmable(self, module):
        """Modalities whose training batches may be sorted by length and cut (:mod:`skmm.data.buckets`)."""
        if not self.length_aware_batching:
            return ()
        encoders = getattr(module, "encoders", {})
        return tuple(name for name, encoder in encoders.items() if getattr(encoder, "takes_trimmed_steps", False))

    def _task_weights(self):
        """``task_weights`` as a list in target order (None: equal)."""
        weights = self.task_weights
        if weights is None:
            return None
        names = getattr(self, "target_names_", None)
        if isinstance(weights, dict):
            if names is None or set(weights) != set(names):
                raise ValueError(
                    f"task_weights names {sorted(weights)} but the targets are "
                    f"{names if names is not None else 'unnamed (pass y as a DataFrame)'}."
                )
            weights = [weights[name] for name in names]
        weights = [float(w) for w in weights]
        if len(weights) != self._n_targets() or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(
                f"task_weights must give {self._n_targets()} non-negative weights, got {self.task_weights!r}."
            )
        return weights

    def _train(self, dataset, target, state=None, epochs=None):
        """Train ``net_``, resuming from ``state`` (a read checkpoint) when given.

        ``epochs`` (partial_fit) trains that many epochs, with no resuming.
        """
        saver = next((
            cb for name, cb in (c for c in (self.net_.callbacks or []) if isinstance(c, tuple)) if name == "checkpoint"
        ), None)
        if epochs is not None:
            self.net_.fit(dataset, target, epochs=epochs)
        elif state is None:
            self.net_.fit(dataset, target)
        else:
            self.net_.initialize()
            checkpoint.restore(self.net_, state, saver)
            done = state["epochs"]
            if done < self.max_epochs and not state["finished"]:
                if self.verbose:
                    print(f"Resuming from the checkpoint in {self.checkpoint_dir} after epoch {done}.")
                self.net_.partial_fit(dataset, target, epochs=self.max_epochs - done)
                # History's own indexing returns copies; mark the stored epoch dict.
                list.__getitem__(self.net_.history, done)["resumed_from_epoch"] = done
        stopped_early = any(
            (isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience)
            or getattr(cb, "stopped_", False)
            for _, cb in self.net_.callbacks_
        )
        if saver is not None and (len(self.net_.history) >= self.max_epochs or stopped_early):
            # The final state (best weights after early stopping): a refit returns it
            # as is. skorch ends a fit quietly on Ctrl-C (KeyboardInterrupt); then the
            # last epoch's checkpoint stays, and the next fit resumes from it.
            saver.save(self.net_, finished=True)


# -- the default training budget's choices that depend on the data --------------
def can_hold_out(target, fraction, stratified):
    """Whether ``fraction`` of the rows can be held out for validation.

    A stratified split needs every class twice and at least one row per
    class on each side; any split needs a row on each side.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.estimators.training import can_hold_out
    >>> can_hold_out(np.repeat([0, 1], 50), 0.1, stratified=True)
    True
    >>> can_hold_out(np.array([0, 0, 1, 1, 2, 2]), 0.1, stratified=True)
    False
    """
    target = np.asarray(target)
    n = len(target)
    n_valid = math.ceil(fraction * n)
    if n_valid < 1 or n - n_valid < 1:
        return False
    if not stratified:
        return True
    _, counts = np.unique(target.reshape(n, -1)[:, 0], return_counts=True)
    return counts.min() >= 2 and n_valid >= len(counts) and n - n_valid >= len(counts)
