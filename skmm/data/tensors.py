"""Modality arrays -> the tensors a batch carries: ``{"x", "lengths", "present"}``.

``present`` comes from the mask the preprocessor reported
(:attr:`ModalityDict.present <skmm.ModalityDict>`). Only an array without
one (a plain dict or array the user passes) has its absent rows read off its
content: an all-NaN row, a row without tokens (for ``tokenized``, an
all-zero attention mask).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from ..compose.modality_dict import ModalityDict
from ..preprocessing.text import UNKNOWN_ID
from .kinds import check_tokenized
from .sparse import SparseRows


def reported_presence(data, name):
    """The bool (n,) mask reported for modality ``name`` of ``data``, or None."""
    mask = getattr(data, "present", {}).get(name)
    if mask is None:
        return None
    mask = np.asarray(mask)
    n = data[name].shape[0]
    if mask.dtype != np.bool_ or mask.shape != (n,):
        raise ValueError(
            f"modality {name!r}: its presence mask must be a bool array of shape ({n},), "
            f"got dtype {mask.dtype} and shape {mask.shape}."
        )
    return mask


def _blanked(array, present):
    """``array`` with the rows ``present`` marks absent emptied (no tokens, NaN), so nothing reads them."""
    if present is None or present.all():
        return array
    array = np.array(array, copy=True)
    array[~present] = 0 if np.issubdtype(array.dtype, np.integer) else np.nan
    return array


def without(data, name):
    """A copy of ``data`` in which no sample has modality ``name``: its mask cleared, its rows emptied."""
    out = ModalityDict(data)
    array = data[name]
    n = array.shape[0]
    if sp.issparse(array):
        out[name] = sp.csr_matrix(array.shape, dtype=np.float32)
    else:
        out[name] = _blanked(np.asarray(array), np.zeros(n, dtype=bool))
    out.present[name] = np.zeros(n, dtype=bool)
    return out


def _sequence(name, array, present):
    """(x, lengths, present) of tokens' or frames' steps; a NaN frame pads the end of a sequence."""
    array = np.asarray(_blanked(array, present), dtype=np.float32)
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
    return {
        "x": torch.from_numpy(np.nan_to_num(array, nan=0.0)),
        "lengths": torch.from_numpy(lengths.astype(np.int64)),
        "present": torch.from_numpy(lengths > 0 if present is None else present.copy()),
    }


def _dense(name, array, present):
    """(x, present) of a vector or image; NaN only in an absent row."""
    array = np.asarray(_blanked(array, present), dtype=np.float32)
    nan = np.isnan(array.reshape(len(array), -1))
    absent = nan.all(axis=1) if present is None else ~present
    partial = nan.any(axis=1) & ~absent
    if partial.any():
        raise ValueError(
            f"modality {name!r}, row {int(np.flatnonzero(partial)[0])}: holds "
            "some NaN; impute it or drop the row (an all-NaN row means "
            "the sample lacks the modality)."
        )
    if np.isinf(array).any():
        row = int(np.flatnonzero(np.isinf(array.reshape(len(array), -1)).any(axis=1))[0])
        raise ValueError(f"modality {name!r}, row {row}: holds infinite values.")
    return {"x": torch.from_numpy(np.nan_to_num(array, nan=0.0)), "present": torch.from_numpy(~absent)}


def to_tensors(data, infos):
    """Arrays -> {name: {"x": tensor, "lengths": tensor (sequences), "present": bool tensor}}.

    Computed once per fit/predict so that batches only index tensors.
    """
    tensors = {}
    for name, info in infos.items():
        array = data[name]
        present = reported_presence(data, name)
        if info.kind == "sparse":
            # Indexed a batch at a time into torch sparse tensors; never densified.
            mask = np.ones(array.shape[0], dtype=bool) if present is None else present.copy()
            tensors[name] = {"x": SparseRows(array), "present": torch.from_numpy(mask)}
        elif info.kind == "tokens":
            # A copy: torch.as_tensor would share (and warn about) a read-only
            # array, such as a column of a copy-on-write DataFrame.
            x = torch.tensor(_blanked(array, present), dtype=torch.int64)
            # Ids the embedding never saw (e.g. from a refitted vocabulary) read as unknown.
            x = torch.where(x >= info.vocab_size, torch.full_like(x, UNKNOWN_ID), x)
            lengths = ((x[..., 0] if x.ndim == 3 else x) != 0).sum(1)
            mask = lengths > 0 if present is None else torch.from_numpy(present.copy())
            tensors[name] = {"x": x, "lengths": lengths, "present": mask}
        elif info.kind == "tokenized":
            check_tokenized(name, array)
            x = torch.as_tensor(_blanked(array, present), dtype=torch.int64)
            lengths = x[:, 1].sum(1)
            mask = lengths > 0 if present is None else torch.from_numpy(present.copy())
            tensors[name] = {"x": x, "lengths": lengths, "present": mask}
        elif info.kind in ("frames", "video"):
            tensors[name] = _sequence(name, array, present)
        else:
            tensors[name] = _dense(name, array, present)
    return tensors
