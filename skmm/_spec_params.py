"""Shared constraint pieces of every skmm parameter check: specs, estimators, preprocessors.

The constraints go in ``_parameter_constraints``; scikit-learn's ``Interval``
/ ``StrOptions`` machinery checks them (``BaseEstimator._validate_params``,
called by ``build`` and by ``_fit_context`` on ``fit``) and raises
``InvalidParameterError``, a ValueError and a TypeError at once, naming the
parameter and the object.
"""

from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import Interval, StrOptions

POSITIVE_INT = Interval(Integral, 1, None, closed="left")
PROBABILITY = Interval(Real, 0, 1, closed="both")
ON_MISSING = StrOptions({"error", "mask"})


def or_default(value: Any, default: Any) -> Any:
    """``value``, or ``default`` when it is None (a spec's unset parameter takes the estimator's)."""
    return value if value is not None else default


def reject_bools(owner: Any, *names: str) -> None:
    """ValueError for a bool given as a count (``Interval(Integral)`` lets ``True`` through as 1)."""
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, bool):
            raise ValueError(f"{name} must be an integer, got {value!r}.")
