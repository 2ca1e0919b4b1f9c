"""Images: random resized crop, small rotation and shift, brightness and contrast jitter."""

from __future__ import annotations

from typing import Any

import torch
from sklearn.base import BaseEstimator
from torch import nn

from .base import check_fraction


class ImageAugment(BaseEstimator):
    """Random resized crop, small rotation and shift, brightness and contrast jitter.

    Parameters
    ----------
    crop_scale : (float, float) or None, default=(0.8, 1.0)
        Range of the area kept by the random crop (resized back); None: no crop.
    degrees : float, default=10.0
        Largest rotation either way.
    translate : float, default=0.1
        Largest shift, as a fraction of the side.
    brightness : float, default=0.2
        Largest offset added to the standardised pixels.
    contrast : float, default=0.2
        Largest relative change of the pixels' scale.

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.augment import ImageAugment
    >>> clf = MultimodalClassifier(augment={"photo": ImageAugment(degrees=20)})
    >>> clf.get_params()["augment"]["photo"].degrees
    20
    """

    kinds = ("image",)

    def __init__(
        self, *, crop_scale: tuple[float, float] | None = (0.8, 1.0), degrees: float = 10.0, translate: float = 0.1,
        brightness: float = 0.2, contrast: float = 0.2,
    ) -> None:
        self.crop_scale = crop_scale
        self.degrees = degrees
        self.translate = translate
        self.brightness = brightness
        self.contrast = contrast

    def build(self, info: Any) -> ImageBatchAugment:
        """The batch augmentation for images of ``info.shape`` (C, H, W)."""
        check_fraction(self, translate=self.translate, contrast=self.contrast)
        if self.crop_scale is not None and not (
            len(self.crop_scale) == 2 and 0 < self.crop_scale[0] <= self.crop_scale[1] <= 1
        ):
            raise ValueError(f"ImageAugment: crop_scale must be (low, high) in (0, 1], got {self.crop_scale!r}.")
        return ImageBatchAugment(
            info.shape[1:], crop_scale=self.crop_scale, degrees=self.degrees, translate=self.translate,
            brightness=self.brightness, contrast=self.contrast,
        )


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
