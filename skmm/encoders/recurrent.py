"""Recurrent encoders (RNN, GRU, LSTM) over token ids or frames."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from ..utils.sklearn_compat import StrOptions
from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import EncoderModule, EncoderSpec, register_encoder
from .tokens import TokenEmbedding

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
POOLINGS = ("last", "mean", "max", "meanmax")


class _Recurrent(EncoderSpec):
    kinds = ("tokens", "frames")
    cell: ClassVar[str] = ""
    _parameter_constraints: ClassVar[dict] = {
        "hidden_size": [POSITIVE_INT, None],
        "num_layers": [POSITIVE_INT],
        "bidirectional": ["boolean"],
        "dropout": [PROBABILITY, None],
        "embedding_dim": [POSITIVE_INT, None],
        "pooling": [StrOptions(set(POOLINGS))],
    }

    def __init__(
        self, *, hidden_size: int | None = None, num_layers: int = 1, bidirectional: bool = False,
        dropout: float | None = None, embedding_dim: int | None = None, pooling: str = "meanmax",
    ) -> None:
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.pooling = pooling

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> RecurrentEncoder:
        tokens = info.kind == "tokens"
        return RecurrentEncoder(
            None if tokens else info.features,
            or_default(self.hidden_size, hidden_size),
            cell=self.cell,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=or_default(self.dropout, dropout),
            vocab_size=info.vocab_size if tokens else None,
            embedding_dim=self.embedding_dim,
            pooling=self.pooling,
        )


@register_encoder("rnn")
class RNN(_Recurrent):
    """Vanilla (tanh) RNN over token ids (embedded) or frames.

    Sequences are packed by length, so padding never enters the state; token
    ids are embedded first (id 0 is padding). Pooling over the steps (rather
    than the final state) gives every step a direct gradient path, which
    matters when the signal (a spoken word) sits anywhere in a long sequence.

    Parameters
    ----------
    hidden_size : int or None
        Hidden units per direction (None: the estimator's ``hidden_size``).
    num_layers : int, default=1
        Stacked layers.
    bidirectional : bool, default=False
    dropout : float or None
        Between layers and on embeddings (None: the estimator's).
    embedding_dim : int or None
        Token embedding size (None: the hidden size).
    pooling : {"last", "mean", "max", "meanmax"}, default="meanmax"
        Final hidden state, or mean / max / both of the outputs over the
        real (unpadded) steps.

    Examples
    --------
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import RNN
    >>> clf = MultimodalClassifier(encoders={"audio": RNN(hidden_size=32, pooling="last")})
    >>> clf.get_params()["encoders"]["audio"].get_params()["hidden_size"]
    32

    The module it builds for frames of 13 features (``"meanmax"`` pooling
    concatenates the mean and the max of the outputs):

    >>> from skmm.data.inputs import ModalityInfo
    >>> module = RNN(hidden_size=8).build(ModalityInfo("frames", (20, 13)), hidden_size=64, dropout=0.0)
    >>> module(torch.zeros(4, 20, 13)).shape
    torch.Size([4, 16])
    """

    cell = "rnn"


@register_encoder("gru")
class GRU(_Recurrent):
    """GRU over token ids (embedded) or frames; as :class:`RNN`.

    Parameters are those of :class:`RNN`.

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import GRU
    >>> clf = MultimodalClassifier(encoders={"text": GRU(hidden_size=32, bidirectional=True)})
    >>> clf.get_params()["encoders"]["text"].get_params()["hidden_size"]
    32
    >>> clf.set_params(encoders__text__hidden_size=64).encoders["text"]
    GRU(bidirectional=True, hidden_size=64)

    Over token ids (vocabulary of 100): two directions of 64 units, mean and
    max pooled, give 256 features.

    >>> from skmm.data.inputs import ModalityInfo
    >>> info = ModalityInfo("tokens", (12,), vocab_size=100)
    >>> clf.encoders["text"].build(info, hidden_size=128, dropout=0.0).output_dim
    256
    """

    cell = "gru"


@register_encoder("lstm")
class LSTM(_Recurrent):
    """LSTM over token ids (embedded) or frames; as :class:`RNN`.

    Parameters are those of :class:`RNN`.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import LSTM
    >>> from skmm.data.inputs import ModalityInfo
    >>> spec = LSTM(hidden_size=16, num_layers=2, pooling="last")
    >>> spec.get_params()["num_layers"]
    2
    >>> module = spec.build(ModalityInfo("tokens", (12,), vocab_size=100), hidden_size=64, dropout=0.0)
    >>> ids = torch.randint(1, 100, (3, 12))
    >>> module(ids, torch.tensor([12, 5, 1])).shape
    torch.Size([3, 16])
    """

    cell = "lstm"


class RecurrentEncoder(EncoderModule):
    """The module of :class:`RNN`, :class:`GRU` and :class:`LSTM` (see there).

    Parameters
    ----------
    input_size : int or None
        Features per step (ignored with ``vocab_size``: the embedding size is).
    hidden_size : int
    cell : {"rnn", "gru", "lstm"}
    num_layers, bidirectional, dropout, embedding_dim, pooling
        As :class:`RNN`'s, resolved.
    vocab_size : int or None
        Token input: size of the vocabulary (id 0 is padding).

    Attributes
    ----------
    output_dim, step_dim : int
        Sizes of ``forward``'s vector and of each ``encode_steps`` state
        (``hidden_size * directions``).
    init_shape : tuple of int
        ``(num_layers * directions, hidden_size)``: one sample's initial
        hidden state, as ``condition={"h0": ...}`` takes it.
    step_input_size : int
        Size of one step's input after embedding, as
        ``condition={"input": ...}`` takes it.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import RecurrentEncoder
    >>> encoder = RecurrentEncoder(None, 16, cell="lstm", bidirectional=True, vocab_size=100)
    >>> encoder.step_dim, encoder.output_dim
    (32, 64)
    >>> ids = torch.randint(1, 100, (3, 12))
    >>> states, mask = encoder.encode_steps(ids, torch.tensor([12, 5, 1]))
    >>> states.shape, mask.sum(1).tolist()
    (torch.Size([3, 12, 32]), [12, 5, 1])
    """

    takes_condition = True

    def __init__(
        self, input_size: int | None, hidden_size: int, *, cell: str = "gru", num_layers: int = 1,
        bidirectional: bool = False, dropout: float = 0.0, vocab_size: int | None = None,
        embedding_dim: int | None = None, pooling: str = "meanmax",
    ) -> None:
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

    def _run(
        self, x: Tensor, lengths: Tensor | None, condition: dict[str, Tensor] | None,
    ) -> tuple[PackedSequence, Tensor | tuple[Tensor, Tensor], Tensor]:
        """Run the cell; returns (packed outputs, final hidden, clamped lengths)."""
        if self.embedding is not None:
            x = self.dropout(self.embedding(x))
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.int64)
        # An empty sequence (empty text) reads one padding step: a zero input.
        lengths = lengths.clamp(min=1).cpu()
        h0: Tensor | tuple[Tensor, Tensor] | None = None
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

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, condition: dict[str, Tensor] | None = None,
    ) -> Tensor:
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
        packed, hidden, lengths = self._run(x, lengths, condition)
        if self.pooling == "last":
            if isinstance(hidden, tuple):  # LSTM: (h, c)
                hidden = hidden[0]
            # Last layer's final state of each direction.
            return torch.cat(list(hidden[-self.directions:]), dim=1)
        outputs, mask = self._pad(packed, lengths)
        mask = mask.unsqueeze(-1)
        pooled = []
        if self.pooling in ("mean", "meanmax"):
            pooled.append((outputs * mask).sum(1) / lengths.to(outputs.device)[:, None])
        if self.pooling in ("max", "meanmax"):
            pooled.append(outputs.masked_fill(~mask, float("-inf")).amax(1))
        return torch.cat(pooled, dim=1)

    @staticmethod
    def _pad(packed: PackedSequence, lengths: Tensor) -> tuple[Tensor, Tensor]:
        outputs, _ = pad_packed_sequence(packed, batch_first=True)
        mask = (torch.arange(outputs.shape[1])[None, :] < lengths[:, None]).to(outputs.device)
        return outputs, mask

    def encode_steps(
        self, x: Tensor, lengths: Tensor | None = None, condition: dict[str, Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Per-step outputs ``(n, S, step_dim)`` and the mask of real steps ``(n, S)``.

        ``S`` is the longest length in the batch; padded steps are zero and
        masked. An empty sequence has one real step (its zero input's state),
        as in ``forward``.
        """
        outputs, _, lengths = self._run(x, lengths, condition)
        return self._pad(outputs, lengths)
