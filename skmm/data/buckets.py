"""Length-aware batches: rows of similar length together, each batch cut to its own longest row.

A batch of clips is padded to the longest clip of the whole set; with
long-tailed lengths (speech: 1.1 s at the median, 20 s at most) most of a
frame encoder's work is then on padding. Here the rows of a training epoch
are shuffled, cut into pools of a few dozen batches, sorted by length within
each pool and split into batches, and the batches themselves are shuffled
(the "bucket iterator" of fairseq and AllenNLP): an epoch still visits the
rows in a seeded random order of batches, but a batch's rows have similar
lengths, and :func:`trim_batch` cuts each batch to its own longest row, so
an epoch's cost follows the total length of the rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor

#: Batches per pool sorted together: enough for batches of near-equal
#: lengths, few enough that which rows meet in a batch still changes each epoch.
POOL_BATCHES = 32

#: Rows are sorted only where their mean length is under this share of the padded length.
PADDED_SHARE = 0.5
#: Each length is scaled by 1 + U(-noise, noise) before sorting (AllenNLP's
#: ``padding_noise``), so that rows of near-equal length meet in new batches each epoch.
PADDING_NOISE = 0.1

# The axis of a batch's tensor that holds a modality's steps, by kind
# (tokenized text is (n, 2, T): ids and attention mask).
_BATCH_STEP_AXIS = {"tokens": 1, "tokenized": 2, "frames": 1, "video": 1}


def step_axes(infos: Mapping) -> dict[str, int]:
    """The step axis of each sequence modality's batch tensor, from the fitted ``ModalityInfo``s."""
    return {name: _BATCH_STEP_AXIS[info.kind] for name, info in infos.items() if info.kind in _BATCH_STEP_AXIS}


def sort_lengths(tensors: Mapping, axes: Mapping[str, int]) -> Tensor | None:
    """Per row, the length batches are sorted by; None where sorting would not pay.

    The length is that of the sequence modality whose padded rows are
    largest: batches are padded per modality, and the largest is where the
    padding costs. Sorting pays only where padding is most of that
    modality's work (its mean length under ``PADDED_SHARE`` of the padded
    one): otherwise random batches (still cut to their longest row) keep
    all the variety of which rows meet, which small sets of near-equal
    lengths need more than a few percent of time.
    """
    best, best_size = None, -1
    for name, axis in axes.items():
        parts = tensors[name]
        size = math.prod(parts["x"].shape[1:])
        if "lengths" in parts and size > best_size:
            best, best_size, steps = parts["lengths"], size, parts["x"].shape[axis]
    if best is None or not len(best) or float(best.double().mean()) >= PADDED_SHARE * steps:
        return None
    return best


def length_batches(lengths: Tensor, batch_size: int, generator: torch.Generator | None) -> list[Tensor]:
    """Row indices in batches of similar ``lengths``, in a random order of batches drawn from ``generator``.

    Examples
    --------
    >>> lengths = torch.tensor([5, 1, 9, 2, 8, 1, 7, 3])
    >>> batches = length_batches(lengths, 2, torch.Generator().manual_seed(0))
    >>> sorted(sorted(lengths[b].tolist()) for b in batches)
    [[1, 1], [2, 3], [5, 7], [8, 9]]
    """
    order = torch.randperm(len(lengths), generator=generator)
    noise = 1 + PADDING_NOISE * (2 * torch.rand(len(lengths), generator=generator) - 1)
    noisy = lengths.double() * noise.double()
    batches = []
    for pool in order.split(POOL_BATCHES * batch_size):
        ranked = pool[torch.sort(noisy[pool], descending=True, stable=True).indices]
        batches += list(ranked.split(batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator)]


def trim_batch(X: Mapping, axes: Mapping[str, int]) -> dict:
    """``X`` with each sequence modality cut to its batch's longest row (at least one step)."""
    out = dict(X)
    for name, axis in axes.items():
        parts = X.get(name)
        if parts is None or "lengths" not in parts:
            continue
        x, lengths = parts["x"], parts["lengths"]
        longest = max(1, int(lengths.max())) if len(lengths) else 1
        if longest < x.shape[axis]:
            out[name] = {**parts, "x": x.narrow(axis, 0, longest)}
    return out


class TrimmedBatches:
    """A DataLoader ``collate_fn``: whole batches from the dataset, each cut by :func:`trim_batch`.

    A class rather than a closure so that DataLoader workers can pickle it.
    """

    def __init__(self, axes: Mapping[str, int]) -> None:
        self.axes = dict(axes)

    def __call__(self, batch):
        X, y = batch
        return trim_batch(X, self.axes), y
