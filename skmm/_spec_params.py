"""Shared by the parameter objects of encoders and fusions: constraints and defaults.

The constraints go in ``_parameter_constraints``; scikit-learn's ``Interval``
/ ``StrOptions`` machinery checks them (``BaseEstimator._validate_params``,
called by ``build``) and raises ``InvalidParameterError``, a ValueError and a
TypeError at once, naming the parameter and the object.
"""

from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import Interval

POSITIVE_INT = Interval(Integral, 1, None, closed="left")
PROBABILITY = Interval(Real, 0, 1, closed="both")


def or_default(value: Any, default: Any) -> Any:
    """``value``, or ``default`` when it is None (a spec's unset parameter takes the estimator's)."""
    return value if value is not None else default
