"""Encoder choices: names and parameter objects for ``encoders=``.

``encoders={"text": "lstm"}`` picks by name; ``encoders={"text": LSTM(
hidden_size=128, bidirectional=True)}`` picks with parameters. An unset
parameter (None) takes the estimator's ``hidden_size`` or ``dropout``.
"""

from __future__ import annotations

import copy
from numbers import Integral

from sklearn.base import BaseEstimator
from torch import nn

from .nn.encoders import ConvEncoder, CustomEncoder, DeconvEncoder, MLPEncoder, RecurrentEncoder
from .nn.frame_encoders import TemporalConvEncoder
from .nn.text_encoders import ConvTextEncoder, NGramBagEncoder
from .nn.wide import SparseLinearEncoder


__all__ = [
    "EncoderSpec", "RNN", "GRU", "LSTM", "CNN", "Deconv", "MLP", "NGram", "CharCNN", "Conv1D", "Wide", "Custom", "ENCODERS",
]

class EncoderSpec(BaseEstimator):
    """Base of encoder choices: parameters plus ``build``.

    Subclasses set ``kinds`` (the data kinds they encode) and implement
    ``build(info, *, hidden_size, dropout) -> nn.Module`` with ``output_dim``.

    Examples
    --------
    >>> from skmm.encoders import ENCODERS, MLP, EncoderSpec
    >>> from skmm.nn.inputs import ModalityInfo
    >>> all(issubclass(cls, EncoderSpec) for cls in ENCODERS.values())
    True
    >>> MLP.kinds
    ('vector',)

    ``build`` gets what ``fit`` learned of the modality; an unset
    ``hidden_size`` takes the estimator's:

    >>> info = ModalityInfo("vector", (5,))
    >>> MLP().build(info, hidden_size=64, dropout=0.0).output_dim
    64
    >>> MLP(hidden_size=16).build(info, hidden_size=64, dropout=0.0).output_dim
    16
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

    >>> from skmm.nn.inputs import ModalityInfo
    >>> module = RNN(hidden_size=8).build(ModalityInfo("frames", (20, 13)), hidden_size=64, dropout=0.0)
    >>> module(torch.zeros(4, 20, 13)).shape
    torch.Size([4, 16])
    """

    cell = "rnn"


class GRU(_Recurrent):
    """GRU over token ids (embedded) or frames; parameters as :class:`RNN`.

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
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import GRU
    >>> clf = MultimodalClassifier(encoders={"text": GRU(hidden_size=32, bidirectional=True)})
    >>> clf.get_params()["encoders"]["text"].get_params()["hidden_size"]
    32
    >>> clf.set_params(encoders__text__hidden_size=64).encoders["text"]
    GRU(bidirectional=True, hidden_size=64)

    Over token ids (vocabulary of 100): two directions of 64 units, mean and
    max pooled, give 256 features.

    >>> from skmm.nn.inputs import ModalityInfo
    >>> info = ModalityInfo("tokens", (12,), vocab_size=100)
    >>> clf.encoders["text"].build(info, hidden_size=128, dropout=0.0).output_dim
    256
    """

    cell = "gru"


class LSTM(_Recurrent):
    """LSTM over token ids (embedded) or frames; parameters as :class:`RNN`.

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
    >>> from skmm.encoders import LSTM
    >>> from skmm.nn.inputs import ModalityInfo
    >>> spec = LSTM(hidden_size=16, num_layers=2, pooling="last")
    >>> spec.get_params()["num_layers"]
    2
    >>> module = spec.build(ModalityInfo("tokens", (12,), vocab_size=100), hidden_size=64, dropout=0.0)
    >>> ids = torch.randint(1, 100, (3, 12))
    >>> module(ids, torch.tensor([12, 5, 1])).shape
    torch.Size([3, 16])
    """

    cell = "lstm"


class CNN(EncoderSpec):
    """Conv-batchnorm-ReLU-pool blocks over images.

    Parameters
    ----------
    channels : tuple of int, default=(16, 32)
        Output channels of each block (each halves the image).
    hidden_size : int or None
        Output size (None: the estimator's).
    dropout : float or None
        Before the output layer (None: the estimator's).
    pooled : int, default=2
        Side of the adaptive average pooling grid before the output layer.

    Examples
    --------
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import CNN
    >>> clf = MultimodalClassifier(encoders={"photo": CNN(channels=(8, 16), hidden_size=32)})
    >>> clf.get_params()["encoders"]["photo"].get_params()["channels"]
    (8, 16)

    The module it builds for one-channel 28 x 28 images:

    >>> from skmm.nn.inputs import ModalityInfo
    >>> module = CNN(channels=(8,), hidden_size=32).build(
    ...     ModalityInfo("image", (1, 28, 28)), hidden_size=64, dropout=0.0)
    >>> module(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 32])
    """

    kinds = ("image",)

    def __init__(self, *, channels=(16, 32), hidden_size=None, dropout=None, pooled=2):
        self.channels = channels
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.pooled = pooled

    def build(self, info, *, hidden_size, dropout):
        return ConvEncoder(
            info.features, self._size(hidden_size), channels=tuple(self.channels),
            pooled=self.pooled, dropout=self._dropout(dropout),
        )


class Deconv(EncoderSpec):
    """Conv blocks that downsample, transposed-conv blocks that upsample, over images.

    Conv-batchnorm-ReLU-maxpool blocks (each halves the image), then
    ConvTranspose2d-batchnorm-ReLU blocks (each doubles the feature map),
    adaptive average pooling and a linear layer.

    Parameters
    ----------
    channels : tuple of int, default=(16, 32)
        Output channels of each downsampling block.
    deconv_channels : tuple of int, default=(16,)
        Output channels of each upsampling (transposed convolution) block.
    hidden_size : int or None
        Output size (None: the estimator's).
    dropout : float or None
        Before the output layer (None: the estimator's).
    pooled : int, default=4
        Side of the adaptive average pooling grid before the output layer.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import Deconv
    >>> from skmm.nn.inputs import ModalityInfo
    >>> spec = Deconv(channels=(8, 16), deconv_channels=(8,))
    >>> spec.get_params()["deconv_channels"]
    (8,)

    Two blocks halve a 28 x 28 image to 7 x 7, one transposed convolution
    doubles it to 14 x 14: 196 regions of 8 channels for cross-attention.

    >>> module = spec.build(ModalityInfo("image", (1, 28, 28)), hidden_size=32, dropout=0.0)
    >>> x = torch.zeros(2, 1, 28, 28)
    >>> module(x).shape
    torch.Size([2, 32])
    >>> module.encode_steps(x)[0].shape
    torch.Size([2, 196, 8])
    """

    kinds = ("image",)

    def __init__(self, *, channels=(16, 32), deconv_channels=(16,), hidden_size=None, dropout=None, pooled=4):
        self.channels = channels
        self.deconv_channels = deconv_channels
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.pooled = pooled

    def build(self, info, *, hidden_size, dropout):
        return DeconvEncoder(
            info.features, self._size(hidden_size), channels=tuple(self.channels),
            deconv_channels=tuple(self.deconv_channels), pooled=self.pooled,
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

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import MLP
    >>> X, y = np.random.RandomState(0).rand(20, 4), np.arange(20) % 2
    >>> clf = MultimodalClassifier(encoders={"x": MLP(hidden_size=16, num_layers=2)},
    ...                            max_epochs=2, verbose=0, random_state=0).fit(X, y)
    >>> clf.net_.module_.encoders["x"].output_dim
    16
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

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import NGram
    >>> from skmm.nn.inputs import ModalityInfo
    >>> module = NGram(embedding_dim=16).build(
    ...     ModalityInfo("tokens", (12, 25), vocab_size=300), hidden_size=64, dropout=0.0)
    >>> module(torch.randint(0, 300, (3, 12, 25))).shape
    torch.Size([3, 16])
    """

    kinds = ("tokens",)

    def __init__(self, *, embedding_dim=None, dropout=None):
        self.embedding_dim = embedding_dim
        self.dropout = dropout

    def build(self, info, *, hidden_size, dropout):
        dim = self.embedding_dim if self.embedding_dim is not None else hidden_size
        return NGramBagEncoder(info.vocab_size, dim, dropout=self._dropout(dropout))


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
    >>> from skmm.nn.inputs import ModalityInfo
    >>> module = CharCNN(hidden_size=16).build(
    ...     ModalityInfo("tokens", (40,), vocab_size=60), hidden_size=64, dropout=0.0)
    >>> module(torch.randint(1, 60, (3, 40))).shape
    torch.Size([3, 16])
    """

    kinds = ("tokens",)

    def __init__(self, *, hidden_size=None, embedding_dim=32, channels=64, kernel_sizes=(3, 5), dropout=None):
        self.hidden_size = hidden_size
        self.embedding_dim = embedding_dim
        self.channels = channels
        self.kernel_sizes = kernel_sizes
        self.dropout = dropout

    def build(self, info, *, hidden_size, dropout):
        return ConvTextEncoder(
            info.vocab_size, self._size(hidden_size), embedding_dim=self.embedding_dim,
            channels=self.channels, kernel_sizes=tuple(self.kernel_sizes), dropout=self._dropout(dropout),
        )


class Conv1D(EncoderSpec):
    """Convolutions over time for frames (spectrograms, series); the default for frames.

    Conv1d-batchnorm-ReLU-maxpool blocks (each halves time), then the mean
    and max over the real frames and a linear layer. No recurrence: several
    times faster than an LSTM on long clips.

    Parameters
    ----------
    channels : tuple of int, default=(64, 64)
        Output channels of each block.
    kernel_size : int, default=5
        Frames each filter spans.
    hidden_size : int or None
        Output size (None: the estimator's).
    dropout : float or None
        Before the output layer (None: the estimator's).

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import Conv1D
    >>> from skmm.nn.inputs import ModalityInfo
    >>> module = Conv1D(channels=(16,), hidden_size=8).build(
    ...     ModalityInfo("frames", (50, 40)), hidden_size=64, dropout=0.0)
    >>> module(torch.randn(2, 50, 40), torch.tensor([50, 20])).shape
    torch.Size([2, 8])
    """

    kinds = ("frames",)

    def __init__(self, *, channels=(64, 64), kernel_size=5, hidden_size=None, dropout=None):
        self.channels = channels
        self.kernel_size = kernel_size
        self.hidden_size = hidden_size
        self.dropout = dropout

    def build(self, info, *, hidden_size, dropout):
        return TemporalConvEncoder(
            info.features, self._size(hidden_size), channels=tuple(self.channels),
            kernel_size=self.kernel_size, dropout=self._dropout(dropout),
        )


class Wide(EncoderSpec):
    """The wide part: a linear layer from sparse features straight to the outputs.

    A transformer in the :class:`~skmm.ModalityTransformer` that returns a
    scipy sparse matrix (``TfidfVectorizer``, ``OneHotEncoder``) makes a
    ``"sparse"`` modality, whose default encoder this is. Its scores are
    added to the deep part's (the fusion and head over the other
    modalities), as in wide & deep networks: each batch's non-zeros are
    multiplied by a weight matrix (torch sparse matmul), never densified, so
    the network holds what a linear model on the same features holds, and a
    network of sparse modalities alone is a logistic regression.

    Parameters
    ----------
    input_dropout : float, default=0.0
        In training, zero each non-zero feature with this probability (and
        scale the rest up): an adaptive L2 penalty for a linear model.
    lr : float, default=1.0
        Learning rate of the SGD that trains this part (the estimator's
        ``optimizer`` trains the rest): Adam's equal step per coordinate
        lets the weights of rare features grow as fast as informative ones,
        plain SGD fits a linear model as a logistic regression does. 1.0
        suits rows of unit norm (``TfidfVectorizer``'s default).
    momentum : float, default=0.9

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from skmm import ModalityTransformer, MultimodalClassifier
    >>> X = pd.DataFrame({"text": ["good film", "bad film", "good", "bad"] * 5})
    >>> prep = ModalityTransformer([("tfidf", TfidfVectorizer(), "text")])
    >>> clf = MultimodalClassifier(prep, max_epochs=3, verbose=0, random_state=0)
    >>> clf.fit(X, [1, 0, 1, 0] * 5).modalities_["tfidf"].kind
    'sparse'
    >>> clf.net_.module_.wide["tfidf"]
    SparseLinearEncoder()
    """

    kinds = ("sparse",)
    wide = True

    def __init__(self, *, input_dropout=0.0, lr=1.0, momentum=0.9):
        self.input_dropout = input_dropout
        self.lr = lr
        self.momentum = momentum

    def build(self, info, *, hidden_size, dropout):
        """A linear layer from the features to ``hidden_size`` (the outputs) values."""
        return SparseLinearEncoder(
            info.features, hidden_size, input_dropout=self.input_dropout, lr=self.lr, momentum=self.momentum,
        )


class Custom(EncoderSpec):
    """Any torch module as a modality's encoder (e.g. a pretrained network).

    Parameters
    ----------
    module : torch.nn.Module
        Maps a batch ``x`` of the modality (token ids, frames, images or
        vectors, as tensors) to ``(n, output_dim)``; called as
        ``module(x, lengths)`` when its ``forward`` takes a ``lengths``
        argument (or a second positional one), else ``module(x)``. Each fit
        trains a deep copy, so clones and refits never share weights and the
        object given here is never modified.
    output_dim : int
        Size of the module's output.
    freeze : bool, default=False
        Keep the module's weights fixed (no gradients) and the module in
        eval mode (batchnorm statistics, dropout off) during training.
    kinds : tuple of str, default=("tokens", "frames", "image", "vector")
        The data kinds it may encode.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import Custom
    >>> pretrained = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
    >>> clf = MultimodalClassifier(
    ...     encoders={"x": Custom(pretrained, output_dim=8, freeze=True)},
    ...     max_epochs=2, verbose=0, random_state=0)
    >>> X, y = np.random.RandomState(0).rand(20, 4), np.arange(20) % 2
    >>> clf.fit(X, y).predict(X).shape
    (20,)
    >>> bool((clf.net_.module_.encoders["x"].module[0].weight == pretrained[0].weight).all())
    True
    """

    def __init__(self, module, output_dim, *, freeze=False, kinds=("tokens", "frames", "image", "vector")):
        self.module = module
        self.output_dim = output_dim
        self.freeze = freeze
        self.kinds = kinds

    def build(self, info, *, hidden_size, dropout):
        if not isinstance(self.module, nn.Module):
            raise TypeError(f"Custom: module must be a torch.nn.Module, got {type(self.module).__name__}.")
        if not isinstance(self.output_dim, Integral) or isinstance(self.output_dim, bool) or self.output_dim < 1:
            raise ValueError(f"Custom: output_dim must be a positive integer, got {self.output_dim!r}.")
        return CustomEncoder(copy.deepcopy(self.module), self.output_dim, freeze=self.freeze)


ENCODERS = {
    "rnn": RNN, "gru": GRU, "lstm": LSTM, "cnn": CNN, "deconv": Deconv, "mlp": MLP,
    "ngram": NGram, "char_cnn": CharCNN, "conv1d": Conv1D,
    "wide": Wide,
}
DEFAULT_ENCODERS = {"tokens": "ngram", "frames": "conv1d", "image": "cnn", "vector": "mlp", "sparse": "wide"}


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
