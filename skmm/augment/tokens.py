"""Token ids: token dropout."""

from __future__ import annotations

from typing import Any

import torch
from sklearn.base import BaseEstimator
from torch import nn

from .base import check_fraction


class TokenAugment(BaseEstimator):
    """Token dropout: each token of a training text is removed with probability ``p``.

    Parameters
    ----------
    p : float, default=0.1

    Examples
    --------
    >>> import torch
    >>> from skmm.augment import TokenAugment
    >>> from skmm.data.inputs import ModalityInfo
    >>> augment = TokenAugment(p=0.5).build(ModalityInfo("tokens", (6,), vocab_size=10))
    >>> out = augment({"x": torch.tensor([[5, 6, 7, 8, 9, 0]]), "lengths": torch.tensor([5])})
    >>> int(out["lengths"][0]) <= 5, out["x"].shape
    (True, torch.Size([1, 6]))
    """

    kinds = ("tokens",)

    def __init__(self, *, p: float = 0.1) -> None:
        self.p = p

    def build(self, info: Any) -> TokenBatchAugment:
        """The batch augmentation for token ids."""
        check_fraction(self, p=self.p)
        return TokenBatchAugment(p=self.p)


class TokenBatchAugment(nn.Module):
    """Token dropout: each real token is removed with probability ``p``.

    The kept tokens move forward (padding stays a suffix) and ``lengths``
    shrinks; a text keeps at least one of its tokens.
    """

    def __init__(self, *, p):
        super().__init__()
        self.p = p

    def forward(self, entry):
        x = entry["x"]
        ids = x[..., 0] if x.ndim == 3 else x
        real = ids != 0
        keep = real & (torch.rand(real.shape, device=x.device) >= self.p)
        # A text whose every token was drawn keeps its first one.
        lost = real.any(1) & ~keep.any(1)
        keep[lost, 0] = True
        order = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)
        index = order if x.ndim == 2 else order[:, :, None].expand_as(x)
        compact = torch.gather(x * (keep if x.ndim == 2 else keep[:, :, None]), 1, index)
        return {**entry, "x": compact, "lengths": keep.sum(1)}
