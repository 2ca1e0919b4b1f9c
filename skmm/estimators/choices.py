"""A multiple-choice frame on its way into the network: candidates stacked, context once per row.

The preprocessor reads a *long* frame, one row per (row, candidate): the
context and question columns repeated and the candidate in one column named
:data:`CHOICE`, so a single fitted transformer (one vocabulary, one image
size) reads every candidate. Its output is split back: the context
modalities once per row, the candidates as ``choice_0`` ... ``choice_<k-1>``,
each with its presence mask (a missing candidate is absent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..compose._columns import row_label
from ..compose.modality_dict import ModalityDict
from ..data.tensors import reported_presence

#: The long frame's candidate column, and the candidate modality's name.
CHOICE = "choice"


def choice_name(j: int) -> str:
    """The modality of candidate ``j`` in the network's input."""
    return f"{CHOICE}_{j}"


def check_choices(choices, question=None) -> list:
    """``choices`` as a list of at least two distinct column (or modality) names."""
    if choices is None or isinstance(choices, str) or len(list(choices)) < 2:
        raise ValueError(f"choices must name the 2 or more candidate columns, got {choices!r}.")
    choices = list(choices)
    if len(set(choices)) != len(choices):
        raise ValueError(f"choices names a column twice: {choices!r}.")
    if question is not None and question in choices:
        raise ValueError(f"question {question!r} is also one of the choices.")
    return choices


def long_frame(X: pd.DataFrame, choices: list, question=None) -> tuple[pd.DataFrame, np.ndarray]:
    """(the long frame of ``len(X) * k`` rows, which candidates each row has: bool (n, k))."""
    missing_columns = [c for c in [*choices, *([question] if question is not None else [])] if c not in X.columns]
    if missing_columns:
        raise ValueError(f"X has no column(s) {missing_columns}; it has {list(X.columns)}.")
    if CHOICE in X.columns and CHOICE not in choices:
        raise ValueError(f"X has a column named {CHOICE!r}: the long frame's candidate column; rename it.")
    k = len(choices)
    values = X[choices].to_numpy(dtype=object)
    missing = np.asarray(pd.isna(values), dtype=bool).reshape(values.shape)
    none = np.flatnonzero(missing.all(axis=1))
    if none.size:
        raise ValueError(f"row {row_label(X, int(none[0]))!r} has no candidate: every one of {choices} is missing.")
    # A missing candidate reads as one its row has (any readable value); its mask then hides it.
    fill = values[np.arange(len(X)), missing.argmin(axis=1)]
    values = np.where(missing, fill[:, None], values)
    context = X.drop(columns=choices)
    long = context.iloc[np.repeat(np.arange(len(X)), k)].reset_index(drop=True)
    long[CHOICE] = values.reshape(-1)
    return long, ~missing


def split_long(data: ModalityDict, k: int, present: np.ndarray) -> ModalityDict:
    """The preprocessed long frame -> context modalities once per row and ``choice_<j>`` per candidate."""
    if CHOICE not in data:
        raise ValueError(
            f"the preprocessor must output a modality named {CHOICE!r} from the candidate column {CHOICE!r} "
            f"(e.g. ({CHOICE!r}, TextSequencer(), {CHOICE!r})); it gave {sorted(data)}."
        )
    n = len(present)
    out = data[np.arange(n) * k]
    del out[CHOICE]
    candidates = data[CHOICE]
    mask = reported_presence(data, CHOICE)
    for j in range(k):
        rows = np.arange(n) * k + j
        name = choice_name(j)
        out[name] = candidates[rows]
        out.present[name] = present[:, j] & (True if mask is None else mask[rows])
        if CHOICE in data.kinds:
            out.kinds[name] = data.kinds[CHOICE]
    return out


def expand_arrays(X, choices: list) -> ModalityDict:
    """A dict of arrays whose ``choices`` modalities are the candidates -> the network's input."""
    unknown = [c for c in choices if c not in X]
    if unknown:
        raise ValueError(f"choices names modalities {unknown} that X does not have; it has {sorted(X)}.")
    shapes = {c: X[c].shape[1:] for c in choices}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"the candidate modalities must have one per-row shape (one featuriser), got {shapes}.")
    out = ModalityDict({name: X[name] for name in X if name not in choices})
    out.kinds = {name: kind for name, kind in getattr(X, "kinds", {}).items() if name in out}
    out.present = {name: mask for name, mask in getattr(X, "present", {}).items() if name in out}
    kind = getattr(X, "kinds", {}).get(choices[0])
    for j, column in enumerate(choices):
        name = choice_name(j)
        out[name] = X[column]
        mask = getattr(X, "present", {}).get(column)
        if mask is not None:
            out.present[name] = np.asarray(mask, dtype=bool)
        if kind is not None:
            out.kinds[name] = kind
    return out


def stacked(expanded: ModalityDict, k: int) -> tuple[ModalityDict, ModalityDict]:
    """(the context modalities, the candidates stacked as one modality :data:`CHOICE`)."""
    names = [choice_name(j) for j in range(k)]
    context = ModalityDict({n: a for n, a in expanded.items() if n not in names})
    context.kinds = {n: v for n, v in expanded.kinds.items() if n in context}
    context.present = {n: v for n, v in expanded.present.items() if n in context}
    parts = [expanded[n] for n in names]
    choices = ModalityDict({CHOICE: sp.vstack(parts).tocsr() if sp.issparse(parts[0]) else np.concatenate(parts)})
    if names[0] in expanded.kinds:
        choices.kinds[CHOICE] = expanded.kinds[names[0]]
    return context, choices


def answer_indices(X, y, choices: list) -> np.ndarray:
    """``y`` as the index of each row's right candidate: given as indices, or as the candidate itself."""
    values = np.asarray(y)
    if values.ndim != 1:
        raise ValueError(f"y must be 1-D (one answer per row), got shape {values.shape}.")
    k = len(choices)
    as_index = values.dtype.kind in "iu" or (
        values.dtype.kind == "f" and np.isfinite(values).all() and (values == np.round(values)).all())
    if as_index:
        index = values.astype(np.int64)
        bad = np.flatnonzero((index < 0) | (index >= k))
        if bad.size:
            raise ValueError(
                f"y, row {row_label(y, int(bad[0]))!r}: {values[bad[0]]!r} is no candidate index 0-{k - 1}.")
        return index
    if not isinstance(X, pd.DataFrame):
        raise ValueError("y holds candidates, not indices: match them against a DataFrame X, or pass indices.")
    matches = X[choices].to_numpy(dtype=object) == values.astype(object)[:, None]
    bad = np.flatnonzero(~matches.any(axis=1))
    if bad.size:
        raise ValueError(f"y, row {row_label(y, int(bad[0]))!r}: {values[bad[0]]!r} is none of the row's {choices}.")
    return matches.argmax(axis=1)
