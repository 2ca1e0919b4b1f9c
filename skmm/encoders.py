"""Encoder choices: names and parameter objects for ``encoders=``.

``encoders={"text": "lstm"}`` picks by name; ``encoders={"text": LSTM(
hidden_size=128, bidirectional=True)}`` picks with parameters. An unset
parameter (None) takes the estimator's ``hidden_size`` or ``dropout``.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator

from .nn.encoders import ConvEncoder, MLPEncoder, RecurrentEncoder


class EncoderSpec(BaseEstimator):
    """Base of encoder choices: parameters plus ``build``.

    Subclasses set ``kinds`` (the data kinds they encode) and implement
    ``build(info, *, hidden_size, dropout) -> nn.Module`` with ``output_dim``.
    """

    kinds = ()

    def _size(self, hidden_size):
        return self.hidden_size if self.hidden_size is not None else hidden_size

    def _dropout(self, dropout):
        return self.dropout if self.dropout is not None else dropout


class _Recurrent(EncoderSpec):
    kinds = ("tokens", "frames")
    cell = None

    def __init__(
        self, *, hidden_size=None, num_layers=1, bidirectional=False, dropout=None,
        embedding_dim=None, pooling="meanmax",
    ):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.pooling = pooling

    def build(self, info, *, hidden_size, dropout):
        tokens = info.kind == "tokens"
        return RecurrentEncoder(
            None if tokens else info.features,
            self._size(hidden_size),
            cell=self.cell,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self._dropout(dropout),
            vocab_size=info.vocab_size if tokens else None,
            embedding_dim=self.embedding_dim,
            pooling=self.pooling,
        )


class RNN(_Recurrent):
    """Vanilla (tanh) RNN over token ids (embedded) or frames.

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
    """

    cell = "rnn"


class GRU(_Recurrent):
    """GRU over token ids (embedded) or frames; parameters as :class:`RNN`."""

    cell = "gru"


class LSTM(_Recurrent):
    """LSTM over token ids (embedded) or frames; parameters as :class:`RNN`."""

    cell = "lstm"


class CNN(EncoderSpec):
    """Conv-batchnorm-ReLU-pool blocks over images.

    Parameters
    ----------
    channels : tuple of int, default=(16, 32)
        Output channels of each block.
    hidden_size : int or None
        Output size (None: the estimator's).
    dropout : float or None
        Before the output layer (None: the estimator's).
    """

    kinds = ("image",)

    def __init__(self, *, channels=(16, 32), hidden_size=None, dropout=None):
        self.channels = channels
        self.hidden_size = hidden_size
        self.dropout = dropout

    def build(self, info, *, hidden_size, dropout):
        return ConvEncoder(
            info.features, self._size(hidden_size), channels=tuple(self.channels),
            dropout=self._dropout(dropout),
        )


class MLP(EncoderSpec):
    """Fully connected layers over a feature vector.

    Parameters
    ----------
    hidden_size : int or None
        Width (None: the estimator's).
    num_layers : int, default=1
    dropout : float or None
        After each layer (None: the estimator's).
    """

    kinds = ("vector",)

    def __init__(self, *, hidden_size=None, num_layers=1, dropout=None):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout

    def build(self, info, *, hidden_size, dropout):
        return MLPEncoder(
            info.features, self._size(hidden_size), num_layers=self.num_layers,
            dropout=self._dropout(dropout),
        )


ENCODERS = {"rnn": RNN, "gru": GRU, "lstm": LSTM, "cnn": CNN, "mlp": MLP}
DEFAULT_ENCODERS = {"tokens": "gru", "frames": "lstm", "image": "cnn", "vector": "mlp"}


def resolve_encoder_choice(choice, name):
    """An EncoderSpec from a name or a spec (kind not checked)."""
    if isinstance(choice, str):
        if choice not in ENCODERS:
            raise ValueError(
                f"encoders[{name!r}]: unknown encoder {choice!r}; choose one of {sorted(ENCODERS)}."
            )
        choice = ENCODERS[choice]()
    if not isinstance(choice, EncoderSpec):
        raise TypeError(
            f"encoders[{name!r}] must be an encoder name or an skmm.encoders "
            f"object, got {type(choice).__name__}."
        )
    return choice


def resolve_encoder(choice, name, info):
    """An EncoderSpec for modality ``name`` from a name, a spec or None."""
    choice = resolve_encoder_choice(DEFAULT_ENCODERS[info.kind] if choice is None else choice, name)
    if info.kind not in choice.kinds:
        raise ValueError(
            f"encoders[{name!r}]: {type(choice).__name__} encodes {', '.join(choice.kinds)}, "
            f"but modality {name!r} holds {info.kind}."
        )
    return choice
