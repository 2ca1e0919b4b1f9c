"""Kept for ``from skmm.classifier import MultimodalClassifier``; the class lives in :mod:`skmm.estimators`."""

from .estimators.classifier import MultimodalClassifier

__all__ = ["MultimodalClassifier"]
