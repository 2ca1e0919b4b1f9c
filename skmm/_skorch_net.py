"""The skorch net that trains an skmm network on batches of modality tensors."""

from __future__ import annotations

from skorch import NeuralNet
from skorch.utils import to_tensor


class ModalityNet(NeuralNet):
    """skorch ``NeuralNet`` whose module takes the whole batch dict.

    skorch would spread a dict batch over ``forward`` as keyword arguments;
    skmm's network reads ``{modality: {"x": ..., "lengths": ...}}`` as one
    argument instead, so any modality name works.
    """

    def infer(self, x, **fit_params):
        return self.module_(to_tensor(x, device=self.device), **fit_params)
