"""What kind of input each modality is, and its per-sample shape, learned in ``fit``.

A preprocessor declares the kind of its output (its ``output_kind``, carried
on :attr:`ModalityDict.kinds <skmm.ModalityDict>`); only an array without a
declaration (a plain dict or array the user passes, a transformer that
declares nothing) has its kind read off its dtype and shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..preprocessing.text import UNKNOWN_ID

KINDS = ("tokens", "tokenized", "frames", "image", "video", "vector", "sparse")
# The axis of a sample's shape whose length (padded steps) may change after fit.
_STEP_AXIS = {"tokens": 0, "tokenized": 1, "frames": 0, "video": 0}
_FLOAT_NDIM = {"vector": 2, "frames": 3, "image": 4, "video": 5}


@dataclass(frozen=True)
class ModalityInfo:
    """What the network needs to know of one modality, learned in ``fit``.

    Attributes
    ----------
    kind : str
        One of "tokens", "tokenized", "frames", "image", "video", "vector",
        "sparse" (a scipy sparse matrix, e.g. TF-IDF, kept sparse).
    shape : tuple of int
        Shape of one sample (for tokens, tokenized text and frames, the step
        axis is the padded length seen in fit and may differ later).
    vocab_size : int or None
        For tokens: 1 + the largest id seen in fit.
    doc_freq : numpy.ndarray or None
        For tokens: per id, the fraction of fit rows that hold it (an
        encoder's inverse document frequency weights). Not part of equality.
    """

    kind: str
    shape: tuple
    vocab_size: int | None = None
    doc_freq: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def features(self):
        """Size of one step (frames), channel count (image, video) or width (vector)."""
        if self.kind == "video":
            return self.shape[1]
        return self.shape[-1] if self.kind in ("frames", "vector") else self.shape[0]


def _fits(kind, array):
    """Whether ``array``'s type, dtype and number of axes can hold a modality of ``kind``."""
    if kind == "sparse":
        return sp.issparse(array)
    if sp.issparse(array):
        return False
    integer = np.issubdtype(array.dtype, np.integer)
    if kind == "tokens":
        return integer and array.ndim in (2, 3)
    if kind == "tokenized":
        return integer and array.ndim == 3 and array.shape[1] == 2
    numeric = np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    return numeric and array.ndim == _FLOAT_NDIM[kind]


def _inferred(name, array):
    """The kind of an array nothing declared, read off its dtype, shape and (for int 3-D) content."""
    if sp.issparse(array):
        return "sparse"
    if _fits("tokenized", array) and np.isin(array[:, 1], (0, 1)).all() and array[:, 1].any():
        # Ids then a 0/1 attention mask with some real token. Subword ids
        # (below) with max_len=2 look alike only if no second token is known.
        return "tokenized"
    if _fits("tokens", array):
        # (n, T) token ids, or (n, T, 1 + K): each token's id then its subword ids.
        return "tokens"
    for kind in _FLOAT_NDIM:
        if _fits(kind, array):
            return kind
    raise TypeError(
        f"modality {name!r}: cannot tell its kind from an array of dtype "
        f"{array.dtype} and shape {array.shape}; expected int (n, length) token "
        "ids, int (n, 2, length) ids and attention mask, float (n, features), (n, steps, features), "
        "(n, C, H, W) or (n, T, C, H, W)."
    )


def kind_of(data, name):
    """The kind of modality ``name`` of ``data``: as declared (checked against the array), else inferred."""
    array = data[name]
    declared = getattr(data, "kinds", {}).get(name)
    if declared is None:
        return _inferred(name, array)
    if declared not in KINDS:
        raise ValueError(f"modality {name!r}: its declared kind {declared!r} is not one of {list(KINDS)}.")
    if not _fits(declared, array):
        raise ValueError(
            f"modality {name!r}: its transformer declares {declared!r} output, but returned "
            f"{'a sparse matrix' if sp.issparse(array) else f'an array of dtype {array.dtype}'} "
            f"of shape {array.shape}."
        )
    return declared


def describe(data):
    """ModalityInfo of each modality of ``data`` (a dict of arrays) at fit time."""
    n_rows = {name: a.shape[0] for name, a in data.items()}
    if len(set(n_rows.values())) != 1:
        raise ValueError(f"modalities have different numbers of rows: {n_rows}.")
    if next(iter(n_rows.values())) == 0:
        raise ValueError("X has 0 samples; at least one is needed.")
    infos = {}
    for name in sorted(data):
        array = data[name]
        kind = kind_of(data, name)
        if array.ndim >= 2 and 0 in array.shape[1:]:
            raise ValueError(
                f"modality {name!r} has 0 feature(s) (shape={array.shape}) while a "
                "minimum of 1 is required."
            )
        vocab = None
        if kind == "tokens":
            if array.min(initial=0) < 0:
                raise ValueError(f"modality {name!r}: token ids must be >= 0.")
            vocab = int(max(array.max(initial=0), UNKNOWN_ID)) + 1
            infos[name] = ModalityInfo(kind, tuple(array.shape[1:]), vocab, doc_freq(array, vocab))
            continue
        if kind == "tokenized":
            check_tokenized(name, array)
        infos[name] = ModalityInfo(kind, tuple(array.shape[1:]), vocab)
    return infos


def doc_freq(ids, vocab_size):
    """Per id, the fraction of rows of ``ids`` (n, ...) that hold it at least once (padding id 0 counts none).

    Examples
    --------
    >>> doc_freq(np.array([[1, 1, 2], [2, 0, 0]]), 4).tolist()
    [0.0, 0.5, 1.0, 0.0]
    """
    counts = np.zeros(vocab_size, dtype=np.int64)
    for start in range(0, len(ids), 4096):  # sorted copies of a few rows at a time
        rows = np.sort(np.asarray(ids[start:start + 4096]).reshape(-1, math.prod(ids.shape[1:])), axis=1)
        first = np.ones(rows.shape, dtype=bool)
        first[:, 1:] = rows[:, 1:] != rows[:, :-1]  # each id once per row
        counts += np.bincount(rows[first & (rows != 0)], minlength=vocab_size)[:vocab_size]
    return (counts / max(len(ids), 1)).astype(np.float32)


def check_matches(data, infos):
    """Check that predict-time ``data`` has the modalities and shapes of fit."""
    missing = sorted(set(infos) - set(data))
    if missing:
        raise ValueError(f"modalities {missing} seen in fit are missing from X; got {sorted(data)}.")
    for name, info in infos.items():
        array = data[name]
        kind = kind_of(data, name)
        if (
            name not in getattr(data, "kinds", {}) and {kind, info.kind} == {"tokens", "tokenized"}
            and _fits("tokenized", array)
        ):
            # Undeclared, the two int layouts differ only in content; a batch
            # with no real token (every text absent) is read the way fit read it.
            kind = info.kind
        got = tuple(array.shape[1:])
        fixed, got_fixed = _fixed(info.shape, info.kind), _fixed(got, info.kind)
        if kind != info.kind or got_fixed != fixed:
            raise ValueError(
                f"modality {name!r}: fitted on {info.kind} of per-sample shape "
                f"{info.shape}, got {kind} of shape {got}."
            )


def _fixed(shape, kind):
    """``shape`` without its step axis (the one that may vary) for sequence kinds."""
    axis = _STEP_AXIS.get(kind)
    return tuple(shape) if axis is None else tuple(shape[:axis]) + tuple(shape[axis + 1:])


def check_tokenized(name, array):
    """Ids must be >= 0 and the attention mask 0 or 1."""
    if array.size and array[:, 0].min() < 0:
        raise ValueError(f"modality {name!r}: token ids must be >= 0.")
    bad = np.flatnonzero(((array[:, 1] != 0) & (array[:, 1] != 1)).any(axis=1))
    if bad.size:
        raise ValueError(
            f"modality {name!r}, row {int(bad[0])}: the attention mask ([:, 1]) must hold only 0 and 1."
        )
