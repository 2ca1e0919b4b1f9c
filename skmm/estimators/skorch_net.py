"""The skorch net that trains an skmm network on batches of modality tensors."""

from __future__ import annotations

from contextlib import nullcontext

import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator, to_tensor

from ..nn.optim import SGD, use_sparse_rows
from ..utils.progress import BatchProgressBar, EpochTable
from .seeding import drawing_from


def stable_lr(lr: float, momentum: float, curvature: float) -> float:
    """``lr``, capped where SGD with momentum on a linear part may diverge, whatever the data.

    A linear part's rows have unit norm, and its bias is one more input of 1,
    so the loss's curvature in its weights is at most ``2 * curvature``
    (the loss's own, in the prediction). Heavy-ball SGD is stable below
    ``2 * (1 + momentum) / L``; the cap keeps 5% below it. On cross-entropy
    that is 3.6 at momentum 0.9, and on the squared error of a regressor's
    scaled targets 0.9: the wide parts' step of 5.0 sent a regressor's text
    part to 1e12 in one epoch.
    """
    return min(lr, 0.95 * 2 * (1 + momentum) / (2 * curvature))


def drop_modalities(batch, p, generator=None):
    """Mark each present modality of each sample absent with probability ``p``.

    A sample always keeps at least one of the modalities it has, so training
    sees every subset a partly missing test set can show. ``generator`` (a
    CPU ``torch.Generator``) makes the draw part of the fit's own stream.
    """
    names = sorted(batch)
    present = torch.stack([batch[name]["present"] for name in names], dim=1)
    draw = torch.rand(present.shape, generator=generator).to(present.device)
    kept = present & (draw >= p)
    none_left = ~kept.any(dim=1)
    kept[none_left] = present[none_left]
    return {
        name: {**batch[name], "present": kept[:, i]} for i, name in enumerate(names)
    }


def _without_rows(entry):
    return {key: value for key, value in entry.items() if key != "rows"}


class ModalityNet(NeuralNet):
    """skorch ``NeuralNet`` whose module takes the whole batch dict.

    skorch would spread a dict batch over ``forward`` as keyword arguments;
    skmm's network reads ``{modality: {"x": ..., "lengths": ..., "present":
    ...}}`` as one argument instead, so any modality name works.

    Parameters
    ----------
    modality_dropout : float, default=0.0
        In training, drop each modality of each sample with this probability
        (see :func:`drop_modalities`).
    random_generator : torch.Generator or None, default=None
        The fit's own random stream (see :mod:`skmm.estimators.seeding`): modality
        dropout draws from it, and training forward passes (dropout) draw
        from it through the global generator. None uses torch's global one.
    cuda_generator : torch.Generator or None, default=None
        The same for the CUDA device when training on one.
    augment : dict or None, default=None
        Modality name -> batch augmentation (:mod:`skmm.augment`),
        applied to training batches only (in :meth:`train_step`). It draws
        from the fit's generator.
    """

    def __init__(
        self, *args, modality_dropout=0.0, random_generator=None, cuda_generator=None, augment=None, **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.modality_dropout = modality_dropout
        self.random_generator = random_generator
        self.cuda_generator = cuda_generator
        self.augment = augment

    def get_default_callbacks(self):
        # The epoch table without colour codes outside a terminal, and at
        # verbose >= 1 a progress bar over each epoch's batches.
        callbacks = [
            (name, EpochTable() if name == "print_log" else callback)
            for name, callback in super().get_default_callbacks()
        ]
        if self.verbose:
            callbacks.insert(-1, ("progress_bar", BatchProgressBar()))
        return callbacks

    def initialize_optimizer(self, *args, **kwargs):
        """The chosen optimizer for the network; SGD with momentum for its wide part.

        Adam gives every coordinate the same step size, so the weights of
        thousands of rare sparse features grow as fast as the informative
        ones; plain SGD (what fits linear models) does not, and reaches a
        logistic regression's accuracy in a few epochs.
        """
        # Large embedding tables give sparse gradients when the optimizer
        # takes them (skmm's adam / adamw), dense ones otherwise.
        use_sparse_rows(self.module_, getattr(self.optimizer, "takes_sparse_rows", False))
        wide = getattr(self.module_, "wide", None) or {}
        wide_ids = {id(p) for part in wide.values() for p in part.parameters()}
        named = [(n, p) for n, p in self.get_all_learnable_params() if id(p) not in wide_ids]
        curvature = getattr(self.criterion_, "curvature", 1.0)
        for part in wide.values():
            use_sparse_rows(part, True)  # skmm's SGD below takes a large linear part's rows
        wide_sgd = [
            {"params": list(part.parameters()), "lr": stable_lr(part.lr, part.momentum, curvature),
             "momentum": part.momentum}
            for part in wide.values()
        ]
        if not named:  # a wide part alone: a linear model
            self.optimizer_ = SGD(wide_sgd)
            return self
        args, kwargs = self.get_params_for_optimizer("optimizer", named)
        members = getattr(getattr(self.module_, "balance", None), "param_groups", lambda network: None)(self.module_)
        if members:
            # One group per member, so a balance option can schedule each member's learning rate.
            member_of = {id(p): name for name, params in members.items() for p in params}
            args = ([
                {**group, "params": [p for p in group["params"] if member_of.get(id(p)) == name], "member": name}
                for group in args[0] for name in dict.fromkeys(member_of.get(id(p)) for p in group["params"])
            ],)
        self.optimizer_ = self.optimizer(*args, **kwargs)
        if wide_sgd:
            self.wide_optimizer_ = SGD(wide_sgd)
        return self

    # -- the training step -------------------------------------------------
    # skorch's own hooks (train_step, infer, get_loss, on_grad_computed and the
    # epoch hooks); the network's balance option (skmm.balance) decides the
    # passes, the loss and any change to the gradients.

    def _balance(self):
        return getattr(self.module_, "balance", None)

    def _optimizers_in_use(self):
        return [opt for opt in (self.optimizer_, getattr(self, "wide_optimizer_", None)) if opt is not None]

    def train_step(self, batch, **fit_params):
        """One training batch: modality dropout and augmentation, then the balance option's passes.

        Each pass (one for most options; one per modality and one for the
        fusion with ``balance="mla"``) runs forward and backward once and
        steps every optimizer. skorch instead hands each optimizer the step
        as a closure that SGD and Adam call, which ran the batch twice
        beside the wide part's SGD; a single optimizer and a single pass
        keep skorch's closure path (LBFGS needs it).
        """
        Xi, yi = unpack_data(batch)
        batch = (self._training_view(to_tensor(Xi, device=self.device)), yi)
        balance = self._balance()
        passes = balance.passes() if balance is not None else [None]
        optimizers = self._optimizers_in_use()
        if passes == [None] and len(optimizers) == 1:
            return super().train_step(batch, **fit_params)
        step = None
        try:
            for pass_ in passes:
                self._pass = pass_
                for optimizer in optimizers:
                    optimizer.zero_grad()
                step = self.train_step_single(batch, **fit_params)
                self.notify(
                    "on_grad_computed", named_parameters=TeeGenerator(self.get_all_learnable_params()),
                    batch=batch, training=True,
                )
                for optimizer in optimizers:
                    optimizer.step()
        finally:
            self._pass = None
        return step

    def _training_view(self, x):
        """A training batch with modalities dropped and augmented (drawn from the fit's stream)."""
        generator = self.random_generator
        if self.modality_dropout:
            x = drop_modalities(x, self.modality_dropout, generator)
        if not self.augment:
            return x
        with drawing_from(generator, self.cuda_generator) if generator is not None else nullcontext():
            # An augmented entry is new each epoch: without "rows", no frozen output is kept for it.
            return {name: _without_rows(self.augment[name](entry)) if name in self.augment else entry
                    for name, entry in x.items()}

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        balance = self._balance()
        generator = self.random_generator if self.module_.training else None
        # Training forward passes draw dropout from the fit's own stream.
        with drawing_from(generator, self.cuda_generator) if generator is not None else nullcontext():
            if balance is None:
                return self.module_(x, **fit_params)
            parts = self.module_.parts(x, pass_=getattr(self, "_pass", None))
        self._parts = parts
        return parts.output

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The balance option's loss (in validation also each head's score, recorded per epoch)."""
        parts, self._parts = getattr(self, "_parts", None), None
        balance = self._balance()
        if balance is None or parts is None or parts.output is not y_pred:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        y_true = to_tensor(y_true, device=self.device)
        if not training:
            self._record(self._valid_scores, balance.scores(parts, self.criterion_, y_true))
            return balance.validation_loss(parts, self.criterion_, y_true)
        self._to_modulate = (parts, y_true)
        return balance.loss(parts, self.criterion_, y_true, pass_=getattr(self, "_pass", None))

    def on_grad_computed(self, net, named_parameters, X=None, y=None, training=False, **kwargs):
        pending, self._to_modulate = getattr(self, "_to_modulate", None), None
        balance = self._balance()
        if pending is None or balance is None:
            return
        parts, y_true = pending
        generator = self.random_generator
        with drawing_from(generator, self.cuda_generator) if generator is not None else nullcontext():
            factors = balance.modulate(self.module_, parts, self.criterion_, y_true)
        self._record(self._factors, {name: (value, 1.0) for name, value in factors.items()})

    @staticmethod
    def _record(store, figures):
        for name, (total, count) in figures.items():
            had = store.get(name, (0.0, 0.0))
            store[name] = (had[0] + total, had[1] + count)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        self._valid_scores, self._factors = {}, {}

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        balance = self._balance()
        if balance is None:
            return
        # Each modality's own head on the validation split: imbalance made visible.
        for name, (total, count) in sorted(getattr(self, "_valid_scores", {}).items()):
            if count:
                self.history.record(f"valid_{name}", total / count)
        for name, (total, count) in sorted(getattr(self, "_factors", {}).items()):
            self.history.record(f"ogm_{name}", total / count)
