"""From per-modality arrays to tensors the network reads, and a batched Dataset.

A modality's kind is read off its array, so any transformer's output works:

========  ==========================  ==========================================
kind      array                       conventions
========  ==========================  ==========================================
tokens    int (n, length)             id 0 is padding (TextSequencer's output)
tokenized int (n, 2, length)          ``[:, 0]`` a pretrained model's input ids,
                                      ``[:, 1]`` its attention mask (1 = real
                                      token): PretrainedTokenizer's output
          or (n, length, 1 + K)       each token's id, then its subword ids
frames    float (n, steps, features)  NaN frames are padding (AudioFeaturizer)
image     float (n, C, H, W)
video     float (n, T, C, H, W)       NaN frames are padding (VideoLoader)
vector    float (n, features)
sparse    scipy sparse (n, features)  kept sparse (TfidfVectorizer's output)
========  ==========================  ==========================================

A sample lacks a modality (it is *absent*) when its row holds no token (for
``tokenized``, an all-zero attention mask), or is all NaN (the preprocessors'
``on_missing="mask"`` output). Every batch entry
carries a boolean ``present`` tensor that the fusions read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch.utils.data import DataLoader, Dataset

from ..preprocessing.text import UNKNOWN_ID
from .sparse import SparseRows, as_csr

KINDS = ("tokens", "tokenized", "frames", "image", "video", "vector", "sparse")
# The axis of a sample's shape whose length (padded steps) may change after fit.
_STEP_AXIS = {"tokens": 0, "tokenized": 1, "frames": 0, "video": 0}


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
    """

    kind: str
    shape: tuple
    vocab_size: int | None = None

    @property
    def features(self):
        """Size of one step (frames), channel count (image, video) or width (vector)."""
        if self.kind == "video":
            return self.shape[1]
        return self.shape[-1] if self.kind in ("frames", "vector") else self.shape[0]


def as_modalities(X):
    """Coerce estimator input to a dict of name -> numpy array.

    A Mapping (ModalityTransformer's output) is taken as it is; a plain 2-D
    numeric array or numeric DataFrame becomes one vector modality "x".
    """
    if isinstance(X, Mapping) and not sp.issparse(X):  # a DOK matrix is a dict
        if not X:
            raise ValueError("X holds no modality.")
        data = {}
        for name, value in X.items():
            if not isinstance(name, str):
                raise TypeError(f"modality names must be strings, got {name!r}.")
            data[name] = (
                as_csr(value, f"modality {name!r}") if sp.issparse(value)
                else _numeric_array(value, f"modality {name!r}")
            )
        return data
    if isinstance(X, pd.DataFrame):
        duplicated = X.columns[X.columns.duplicated()].unique().tolist()
        if duplicated:
            raise ValueError(f"X has several columns named {duplicated[0]!r}; column names must be unique.")
        non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X.iloc[:, list(X.columns).index(c)])]
        if non_numeric:
            raise TypeError(
                f"columns {non_numeric} are not numeric: give the estimator a "
                "ModalityTransformer (as its first argument or in a Pipeline) "
                "that turns text, image and audio columns into arrays."
            )
    if sp.issparse(X):
        # Sparse features (e.g. a TfidfVectorizer's) stay sparse: the wide part.
        return {"x": as_csr(X, "X")}
    if isinstance(X, (str, bytes)) or not (hasattr(X, "__len__") or hasattr(X, "__array__")):
        raise TypeError(f"X must be a DataFrame, a mapping of arrays or an array, got {type(X).__name__}.")
    array = _numeric_array(X, "X")
    if isinstance(X, pd.DataFrame) and array.dtype.kind == "f":
        # Name the column and row label here: later checks only know positions.
        nan = np.isnan(array)
        bad = (nan.any(axis=1) & ~nan.all(axis=1)) | np.isinf(array).any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            column = X.columns[int(np.flatnonzero(~np.isfinite(array[i]))[0])]
            label = X.index[i].item() if isinstance(X.index[i], np.generic) else X.index[i]
            raise ValueError(
                f"column {column!r}, row {label!r}: the value is NaN or infinite; impute it or drop the row."
            )
    if array.ndim != 2:
        raise ValueError(
            f"an array X must be 2-D (samples, features), got shape {array.shape}. "
            "Reshape your data with X.reshape(-1, 1) for one feature or "
            "X.reshape(1, -1) for one sample."
        )
    return {"x": array}


def _numeric_array(value, what):
    """np.asarray, densifying sparse matrices and casting numbers held as objects."""
    if sp.issparse(value):
        value = value.toarray()
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise ValueError(f"{what}: Complex data not supported.")
    if array.dtype == object:
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{what} holds objects that are not numbers (e.g. strings or "
                "paths): give the estimator a ModalityTransformer that turns "
                f"them into arrays ({exc})."
            ) from None
    return array


def _kind(name, array):
    if sp.issparse(array):
        return "sparse"
    if np.issubdtype(array.dtype, np.integer) and array.ndim == 3 and array.shape[1] == 2 and (
        np.isin(array[:, 1], (0, 1)).all() and array[:, 1].any()
    ):
        # Ids then a 0/1 attention mask with some real token. Subword ids
        # (below) with max_len=2 look alike only if no second token is known.
        return "tokenized"
    if np.issubdtype(array.dtype, np.integer) and array.ndim in (2, 3):
        # (n, T) token ids, or (n, T, 1 + K): each token's id then its subword ids.
        return "tokens"
    if np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_:
        kind = {2: "vector", 3: "frames", 4: "image", 5: "video"}.get(array.ndim)
        if kind is not None:
            return kind
    raise TypeError(
        f"modality {name!r}: cannot tell its kind from an array of dtype "
        f"{array.dtype} and shape {array.shape}; expected int (n, length) token "
        "ids, int (n, 2, length) ids and attention mask, float (n, features), (n, steps, features), "
        "(n, C, H, W) or (n, T, C, H, W)."
    )


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
        kind = _kind(name, array)
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
        elif kind == "tokenized":
            _check_tokenized(name, array)
        infos[name] = ModalityInfo(kind, tuple(array.shape[1:]), vocab)
    return infos


def check_matches(data, infos):
    """Check that predict-time ``data`` has the modalities and shapes of fit."""
    missing = sorted(set(infos) - set(data))
    if missing:
        raise ValueError(f"modalities {missing} seen in fit are missing from X; got {sorted(data)}.")
    for name, info in infos.items():
        array = data[name]
        kind = _kind(name, array)
        if {kind, info.kind} == {"tokens", "tokenized"} and array.ndim == 3 and array.shape[1] == 2:
            # The two int layouts differ only in content; a batch with no real
            # token (every text absent) is read the way fit read the modality.
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


def _check_tokenized(name, array):
    """Ids must be >= 0 and the attention mask 0 or 1."""
    if array.size and array[:, 0].min() < 0:
        raise ValueError(f"modality {name!r}: token ids must be >= 0.")
    bad = np.flatnonzero(((array[:, 1] != 0) & (array[:, 1] != 1)).any(axis=1))
    if bad.size:
        raise ValueError(
            f"modality {name!r}, row {int(bad[0])}: the attention mask ([:, 1]) must hold only 0 and 1."
        )


def _nan_rows(array):
    """(absent, partial): rows entirely NaN, and rows with some NaN."""
    nan = np.isnan(array.reshape(len(array), -1))
    every = nan.all(axis=1)
    return every, nan.any(axis=1) & ~every


def without(data, name):
    """A copy of ``data`` in which no sample has modality ``name`` (all absent)."""
    out = dict(data)
    if sp.issparse(data[name]):
        out[name] = sp.csr_matrix(data[name].shape, dtype=np.float32)
        return out
    array = np.asarray(data[name])
    out[name] = np.zeros_like(array) if np.issubdtype(array.dtype, np.integer) else np.full(array.shape, np.nan, np.float32)
    return out


def to_tensors(data, infos):
    """Arrays -> {name: {"x": tensor, "lengths": tensor (sequences)}}.

    Computed once per fit/predict so that batches only index tensors.
    """
    tensors = {}
    for name, info in infos.items():
        array = data[name]
        if info.kind == "sparse":
            # Indexed a batch at a time into torch sparse tensors; never densified.
            tensors[name] = {"x": SparseRows(array), "present": torch.ones(array.shape[0], dtype=torch.bool)}
        elif info.kind == "tokens":
            # A copy: torch.as_tensor would share (and warn about) a read-only
            # array, such as a column of a copy-on-write DataFrame.
            x = torch.tensor(array, dtype=torch.int64)
            # Ids the embedding never saw (e.g. from a refitted vocabulary) read as unknown.
            x = torch.where(x >= info.vocab_size, torch.full_like(x, UNKNOWN_ID), x)
            lengths = ((x[..., 0] if x.ndim == 3 else x) != 0).sum(1)
            tensors[name] = {"x": x, "lengths": lengths, "present": lengths > 0}
        elif info.kind == "tokenized":
            _check_tokenized(name, array)
            x = torch.as_tensor(array, dtype=torch.int64)
            lengths = x[:, 1].sum(1)
            tensors[name] = {"x": x, "lengths": lengths, "present": lengths > 0}
        elif info.kind in ("frames", "video"):
            array = np.asarray(array, dtype=np.float32)
            # A frame (a step's features, or a video frame's pixels) with any NaN is padding.
            valid = ~np.isnan(array.reshape(*array.shape[:2], -1)).any(axis=2)
            lengths = valid.sum(axis=1)
            # Padding must be a suffix: a NaN frame followed by a real one is a hole.
            holes = np.flatnonzero(((np.cumsum(~valid, axis=1) > 0) & valid).any(axis=1))
            if holes.size:
                raise ValueError(
                    f"modality {name!r}, row {int(holes[0])}: NaN frames must only "
                    "pad the end of a sequence."
                )
            tensors[name] = {
                "x": torch.from_numpy(np.nan_to_num(array, nan=0.0)),
                "lengths": torch.from_numpy(lengths.astype(np.int64)),
                "present": torch.from_numpy(lengths > 0),
            }
        else:
            array = np.asarray(array, dtype=np.float32)
            absent, partial = _nan_rows(array)
            if partial.any():
                raise ValueError(
                    f"modality {name!r}, row {int(np.flatnonzero(partial)[0])}: holds "
                    "some NaN; impute it or drop the row (an all-NaN row means "
                    "the sample lacks the modality)."
                )
            if np.isinf(array).any():
                row = int(np.flatnonzero(np.isinf(array.reshape(len(array), -1)).any(axis=1))[0])
                raise ValueError(f"modality {name!r}, row {row}: holds infinite values.")
            tensors[name] = {
                "x": torch.from_numpy(np.nan_to_num(array, nan=0.0)),
                "present": torch.from_numpy(~absent),
            }
    return tensors


def take_target(y, index):
    """Rows ``index`` of a target tensor, or of each part of a ``{"target", "weight"}`` dict."""
    if y is None:
        return None
    if isinstance(y, dict):
        return {key: value[index] for key, value in y.items()}
    return y[index]


def collate_identity(batch):
    """The dataset already returns whole batches (see ``__getitems__``)."""
    return batch


class ModalityDataset(Dataset):
    """Tensors of every modality (and the target), fetched a batch at a time.

    ``__getitems__`` lets torch's DataLoader index all tensors once per batch
    instead of once per sample and then collating: that per-sample path is
    the main cost skorch users measure on small models.
    """

    def __init__(self, tensors, y=None):
        self.tensors = tensors
        self.y = y
        self._n = len(next(iter(next(iter(tensors.values())).values())))

    def __len__(self):
        return self._n

    def _take(self, index):
        X = {name: {key: t[index] for key, t in parts.items()} for name, parts in self.tensors.items()}
        return X, take_target(self.y, index)

    def __getitem__(self, i):
        return self._take(i)

    def __getitems__(self, indices):
        if not isinstance(indices, torch.Tensor):
            indices = torch.as_tensor(indices, dtype=torch.int64)
        return self._take(indices)


class BatchIndices:
    """Batches of row indices as tensors (shuffled each epoch when asked).

    DataLoader's own sampler yields one Python int per row and collects them
    into lists; slicing one ``randperm`` tensor per epoch is about twice as
    fast at batch size 64, and ``__getitems__`` takes the slice directly.
    """

    def __init__(self, n, batch_size, shuffle, generator=None):
        self.n, self.batch_size, self.shuffle = n, batch_size, shuffle
        self.generator = generator

    def __iter__(self):
        order = torch.randperm(self.n, generator=self.generator) if self.shuffle else torch.arange(self.n)
        return iter(order.split(self.batch_size))

    def __len__(self):
        return -(-self.n // self.batch_size)


def batch_loader(dataset, batch_size, shuffle=False, generator=None, **kwargs):
    """skorch iterator: a DataLoader over whole-batch index tensors.

    ``generator`` (the fit's own stream) drives the shuffling and the
    DataLoader's worker seeds; ``kwargs`` go to DataLoader (``num_workers``,
    ``pin_memory``, ...).
    """
    if generator is None:
        # DataLoader draws a worker seed per epoch; from its own generator,
        # not the global one that fits in other threads are using.
        generator = torch.Generator()
    return DataLoader(
        dataset, batch_sampler=BatchIndices(len(dataset), batch_size, shuffle, generator),
        collate_fn=collate_identity, generator=generator, **kwargs,
    )
