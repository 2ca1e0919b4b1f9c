"""The multimodal network: encoders -> fusion -> head."""

from __future__ import annotations

from torch import nn


class MultimodalNetwork(nn.Module):
    """Encode each modality, fuse the vectors, map them to outputs.

    Parameters
    ----------
    encoders : dict of str -> nn.Module
        One encoder per modality, each with ``output_dim``.
    fusion : nn.Module
        Takes ``{name: (batch, output_dim)}``; has ``output_dim``.
    head : nn.Module
        Maps the fused vector to the outputs (logits or values).
    """

    def __init__(self, encoders, fusion, head):
        super().__init__()
        self.encoders = nn.ModuleDict(encoders)
        self.fusion = fusion
        self.head = head

    def encode(self, batch):
        """Per-modality vectors of a batch ``{name: {"x": ..., "lengths": ...}}``."""
        return {
            name: encoder(batch[name]["x"], batch[name].get("lengths"))
            for name, encoder in self.encoders.items()
        }

    def forward(self, batch):
        return self.head(self.fusion(self.encode(batch)))


def make_head(in_features, hidden_size, n_outputs, dropout):
    """Two-layer MLP head."""
    return nn.Sequential(
        nn.Linear(in_features, hidden_size), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden_size, n_outputs),
    )
