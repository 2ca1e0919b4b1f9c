"""Sample and class weights: checked once in ``fit``, then carried with each batch's target.

The weights travel inside the target, as ``{"target": tensor, "weight":
tensor}``: skorch hands a batch's target to the loss (which takes the
weighted mean, see :mod:`skmm.nn.losses`), to the validation loss and to
scoring, so weighted rows stay weighted through the validation split too.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from skorch.utils import to_numpy

from ..utils.sklearn_compat import check_sample_weight as _checked_weights


def check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 array of ``n_samples`` non-negative values, or None."""
    if sample_weight is None:
        return None
    # sklearn's checker reads only the number of rows (and dtype) off its X.
    return _checked_weights(
        sample_weight, np.empty((n_samples, 0)), dtype=np.float64, ensure_non_negative=True
    )


def _one_target_weights(class_weight, classes, encoded, where):
    """Per-sample weights of one target column from a dict or "balanced"."""
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be 'balanced', a dict or None, got {class_weight!r}.")
        seen = np.unique(encoded)
        per_class = np.ones(len(classes))
        per_class[seen] = compute_class_weight("balanced", classes=seen, y=encoded)
        return per_class[encoded]
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight{where} must be 'balanced', a dict or None, got {class_weight!r}.")
    known = set(classes.tolist())
    unknown = [c for c in class_weight if c not in known]
    if unknown:
        raise ValueError(
            f"class_weight{where} names classes {unknown} that y does not have; classes are {list(classes)}."
        )
    bad = {c: w for c, w in class_weight.items() if not (np.isfinite(w) and w >= 0)}
    if bad:
        raise ValueError(f"class_weight{where} must map classes to finite weights >= 0, got {bad}.")
    # Classes the dict leaves out weigh 1, as in scikit-learn.
    per_class = np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])
    return per_class[encoded]


def class_sample_weight(class_weight, classes, encoded):
    """Per-sample weights from ``class_weight`` (None, "balanced", dict, or a list per target).

    ``classes`` is the classifier's ``classes_`` (a list of arrays for several
    targets) and ``encoded`` the class indices, shape (n,) or (n, n_targets).
    With several targets the weights multiply, as in
    :func:`sklearn.utils.class_weight.compute_sample_weight`.
    """
    if class_weight is None:
        return None
    if not isinstance(classes, list):
        return _one_target_weights(class_weight, classes, encoded, "")
    if isinstance(class_weight, dict):
        raise ValueError("with several targets, class_weight must be 'balanced' or a list of dicts, one per target.")
    per_target = class_weight if isinstance(class_weight, list) else [class_weight] * len(classes)
    if len(per_target) != len(classes):
        raise ValueError(f"class_weight gives {len(per_target)} entries for {len(classes)} targets.")
    weight = np.ones(len(encoded))
    for i, (cw, c) in enumerate(zip(per_target, classes)):
        if cw is not None:
            weight = weight * _one_target_weights(cw, c, encoded[:, i], f"[{i}]")
    return weight


def combine(sample_weight, class_weight):
    """The product of the two per-sample weights (either may be None)."""
    if sample_weight is None:
        return class_weight
    if class_weight is None:
        return sample_weight
    return sample_weight * class_weight


def with_weight(target, weight):
    """The target a dataset holds: ``target``, or ``{"target", "weight"}`` when weighted."""
    if weight is None:
        return target
    if not np.any(weight > 0):
        raise ValueError("sample_weight (times class_weight) is 0 for every sample; nothing to train on.")
    return {"target": target, "weight": torch.as_tensor(weight, dtype=torch.float32)}


def target_only(y):
    """The target part of a batch's ``y`` as numpy (skorch scoring's ``target_extractor``)."""
    return to_numpy(y["target"] if isinstance(y, dict) else y)
