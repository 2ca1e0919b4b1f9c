"""Fusion modules: dict of per-modality vectors -> one vector per sample.

Every fusion takes the encoders' ``output_dim`` by modality name, reads its
inputs in sorted-name order, and exposes ``output_dim``.
"""

from __future__ import annotations

import torch
from torch import nn


class ConcatFusion(nn.Module):
    """Early (feature-level) fusion: concatenate the modality vectors.

    Parameters
    ----------
    dims : dict of str -> int
        Each modality's vector size.
    """

    def __init__(self, dims):
        super().__init__()
        self.names = sorted(dims)
        self.output_dim = sum(dims.values())

    def forward(self, features):
        return torch.cat([features[name] for name in self.names], dim=1)
