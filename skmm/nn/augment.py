"""Augmentations of whole training batches: images, log-mel frames, token ids.

Each takes a batch entry ``{"x", "lengths", "present"}`` of one modality and
returns a new entry; random draws come from torch's generator, which the
estimator seeds inside each fit, so a seeded fit repeats exactly.
"""

from __future__ import annotations

import torch
from torch import nn


class ImageBatchAugment(nn.Module):
    """Random resized crop and small affine (kornia), then brightness/contrast jitter.

    Images reach the network standardised (zero mean, unit variance per
    channel), so brightness and contrast are a random offset and gain per
    image rather than kornia's colour ops, which clamp to [0, 1].
    """

    def __init__(self, size, *, crop_scale, degrees, translate, brightness, contrast):
        super().__init__()
        import kornia.augmentation as K  # only needed when images are augmented

        ops = []
        if crop_scale is not None and crop_scale[0] < 1:
            ops.append(K.RandomResizedCrop(tuple(size), scale=tuple(crop_scale), p=1.0))
        if degrees or translate:
            ops.append(K.RandomAffine(
                degrees=degrees, translate=(translate, translate) if translate else None, p=1.0,
                padding_mode="border",
            ))
        self.geometric = K.AugmentationSequential(*ops) if ops else None
        self.brightness = brightness
        self.contrast = contrast

    def forward(self, entry):
        x = entry["x"]
        if self.geometric is not None:
            x = self.geometric(x)
        n = len(x)
        if self.contrast:
            x = x * (1 + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * self.contrast)
        if self.brightness:
            x = x + (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1) * self.brightness
        return {**entry, "x": x}


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
