"""Frames (log-mel spectrograms): SpecAugment-style time and frequency masks and a gain."""

from __future__ import annotations

from typing import Any

import torch
from sklearn.base import BaseEstimator
from torch import nn

from .base import check_fraction


class FrameAugment(BaseEstimator):
    """SpecAugment-style masks and gain on frames (log-mel spectrograms).

    Parameters
    ----------
    time_masks : int, default=2
        Spans of time set to zero per clip.
    time_width : float, default=0.1
        Longest time span, as a fraction of the padded length.
    freq_masks : int, default=2
        Bands of features set to zero per clip.
    freq_width : int, default=4
        Widest band, in features (mel bands).
    gain : float, default=0.3
        Largest level shift added to every real frame (a volume change).

    Examples
    --------
    >>> import torch
    >>> from skmm.augment import FrameAugment
    >>> from skmm.data.inputs import ModalityInfo
    >>> augment = FrameAugment(freq_masks=0, gain=0.0).build(ModalityInfo("frames", (50, 40)))
    >>> out = augment({"x": torch.ones(2, 50, 40), "lengths": torch.tensor([50, 10])})
    >>> bool(out["x"].eq(0).any()), bool(out["x"][1, 10:].eq(1).all())  # time masks cover real frames only
    (True, True)
    """

    kinds = ("frames",)

    def __init__(
        self, *, time_masks: int = 2, time_width: float = 0.1, freq_masks: int = 2, freq_width: int = 4,
        gain: float = 0.3,
    ) -> None:
        self.time_masks = time_masks
        self.time_width = time_width
        self.freq_masks = freq_masks
        self.freq_width = freq_width
        self.gain = gain

    def build(self, info: Any) -> FrameBatchAugment:
        """The batch augmentation for frames."""
        check_fraction(self, time_width=self.time_width)
        return FrameBatchAugment(
            time_masks=self.time_masks, time_width=self.time_width, freq_masks=self.freq_masks,
            freq_width=self.freq_width, gain=self.gain,
        )


def _masks(n, extent, count, width, limit, device):
    """``count`` random spans per sample of up to ``width`` steps within ``limit`` (n,)."""
    positions = torch.arange(extent, device=device)[None, :]
    masked = torch.zeros(n, extent, dtype=torch.bool, device=device)
    for _ in range(count):
        spans = (torch.rand(n, device=device) * (width + 1)).long()
        starts = (torch.rand(n, device=device) * (limit - spans + 1).clamp(min=1)).long()
        masked |= (positions >= starts[:, None]) & (positions < (starts + spans)[:, None])
    return masked


class FrameBatchAugment(nn.Module):
    """SpecAugment-style time and frequency masks and a random gain on frames.

    Masked values become 0: the mean of standardised log-mel features. The
    gain is a level shift of every frame of a clip (a louder or quieter
    recording, in log-mel units). Padding frames stay zero.
    """

    def __init__(self, *, time_masks, time_width, freq_masks, freq_width, gain):
        super().__init__()
        self.time_masks = time_masks
        self.time_width = time_width
        self.freq_masks = freq_masks
        self.freq_width = freq_width
        self.gain = gain

    def forward(self, entry):
        x = entry["x"]
        n, steps, features = x.shape
        lengths = entry.get("lengths")
        lengths = torch.full((n,), steps, device=x.device) if lengths is None else lengths.to(x.device)
        real = torch.arange(steps, device=x.device)[None, :] < lengths[:, None]
        keep = torch.ones_like(x, dtype=torch.bool)
        if self.time_masks:
            width = max(1, int(self.time_width * steps))
            keep &= ~_masks(n, steps, self.time_masks, width, lengths, x.device)[:, :, None]
        if self.freq_masks:
            limit = torch.full((n,), features, device=x.device)
            keep &= ~_masks(n, features, self.freq_masks, self.freq_width, limit, x.device)[:, None, :]
        if self.gain:
            x = x + (torch.rand(n, 1, 1, device=x.device) * 2 - 1) * self.gain * real[:, :, None]
        return {**entry, "x": x * keep}
