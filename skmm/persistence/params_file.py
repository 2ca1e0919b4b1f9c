"""A params file format for fitted skmm estimators that runs no code on load.

``pickle`` and ``joblib`` round-trip an estimator exactly, but loading a
pickle can execute arbitrary code. ``save_params``/``load_params`` instead
write plain data (dicts, lists, strings, numbers) and tensors with
``torch.save``, read them back with ``torch.load(weights_only=True)``, and
then *decode* them under a fixed schema:

- a fitted transformer is stored as the name of a class in :data:`REGISTRY`
  (an explicit allow-list: skmm's preprocessors and ``ModalityTransformer``,
  and listed scikit-learn transformers that take no callables), its
  constructor parameters and its fitted attributes. No other name is ever
  looked up, imported or called; ``os.system`` or
  ``sklearn.datasets.dump_svmlight_file`` in a file is refused;
- every parameter and attribute must be plain data: ``None``, bool, int,
  float, str, lists, tuples and string-keyed dicts of those, numpy arrays
  of numeric, string or plain-object dtype, numpy dtypes from an allow-list
  (only where a dtype belongs), and nested allow-listed transformers only
  where that class holds transformers (``ModalityTransformer.transformers``,
  ``Pipeline.steps``, ``SimpleImputer.indicator_``...);
- attribute names must be plain identifiers that do not shadow a method,
  property or parameter of the class.

Anything else raises ``ValueError`` naming where in the file it was found.

This module writes and reads the files; the schema (allow-lists, fitted
state checks) is :mod:`skmm.persistence.schema` and the decoding
:mod:`skmm.persistence.decoder`.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ..compose._columns import MediaError
from ..data.inputs import ModalityInfo
from .decoder import Decoder, from_plain
from .schema import ARRAY_KINDS, DTYPES, NAMES, REGISTRY, UnsafeFileError
from .torch_files import load_archive

__all__ = ["FORMAT", "REGISTRY", "DTYPES", "UnsafeFileError", "to_plain", "from_plain", "save", "load"]

FORMAT = "skmm-params-2"


# -- writing -----------------------------------------------------------------
def _dtype_name(value):
    dtype = np.dtype(value)
    name = "bool_" if dtype == np.bool_ else dtype.name
    if name not in DTYPES:
        raise TypeError(f"dtype {dtype} is not one the safe format stores")
    return name


def to_plain(value, where="value"):
    """Encode ``value`` as data that ``torch.load(weights_only=True)`` accepts."""
    if isinstance(value, np.generic):  # before float: np.float64 is a float
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.dtype):
        return {"__dtype__": _dtype_name(value), "instance": True}
    if isinstance(value, type) and issubclass(value, np.generic):
        return {"__dtype__": _dtype_name(value), "instance": False}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ARRAY_KINDS:
            raise TypeError(f"{where}: arrays of dtype {value.dtype} cannot be saved in the safe format.")
        flat = value.ravel().tolist()
        if value.dtype.kind == "O":
            for item in flat:
                if not (item is None or isinstance(item, (bool, int, float, str))):
                    raise TypeError(f"{where}: an object array holds a {type(item).__name__}.")
        return {"__ndarray__": flat, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, ModalityInfo):
        # The document frequencies only seed a new network; a saved one keeps them in its weights (idf).
        fields = {"kind": value.kind, "shape": value.shape, "vocab_size": value.vocab_size}
        return {"__modality__": to_plain(fields, where)}
    if isinstance(value, tuple):
        return {"__tuple__": [to_plain(v, where) for v in value]}
    if isinstance(value, list):
        return [to_plain(v, where) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) and not k.startswith("__") for k in value):
            raise TypeError(f"{where}: dict keys must be strings (not starting with '__') to be saved safely.")
        return {k: to_plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, BaseEstimator) and type(value) in NAMES:
        params = value.get_params(deep=False)
        fitted = {k: v for k, v in vars(value).items() if k not in params}
        return {
            "__estimator__": NAMES[type(value)],
            "params": to_plain(params, f"{where}.params"),
            "fitted": to_plain(fitted, f"{where} ({type(value).__name__})"),
        }
    raise TypeError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which the safe "
        f"format does not store (it stores {sorted(c.__name__ for c in NAMES)} and plain "
        "data); save this estimator with pickle or joblib, from and for trusted sources only."
    )



# -- files -------------------------------------------------------------------
def save(estimator, f, config):
    """Write a fitted skmm estimator's weights, fitted state and configuration."""
    fitted = {k: v for k, v in vars(estimator).items() if k.endswith("_") and k != "net_"}
    state = {
        "format": FORMAT,
        "estimator": type(estimator).__name__,
        "config": config,
        "module": {k: v.detach().cpu() for k, v in estimator.net_.module_.state_dict().items()},
        "fitted": to_plain(fitted, type(estimator).__name__),
    }
    torch.save(state, f)


def load(f, estimator_class, map_location="cpu"):
    """Read and check a params file: (estimator name, config, fitted attributes, module state).

    Everything is decoded and checked here; nothing is assigned anywhere.
    """
    source = f"params file {os.fspath(f)!r}" if isinstance(f, (str, os.PathLike)) else "params file"
    try:
        state = load_archive(f, map_location, "params")
    except MediaError as exc:  # not a regular file, or over the cap: the message names it
        raise ValueError(f"{exc}; nothing was loaded.") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        from .checkpoint import reason

        raise ValueError(f"{source} cannot be read safely ({reason(exc)}); nothing was loaded.") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{source} is not an skmm parameter file (format {FORMAT}).")
    if set(state) != {"format", "estimator", "config", "module", "fitted"}:
        raise UnsafeFileError(f"{source}: unexpected top-level keys {sorted(map(str, state))}.")
    module = state["module"]
    if not isinstance(module, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) and v.layout == torch.strided
        for k, v in module.items()
    ):
        raise UnsafeFileError(f"{source}: the weights must be a dict of names to dense tensors.")
    fitted = state["fitted"]
    if not isinstance(fitted, dict):
        raise UnsafeFileError(f"{source}: fitted attributes must be a dict.")
    decoder = Decoder(source)
    attrs = {}
    for key, value in fitted.items():
        if not (isinstance(key, str) and key.isidentifier() and key.endswith("_") and not key.startswith("_")) \
                or hasattr(estimator_class, key) or key == "net_":
            decoder.fail("fitted", f"attribute name {key!r} is not allowed")
        attrs[key] = decoder.value(value, key, estimators=key == "preprocessor_", depth=1)
    modalities = attrs.get("modalities_")
    if not isinstance(modalities, dict) or not modalities or not all(
        isinstance(k, str) and isinstance(v, ModalityInfo) for k, v in modalities.items()
    ):
        decoder.fail("modalities_", "must be a non-empty dict of modality name -> modality")
    config = decoder.value(state["config"], "config")
    if not isinstance(state["estimator"], str):
        decoder.fail("estimator", "must be a class name")
    return state["estimator"], config, attrs, module
