"""A linear model over a text's bag of word and n-gram ids: the wide part of the text encoder."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import Tensor, nn

from .base import EncoderModule
from .id_bags import bag_of_used_rows
from .tokens import ids_within


def _occurrences(flat):
    """Per id position of ``flat`` (n, L), how often its id occurs in its row."""
    return (flat.unsqueeze(2) == flat.unsqueeze(1)).sum(2)  # exports; L x L per row, fine at inference


def _exported_bag(ids, weight, idf):
    """Each row's sublinear-TF-IDF features (L2-normalised) times ``weight``, from its ids, in ONNX's operators.

    An id seen ``c`` times weighs ``(1 + log c) * idf`` in all, as with
    ``TfidfVectorizer(sublinear_tf=True)``: each of its ``c`` positions
    carries a ``1/c`` share.
    """
    flat = ids.flatten(1)
    c = _occurrences(flat).to(weight.dtype)
    share = idf[flat] * (1 + torch.log(c)) / c * (flat != 0)
    norm = (share.square() * c).sum(1, keepdim=True).sqrt().clamp(min=1e-12)  # over distinct ids
    return (weight[flat] * (share / norm).unsqueeze(-1)).sum(1)


def tfidf_pairs(blocks: list[Tensor], vocab_size: int, idf: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Each row's distinct (block, id) pairs and their sublinear TF-IDF weights, each block L2-normalised.

    An id seen ``c`` times in a row's block weighs ``(1 + log c) * idf``, as
    with ``TfidfVectorizer(sublinear_tf=True)``. One sort of the batch's
    real ids (padding left out) finds every pair and its count.

    Returns
    -------
    ids, weights : Tensor
        One entry per distinct pair, row after row (``embedding_bag``'s 1-D
        input and ``per_sample_weights``).
    offsets : Tensor of shape (n,)
        Where each row's pairs start.
    """
    n, n_blocks = blocks[0].shape[0], len(blocks)
    keys = []
    for b, block in enumerate(blocks):
        flat = block.flatten(1)
        mask = flat != 0
        bag = torch.arange(n, device=flat.device).unsqueeze(1) * n_blocks + b
        keys.append(bag.expand_as(flat).masked_select(mask) * vocab_size + flat.masked_select(mask))
    pairs, counts = torch.unique(torch.cat(keys), return_counts=True)  # sorted by row, then block, then id
    ids, bag = pairs % vocab_size, pairs // vocab_size
    weights = idf[ids] * (1 + torch.log(counts.to(idf.dtype)))
    norm = torch.zeros(n * n_blocks, dtype=idf.dtype, device=idf.device).index_add_(0, bag, weights.square())
    weights = weights / norm.sqrt().clamp(min=1e-12)[bag]
    per_row = torch.bincount(bag // n_blocks, minlength=n)
    return ids, weights, per_row.cumsum(0) - per_row


class TokenBagLinear(EncoderModule):
    """Scores from a text's ids as a logistic regression on TF-IDF features gives them.

    The text's word ids and its character n-gram ids (the first and the
    other entries of each step of :class:`~skmm.preprocessing.TextSequencer`'s
    output) each make one bag, weighted by sublinear term frequency and
    inverse document frequency and L2-normalised, as scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True)`` weights words and character
    n-grams; a linear map takes both to the outputs. Weights start
    at zero and are trained by SGD (see :class:`~skmm.encoders.Wide`), so the
    part holds what a linear model on TF-IDF holds, beside the deep part.

    Parameters
    ----------
    vocab_size, out_features : int
    doc_freq : array-like of shape (vocab_size,) or None
        Fraction of fit rows holding each id (None: all ids weigh alike).
    lr, momentum : float, default=5.0, 0.9
        Of the SGD that trains this part. Larger steps than
        :class:`~skmm.encoders.Wide`'s 1.0, so that it keeps pace with the
        embedding bag (trained by Adam) beside it: early stopping, driven by
        the faster part, otherwise ends training before this one has fitted
        (Debian package synopses, text alone: test accuracy 0.713 at 1.0,
        0.722 at 3, 0.724 at 5, 0.728 at 10, 0.707 at 30).

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders.bag_linear import TokenBagLinear
    >>> part = TokenBagLinear(10, 3)
    >>> part(torch.tensor([[[2, 5, 6], [3, 7, 0]], [[0, 0, 0], [0, 0, 0]]])).shape
    torch.Size([2, 3])
    """

    #: Whether training gives the weights a sparse gradient (the rows the batch used), which
    #: :class:`skmm.nn.optim.SGD` takes; set by the estimator when it builds that optimizer.
    sparse = False
    idf: Tensor  # a buffer: annotated so type checkers see a tensor, not ``Tensor | Module``

    def __init__(
        self, vocab_size: int, out_features: int, *, doc_freq: ArrayLike | None = None, lr: float = 5.0,
        momentum: float = 0.9,
    ) -> None:
        super().__init__()
        self.lr = lr
        self.momentum = momentum
        self.weight = nn.Parameter(torch.zeros(vocab_size, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        idf = torch.ones(vocab_size)
        if doc_freq is not None:
            # TfidfVectorizer's idf, 1 + log(n / df), from the fraction of rows; ids seen in no
            # row weigh as one in 100,000 (their weights stay zero: no gradient reaches them).
            idf = 1.0 - torch.log(torch.as_tensor(np.asarray(doc_freq, dtype=np.float32)).clamp(min=1e-5))
        self.register_buffer("idf", idf)
        self.output_dim = out_features
        self.step_dim = out_features

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        x = ids_within(x, lengths).clamp(max=self.weight.shape[0] - 1)  # ids unseen in fit, as the deep part reads them
        if x.ndim == 3 and x.shape[-1] > 1:
            blocks = [x[..., :1], x[..., 1:]]  # words, then their character n-grams
        else:
            blocks = [x]
        if torch.onnx.is_in_onnx_export():
            total = sum(_exported_bag(block, self.weight, self.idf) for block in blocks)
        else:
            ids, weights, offsets = tfidf_pairs(blocks, self.weight.shape[0], self.idf)
            if self.sparse and torch.is_grad_enabled():
                total = bag_of_used_rows(ids, offsets, self.weight, weights)
            else:
                total = F.embedding_bag(ids, self.weight, offsets, mode="sum", per_sample_weights=weights)
        return total / math.sqrt(len(blocks)) + self.bias
