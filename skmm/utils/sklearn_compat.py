"""Every private scikit-learn name skmm uses, imported here and nowhere else.

scikit-learn's parameter validation (``Interval``, ``StrOptions``...,
``_fit_context``), ``_BaseComposition`` (nested ``get_params``/``set_params``
of a composite), ``_num_samples`` and ``_check_sample_weight`` are the
conventions of its own estimators, which skmm follows, but they are private:
they may move or change in any release. So they come through this one module
(as imbalanced-learn and skrub do with ``sklearn-compat``), the supported
range is bounded in ``pyproject.toml``, and ``make test-sklearn-oldest`` runs
the tests on the oldest scikit-learn it allows. A release that moves a name
is handled here, once.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import _check_sample_weight as _sklearn_check_sample_weight
from sklearn.utils.validation import _num_samples

__all__ = [
    "HasMethods", "InvalidParameterError", "Interval", "Options", "StrOptions", "_BaseComposition",
    "check_sample_weight", "_fit_context", "_num_samples", "validate_parameter_constraints",
]


def check_sample_weight(sample_weight, X, **kwargs):
    """scikit-learn's ``_check_sample_weight``, refusing weights that are all 0 on every supported release.

    scikit-learn 1.7 began refusing them; 1.6 accepts them.
    """
    weights = _sklearn_check_sample_weight(sample_weight, X, **kwargs)
    if weights.size and not np.any(weights):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return weights
