"""On-the-fly gradient modulation with generalisation enhancement (OGM-GE)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real
from typing import ClassVar

import torch
from torch import nn

from ..utils.sklearn_compat import Interval
from .base import BalanceModule, BalanceSpec, Parts, make_unimodal_heads, register_balance


@register_balance("ogm_ge")
class OGMGE(BalanceSpec):
    """Slow down the modality that is ahead: on-the-fly gradient modulation (Peng et al., CVPR 2022).

    Each batch, a linear probe per modality (trained on the encoder's
    detached vector, so it watches without steering) scores how well that
    modality alone predicts the batch: ``s_m``, the mean over the samples
    that have it of ``exp(-loss)`` (the probability of the right class for
    cross-entropy, as in the paper). A modality whose score is above the
    mean of all, ``rho_m = s_m / mean(s) > 1``, gets its encoder's
    gradients multiplied by ``1 - tanh(alpha * rho_m)`` (the paper's rule)
    and, with ``noise=True`` (generalisation enhancement, "GE"), Gaussian
    noise of the gradient's own standard deviation added (dense gradients
    only). The other modalities' gradients are left alone. The
    coefficients are recorded per epoch in ``history_`` (``ogm_<name>``).

    Parameters
    ----------
    alpha : float, default=0.5
        Strength of the modulation (the paper uses 0.1 to 0.8).
    noise : bool, default=True
        Add the generalisation-enhancement noise (False: plain OGM).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> MultimodalClassifier(balance="ogm_ge").set_params(balance__alpha=0.8).balance
    OGMGE(alpha=0.8)
    """

    _parameter_constraints: ClassVar[dict] = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "noise": ["boolean"],
    }

    def __init__(self, *, alpha: float = 0.5, noise: bool = True) -> None:
        self.alpha = alpha
        self.noise = noise

    def build_module(
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None, hidden_size: int,
        dropout: float,
    ) -> OGMGEModule:
        heads = make_unimodal_heads(dims, n_outputs, hidden_size, dropout, kind="linear")
        return OGMGEModule(heads, task_sizes, alpha=float(self.alpha), noise=bool(self.noise))


def modality_parameters(network: nn.Module, name: str):
    """The parameters of modality ``name``'s encoder and of its linear part, if any."""
    yield from network.encoders[name].parameters()
    wide = getattr(network, "wide", {})
    if name in wide:
        yield from wide[name].parameters()


class OGMGEModule(BalanceModule):
    """The module of :class:`OGMGE` (see there)."""

    detach = True

    def __init__(self, heads: nn.ModuleDict, task_sizes, *, alpha: float = 0.5, noise: bool = True) -> None:
        super().__init__(heads, task_sizes)
        self.alpha = alpha
        self.noise = noise

    def loss(self, parts: Parts, criterion, y, pass_=None):
        # The probes learn from their own losses; their inputs are detached.
        return criterion(parts.output, y) + sum(self.unimodal_losses(parts, criterion, y).values())

    def coefficients(self, parts: Parts, criterion, y) -> dict[str, float]:
        """Each modality's gradient factor for this batch."""
        target = y["target"] if isinstance(y, dict) else y
        present = parts.present or {}
        scores = {}
        with torch.no_grad():
            for name, out in parts.unimodal.items():
                confidence = torch.exp(-criterion.per_sample(out, target))
                mask = present.get(name)
                if mask is not None:
                    if not mask.any():
                        continue
                    confidence = confidence[mask]
                scores[name] = float(confidence.mean())
        if len(scores) < 2:
            return {name: 1.0 for name in scores}
        mean = sum(scores.values()) / len(scores)
        coeffs = {}
        for name, score in scores.items():
            ratio = score / max(mean, 1e-12)
            coeffs[name] = 1.0 - float(torch.tanh(torch.tensor(self.alpha * ratio))) if ratio > 1 else 1.0
        return coeffs

    def modulate(self, network, parts, criterion, y):
        coeffs = self.coefficients(parts, criterion, y)
        for name, coeff in coeffs.items():
            if coeff == 1.0:
                continue
            for param in modality_parameters(network, name):
                grad = param.grad
                if grad is None:
                    continue
                if grad.is_sparse or not self.noise or grad.numel() < 2:
                    param.grad = grad * coeff
                else:
                    # The noise's scale is the unmodulated gradient's, as in the paper's code.
                    std = float(grad.std()) + 1e-8
                    param.grad = grad * coeff + torch.randn_like(grad) * std
        return coeffs
