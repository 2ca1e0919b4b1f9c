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
"""

from __future__ import annotations

import keyword
import os
from dataclasses import asdict, dataclass

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    Binarizer, KBinsDiscretizer, MaxAbsScaler, MinMaxScaler, Normalizer, OneHotEncoder,
    OrdinalEncoder, PolynomialFeatures, PowerTransformer, QuantileTransformer, RobustScaler,
    StandardScaler,
)

from ._spec_params import parameter_problem
from .compose import ModalityTransformer
from .nn.inputs import KINDS, ModalityInfo
from .preprocessing import (
    AudioFeaturizer, ImageLoader, PretrainedTokenizer, SequencePadder, TextSequencer, VideoLoader,
)

FORMAT = "skmm-params-2"
MAX_DEPTH = 32


@dataclass(frozen=True)
class Entry:
    """One allow-listed class and where it may hold other transformers."""

    cls: type
    estimator_params: frozenset = frozenset()
    estimator_attrs: frozenset = frozenset()
    # Parameters that must keep their default (a path or object that would act).
    fixed_params: tuple = ()


def _entries(*entries):
    return {f"{e.cls.__module__.split('.')[0]}.{e.cls.__name__}": e for e in entries}


#: The classes a params file may name, by the name it uses. Nothing else loads.
REGISTRY = _entries(
    Entry(ModalityTransformer, frozenset({"transformers"}), frozenset({"transformers_"})),
    Entry(TextSequencer),
    Entry(ImageLoader),
    Entry(AudioFeaturizer),
    Entry(VideoLoader),
    Entry(SequencePadder),
    # Its name_or_path is part of the configuration a params file must agree on.
    Entry(PretrainedTokenizer),
    Entry(StandardScaler), Entry(MinMaxScaler), Entry(RobustScaler), Entry(MaxAbsScaler),
    Entry(Normalizer), Entry(Binarizer), Entry(OneHotEncoder), Entry(OrdinalEncoder),
    Entry(KBinsDiscretizer), Entry(PolynomialFeatures), Entry(QuantileTransformer),
    Entry(PowerTransformer, estimator_attrs=frozenset({"_scaler"})),
    Entry(SimpleImputer, estimator_attrs=frozenset({"indicator_"})), Entry(MissingIndicator),
    Entry(CountVectorizer), Entry(TfidfTransformer),
    Entry(TfidfVectorizer, estimator_attrs=frozenset({"_tfidf"})),
    Entry(PCA), Entry(TruncatedSVD),
    Entry(Pipeline, frozenset({"steps"}), fixed_params=(("memory", None), ("transform_input", None))),
)
_NAMES = {entry.cls: name for name, entry in REGISTRY.items()}

#: numpy dtypes a file may name (as a dtype parameter or an array's dtype).
DTYPES = {
    name: getattr(np, name)
    for name in (
        "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64",
    )
}
_ARRAY_KINDS = "biufUO"
_MARKERS = ("__ndarray__", "__tuple__", "__modality__", "__dtype__", "__estimator__")


class UnsafeFileError(ValueError):
    """A params file holds something the safe format does not allow."""


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
        if value.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"{where}: arrays of dtype {value.dtype} cannot be saved in the safe format.")
        flat = value.ravel().tolist()
        if value.dtype.kind == "O":
            for item in flat:
                if not (item is None or isinstance(item, (bool, int, float, str))):
                    raise TypeError(f"{where}: an object array holds a {type(item).__name__}.")
        return {"__ndarray__": flat, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, ModalityInfo):
        return {"__modality__": to_plain(asdict(value), where)}
    if isinstance(value, tuple):
        return {"__tuple__": [to_plain(v, where) for v in value]}
    if isinstance(value, list):
        return [to_plain(v, where) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) and not k.startswith("__") for k in value):
            raise TypeError(f"{where}: dict keys must be strings (not starting with '__') to be saved safely.")
        return {k: to_plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, BaseEstimator) and type(value) in _NAMES:
        params = value.get_params(deep=False)
        fitted = {k: v for k, v in vars(value).items() if k not in params}
        return {
            "__estimator__": _NAMES[type(value)],
            "params": to_plain(params, f"{where}.params"),
            "fitted": to_plain(fitted, f"{where} ({type(value).__name__})"),
        }
    raise TypeError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which the safe "
        f"format does not store (it stores {sorted(c.__name__ for c in _NAMES)} and plain "
        "data); save this estimator with pickle or joblib, from and for trusted sources only."
    )


# -- reading -----------------------------------------------------------------
class _Decoder:
    """Decode one file's data, refusing anything outside the schema."""

    def __init__(self, source):
        self.source = source

    def fail(self, where, message):
        raise UnsafeFileError(f"{self.source}: {where}: {message}; nothing was loaded.")

    def value(self, value, where, *, estimators=False, dtypes=False, depth=0):
        if depth > MAX_DEPTH:
            self.fail(where, f"nested more than {MAX_DEPTH} levels deep")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]", estimators=estimators, dtypes=dtypes, depth=depth + 1)
                    for i, v in enumerate(value)]
        if not isinstance(value, dict):
            self.fail(where, f"a {type(value).__name__} is not plain data")
        markers = [k for k in value if k in _MARKERS]
        if not markers:
            for key in value:
                if not isinstance(key, str) or key.startswith("__"):
                    self.fail(where, f"dict key {key!r} is not allowed")
            return {k: self.value(v, f"{where}[{k!r}]", estimators=estimators, dtypes=dtypes, depth=depth + 1)
                    for k, v in value.items()}
        marker = markers[0]
        if marker == "__tuple__":
            self._keys(value, {"__tuple__"}, where)
            if not isinstance(value["__tuple__"], list):
                self.fail(where, "a tuple must hold a list")
            return tuple(self.value(value["__tuple__"], where, estimators=estimators, dtypes=dtypes, depth=depth + 1))
        if marker == "__ndarray__":
            return self.array(value, where)
        if marker == "__dtype__":
            self._keys(value, {"__dtype__", "instance"}, where)
            name = value["__dtype__"]
            if not isinstance(name, str) or name not in DTYPES:
                self.fail(where, f"dtype {name!r} is not in the allow-list {sorted(DTYPES)}")
            if not dtypes:
                self.fail(where, "a dtype is only allowed as a dtype parameter or attribute")
            return np.dtype(DTYPES[name]) if value["instance"] is True else DTYPES[name]
        if marker == "__modality__":
            return self.modality(value, where)
        if not estimators:
            self.fail(where, f"a transformer ({value.get('__estimator__')!r}) is not allowed here")
        return self.estimator(value, where, depth)

    def _keys(self, value, allowed, where):
        if set(value) != set(allowed):
            self.fail(where, f"expected exactly the keys {sorted(allowed)}, got {sorted(map(str, value))}")

    def array(self, value, where):
        self._keys(value, {"__ndarray__", "dtype", "shape"}, where)
        flat, dtype, shape = value["__ndarray__"], value["dtype"], value["shape"]
        if not (isinstance(flat, list) and isinstance(shape, list)
                and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
            self.fail(where, "an array needs a flat list of values and a shape of integers")
        try:
            dtype = np.dtype(dtype) if isinstance(dtype, str) and len(dtype) < 16 else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype:
            self.fail(where, f"array dtype {value['dtype']!r} is not allowed (numbers, strings, plain objects)")
        if int(np.prod(shape)) != len(flat):
            self.fail(where, f"{len(flat)} values do not fill shape {tuple(shape)}")
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in flat):
            self.fail(where, "an array may hold only numbers, strings and None")
        try:
            if dtype.kind == "O":
                out = np.empty(len(flat), dtype=object)
                out[:] = flat
                return out.reshape(shape)
            return np.array(flat, dtype=dtype).reshape(shape)
        except (TypeError, ValueError, OverflowError) as exc:
            self.fail(where, f"array values do not fit dtype {dtype} ({exc})")

    def modality(self, value, where):
        self._keys(value, {"__modality__"}, where)
        fields = value["__modality__"]
        if not isinstance(fields, dict) or set(fields) != {"kind", "shape", "vocab_size"}:
            self.fail(where, "a modality needs exactly kind, shape and vocab_size")
        kind, shape, vocab = fields["kind"], fields["shape"], fields["vocab_size"]
        if isinstance(shape, dict) and set(shape) == {"__tuple__"}:
            shape = shape["__tuple__"]
        # Token ids are (T,) or, with subwords, (T, 1 + K) per sample.
        ndims = {"tokens": (1, 2), "tokenized": (2,), "frames": (2,), "image": (3,), "video": (4,),
                 "vector": (1,), "sparse": (1,)}
        allowed = ndims.get(kind, ()) if isinstance(kind, str) else ()
        if kind not in KINDS or not isinstance(shape, list) or len(shape) not in allowed or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape
        ) or (kind == "tokenized" and shape[0] != 2):
            self.fail(where, f"modality kind {kind!r} with shape {shape!r} is not valid")
        if (kind == "tokens") != isinstance(vocab, int) or isinstance(vocab, bool) or (
            isinstance(vocab, int) and vocab < 2
        ):
            self.fail(where, f"vocab_size {vocab!r} is not valid for a {kind} modality")
        return ModalityInfo(kind, tuple(shape), vocab)

    def estimator(self, value, where, depth):
        self._keys(value, {"__estimator__", "params", "fitted"}, where)
        name = value["__estimator__"]
        entry = REGISTRY.get(name) if isinstance(name, str) else None
        if entry is None:
            self.fail(where, f"refusing to rebuild {name!r}: not in the allow-list of transformers "
                             f"({', '.join(sorted(REGISTRY))})")
        cls = entry.cls
        where = f"{where} ({cls.__name__})"
        params, fitted = value["params"], value["fitted"]
        if not isinstance(params, dict) or not isinstance(fitted, dict):
            self.fail(where, "params and fitted must be dicts")
        names = set(cls._get_param_names())
        decoded = {}
        for key, item in params.items():
            if key not in names:
                self.fail(where, f"{key!r} is not a parameter of {cls.__name__}")
            decoded[key] = self.value(item, f"{where}.{key}", estimators=key in entry.estimator_params,
                                      dtypes=key == "dtype", depth=depth + 1)
        for key, required in entry.fixed_params:
            if decoded.get(key, required) != required:
                self.fail(where, f"{key} must be {required!r}")
        attrs = {}
        for key, item in fitted.items():
            if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key) \
                    or key.startswith("__") or key in names or hasattr(cls, key):
                self.fail(where, f"attribute name {key!r} is not allowed")
            attrs[key] = self.value(item, f"{where}.{key}", estimators=key in entry.estimator_attrs,
                                    dtypes=key.endswith(("dtype", "dtype_")), depth=depth + 1)
        try:
            # An allow-listed scikit-learn-style constructor only stores its arguments.
            estimator = cls(**decoded)
        except Exception as exc:  # noqa: BLE001 - any failure means a bad file
            self.fail(where, f"its parameters are not valid ({type(exc).__name__}: {exc})")
        estimator.__dict__.update(attrs)
        problem = _check_fitted(estimator)
        if problem:
            self.fail(where, problem)
        return estimator


def _is_int(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _is_vector(value, length):
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.shape == (length,)


def _check_fitted(est):
    """What is wrong with an skmm preprocessor's fitted attributes (None if fine).

    Their values reach array allocations and lookups at ``transform``, so
    their types and sizes are checked like the rest of the file.
    """
    state = vars(est)
    if isinstance(est, TextSequencer) and "vocabulary_" in state:
        vocab, size = state["vocabulary_"], state.get("vocab_size_")
        subwords = state.get("subword_vocabulary_", {})
        if not (isinstance(vocab, dict) and isinstance(subwords, dict) and _is_int(size, 2)
                and size == len(vocab) + len(subwords) + 2
                and all(isinstance(t, str) and _is_int(i, 2) and i < size
                        for t, i in (*vocab.items(), *subwords.items()))):
            return "vocabulary_ must map tokens to ids 2..vocab_size_-1 (subword_vocabulary_ too)"
    if isinstance(est, ImageLoader) and "channels_" in state:
        channels = state["channels_"]
        if channels not in (1, 3) or isinstance(channels, bool) or not all(
            _is_vector(state.get(k), channels) for k in ("mean_", "std_")
        ):
            return "channels_ must be 1 or 3, with mean_ and std_ of that length"
    if isinstance(est, AudioFeaturizer) and "max_frames_" in state:
        if not _is_int(state["max_frames_"], 1) or not all(
            _is_vector(state.get(k), est.n_mels) for k in ("mean_", "std_")
        ):
            return "max_frames_ must be a positive int, with mean_ and std_ of length n_mels"
    if isinstance(est, SequencePadder) and "max_len_" in state:
        width = state.get("n_step_features_")
        if not (_is_int(state["max_len_"], 1) and _is_int(width, 1)) or not all(
            _is_vector(state.get(k), width) for k in ("mean_", "std_")
        ):
            return "max_len_ and n_step_features_ must be positive ints, with mean_ and std_ of that length"
    if isinstance(est, (VideoLoader, SequencePadder)):
        problem = parameter_problem(est)  # their parameters size the arrays transform allocates
        if problem is not None:
            return problem
    return None


def from_plain(value, source="params file"):
    """Decode what :func:`to_plain` wrote (transformers allowed at the top)."""
    return _Decoder(source).value(value, "value", estimators=True)


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
        state = torch.load(f, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        from ._checkpoint import reason

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
    decoder = _Decoder(source)
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
