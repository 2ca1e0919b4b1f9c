"""Training losses: per-sample losses reduced to a (sample-weighted) mean.

Each loss computes one value per sample and then takes the mean over the
batch, or, when the target arrives as ``{"target": ..., "weight": ...}``
(fits given ``sample_weight`` or ``class_weight``), the weighted mean
``sum(w * loss) / sum(w)`` -- torch's own convention for class weights.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _weights(weights, n):
    w = torch.ones(n) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
    return w / w.sum()


class PerSampleLoss(nn.Module):
    """Base of skmm's losses: ``per_sample(pred, target)`` reduced to a weighted mean.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.losses import CrossEntropy
    >>> logits, y = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])
    >>> loss = CrossEntropy()
    >>> per_sample = loss.per_sample(logits, y)
    >>> weighted = loss(logits, {"target": y, "weight": torch.tensor([1.0, 3.0])})
    >>> bool(torch.isclose(weighted, (per_sample * torch.tensor([1.0, 3.0])).sum() / 4))
    True
    """

    #: The largest second derivative of the per-sample loss in the prediction (the Hessian's
    #: top eigenvalue, over all predictions): what bounds a stable SGD step on a linear part.
    curvature = 1.0

    def per_sample(self, pred, target):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, pred, y):
        if not isinstance(y, dict):
            return self.per_sample(pred, y).mean()
        losses = self.per_sample(pred, y["target"])
        weight = y["weight"].to(losses.dtype)
        # A batch whose rows all weigh 0 contributes 0, not 0/0.
        return (losses * weight).sum() / weight.sum().clamp(min=torch.finfo(losses.dtype).tiny)


class CrossEntropy(PerSampleLoss):
    """Cross-entropy of one target's logits (one value per sample)."""

    curvature = 0.5  # softmax: diag(p) - p p^T has eigenvalues <= 1/2

    def per_sample(self, logits, y):
        return F.cross_entropy(logits, y, reduction="none")


class MultiTaskCrossEntropy(PerSampleLoss):
    """Weighted mean of cross-entropies, one per target column.

    Parameters
    ----------
    sizes : list of int
        Classes of each target: the logits are their concatenation.
    weights : list of float or None
        Relative weight of each target's loss (None: equal).
    """

    curvature = 0.5  # a weighted mean (weights summing to 1) of cross-entropies

    def __init__(self, sizes, weights=None):
        super().__init__()
        self.sizes = list(sizes)
        self.register_buffer("weights", _weights(weights, len(self.sizes)))

    def per_sample(self, logits, y):
        parts = torch.split(logits, self.sizes, dim=1)
        losses = torch.stack(
            [F.cross_entropy(p, y[:, i], reduction="none") for i, p in enumerate(parts)], dim=1
        )
        return losses @ self.weights


class WeightedMSE(PerSampleLoss):
    """Weighted mean over targets of the squared error (one value per sample)."""

    curvature = 2.0  # d^2/dp^2 of (p - y)^2, the weights summing to 1

    def __init__(self, n_targets, weights=None):
        super().__init__()
        self.register_buffer("weights", _weights(weights, n_targets))

    def per_sample(self, pred, y):
        return ((pred - y) ** 2) @ self.weights
