"""The skorch net that trains an skmm network on batches of modality tensors."""

from __future__ import annotations

import torch
from skorch import NeuralNet
from skorch.utils import to_tensor

from ..nn.optim import use_sparse_rows
from ..utils.progress import BatchProgressBar, EpochTable
from .seeding import drawing_from


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
        applied to training batches only: ``module_.training`` is False in
        validation and prediction. It draws from the fit's generator.
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
        wide_sgd = [
            {"params": list(part.parameters()), "lr": part.lr, "momentum": part.momentum}
            for part in wide.values()
        ]
        if not named:  # a wide part alone: a linear model
            self.optimizer_ = torch.optim.SGD(wide_sgd)
            return self
        args, kwargs = self.get_params_for_optimizer("optimizer", named)
        self.optimizer_ = self.optimizer(*args, **kwargs)
        if wide_sgd:
            self.wide_optimizer_ = torch.optim.SGD(wide_sgd)
        return self

    def _step_optimizer(self, step_fn):
        """One forward and backward pass, then a step of every optimizer.

        skorch hands each optimizer the step as a closure, and SGD and Adam
        call it: with the wide part's SGD beside the network's optimizer,
        every batch ran forward and backward twice (and the first
        optimizer's gradients were thrown away). skorch's AccelerateMixin
        steps this way too. With one optimizer, skorch's own step (closures,
        e.g. for LBFGS, keep working).
        """
        if step_fn is None or len(self._optimizers) == 1:
            return super()._step_optimizer(step_fn)
        step_fn()
        for name in self._optimizers:
            getattr(self, name + "_").step()
        return None

    def _augmented(self, x):
        if not self.augment:
            return x
        return {name: self.augment[name](entry) if name in self.augment else entry for name, entry in x.items()}

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        if not self.module_.training:
            return self.module_(x, **fit_params)
        generator = self.random_generator
        if self.modality_dropout:
            x = drop_modalities(x, self.modality_dropout, generator)
        if generator is None:
            return self.module_(self._augmented(x), **fit_params)
        with drawing_from(generator, self.cuda_generator):
            return self.module_(self._augmented(x), **fit_params)
