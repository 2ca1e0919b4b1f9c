"""Augmentation choices for ``augment=``: training batches only, never at predict.

``augment="auto"`` gives every image, frames and tokens modality its kind's
default below; a dict picks per modality (``{"photo": ImageAugment(degrees=20),
"text": None}``); None turns augmentation off. Batches are augmented as whole
tensors inside the training step, so validation batches, ``predict`` and
``score`` never see it, and each cross-validation fold augments only its
own training rows. Draws come from the fit's seeded torch generator:
``random_state`` makes them repeat.
"""

from .frames import FrameAugment
from .image import ImageAugment
from .resolve import resolve_augment
from .tokens import TokenAugment

__all__ = ["ImageAugment", "FrameAugment", "TokenAugment", "resolve_augment"]
