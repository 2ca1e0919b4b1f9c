"""The MLP head: fused vector (or one modality's, in late fusion) -> outputs."""

from __future__ import annotations

from torch import nn


def make_head(in_features: int, hidden_size: int, n_outputs: int, dropout: float) -> nn.Sequential:
    """Two-layer MLP head: linear-ReLU-dropout-linear to ``n_outputs`` logits (or values)."""
    return nn.Sequential(
        nn.Linear(in_features, hidden_size), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden_size, n_outputs),
    )
