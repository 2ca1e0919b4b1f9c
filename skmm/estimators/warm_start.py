"""Transfer learning: start a new network's encoders and fusion from a fitted one.

``warm_start_from`` names a fitted skmm estimator (or a file its
``save_params`` wrote). Each encoder of the new network whose modality name
and weight shapes match one in the source starts from the source's weights;
so does the fusion when all its shapes agree. The head is always new: the
targets (and their number) may differ.
"""

from __future__ import annotations

import os
import warnings

from sklearn.utils.validation import check_is_fitted

from ..persistence import params_file as persistence

_CLONE_HINT = (
    "scikit-learn's clone (GridSearchCV, cross_val_score, Pipeline clones) gives estimator "
    "parameters back unfitted: wrap the source in sklearn.frozen.FrozenEstimator, or save it "
    "with save_params and pass the file's path."
)


def source_state(source, estimator_class):
    """The module state dict of ``source``: a fitted estimator, a FrozenEstimator or a params file.

    ``estimator_class`` is the class a source estimator must be an instance of
    (the estimators' base, passed in by it: this module sits below it).
    """
    inner = getattr(source, "estimator", None)
    if type(source).__name__ == "FrozenEstimator" and inner is not None:
        source = inner
    if isinstance(source, (str, os.PathLike)) or hasattr(source, "read"):
        *_, state = persistence.load(source, estimator_class, "cpu")
        return state
    if not isinstance(source, estimator_class):
        raise TypeError(
            "warm_start_from must be a fitted MultimodalClassifier/MultimodalRegressor or the path "
            f"of a file written by save_params, got {type(source).__name__}."
        )
    try:
        check_is_fitted(source, "net_")
    except Exception:
        raise ValueError(f"warm_start_from holds an unfitted {type(source).__name__}. {_CLONE_HINT}") from None
    return source.net_.module_.state_dict()


def _mismatch(prefix, source, target):
    """Why the entries under ``prefix`` cannot be copied, or None when they can."""
    theirs = {k: v for k, v in source.items() if k.startswith(prefix)}
    ours = {k: v for k, v in target.items() if k.startswith(prefix)}
    if not theirs:
        return "not in the source"
    if set(theirs) != set(ours):
        extra = sorted(set(theirs) ^ set(ours))[0]
        return f"different layers ({extra} is on one side only)"
    for key, value in ours.items():
        if tuple(theirs[key].shape) != tuple(value.shape):
            return f"{key} has shape {tuple(theirs[key].shape)} in the source, {tuple(value.shape)} here"
    return None


def warm_start(module, source, estimator_class, verbose=0, strict=True):
    """Copy matching encoders (and the fusion) of ``source`` into ``module``.

    Parameters
    ----------
    module : MultimodalNetwork
        The freshly built network.
    source : fitted estimator, FrozenEstimator, or path / file of ``save_params``
    estimator_class : type
        What a source estimator must be (``BaseMultimodal``).
    verbose : int
        Print what was loaded and what was skipped.
    strict : bool, default=True
        Raise when nothing matches (False: report it; a caller with several
        networks raises when none of them matched).

    Returns
    -------
    report : dict
        ``{"loaded": [part, ...], "skipped": {part: reason}}``; parts are
        ``"encoders.<modality>"`` and ``"fusion"``.

    Raises
    ------
    ValueError
        When no part matches (nothing would be transferred).
    """
    theirs = source_state(source, estimator_class)
    ours = module.state_dict()
    parts = [f"encoders.{name}" for name in module.encoders]
    if any(k.startswith("fusion.") for k in ours):
        parts.append("fusion")
    loaded, skipped = [], {}
    for part in parts:
        if part == "fusion" and getattr(module.fusion, "is_output", False):
            skipped[part] = "a late fusion ends in the heads, which are new"
            continue
        reason = _mismatch(part + ".", theirs, ours)
        if reason is None:
            loaded.append(part)
        else:
            skipped[part] = reason
    if not loaded and not strict:
        return {"loaded": loaded, "skipped": skipped}
    if not loaded:
        reasons = "; ".join(f"{part}: {why}" for part, why in skipped.items())
        raise ValueError(f"warm_start_from: no encoder or fusion matches the source ({reasons}).")
    module.load_state_dict(
        {k: v for k, v in theirs.items() if any(k.startswith(part + ".") for part in loaded)}, strict=False
    )
    message = f"Warm start: loaded {', '.join(loaded)}; the head is new."
    if skipped:
        message += " Skipped " + "; ".join(f"{part} ({why})" for part, why in skipped.items()) + "."
        warnings.warn(message, UserWarning, stacklevel=3)
    if verbose:
        print(message)
    return {"loaded": loaded, "skipped": skipped}
