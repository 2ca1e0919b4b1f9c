"""Shared constraint pieces of every skmm parameter check: specs, estimators, preprocessors.

The constraints go in ``_parameter_constraints``; scikit-learn's ``Interval``
/ ``StrOptions`` machinery checks them (``BaseEstimator._validate_params``,
called by ``build`` and by ``_fit_context`` on ``fit``) and raises
``InvalidParameterError``, a ValueError and a TypeError at once, naming the
parameter and the object.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from .sklearn_compat import Interval, InvalidParameterError, Options, StrOptions, validate_parameter_constraints


class _NoBool(Interval):
    """An ``Interval`` that refuses bools: ``True`` is an Integral, but never meant as a count."""

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


class _Size(Options):
    """A ``(height, width)`` pair of positive ints (a tuple or a list)."""

    def __init__(self):
        super().__init__(tuple, set())

    def is_satisfied_by(self, val):
        return isinstance(val, (tuple, list)) and len(val) == 2 and all(
            isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in val
        )

    def __str__(self):
        return "a (height, width) pair of positive ints"


POSITIVE_INT = _NoBool(Integral, 1, None, closed="left")
NON_NEGATIVE_INT = _NoBool(Integral, 0, None, closed="left")
POSITIVE_REAL = _NoBool(Real, 0, None, closed="neither")
PROBABILITY = Interval(Real, 0, 1, closed="both")
SIZE = _Size()
ON_MISSING = StrOptions({"error", "mask"})


def or_default(value: Any, default: Any) -> Any:
    """``value``, or ``default`` when it is None (a spec's unset parameter takes the estimator's)."""
    return value if value is not None else default


def parameter_problem(owner: Any) -> str | None:
    """What is wrong with ``owner``'s parameters by its ``_parameter_constraints``, or None.

    For code that must check an object without fitting it (a params file's
    preprocessors, whose parameters size the arrays ``transform`` allocates).
    """
    try:
        validate_parameter_constraints(
            type(owner)._parameter_constraints, owner.get_params(deep=False), caller_name=type(owner).__name__
        )
    except InvalidParameterError as exc:
        return str(exc)
    return None
