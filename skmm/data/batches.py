"""Batches of modality tensors: a Dataset fetched a batch at a time, and its DataLoader."""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset, Subset

from .buckets import TrimmedBatches, length_batches, sort_lengths


def take_target(y, index):
    """Rows ``index`` of a target tensor, or of each part of a ``{"target", "weight"}`` dict."""
    if y is None:
        return None
    if isinstance(y, dict):
        return {key: value[index] for key, value in y.items()}
    return y[index]


def with_rows(X, index):
    """Mark each modality's entry of batch ``X`` with its rows' positions in the dataset (``"rows"``).

    What lets a network keep a frozen encoder's outputs by row
    (:mod:`skmm.balance.frozen_outputs`); an augmented view drops it.
    """
    rows = torch.as_tensor(index, dtype=torch.int64).reshape(-1)
    for entry in X.values():
        entry["rows"] = rows
    return X


def collate_identity(batch):
    """The dataset already returns whole batches (see ``__getitems__``)."""
    return batch


class ModalityDataset(Dataset):
    """Tensors of every modality (and the target), fetched a batch at a time.

    ``__getitems__`` lets torch's DataLoader index all tensors once per batch
    instead of once per sample and then collating: that per-sample path is
    the main cost skorch users measure on small models.
    """

    def __init__(self, tensors, y=None, step_axes=None):
        self.tensors = tensors
        self.y = y
        # {modality: axis of its steps} (skmm.data.buckets.step_axes): what length-aware batches cut.
        self.step_axes = step_axes or {}
        self._n = len(next(iter(next(iter(tensors.values())).values())))

    def __len__(self):
        return self._n

    def _take(self, index):
        X = {name: {key: t[index] for key, t in parts.items()} for name, parts in self.tensors.items()}
        with_rows(X, index)
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
    With ``lengths`` (and ``shuffle``), the batches hold rows of similar
    length (:func:`skmm.data.buckets.length_batches`).
    """

    def __init__(self, n, batch_size, shuffle, generator=None, lengths=None):
        self.n, self.batch_size, self.shuffle = n, batch_size, shuffle
        self.generator = generator
        self.lengths = lengths

    def __iter__(self):
        if self.shuffle and self.lengths is not None:
            return iter(length_batches(self.lengths, self.batch_size, self.generator))
        order = torch.randperm(self.n, generator=self.generator) if self.shuffle else torch.arange(self.n)
        return iter(order.split(self.batch_size))

    def __len__(self):
        return -(-self.n // self.batch_size)


def _lengths_and_axes(dataset, names):
    """(per-row sort lengths or None, step axes of ``names``) of a ModalityDataset or of skorch's Subset of one."""
    base, rows = dataset, None
    if isinstance(dataset, Subset):
        base, rows = dataset.dataset, torch.as_tensor(dataset.indices, dtype=torch.int64)
    axes = {name: axis for name, axis in getattr(base, "step_axes", {}).items() if name in names}
    tensors = getattr(base, "tensors", None)  # a lazy dataset knows no lengths before decoding
    lengths = None if tensors is None or not axes else sort_lengths(tensors, axes)
    if lengths is not None and rows is not None:
        lengths = lengths[rows]
    return lengths, axes


def batch_loader(dataset, batch_size, shuffle=False, generator=None, length_aware=(), **kwargs):
    """skorch iterator: a DataLoader over whole-batch index tensors.

    ``generator`` (the fit's own stream) drives the shuffling and the
    DataLoader's worker seeds; ``length_aware`` names the modalities by
    whose lengths rows are batched and whose batches are cut to their
    longest row (:mod:`skmm.data.buckets`); ``kwargs`` go to DataLoader
    (``num_workers``, ``pin_memory``, ...).
    """
    if generator is None:
        # DataLoader draws a worker seed per epoch; from its own generator,
        # not the global one that fits in other threads are using.
        generator = torch.Generator()
    lengths, collate = None, collate_identity
    if length_aware:
        lengths, axes = _lengths_and_axes(dataset, set(length_aware))
        if axes:
            collate = TrimmedBatches(axes)
    return DataLoader(
        dataset, batch_sampler=BatchIndices(len(dataset), batch_size, shuffle, generator, lengths),
        collate_fn=collate, generator=generator, **kwargs,
    )
