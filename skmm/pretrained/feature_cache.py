"""Outputs of frozen pretrained networks, kept per input row across fits.

A frozen backbone maps the same input row to the same output in every grid
search candidate, cross-validation fold, epoch and ``predict``; running it
is most of the cost of such a fit. So its outputs are kept row by row, keyed
by a fingerprint of the network's weights and settings and a hash of the
row's content, in the same least-recently-used store the media decoders use
(:class:`skmm.utils.cache.DecodeCache`).

The cache is per process and bounded by ``SKMM_FEATURE_CACHE_MB`` (default
1024 MiB; 0 turns it off); ``feature_cache.clear()`` empties it and
``feature_cache.stats()`` counts rows computed (``decodes``) and reused
(``hits``).
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import torch

from ..utils.cache import DecodeCache

__all__ = ["feature_cache", "fingerprint", "cached_rows"]

#: The process-wide store of frozen outputs.
feature_cache = DecodeCache(int(float(os.environ.get("SKMM_FEATURE_CACHE_MB", "1024")) * 2**20))


def _digest(data):
    return hashlib.blake2b(data, digest_size=16).digest()


def fingerprint(module, *settings):
    """A digest of ``module``'s parameters and buffers (names, shapes, values) and ``settings``."""
    digest = hashlib.blake2b(repr(settings).encode(), digest_size=16)
    for name, tensor in module.state_dict().items():
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}{tuple(tensor.shape)}{tensor.dtype}".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.digest()


def cached_rows(key, x, compute, cache=feature_cache):
    """``compute(x)`` row by row from the cache; only rows not kept are computed.

    Parameters
    ----------
    key : hashable
        Identifies the computation (weights fingerprint, what is computed).
    x : Tensor of shape (n, ...)
        Input rows; a row's bytes (and shape, dtype) are its key.
    compute : callable
        Tensor ``(m, ...)`` of rows -> Tensor ``(m, ...)`` of outputs.

    Returns
    -------
    Tensor of shape (n, ...)
        On ``x``'s device.
    """
    if cache.max_bytes <= 0 or cache.is_paused():
        return compute(x)
    rows = x.detach().cpu().contiguous().numpy()
    shape = (rows.shape[1:], rows.dtype.str)
    keys = [(key, shape, _digest(row.tobytes())) for row in rows]
    found = [cache.lookup(k, count_miss=False) for k in keys]
    # Rows not kept, each distinct content once (a batch may repeat a row).
    missing = {}
    for i, value in enumerate(found):
        if value is None:
            missing.setdefault(keys[i], []).append(i)
    if missing:
        first = [rows_at[0] for rows_at in missing.values()]
        computed = compute(x[torch.as_tensor(first, device=x.device)]).detach().cpu().numpy()
        cache.count_decodes(len(first))
        for j, (row_key, rows_at) in enumerate(missing.items()):
            value = computed[j].copy()
            cache.store(row_key, value)
            for i in rows_at:
                found[i] = value
    return torch.from_numpy(np.stack(found)).to(x.device)
