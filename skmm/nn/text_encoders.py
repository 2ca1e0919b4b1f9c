"""Encoders of token ids that read words through their character n-grams.

Token ids come as ``(n, T)`` or, from :class:`~skmm.preprocessing.TextSequencer`
with subwords, ``(n, T, K)``: each token's word id then its n-gram ids
(0-padded). Id 0 is padding everywhere.
"""

from __future__ import annotations

import torch
from torch import nn


def _step_mask(x, lengths):
    """(n, T) bool mask of real steps; from ``lengths`` or non-zero ids."""
    ids = x[..., 0] if x.ndim == 3 else x
    if lengths is None:
        return ids != 0
    return torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths.to(ids.device)[:, None]


class TokenEmbedding(nn.Module):
    """Embed token ids; a token given with subword ids is the mean of its ids' vectors.

    The fastText word vector: an unseen word (id 1, "unknown") still gets a
    vector from the n-grams it shares with seen words.

    Parameters
    ----------
    vocab_size, embedding_dim : int

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.text_encoders import TokenEmbedding
    >>> embed = TokenEmbedding(10, 4)
    >>> embed(torch.tensor([[2, 3, 0]])).shape
    torch.Size([1, 3, 4])

    With subwords ``(n, T, K)``: token 1 is unknown but carries n-grams 5 and 6.

    >>> ids = torch.tensor([[[2, 7, 0], [1, 5, 6], [0, 0, 0]]])
    >>> vectors = embed(ids)
    >>> vectors.shape, bool(vectors[0, 2].eq(0).all())
    (torch.Size([1, 3, 4]), True)
    """

    def __init__(self, vocab_size, embedding_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.embedding_dim = embedding_dim

    def forward(self, x):
        vectors = self.embedding(x)
        if x.ndim == 2:
            return vectors
        count = (x != 0).sum(-1, keepdim=True).clamp(min=1)
        return vectors.sum(2) / count


class NGramBagEncoder(nn.Module):
    """fastText-style encoder: the mean embedding of every word and n-gram id of a text.

    A bag (order ignored) of words and their character n-grams, as in
    fastText's classifier: on short, noisy or multilingual text it holds what
    a linear model over character n-gram TF-IDF holds, and unseen or
    misspelt words still contribute through their n-grams.

    Parameters
    ----------
    vocab_size : int
    embedding_dim : int
        Output size.
    dropout : float
        On the output vector.

    Attributes
    ----------
    output_dim, step_dim : int
        ``embedding_dim``; ``encode_steps`` gives each token's vector.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.text_encoders import NGramBagEncoder
    >>> encoder = NGramBagEncoder(20, 8)
    >>> ids = torch.tensor([[[2, 5, 6], [3, 7, 0]], [[0, 0, 0], [0, 0, 0]]])
    >>> out = encoder(ids)
    >>> out.shape, bool(out[1].eq(0).all())  # an empty text is a zero vector
    (torch.Size([2, 8]), True)
    >>> encoder.encode_steps(ids)[0].shape
    torch.Size([2, 2, 8])
    """

    def __init__(self, vocab_size, embedding_dim, *, dropout=0.0):
        super().__init__()
        # padding_idx: id 0 is left out of each mean, so padding changes nothing.
        self.bag = nn.EmbeddingBag(vocab_size, embedding_dim, mode="mean", padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.output_dim = embedding_dim
        self.step_dim = embedding_dim

    def forward(self, x, lengths=None):
        if lengths is not None:
            # Only the first `lengths` tokens are real; later ids are padding.
            x = x * _step_mask(x, lengths).reshape(*x.shape[:2], *([1] * (x.ndim - 2)))
        return self.dropout(self.bag(x.reshape(len(x), -1)))

    def encode_steps(self, x, lengths=None):
        """Each token's vector ``(n, T, step_dim)`` and the mask of real tokens."""
        mask = _step_mask(x, lengths)
        vectors = nn.functional.embedding(x, self.bag.weight, padding_idx=0)
        if x.ndim == 3:
            vectors = vectors.sum(2) / (x != 0).sum(-1, keepdim=True).clamp(min=1)
        return vectors * mask.unsqueeze(-1), mask


class ConvTextEncoder(nn.Module):
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
    >>> from skmm.nn.text_encoders import ConvTextEncoder
    >>> encoder = ConvTextEncoder(30, 16, embedding_dim=8, channels=4, kernel_sizes=(3, 5))
    >>> ids = torch.randint(1, 30, (2, 12))
    >>> encoder(ids, torch.tensor([12, 4])).shape
    torch.Size([2, 16])
    >>> encoder.encode_steps(ids)[0].shape
    torch.Size([2, 12, 8])
    """

    def __init__(
        self, vocab_size, hidden_size, *, embedding_dim=32, channels=64, kernel_sizes=(3, 5),
        dropout=0.0,
    ):
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
        mask = _step_mask(x, lengths)
        # Steps past a sample's length read as zeros, as the conv's own padding.
        steps = self.dropout(self.embed(x) * mask.unsqueeze(-1)).transpose(1, 2)
        length = steps.shape[-1]
        states = torch.cat(
            [torch.relu(conv(steps))[..., :length] for conv in self.convs], dim=1
        ).transpose(1, 2)
        return states, mask

    def forward(self, x, lengths=None):
        states, mask = self._states(x, lengths)
        # ReLU outputs are >= 0, so zeroing padded steps leaves the max of real ones.
        pooled = (states * mask.unsqueeze(-1)).amax(1)
        return self.project(self.dropout(pooled))

    def encode_steps(self, x, lengths=None):
        """Per-position filter outputs ``(n, T, step_dim)`` and the mask of real steps."""
        states, mask = self._states(x, lengths)
        return states * mask.unsqueeze(-1), mask
