"""Encoders: one modality's batch -> one vector per sample.

Every encoder has ``output_dim`` and ``forward(x, lengths=None)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
POOLINGS = ("last", "mean", "max", "meanmax")


class RecurrentEncoder(nn.Module):
    """RNN (tanh), GRU or LSTM over a padded sequence; final hidden state out.

    Sequences are packed by length, so padding never enters the state. With
    ``vocab_size`` the input is token ids, embedded first (id 0 is padding).

    Parameters
    ----------
    input_size : int
        Features per step (ignored with ``vocab_size``: the embedding size is).
    hidden_size : int
        Hidden units per direction.
    cell : {"rnn", "gru", "lstm"}
    num_layers : int
    bidirectional : bool
    dropout : float
        Between stacked layers and on the embedding.
    vocab_size, embedding_dim : int or None
        Token input: size of the vocabulary and of its embedding.
    pooling : {"last", "mean", "max", "meanmax"}
        How the states become one vector: the final hidden state, or the
        mean / max / both (concatenated) of the outputs over the real steps.
        Pooling over steps gives every step a direct gradient path, which
        matters when the signal (a spoken word) sits anywhere in a long
        sequence.
    """

    def __init__(
        self, input_size, hidden_size, *, cell="gru", num_layers=1, bidirectional=False,
        dropout=0.0, vocab_size=None, embedding_dim=None, pooling="meanmax",
    ):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell must be one of {sorted(_CELLS)}, got {cell!r}.")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        self.pooling = pooling
        self.embedding = None
        if vocab_size is not None:
            embedding_dim = embedding_dim or hidden_size
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
            input_size = embedding_dim
        self.dropout = nn.Dropout(dropout)
        self.rnn = _CELLS[cell](
            input_size, hidden_size, num_layers=num_layers, batch_first=True,
            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0,
        )
        self.directions = 2 if bidirectional else 1
        self.output_dim = hidden_size * self.directions * (2 if pooling == "meanmax" else 1)

    def forward(self, x, lengths=None):
        if self.embedding is not None:
            x = self.dropout(self.embedding(x))
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.int64)
        # An empty sequence (empty text) reads one padding step: a zero input.
        lengths = lengths.clamp(min=1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, hidden = self.rnn(packed)
        if self.pooling == "last":
            if isinstance(hidden, tuple):  # LSTM: (h, c)
                hidden = hidden[0]
            # Last layer's final state of each direction.
            return torch.cat(list(hidden[-self.directions:]), dim=1)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True)
        mask = (torch.arange(outputs.shape[1])[None, :] < lengths[:, None]).to(outputs.device)
        mask = mask.unsqueeze(-1)
        pooled = []
        if self.pooling in ("mean", "meanmax"):
            pooled.append((outputs * mask).sum(1) / lengths.to(outputs.device)[:, None])
        if self.pooling in ("max", "meanmax"):
            pooled.append(outputs.masked_fill(~mask, float("-inf")).amax(1))
        return torch.cat(pooled, dim=1)


class ConvEncoder(nn.Module):
    """Conv-batchnorm-ReLU-maxpool blocks, adaptive pooling, a linear layer.

    Parameters
    ----------
    in_channels : int
    hidden_size : int
        Output size.
    channels : sequence of int
        Output channels of each block (each block halves H and W).
    pooled : int
        Side of the adaptive average pooling grid before the linear layer.
    dropout : float
    """

    def __init__(self, in_channels, hidden_size, *, channels=(16, 32), pooled=2, dropout=0.0):
        super().__init__()
        blocks, previous = [], in_channels
        for out in channels:
            blocks += [
                nn.Conv2d(previous, out, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            previous = out
        self.features = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(pooled), nn.Flatten())
        self.project = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(previous * pooled * pooled, hidden_size), nn.ReLU()
        )
        self.output_dim = hidden_size

    def forward(self, x, lengths=None):
        return self.project(self.features(x))


class MLPEncoder(nn.Module):
    """Linear-ReLU(-dropout) layers over a feature vector.

    Parameters
    ----------
    in_features, hidden_size : int
    num_layers : int
    dropout : float
    """

    def __init__(self, in_features, hidden_size, *, num_layers=1, dropout=0.0):
        super().__init__()
        layers, previous = [], in_features
        for _ in range(num_layers):
            layers += [nn.Linear(previous, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            previous = hidden_size
        self.layers = nn.Sequential(*layers)
        self.output_dim = hidden_size

    def forward(self, x, lengths=None):
        return self.layers(x)
