"""An estimator's configuration as plain data, to record in files and compare.

Params files and checkpoints store the configuration of the estimator that
wrote them. On load it is compared with the configuration of the estimator
loading them, and the first difference is named (``fusion.rank: 4 in the
file, 8 here``) instead of failing later on a tensor of the wrong size.
The description is only ever compared, never turned back into objects.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

# Parameters that do not shape the network or its training stream.
NOT_CONFIGURATION = frozenset(
    {"verbose", "callbacks", "checkpoint_dir", "device", "max_epochs", "num_workers", "n_jobs", "n_threads"}
)
# What a params file must agree on: the network's shape and what feeds it.
NETWORK = ("preprocessor", "encoders", "fusion", "balance", "hidden_size", "dropout")


def describe(value):
    """``value`` as nested plain data (dicts, lists, strings, numbers)."""
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, BaseEstimator):
        params = value.get_params(deep=False)
        return {"class": type(value).__name__, "params": {k: describe(params[k]) for k in sorted(params)}}
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type):
        return f"<class {value.__module__}.{value.__qualname__}>"
    # Functions, modules, other objects: compared by type (an address would never match).
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def configuration(estimator, names=None):
    """``describe`` of the estimator's parameters (all that shape training, or ``names``)."""
    params = estimator.get_params(deep=False)
    if names is None:
        names = [k for k in params if k not in NOT_CONFIGURATION]
    return {name: describe(params.get(name)) for name in sorted(names)}


def first_difference(saved, current, path=""):
    """``(path, saved value, current value)`` of the first difference, or None."""
    if isinstance(saved, dict) and isinstance(current, dict):
        described = set(saved) == {"class", "params"} == set(current)  # an estimator
        if described and saved["class"] != current["class"]:
            return path, saved["class"], current["class"]
        for key in sorted(set(saved) | set(current), key=str):
            if described and key == "class":
                continue
            sub = path if described else f"{path}.{key}" if path else str(key)
            if key not in saved or key not in current:
                return sub, saved.get(key, "<absent>"), current.get(key, "<absent>")
            found = first_difference(saved[key], current[key], sub)
            if found:
                return found
        return None
    if isinstance(saved, list) and isinstance(current, list) and len(saved) == len(current):
        for i, (a, b) in enumerate(zip(saved, current)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if saved != current and not (_is_nan(saved) and _is_nan(current)):
        return path, saved, current
    return None


def _is_nan(value):
    return isinstance(value, float) and value != value


def short(value, limit=120):
    """repr of a described value, cut to ``limit`` characters for a message."""
    if isinstance(value, dict) and set(value) == {"class", "params"}:
        text = f"{value['class']}(...)"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
