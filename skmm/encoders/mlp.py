"""Fully connected encoder (MLP) over feature vectors."""

from __future__ import annotations

from typing import Any, ClassVar

from torch import Tensor, nn

from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import EncoderModule, EncoderSpec, register_encoder


@register_encoder("mlp")
class MLP(EncoderSpec):
    """Fully connected layers over a feature vector.

    Linear-ReLU-dropout layers; for cross-attention its one step is its
    output vector.

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
    _parameter_constraints: ClassVar[dict] = {
        "hidden_size": [POSITIVE_INT, None],
        "num_layers": [POSITIVE_INT],
        "dropout": [PROBABILITY, None],
    }

    def __init__(self, *, hidden_size: int | None = None, num_layers: int = 1, dropout: float | None = None) -> None:
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> MLPEncoder:
        return MLPEncoder(
            info.features, or_default(self.hidden_size, hidden_size), num_layers=self.num_layers,
            dropout=or_default(self.dropout, dropout),
        )


class MLPEncoder(EncoderModule):
    """The module of :class:`MLP` (see there).

    Parameters
    ----------
    in_features, hidden_size : int
    num_layers : int
    dropout : float

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import MLPEncoder
    >>> encoder = MLPEncoder(10, 16, num_layers=2)
    >>> x = torch.zeros(4, 10)
    >>> encoder(x).shape
    torch.Size([4, 16])
    >>> encoder.encode_steps(x)[0].shape
    torch.Size([4, 1, 16])
    """

    def __init__(self, in_features: int, hidden_size: int, *, num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        layers, previous = [], in_features
        for _ in range(num_layers):
            layers += [nn.Linear(previous, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            previous = hidden_size
        self.layers = nn.Sequential(*layers)
        self.output_dim = hidden_size
        self.step_dim = hidden_size

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.layers(x)
