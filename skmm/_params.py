"""Checks of constructor parameters, run in ``fit`` (sklearn convention)."""

from numbers import Integral


def check_positive_int(estimator, *names):
    """Raise ValueError unless each named parameter is an int >= 1 (not a bool)."""
    for name in names:
        value = getattr(estimator, name)
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
