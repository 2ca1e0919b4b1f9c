"""Length-aware batches: rows of similar length together, each batch cut to its own longest row.

A batch of clips is padded to the longest clip of the whole set; with
long-tailed lengths (speech: 1.1 s at the median, 20 s at most) most of a
frame encoder's work is then on padding. Here the training rows are put in
at most 4 buckets of similar length (between quantiles of the lengths:
the shorter half, a quarter, two eighths; TensorFlow's
``bucket_by_sequence_length`` buckets by length too), shuffled within each bucket,
cut into batches, and the batches shuffled: an epoch still visits the rows
in a seeded random order of batches, but a batch's rows have similar
lengths, and :func:`trim_batch` cuts each batch to its own longest row, so
an epoch's cost follows the total length of the rows.

Few large buckets rather than a sort: real sets repeat media (a unit's one
sound in every language of its description), and a sort puts the rows of
one clip, and so often of one label, in one batch; a large bucket mixes many
clips of similar length. On Wesnoth a pooled sort cost 2 points of accuracy
(0.939 to 0.918, seed 0), 8 buckets 1 point (mean of 3 seeds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor

#: Buckets hold at least ``BUCKET_BATCHES`` batches of rows each; there are at most
#: ``len(EDGES) + 1`` of them.
BUCKET_BATCHES = 4
#: Quantiles of the lengths between buckets, in the order they are used: the shorter half,
#: a quarter, then the longest eighth in two. Few, large buckets, because a bucket of few
#: distinct clips has few labels: on Wesnoth (one sound per unit, in every language)
#: 8 buckets (quantile eighths, or ever thinner slices toward the longest rows) cost 1 point
#: of accuracy against random batches over 3 seeds, these 4 none; and a long tail's rows
#: still meet in the last eighth's batches, not in every one.
EDGES = (0.5, 0.75, 0.875)
#: Rows are sorted only where their mean length is under this share of the padded length.
PADDED_SHARE = 0.5

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
    64 rows of lengths 0-63 in batches of 4: 4 buckets (the shorter half,
    the next quarter, two eighths), every batch within one of them.

    >>> lengths = torch.arange(64)
    >>> batches = length_batches(lengths, 4, torch.Generator().manual_seed(0))
    >>> bucket = lambda length: 0 if length < 32 else 1 if length < 48 else 2 if length < 56 else 3
    >>> len(batches), sorted({(bucket(int(lengths[b].min())), bucket(int(lengths[b].max()))) for b in batches})
    (16, [(0, 0), (1, 1), (2, 2), (3, 3)])
    """
    n_buckets = max(1, min(len(EDGES) + 1, len(lengths) // (BUCKET_BATCHES * batch_size)))
    values = lengths.double()
    edges = torch.quantile(values, torch.tensor(sorted(EDGES[: n_buckets - 1]), dtype=torch.float64))
    bucket = torch.bucketize(values, edges, right=True)
    order = torch.randperm(len(lengths), generator=generator)
    # Buckets one after another, each in random order; a batch may straddle two neighbours.
    order = order[torch.sort(bucket[order], stable=True).indices]
    batches = list(order.split(batch_size))
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
