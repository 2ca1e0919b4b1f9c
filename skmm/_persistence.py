"""A safe file format for fitted skmm estimators: no code runs on load.

``pickle`` and ``joblib`` round-trip an estimator exactly, but loading a
pickle can execute arbitrary code. ``save_params``/``load_params`` instead
write plain data (dicts, lists, strings, numbers and tensors) with
``torch.save`` and read it back with ``torch.load(weights_only=True)``, which
refuses anything else. Fitted transformers are stored as their class path,
parameters and fitted attributes; on load only classes from skmm and
scikit-learn are rebuilt.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict

import numpy as np
import torch
from sklearn.base import BaseEstimator

from .nn.inputs import ModalityInfo

FORMAT = "skmm-params-1"
_ALLOWED_PACKAGES = ("skmm.", "sklearn.")


def to_plain(value, where="value"):
    """Encode ``value`` as data that ``torch.load(weights_only=True)`` accepts."""
    if isinstance(value, np.generic):  # before float: np.float64 is a float
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, ModalityInfo):
        return {"__modality__": to_plain(asdict(value), where)}
    if isinstance(value, tuple):
        return {"__tuple__": [to_plain(v, where) for v in value]}
    if isinstance(value, list):
        return [to_plain(v, where) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: dict keys must be strings to be saved safely.")
        return {k: to_plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, BaseEstimator):
        cls = type(value)
        params = value.get_params(deep=False)
        fitted = {k: v for k, v in vars(value).items() if k not in params}
        return {
            "__estimator__": f"{cls.__module__}.{cls.__qualname__}",
            "params": to_plain(params, f"{where}.params"),
            "fitted": to_plain(fitted, f"{where} ({cls.__name__})"),
        }
    raise TypeError(
        f"{where} is a {type(value).__name__}, which cannot be saved in the safe "
        "format; use pickle or joblib for this estimator."
    )


def from_plain(value):
    """Decode what :func:`to_plain` wrote."""
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
    if "__tuple__" in value:
        return tuple(from_plain(v) for v in value["__tuple__"])
    if "__modality__" in value:
        fields = from_plain(value["__modality__"])
        return ModalityInfo(fields["kind"], tuple(fields["shape"]), fields["vocab_size"])
    if "__estimator__" in value:
        path = value["__estimator__"]
        if not path.startswith(_ALLOWED_PACKAGES):
            raise ValueError(f"refusing to rebuild {path!r}: only skmm and scikit-learn classes load.")
        module, _, name = path.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        estimator = cls(**from_plain(value["params"]))
        estimator.__dict__.update(from_plain(value["fitted"]))
        return estimator
    return {k: from_plain(v) for k, v in value.items()}


def save(estimator, f):
    """Write a fitted skmm estimator's weights and fitted state to ``f``."""
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_") and k != "net_"}
    state = {
        "format": FORMAT,
        "estimator": type(estimator).__name__,
        "module": {k: v.detach().cpu() for k, v in estimator.net_.module_.state_dict().items()},
        "fitted": to_plain(fitted, type(estimator).__name__),
    }
    torch.save(state, f)


def load(f, map_location="cpu"):
    """Read what :func:`save` wrote: (estimator class name, fitted attributes, module state)."""
    state = torch.load(f, map_location=map_location, weights_only=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{f!r} is not an skmm parameter file (format {FORMAT}).")
    return state["estimator"], from_plain(state["fitted"]), state["module"]
