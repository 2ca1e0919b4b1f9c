"""Checks of constructor parameters, run in ``fit`` (sklearn convention)."""

from numbers import Integral


def check_positive_int(estimator, *names):
    """Raise ValueError unless each named parameter is an int >= 1 (not a bool)."""
    for name in names:
        value = getattr(estimator, name)
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def check_on_missing(estimator):
    """``on_missing`` must be "error" or "mask"."""
    if estimator.on_missing not in ("error", "mask"):
        raise ValueError(f"on_missing must be 'error' or 'mask', got {estimator.on_missing!r}.")
