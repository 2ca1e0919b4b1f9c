"""The skorch net that trains an skmm network on batches of modality tensors."""

from __future__ import annotations

import torch
from skorch import NeuralNet
from skorch.utils import to_tensor


def drop_modalities(batch, p):
    """Mark each present modality of each sample absent with probability ``p``.

    A sample always keeps at least one of the modalities it has, so training
    sees every subset a partly missing test set can show.
    """
    names = sorted(batch)
    present = torch.stack([batch[name]["present"] for name in names], dim=1)
    kept = present & (torch.rand(present.shape, device=present.device) >= p)
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
    augment : dict or None, default=None
        Modality name -> batch augmentation (:mod:`skmm.nn.augment`),
        applied to training batches only: ``module_.training`` is False in
        validation and prediction.
    """

    def __init__(self, *args, modality_dropout=0.0, augment=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.modality_dropout = modality_dropout
        self.augment = augment

    def initialize_optimizer(self, *args, **kwargs):
        """The chosen optimizer for the network; SGD with momentum for its wide part.

        Adam gives every coordinate the same step size, so the weights of
        thousands of rare sparse features grow as fast as the informative
        ones; plain SGD (what fits linear models) does not, and reaches a
        logistic regression's accuracy in a few epochs.
        """
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

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        if self.module_.training:
            if self.augment:
                x = {name: self.augment[name](entry) if name in self.augment else entry
                     for name, entry in x.items()}
            if self.modality_dropout:
                x = drop_modalities(x, self.modality_dropout)
        return self.module_(x, **fit_params)
