"""Augmentation choices for ``augment=``: training batches only, never at predict.

``augment="auto"`` gives every image, frames and tokens modality its kind's
default below; a dict picks per modality (``{"photo": ImageAugment(degrees=20),
"text": None}``); None turns augmentation off. Batches are augmented as whole
tensors inside the training step, so validation batches, ``predict`` and
``score`` never see it, and each cross-validation fold augments only its
own training rows. Draws come from the fit's seeded torch generator:
``random_state`` makes them repeat.
"""

from __future__ import annotations

from numbers import Real

from sklearn.base import BaseEstimator

from .nn.augment import FrameBatchAugment, ImageBatchAugment, TokenBatchAugment

__all__ = ["ImageAugment", "FrameAugment", "TokenAugment", "resolve_augment"]


def _check_fraction(owner, **values):
    for name, value in values.items():
        if not isinstance(value, Real) or not 0 <= value < 1:
            raise ValueError(f"{type(owner).__name__}: {name} must be in [0, 1), got {value!r}.")


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

    def __init__(self, *, crop_scale=(0.8, 1.0), degrees=10.0, translate=0.1, brightness=0.2, contrast=0.2):
        self.crop_scale = crop_scale
        self.degrees = degrees
        self.translate = translate
        self.brightness = brightness
        self.contrast = contrast

    def build(self, info):
        """The batch augmentation for images of ``info.shape`` (C, H, W)."""
        _check_fraction(self, translate=self.translate, contrast=self.contrast)
        if self.crop_scale is not None and not (
            len(self.crop_scale) == 2 and 0 < self.crop_scale[0] <= self.crop_scale[1] <= 1
        ):
            raise ValueError(f"ImageAugment: crop_scale must be (low, high) in (0, 1], got {self.crop_scale!r}.")
        return ImageBatchAugment(
            info.shape[1:], crop_scale=self.crop_scale, degrees=self.degrees, translate=self.translate,
            brightness=self.brightness, contrast=self.contrast,
        )


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

    def __init__(self, *, time_masks=2, time_width=0.1, freq_masks=2, freq_width=4, gain=0.3):
        self.time_masks = time_masks
        self.time_width = time_width
        self.freq_masks = freq_masks
        self.freq_width = freq_width
        self.gain = gain

    def build(self, info):
        """The batch augmentation for frames."""
        _check_fraction(self, time_width=self.time_width)
        return FrameBatchAugment(
            time_masks=self.time_masks, time_width=self.time_width, freq_masks=self.freq_masks,
            freq_width=self.freq_width, gain=self.gain,
        )


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

    def __init__(self, *, p=0.1):
        self.p = p

    def build(self, info):
        """The batch augmentation for token ids."""
        _check_fraction(self, p=self.p)
        return TokenBatchAugment(p=self.p)


DEFAULT_AUGMENT = {"image": ImageAugment, "frames": FrameAugment, "tokens": TokenAugment}


def resolve_augment(augment, infos):
    """``augment`` (None, "auto" or a dict) -> {modality: batch augmentation module}.

    Parameters
    ----------
    augment : None, "auto" or dict
        None: none. "auto": each modality's kind default. A dict: modality
        name -> an augmentation object, "auto" or None; modalities it does
        not name are not augmented.
    infos : dict of str -> ModalityInfo

    Examples
    --------
    >>> from skmm.augment import resolve_augment
    >>> from skmm.data.inputs import ModalityInfo
    >>> infos = {"text": ModalityInfo("tokens", (8,), vocab_size=20), "x": ModalityInfo("vector", (3,))}
    >>> sorted(resolve_augment("auto", infos))
    ['text']
    """
    if augment is None:
        return {}
    if isinstance(augment, str):
        if augment != "auto":
            raise ValueError(f"augment must be None, 'auto' or a dict, got {augment!r}.")
        choices = {name: "auto" for name, info in infos.items() if info.kind in DEFAULT_AUGMENT}
    elif isinstance(augment, dict):
        unknown = sorted(set(augment) - set(infos))
        if unknown:
            raise ValueError(f"augment names modalities {unknown} that X does not have; it has {sorted(infos)}.")
        choices = augment
    else:
        raise TypeError(f"augment must be None, 'auto' or a dict, got {type(augment).__name__}.")
    modules = {}
    for name, choice in choices.items():
        if choice is None:
            continue
        kind = infos[name].kind
        if choice == "auto":
            if kind not in DEFAULT_AUGMENT:
                raise ValueError(f"augment[{name!r}]: no augmentation for {kind} modalities.")
            choice = DEFAULT_AUGMENT[kind]()
        if not hasattr(choice, "build") or kind not in getattr(choice, "kinds", ()):
            raise ValueError(
                f"augment[{name!r}]: {choice!r} does not augment {kind} (modality {name!r})."
            )
        modules[name] = choice.build(infos[name])
    return modules
