"""Losses for several targets trained jointly (one head slice per target)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _weights(weights, n):
    w = torch.ones(n) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
    return w / w.sum()


class MultiTaskCrossEntropy(nn.Module):
    """Weighted mean of cross-entropies, one per target column.

    Parameters
    ----------
    sizes : list of int
        Classes of each target: the logits are their concatenation.
    weights : list of float or None
        Relative weight of each target's loss (None: equal).
    """

    def __init__(self, sizes, weights=None):
        super().__init__()
        self.sizes = list(sizes)
        self.register_buffer("weights", _weights(weights, len(self.sizes)))

    def forward(self, logits, y):
        parts = torch.split(logits, self.sizes, dim=1)
        losses = torch.stack([F.cross_entropy(p, y[:, i]) for i, p in enumerate(parts)])
        return (losses * self.weights).sum()


class WeightedMSE(nn.Module):
    """Weighted mean over targets of the mean squared error."""

    def __init__(self, n_targets, weights=None):
        super().__init__()
        self.register_buffer("weights", _weights(weights, n_targets))

    def forward(self, pred, y):
        return (((pred - y) ** 2).mean(dim=0) * self.weights).sum()
