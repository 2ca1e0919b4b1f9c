"""Convolutions over character (or token) embeddings, max-pooled: a character CNN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import EncoderModule, EncoderSpec, register_encoder
from .tokens import TokenEmbedding, step_mask


@register_encoder("char_cnn")
class CharCNN(EncoderSpec):
    """Convolutions over character (or token) embeddings, max-pooled.

    Give it characters with ``TextSequencer(analyzer="char", max_len=...)``
    (a character CNN); over words with subwords each position is the word's
    fastText vector.

    Parameters
    ----------
    hidden_size : int or None
        Output size (None: the estimator's).
    embedding_dim : int, default=32
    channels : int, default=64
        Filters per kernel width.
    kernel_sizes : tuple of int, default=(3, 5)
    dropout : float or None
        On embeddings and pooled filters (None: the estimator's).

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import CharCNN
    >>> from skmm.data.inputs import ModalityInfo
    >>> module = CharCNN(hidden_size=16).build(
    ...     ModalityInfo("tokens", (40,), vocab_size=60), hidden_size=64, dropout=0.0)
    >>> module(torch.randint(1, 60, (3, 40))).shape
    torch.Size([3, 16])
    """

    kinds = ("tokens",)
    _parameter_constraints: ClassVar[dict] = {
        "hidden_size": [POSITIVE_INT, None],
        "embedding_dim": [POSITIVE_INT],
        "channels": [POSITIVE_INT],
        "kernel_sizes": [tuple, list],
        "dropout": [PROBABILITY, None],
    }

    def __init__(
        self, *, hidden_size: int | None = None, embedding_dim: int = 32, channels: int = 64,
        kernel_sizes: Sequence[int] = (3, 5), dropout: float | None = None,
    ) -> None:
        self.hidden_size = hidden_size
        self.embedding_dim = embedding_dim
        self.channels = channels
        self.kernel_sizes = kernel_sizes
        self.dropout = dropout

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> ConvTextEncoder:
        return ConvTextEncoder(
            info.vocab_size, or_default(self.hidden_size, hidden_size), embedding_dim=self.embedding_dim,
            channels=self.channels, kernel_sizes=tuple(self.kernel_sizes), dropout=or_default(self.dropout, dropout),
        )


class ConvTextEncoder(EncoderModule):
    """Convolutions over token (or character) embeddings, max-pooled over real steps.

    Over character ids (``TextSequencer(analyzer="char")``) this is a
    character CNN; over words with subwords, each position is the word's
    fastText vector and the kernels read short phrases.

    Parameters
    ----------
    vocab_size : int
    hidden_size : int
        Output size.
    embedding_dim : int
    channels : int
        Filters per kernel width.
    kernel_sizes : sequence of int
    dropout : float

    Attributes
    ----------
    output_dim : int
    step_dim : int
        Filters of all widths: ``encode_steps`` gives one state per position.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders.char_cnn import ConvTextEncoder
    >>> encoder = ConvTextEncoder(30, 16, embedding_dim=8, channels=4, kernel_sizes=(3, 5))
    >>> ids = torch.randint(1, 30, (2, 12))
    >>> encoder(ids, torch.tensor([12, 4])).shape
    torch.Size([2, 16])
    >>> encoder.encode_steps(ids)[0].shape
    torch.Size([2, 12, 8])
    """

    def __init__(
        self, vocab_size: int, hidden_size: int, *, embedding_dim: int = 32, channels: int = 64,
        kernel_sizes: Sequence[int] = (3, 5), dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.embed = TokenEmbedding(vocab_size, embedding_dim)
        self.convs = nn.ModuleList(
            nn.Conv1d(embedding_dim, channels, k, padding=k // 2) for k in kernel_sizes
        )
        self.dropout = nn.Dropout(dropout)
        self.project = nn.Sequential(nn.Linear(channels * len(self.convs), hidden_size), nn.ReLU())
        self.output_dim = hidden_size
        self.step_dim = channels * len(self.convs)

    def _states(self, x, lengths):
        mask = step_mask(x, lengths)
        # Steps past a sample's length read as zeros, as the conv's own padding.
        steps = self.dropout(self.embed(x) * mask.unsqueeze(-1)).transpose(1, 2)
        length = steps.shape[-1]
        states = torch.cat(
            [torch.relu(conv(steps))[..., :length] for conv in self.convs], dim=1
        ).transpose(1, 2)
        return states, mask

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        states, mask = self._states(x, lengths)
        # ReLU outputs are >= 0, so zeroing padded steps leaves the max of real ones.
        pooled = (states * mask.unsqueeze(-1)).amax(1)
        return self.project(self.dropout(pooled))

    def encode_steps(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Per-position filter outputs ``(n, T, step_dim)`` and the mask of real steps."""
        states, mask = self._states(x, lengths)
        return states * mask.unsqueeze(-1), mask
