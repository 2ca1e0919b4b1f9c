"""Encoder choices: names and parameter objects for ``encoders=``.

``encoders={"text": "lstm"}`` picks by name; ``encoders={"text": LSTM(
hidden_size=128, bidirectional=True)}`` picks with parameters. An unset
parameter (None) takes the estimator's ``hidden_size`` or ``dropout``.

One file per encoder family holds its parameter object and the module it
builds; ``base`` declares the interface (:class:`EncoderSpec`,
:class:`EncoderModule`) and the registry (:data:`ENCODERS`), which each
family's file joins with :func:`register_encoder`.
"""

from .base import (
    DEFAULT_ENCODERS,
    ENCODERS,
    EncoderModule,
    EncoderSpec,
    register_encoder,
    resolve_encoder,  # noqa: F401 - for the estimators, not in __all__
    resolve_encoder_choice,  # noqa: F401
)

# isort: off
# Importing a family's file registers it; the order is that of the docs' table.
from .recurrent import GRU, LSTM, RNN, RecurrentEncoder
from .conv import CNN, ConvEncoder
from .deconv import Deconv, DeconvEncoder
from .mlp import MLP, MLPEncoder
from .video import CNNRecurrent, VideoEncoder
from .ngram import NGram, NGramBagEncoder
from .bag_linear import TokenBagLinear
from .char_cnn import CharCNN, ConvTextEncoder
from .conv1d import Conv1D, TemporalConvEncoder
from .wide import Wide, SparseLinearEncoder
from .custom import Custom, CustomEncoder
# Not registered by name: it needs the model's name.
from .pretrained import Pretrained, PretrainedEncoder
# isort: on

__all__ = [
    "EncoderSpec", "EncoderModule", "register_encoder",
    "RNN", "GRU", "LSTM", "CNN", "Deconv", "MLP", "NGram", "CharCNN", "Conv1D", "Wide", "CNNRecurrent",
    "Custom", "Pretrained",
    "RecurrentEncoder", "ConvEncoder", "DeconvEncoder", "MLPEncoder", "NGramBagEncoder", "ConvTextEncoder",
    "TemporalConvEncoder", "SparseLinearEncoder", "TokenBagLinear", "VideoEncoder", "CustomEncoder",
    "PretrainedEncoder",
    "ENCODERS", "DEFAULT_ENCODERS",
]
