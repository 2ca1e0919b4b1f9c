"""Kept for ``from skmm.regressor import MultimodalRegressor``; the class lives in :mod:`skmm.estimators`."""

from .estimators.regressor import MultimodalRegressor

__all__ = ["MultimodalRegressor"]
