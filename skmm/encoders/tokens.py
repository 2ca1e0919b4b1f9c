"""Token ids as text encoders read them: an embedding that folds in subword ids.

Token ids come as ``(n, T)`` or, from :class:`~skmm.preprocessing.TextSequencer`
with subwords, ``(n, T, K)``: each token's word id then its n-gram ids
(0-padded). Id 0 is padding everywhere. The embedding tables are
:class:`RowEmbedding` layers, which skmm's ``adam``/``adamw`` (:mod:`skmm.nn.optim`)
may train by the rows a batch used.
"""

from __future__ import annotations

import torch
from torch import nn


def step_mask(x, lengths):
    """(n, T) bool mask of real steps; from ``lengths`` or non-zero ids."""
    ids = x[..., 0] if x.ndim == 3 else x
    if lengths is None:
        return ids != 0
    return torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths.to(ids.device)[:, None]


def ids_within(x, lengths):
    """``x`` (token ids, ``(n, T)`` or ``(n, T, S)``) with the steps past ``lengths`` set to padding (id 0)."""
    if lengths is None:
        return x
    mask = step_mask(x, lengths)
    return x * (mask.unsqueeze(-1) if x.ndim == 3 else mask)


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
    >>> from skmm.encoders.tokens import TokenEmbedding
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
        self.embedding = RowEmbedding(vocab_size, embedding_dim, padding_idx=0)
        self.embedding_dim = embedding_dim

    def forward(self, x):
        vectors = self.embedding(x)
        if x.ndim == 2:
            return vectors
        count = (x != 0).sum(-1, keepdim=True).clamp(min=1)
        return vectors.sum(2) / count


class RowEmbedding(nn.Embedding):
    """An ``nn.Embedding`` that skmm's ``adam`` / ``adamw`` may train by rows.

    :func:`skmm.nn.optim.use_sparse_rows` switches its gradient to sparse when the chosen
    optimizer can take it and the table is large; it is an ``nn.Embedding``
    in every other respect (ONNX export, ``state_dict``).

    Parameters
    ----------
    num_embeddings, embedding_dim : int
    **kwargs
        As ``nn.Embedding`` (``padding_idx``, ...).

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders.tokens import RowEmbedding
    >>> RowEmbedding(10, 4, padding_idx=0)(torch.tensor([[1, 0]])).shape
    torch.Size([1, 2, 4])
    """
