"""Encoders: one modality's batch -> one vector per sample.

Every encoder has

* ``output_dim`` and ``forward(x, lengths=None) -> (n, output_dim)``: one
  vector per sample;
* ``step_dim`` and ``encode_steps(x, lengths=None) -> (states, mask)``: a
  sequence of states ``(n, S, step_dim)`` and a bool ``mask`` ``(n, S)``
  (True = a real step), which cross-modal attention reads. A recurrent
  encoder's steps are its per-step outputs (padding masked); a convolutional
  encoder's steps are the regions of its last feature map (``h * w`` steps
  of ``channels`` features); an MLP's is one step, its output vector.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .text_encoders import TokenEmbedding

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
POOLINGS = ("last", "mean", "max", "meanmax")


def _all_steps(states):
    return torch.ones(states.shape[:2], dtype=torch.bool, device=states.device)


def _regions(feature_map):
    """(n, C, h, w) -> (n, h*w, C) states, all real."""
    states = feature_map.flatten(2).transpose(1, 2)
    return states, _all_steps(states)


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

    Attributes
    ----------
    output_dim : int
        Size of ``forward``'s vector.
    step_dim : int
        Size of each state of ``encode_steps`` (``hidden_size * directions``).
    init_shape : tuple of int
        ``(num_layers * directions, hidden_size)``: one sample's initial
        hidden state, as ``condition={"h0": ...}`` takes it.
    step_input_size : int
        Size of one step's input after embedding, as
        ``condition={"input": ...}`` takes it.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import RecurrentEncoder
    >>> encoder = RecurrentEncoder(None, 16, cell="lstm", bidirectional=True, vocab_size=100)
    >>> encoder.step_dim, encoder.output_dim
    (32, 64)
    >>> ids = torch.randint(1, 100, (3, 12))
    >>> lengths = torch.tensor([12, 5, 1])
    >>> encoder(ids, lengths).shape
    torch.Size([3, 64])
    >>> states, mask = encoder.encode_steps(ids, lengths)
    >>> states.shape, mask.sum(1).tolist()
    (torch.Size([3, 12, 32]), [12, 5, 1])
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
            # Token ids (n, T) or, with subwords, (n, T, K): see TokenEmbedding.
            self.embedding = TokenEmbedding(vocab_size, embedding_dim)
            input_size = embedding_dim
        self.dropout = nn.Dropout(dropout)
        self.rnn = _CELLS[cell](
            input_size, hidden_size, num_layers=num_layers, batch_first=True,
            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0,
        )
        self.directions = 2 if bidirectional else 1
        self.step_dim = hidden_size * self.directions
        self.init_shape = (num_layers * self.directions, hidden_size)
        self.step_input_size = input_size
        self.output_dim = self.step_dim * (2 if pooling == "meanmax" else 1)

    def _run(self, x, lengths, condition):
        """Run the cell; returns (packed outputs, final hidden, clamped lengths)."""
        if self.embedding is not None:
            x = self.dropout(self.embedding(x))
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.int64)
        # An empty sequence (empty text) reads one padding step: a zero input.
        lengths = lengths.clamp(min=1).cpu()
        h0 = None
        if condition:
            unknown = set(condition) - {"h0", "input"}
            if unknown:
                raise ValueError(f"condition takes keys 'h0' and 'input', got {sorted(unknown)}.")
            if condition.get("input") is not None:
                x = x + condition["input"].unsqueeze(1)
            h0 = condition.get("h0")
            if h0 is not None and isinstance(self.rnn, nn.LSTM):
                h0 = (h0, torch.zeros_like(h0))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, hidden = self.rnn(packed, h0)
        return outputs, hidden, lengths

    def forward(self, x, lengths=None, condition=None):
        """One vector per sample.

        Parameters
        ----------
        x : Tensor
            Token ids ``(n, T)`` or frames ``(n, T, input_size)``.
        lengths : Tensor of int or None
            Real steps per sample (None: all ``T``).
        condition : dict or None
            Conditioning from another modality: ``"h0"``, an initial hidden
            state ``(num_layers * directions, n, hidden_size)``, and/or
            ``"input"``, ``(n, step_input_size)`` added to every step's input.
        """
        outputs, hidden, lengths = self._run(x, lengths, condition)
        if self.pooling == "last":
            if isinstance(hidden, tuple):  # LSTM: (h, c)
                hidden = hidden[0]
            # Last layer's final state of each direction.
            return torch.cat(list(hidden[-self.directions:]), dim=1)
        outputs, mask = self._pad(outputs, lengths)
        mask = mask.unsqueeze(-1)
        pooled = []
        if self.pooling in ("mean", "meanmax"):
            pooled.append((outputs * mask).sum(1) / lengths.to(outputs.device)[:, None])
        if self.pooling in ("max", "meanmax"):
            pooled.append(outputs.masked_fill(~mask, float("-inf")).amax(1))
        return torch.cat(pooled, dim=1)

    @staticmethod
    def _pad(packed, lengths):
        outputs, _ = pad_packed_sequence(packed, batch_first=True)
        mask = (torch.arange(outputs.shape[1])[None, :] < lengths[:, None]).to(outputs.device)
        return outputs, mask

    def encode_steps(self, x, lengths=None, condition=None):
        """Per-step outputs ``(n, S, step_dim)`` and the mask of real steps ``(n, S)``.

        ``S`` is the longest length in the batch; padded steps are zero and
        masked. An empty sequence has one real step (its zero input's state),
        as in ``forward``.
        """
        outputs, _, lengths = self._run(x, lengths, condition)
        return self._pad(outputs, lengths)


def _conv_blocks(in_channels, channels):
    blocks, previous = [], in_channels
    for out in channels:
        blocks += [
            nn.Conv2d(previous, out, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, ceil_mode=True),
        ]
        previous = out
    return blocks, previous


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

    Attributes
    ----------
    output_dim : int
    step_dim : int
        Channels of the last block: ``encode_steps`` gives one state per
        region of the last feature map.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import ConvEncoder
    >>> encoder = ConvEncoder(3, 32, channels=(8, 16))
    >>> x = torch.zeros(2, 3, 28, 28)
    >>> encoder(x).shape
    torch.Size([2, 32])

    Two blocks halve 28 x 28 to 7 x 7, 49 regions of 16 channels:

    >>> encoder.encode_steps(x)[0].shape
    torch.Size([2, 49, 16])
    """

    def __init__(self, in_channels, hidden_size, *, channels=(16, 32), pooled=2, dropout=0.0):
        super().__init__()
        blocks, previous = _conv_blocks(in_channels, channels)
        self.features = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(pooled), nn.Flatten())
        self.project = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(previous * pooled * pooled, hidden_size), nn.ReLU()
        )
        self.output_dim = hidden_size
        self.step_dim = previous

    def forward(self, x, lengths=None):
        return self.project(self.features(x))

    def encode_steps(self, x, lengths=None):
        """Regions of the last feature map: ``(n, h * w, step_dim)``, all real."""
        return _regions(self.features[:-2](x))


class DeconvEncoder(nn.Module):
    """Downsampling conv blocks, upsampling transposed-conv blocks, pooling, linear.

    The "deconvolution" network: conv-batchnorm-ReLU-maxpool blocks halve
    the image per block, then ConvTranspose2d(kernel 2, stride 2)-batchnorm-
    ReLU blocks double the feature map per block, which gives the linear
    layer (after adaptive average pooling) a finer, learned spatial map.

    Parameters
    ----------
    in_channels : int
    hidden_size : int
        Output size.
    channels : sequence of int
        Output channels of each downsampling block.
    deconv_channels : sequence of int
        Output channels of each upsampling (transposed convolution) block.
    pooled : int
        Side of the adaptive average pooling grid before the linear layer.
    dropout : float

    Attributes
    ----------
    output_dim : int
    step_dim : int
        Channels of the last block; ``encode_steps`` gives one state per
        region of the (upsampled) last feature map.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import DeconvEncoder
    >>> encoder = DeconvEncoder(1, 32, channels=(8, 16), deconv_channels=(8,))
    >>> x = torch.zeros(2, 1, 28, 28)
    >>> encoder(x).shape
    torch.Size([2, 32])

    Down to 7 x 7, then up to 14 x 14: 196 regions of 8 channels.

    >>> encoder.encode_steps(x)[0].shape
    torch.Size([2, 196, 8])
    """

    def __init__(
        self, in_channels, hidden_size, *, channels=(16, 32), deconv_channels=(16,), pooled=4,
        dropout=0.0,
    ):
        super().__init__()
        blocks, previous = _conv_blocks(in_channels, channels)
        for out in deconv_channels:
            blocks += [
                nn.ConvTranspose2d(previous, out, kernel_size=2, stride=2, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
            ]
            previous = out
        self.features = nn.Sequential(*blocks)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(pooled), nn.Flatten())
        self.project = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(previous * pooled * pooled, hidden_size), nn.ReLU()
        )
        self.output_dim = hidden_size
        self.step_dim = previous

    def forward(self, x, lengths=None):
        return self.project(self.pool(self.features(x)))

    def encode_steps(self, x, lengths=None):
        """Regions of the last feature map: ``(n, h * w, step_dim)``, all real."""
        return _regions(self.features(x))


class MLPEncoder(nn.Module):
    """Linear-ReLU(-dropout) layers over a feature vector.

    Parameters
    ----------
    in_features, hidden_size : int
    num_layers : int
    dropout : float

    Attributes
    ----------
    output_dim, step_dim : int
        ``encode_steps`` gives one step: the output vector.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import MLPEncoder
    >>> encoder = MLPEncoder(10, 16, num_layers=2)
    >>> x = torch.zeros(4, 10)
    >>> encoder(x).shape
    torch.Size([4, 16])
    >>> encoder.encode_steps(x)[0].shape
    torch.Size([4, 1, 16])
    """

    def __init__(self, in_features, hidden_size, *, num_layers=1, dropout=0.0):
        super().__init__()
        layers, previous = [], in_features
        for _ in range(num_layers):
            layers += [nn.Linear(previous, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            previous = hidden_size
        self.layers = nn.Sequential(*layers)
        self.output_dim = hidden_size
        self.step_dim = hidden_size

    def forward(self, x, lengths=None):
        return self.layers(x)

    def encode_steps(self, x, lengths=None):
        """One step, the output vector: ``(n, 1, step_dim)``."""
        states = self.forward(x).unsqueeze(1)
        return states, _all_steps(states)


def _takes_lengths(module):
    try:
        parameters = inspect.signature(module.forward).parameters
    except (TypeError, ValueError):
        return False
    if "lengths" in parameters:
        return True
    positional = [
        p for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters.values())


class CustomEncoder(nn.Module):
    """Any torch module as an encoder (e.g. a pretrained network).

    Parameters
    ----------
    module : nn.Module
        Called as ``module(x, lengths)`` when its ``forward`` takes a
        ``lengths`` argument (or a second positional one), else ``module(x)``;
        must return ``(n, output_dim)``.
    output_dim : int
        Size of the module's output vector.
    freeze : bool
        Keep the module's weights fixed: its parameters do not require
        gradients and it stays in eval mode (batchnorm statistics and
        dropout frozen too), even while the network trains.

    ``encode_steps`` uses the module's own ``encode_steps`` when it has one
    (then ``step_dim`` is the module's), else the output vector as one step.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import CustomEncoder
    >>> pretrained = torch.nn.Sequential(torch.nn.Linear(10, 8), torch.nn.ReLU())
    >>> encoder = CustomEncoder(pretrained, 8, freeze=True)
    >>> encoder(torch.zeros(4, 10)).shape
    torch.Size([4, 8])
    >>> any(p.requires_grad for p in encoder.parameters())
    False
    >>> encoder.train().module.training  # a frozen module stays in eval mode
    False
    """

    def __init__(self, module, output_dim, *, freeze=False):
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}.")
        self.module = module
        self.output_dim = int(output_dim)
        self.freeze = bool(freeze)
        self.step_dim = self.output_dim
        if hasattr(module, "encode_steps"):
            self.step_dim = getattr(module, "step_dim", self.output_dim)
        self._pass_lengths = _takes_lengths(module)
        if self.freeze:
            for parameter in self.module.parameters():
                parameter.requires_grad_(False)
            self.module.eval()

    def train(self, mode=True):
        super().train(mode)
        if self.freeze:
            self.module.eval()
        return self

    def _grad(self):
        return torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze)

    def forward(self, x, lengths=None):
        with self._grad():
            out = self.module(x, lengths) if self._pass_lengths else self.module(x)
        if out.ndim != 2 or out.shape[1] != self.output_dim:
            raise ValueError(
                f"the custom encoder's module returned shape {tuple(out.shape)}; "
                f"expected (n_samples, output_dim={self.output_dim})."
            )
        return out

    def encode_steps(self, x, lengths=None):
        if hasattr(self.module, "encode_steps"):
            with self._grad():
                return self.module.encode_steps(x, lengths)
        states = self.forward(x, lengths).unsqueeze(1)
        return states, _all_steps(states)
