"""The wide part: a linear layer from sparse features (TF-IDF, one-hot) straight to the outputs."""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ..utils.sklearn_compat import Interval
from ..utils.spec_params import PROBABILITY
from .base import EncoderModule, EncoderSpec, register_encoder


@register_encoder("wide")
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
    to_outputs = True
    _parameter_constraints: ClassVar[dict] = {
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "momentum": [PROBABILITY],
    }

    def __init__(self, *, input_dropout: float = 0.0, lr: float = 1.0, momentum: float = 0.9) -> None:
        self.input_dropout = input_dropout
        self.lr = lr
        self.momentum = momentum

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> SparseLinearEncoder:
        """A linear layer from the features to ``hidden_size`` (the outputs) values."""
        return SparseLinearEncoder(
            info.features, hidden_size, input_dropout=self.input_dropout, lr=self.lr, momentum=self.momentum,
        )


class SparseLinearEncoder(EncoderModule):
    """A linear layer over sparse features: ``x @ W + b`` with ``x`` a torch sparse tensor.

    Holds what a linear model on the same features holds (the head on top
    can reproduce a logistic regression's scores), and costs time per
    non-zero, not per feature.

    Parameters
    ----------
    in_features, out_features : int
    input_dropout : float, default=0.0
        In training, zero each non-zero input with this probability (and
        scale the rest up).
    lr, momentum : float, default=1.0, 0.9
        Of the SGD that trains this layer (the estimator's optimizer trains
        the rest of the network).

    Attributes
    ----------
    output_dim, step_dim : int
        ``out_features``; ``encode_steps`` gives the output as one step.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders.wide import SparseLinearEncoder
    >>> x = torch.sparse_coo_tensor(torch.tensor([[0, 1], [3, 0]]), torch.tensor([1.0, 2.0]), (2, 5),
    ...                             check_invariants=True)
    >>> encoder = SparseLinearEncoder(5, 4)
    >>> encoder(x).shape
    torch.Size([2, 4])
    """

    def __init__(
        self, in_features: int, out_features: int, *, input_dropout: float = 0.0, lr: float = 1.0,
        momentum: float = 0.9,
    ) -> None:
        super().__init__()
        self.input_dropout = input_dropout
        # Read by ModalityNet, which trains these weights with SGD (see Wide).
        self.lr = lr
        self.momentum = momentum
        # Zeros, as a linear model starts: random weights on thousands of
        # rare features would add noise that training rarely removes.
        self.weight = nn.Parameter(torch.zeros(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.output_dim = out_features
        self.step_dim = out_features

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        if not x.is_sparse:
            raise TypeError("SparseLinearEncoder takes a torch sparse COO tensor.")
        if self.training and self.input_dropout:
            # Dropout on the non-zeros: for a linear model, an adaptive L2
            # penalty (Wager et al., 2013) that keeps it from memorising rare features.
            x = x.coalesce()
            keep = torch.rand(x.values().shape, device=x.device) >= self.input_dropout
            x = torch.sparse_coo_tensor(
                x.indices(), x.values() * keep / (1 - self.input_dropout), x.shape,
                is_coalesced=True, check_invariants=False,
            )
        return torch.sparse.mm(x, self.weight) + self.bias

    def encode_steps(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The output as one step: ``(n, 1, step_dim)``, all real."""
        states = self.forward(x).unsqueeze(1)
        return states, torch.ones(states.shape[:2], dtype=torch.bool, device=states.device)
