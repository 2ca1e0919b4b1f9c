"""Absent modalities inside fusions: the presence mask, masked softmax, zeroing."""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor


def present_mask(
    present: Mapping[str, Tensor] | None, names: Sequence[str], n: int, device: torch.device,
) -> Tensor | None:
    """(n, len(names)) bool from a ``present`` dict, or None when everything is present.

    A name missing from ``present`` is present in every sample.
    """
    if not present:
        return None
    columns = []
    for name in names:
        column = present.get(name)
        if column is None:
            column = torch.ones(n, dtype=torch.bool, device=device)
        columns.append(column.to(device=device, dtype=torch.bool).reshape(n))
    return torch.stack(columns, dim=1)


def masked_softmax(logits: Tensor, mask: Tensor | None, dim: int = 1) -> Tensor:
    """Softmax over ``dim`` among True entries of ``mask`` (broadcastable).

    Rows with no True entry get all-zero weights (never NaN, in values or
    gradients).
    """
    if mask is None:
        return torch.softmax(logits, dim=dim)
    mask = mask.expand_as(logits)
    any_present = mask.any(dim=dim, keepdim=True)
    usable = mask | ~any_present
    weights = torch.softmax(logits.masked_fill(~usable, float("-inf")), dim=dim)
    return weights * any_present


def zero_absent(vectors: Tensor | list[Tensor], mask: Tensor | None) -> Tensor | list[Tensor]:
    """Stacked (n, M, d) or list of (n, d_m) -> same, absent modalities zeroed."""
    if mask is None:
        return vectors
    if isinstance(vectors, torch.Tensor):
        return vectors * mask.unsqueeze(-1).to(vectors.dtype)
    return [v * mask[:, i : i + 1].to(v.dtype) for i, v in enumerate(vectors)]
