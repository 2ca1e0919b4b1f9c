"""Outputs of frozen encoders kept by training row, so that later epochs read them instead of computing them.

Once ``balance="staged"`` has frozen every encoder (stage two trains only the
fusion and its head), an encoder gives each training row the same vector
every epoch: on Wesnoth, recomputing them was 90% of stage two's time. The
network looks a batch's rows up here (their positions in the fit's dataset,
carried as ``"rows"`` in each modality's batch entry) and runs an encoder
only for a batch with a row it has not seen yet.

A row's position means something only within one fit's dataset: the cache
is made when stage two starts and dropped when training ends
(:class:`skmm.balance.staged_stopping.StagedStopping`), and it is never saved.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


class FrozenOutputs:
    """Per-key ``(rows, ...)`` tensors of outputs, filled as batches come.

    Examples
    --------
    >>> cache = FrozenOutputs()
    >>> calls = []
    >>> def compute():
    ...     calls.append(1)
    ...     return torch.ones(2, 3)
    >>> rows = torch.tensor([4, 1])
    >>> cache.get("audio", rows, compute).shape, cache.get("audio", rows, compute).shape, len(calls)
    (torch.Size([2, 3]), torch.Size([2, 3]), 1)
    """

    def __init__(self) -> None:
        self._values: dict[str, Tensor] = {}
        self._filled: dict[str, Tensor] = {}

    def get(self, key: str, rows: Tensor, compute: Callable[[], Tensor]) -> Tensor:
        """The outputs of ``rows`` under ``key``; ``compute()`` (the whole batch's) when one is missing."""
        filled = self._filled.get(key)
        rows = rows.to(torch.int64)
        if filled is not None and len(rows) and int(rows.max()) < len(filled) and bool(filled[rows.cpu()].all()):
            return self._values[key][rows.to(self._values[key].device)]
        value = compute()
        self._store(key, rows, value.detach())
        return value

    def _store(self, key: str, rows: Tensor, value: Tensor) -> None:
        needed = int(rows.max()) + 1 if len(rows) else 0
        values, filled = self._values.get(key), self._filled.get(key)
        if values is None or needed > len(filled):
            size = max(needed, 2 * len(filled)) if filled is not None else needed
            grown = value.new_zeros((size, *value.shape[1:]))
            grown_filled = torch.zeros(size, dtype=torch.bool)
            if values is not None:
                grown[: len(values)] = values
                grown_filled[: len(filled)] = filled
            values, filled = grown, grown_filled
        values[rows.to(values.device)] = value
        filled[rows.cpu()] = True
        self._values[key], self._filled[key] = values, filled
