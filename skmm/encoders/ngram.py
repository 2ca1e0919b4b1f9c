"""fastText-style encoder: a bag of a text's words and character n-grams."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..utils.sklearn_compat import StrOptions
from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .bag_linear import TokenBagLinear
from .base import EncoderModule, EncoderSpec, register_encoder
from .id_bags import bag_of_used_rows, packed_ids
from .tokens import RowEmbedding, ids_within, step_mask


@register_encoder("ngram")
class NGram(EncoderSpec):
    """fastText-style bag of a text's words and character n-grams (the default for text).

    The mean embedding of every word id and subword id of the text
    (:class:`~skmm.preprocessing.TextSequencer` emits each word's character
    n-grams by default). It reads short, noisy, multilingual text as a
    linear model over character n-grams does, and is fast: no recurrence.

    Parameters
    ----------
    embedding_dim : int or None
        Size of the vectors and of the output (None: the estimator's
        ``hidden_size``).
    dropout : float or None
        On the output (None: the estimator's).
    wide : {"auto", True, False}, default="auto"
        Also score the text linearly, straight to the outputs, from its
        TF-IDF-weighted bags of words and of n-grams
        (:class:`~skmm.encoders.TokenBagLinear`, trained by SGD as
        :class:`~skmm.encoders.Wide` is): wide & deep. On real text of a few
        thousand rows a linear model on TF-IDF generalises better than the
        embedding bag learns to (Debian package synopses, text alone: test
        accuracy 0.676 → 0.725; Wesnoth unit descriptions: 0.531 → 0.667).
        Beside media encoders (image, audio, video), though, the linear part
        fits the text first and starves them (AV-Digits fusion 0.958 → 0.900,
        Wesnoth 0.921 → 0.913) when they train jointly (``balance="none"``),
        so ``"auto"`` then adds it only when the other modalities are numbers
        or sparse features (or there are none). Under ``balance="staged"``
        (the default) each modality trains alone first, and ``"auto"`` adds
        it beside media too.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import NGram
    >>> from skmm.data.inputs import ModalityInfo
    >>> module = NGram(embedding_dim=16).build(
    ...     ModalityInfo("tokens", (12, 25), vocab_size=300), hidden_size=64, dropout=0.0)
    >>> module(torch.randint(0, 300, (3, 12, 25))).shape
    torch.Size([3, 16])
    """

    kinds = ("tokens",)
    _parameter_constraints: ClassVar[dict] = {
        "embedding_dim": [POSITIVE_INT, None],
        "dropout": [PROBABILITY, None],
        "wide": ["boolean", StrOptions({"auto"})],
    }

    def __init__(
        self, *, embedding_dim: int | None = None, dropout: float | None = None, wide: bool | Literal["auto"] = "auto"
    ) -> None:
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.wide = wide

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> NGramBagEncoder:
        return NGramBagEncoder(
            info.vocab_size, or_default(self.embedding_dim, hidden_size), dropout=or_default(self.dropout, dropout),
        )

    def build_wide(self, info: Any, n_outputs: int, *, beside_media: bool = False) -> TokenBagLinear | None:
        """The linear part beside the embedding bag, or None (see ``wide``)."""
        if self.wide is False or (self.wide == "auto" and beside_media):
            return None
        return TokenBagLinear(info.vocab_size, n_outputs, doc_freq=getattr(info, "doc_freq", None))


class NGramBagEncoder(EncoderModule):
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
    >>> from skmm.encoders.ngram import NGramBagEncoder
    >>> encoder = NGramBagEncoder(20, 8)
    >>> ids = torch.tensor([[[2, 5, 6], [3, 7, 0]], [[0, 0, 0], [0, 0, 0]]])
    >>> out = encoder(ids)
    >>> out.shape, bool(out[1].eq(0).all())  # an empty text is a zero vector
    (torch.Size([2, 8]), True)
    >>> encoder.encode_steps(ids)[0].shape
    torch.Size([2, 2, 8])
    """

    def __init__(self, vocab_size: int, embedding_dim: int, *, dropout: float = 0.0) -> None:
        super().__init__()
        # padding_idx: id 0 embeds to zeros and is left out of each mean, so
        # padding changes nothing. An Embedding module (summed through
        # embedding_bag when not exporting) so the network exports to ONNX.
        self.embedding = RowEmbedding(vocab_size, embedding_dim, padding_idx=0)
        self.dropout = nn.Dropout(dropout)
        self.output_dim = embedding_dim
        self.step_dim = embedding_dim

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        flat = ids_within(x, lengths).flatten(1)
        count = (flat != 0).sum(1, keepdim=True).clamp(min=1)
        if torch.onnx.is_in_onnx_export():
            total = self.embedding(flat).sum(1)
        elif self.embedding.sparse and torch.is_grad_enabled():
            total = bag_of_used_rows(*packed_ids(flat), self.embedding.weight)
        else:
            # Sums without the (n, ids, dim) intermediate: 4x faster on long bags.
            total = F.embedding_bag(flat, self.embedding.weight, mode="sum", padding_idx=0)
        return self.dropout(total / count)

    def encode_steps(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Each token's vector ``(n, T, step_dim)`` and the mask of real tokens."""
        mask = step_mask(x, lengths)
        vectors = self.embedding(x)
        if x.ndim == 3:
            vectors = vectors.sum(2) / (x != 0).sum(-1, keepdim=True).clamp(min=1)
        return vectors * mask.unsqueeze(-1), mask
