"""Reading a params file's data back under the fixed schema, refusing anything else.

:class:`Decoder` rebuilds plain data, arrays, dtypes, modalities and
allow-listed transformers (:mod:`skmm.persistence.schema`) and raises
:class:`~skmm.persistence.schema.UnsafeFileError`, naming where in the file,
for anything outside the schema. It looks up no other name and calls only
the allow-listed constructors, which store their arguments.
"""

from __future__ import annotations

import inspect
import keyword

import numpy as np

from ..data.inputs import KINDS, ModalityInfo
from .schema import (
    ARRAY_KINDS,
    DTYPES,
    MARKERS,
    MAX_DEPTH,
    REGISTRY,
    UnsafeFileError,
    check_fitted,
)


def _parameter_names(cls):
    """The constructor parameters of a scikit-learn-style class (what ``get_params`` reports)."""
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return {name for name, p in inspect.signature(cls).parameters.items() if p.kind not in kinds}


class Decoder:
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
        markers = [k for k in value if k in MARKERS]
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
        if dtype is None or dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype:
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
        names = _parameter_names(cls)
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
        problem = check_fitted(estimator)
        if problem:
            self.fail(where, problem)
        return estimator


def from_plain(value, source="params file"):
    """Decode what :func:`to_plain` wrote (transformers allowed at the top)."""
    return Decoder(source).value(value, "value", estimators=True)

