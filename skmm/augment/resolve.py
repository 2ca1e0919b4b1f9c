"""``augment=`` (None, "auto" or a dict) -> the batch augmentation module of each modality."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from torch import nn

from .frames import FrameAugment
from .image import ImageAugment
from .tokens import TokenAugment

DEFAULT_AUGMENT = {"image": ImageAugment, "frames": FrameAugment, "tokens": TokenAugment}


def resolve_augment(
    augment: Literal["auto"] | dict[str, Any] | None, infos: Mapping[str, Any]
) -> dict[str, nn.Module]:
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
