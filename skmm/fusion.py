"""Fusion choices: names and parameter objects for ``fusion=``.

``fusion="low_rank"`` picks by name; ``fusion=LowRank(rank=8)`` picks with
parameters, and ``set_params(fusion="low_rank", fusion__rank=8)`` (or
``net__fusion__rank`` in a Pipeline) reaches them in a grid search. An unset
parameter (None) takes the estimator's ``hidden_size`` or ``dropout``.

* ``"concat"`` (:class:`Concat`): concatenated vectors (early fusion);
* ``"late"`` (:class:`Late`): one head per modality, outputs averaged;
* ``"tensor"`` (:class:`Tensor`): outer product of the (vector, 1)s (TFN);
* ``"low_rank"`` (:class:`LowRank`): low-rank factors of that product (LMF);
* ``"attention"`` (:class:`Attention`): a softmax weight per modality per sample;
* ``"gated"`` (:class:`Gated`): gated multimodal units;
* ``"cross_attention"`` (:class:`CrossAttention`): modalities' steps attend to each other;
* ``"condition"`` (:class:`Condition`): one modality conditions another's recurrent encoder.
"""

from __future__ import annotations

from numbers import Integral

from sklearn.base import BaseEstimator

from .nn.fusion import (
    AttentionFusion,
    ConcatFusion,
    ConditionFusion,
    CrossAttentionFusion,
    GatedFusion,
    LateFusion,
    LowRankFusion,
    TensorFusion,
    check_condition,
)


__all__ = ["FusionSpec", "Concat", "Late", "Tensor", "LowRank", "Attention", "Gated", "CrossAttention", "Condition", "FUSIONS"]

def _positive(owner, name, value, allow_none=False):
    if value is None and allow_none:
        return
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}.")


class FusionSpec(BaseEstimator):
    """Base of fusion choices: parameters plus ``build``.

    ``build(dims, *, hidden_size, dropout, n_outputs)`` gets each modality's
    encoder size by name and returns an ``nn.Module`` with ``output_dim``.

    Examples
    --------
    >>> from skmm.fusion import FUSIONS, FusionSpec
    >>> all(issubclass(cls, FusionSpec) for cls in FUSIONS.values())
    True
    >>> fusion = FUSIONS["low_rank"]().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> type(fusion).__name__, fusion.output_dim
    ('LowRankFusion', 16)
    """

    def _size(self, hidden_size):
        return self.hidden_size if self.hidden_size is not None else hidden_size

    def _dropout(self, dropout):
        return self.dropout if self.dropout is not None else dropout


class Concat(FusionSpec):
    """Concatenate the modality vectors (early, feature-level fusion).

    Takes no parameters; ``fusion="concat"`` is the estimators' default.

    Examples
    --------
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Concat
    >>> MultimodalClassifier(fusion=Concat()).get_params()["fusion"]
    Concat()
    >>> fusion = Concat().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> fusion.output_dim
    12
    >>> fusion({"a": torch.zeros(5, 8), "b": torch.zeros(5, 4)}).shape
    torch.Size([5, 12])
    """

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        return ConcatFusion(dims)


class Late(FusionSpec):
    """Late (decision-level) fusion: a head per modality, outputs averaged.

    The estimator adds no head after it.

    Parameters
    ----------
    weights : {"mean", "learned"}, default="mean"
        Equal weights, or learned softmax weights per modality (readable
        with ``modality_weights``).
    hidden_size : int or None
        Width of each modality's head (None: the estimator's).
    dropout : float or None
        In each head (None: the estimator's).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Late
    >>> MultimodalClassifier(fusion=Late(weights="learned")).get_params()["fusion__weights"]
    'learned'

    Its output is already the network's (here 3 classes):

    >>> fusion = Late().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> fusion.output_dim, fusion.is_output
    (3, True)
    """

    def __init__(self, *, weights="mean", hidden_size=None, dropout=None):
        self.weights = weights
        self.hidden_size = hidden_size
        self.dropout = dropout

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        return LateFusion(
            dims, n_outputs, hidden_size=self._size(hidden_size), dropout=self._dropout(dropout),
            weights=self.weights,
        )


class Tensor(FusionSpec):
    """Tensor Fusion Network: outer product of the vectors, each extended with 1.

    Parameters
    ----------
    dim : int or None, default=16
        Each modality vector is first projected to this size (None: used as
        it is). The fused size is ``prod(dim_i + 1)``.
    max_features : int, default=65536
        A larger product raises ValueError (use ``"low_rank"`` instead, or a
        smaller ``dim``).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Tensor
    >>> MultimodalClassifier(fusion="tensor").set_params(fusion__dim=8).fusion
    Tensor(dim=8)

    Two modalities projected to 4 features each: ``(4 + 1) * (4 + 1)``.

    >>> Tensor(dim=4).build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    25
    """

    def __init__(self, *, dim=16, max_features=65536):
        self.dim = dim
        self.max_features = max_features

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        _positive("Tensor", "dim", self.dim, allow_none=True)
        _positive("Tensor", "max_features", self.max_features)
        return TensorFusion(dims, dim=self.dim, max_features=self.max_features)


class LowRank(FusionSpec):
    """Low-rank Multimodal Fusion (Liu et al. 2018): tensor fusion in rank-r factors.

    Parameters
    ----------
    rank : int, default=4
        Rank of the factorised fusion weight.
    output_dim : int or None
        Fused vector size (None: the estimator's ``hidden_size``).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import LowRank
    >>> MultimodalClassifier(fusion=LowRank(rank=8)).get_params()["fusion__rank"]
    8
    >>> LowRank(rank=8).build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    16
    """

    def __init__(self, *, rank=4, output_dim=None):
        self.rank = rank
        self.output_dim = output_dim

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        _positive("LowRank", "rank", self.rank)
        _positive("LowRank", "output_dim", self.output_dim, allow_none=True)
        return LowRankFusion(
            dims, rank=self.rank, output_dim=self.output_dim if self.output_dim is not None else hidden_size
        )


class Attention(FusionSpec):
    """Weighted sum of projected modality vectors, softmax weights per sample.

    Parameters
    ----------
    hidden_size : int or None
        Projection size (None: the estimator's).
    dropout : float or None
        In the scorer (None: the estimator's).

    Examples
    --------
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Attention
    >>> MultimodalClassifier(fusion=Attention(hidden_size=32)).get_params()["fusion__hidden_size"]
    32
    >>> fusion = Attention().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> fusion.output_dim
    16
    >>> fusion.modality_weights({"a": torch.zeros(5, 8), "b": torch.zeros(5, 4)}).shape
    torch.Size([5, 2])
    """

    def __init__(self, *, hidden_size=None, dropout=None):
        self.hidden_size = hidden_size
        self.dropout = dropout

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        return AttentionFusion(dims, hidden_size=self._size(hidden_size), dropout=self._dropout(dropout))


class Gated(FusionSpec):
    """Gated Multimodal Units (Arevalo et al. 2017), for any number of modalities.

    Parameters
    ----------
    hidden_size : int or None
        Size of the gated units (None: the estimator's).
    dropout : float or None
        Before each modality's tanh layer (None: the estimator's).
    gate : {"softmax", "sigmoid"}, default="softmax"
        Gates compete across modalities (softmax) or are independent.

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Gated
    >>> MultimodalClassifier(fusion=Gated(gate="sigmoid")).get_params()["fusion__gate"]
    'sigmoid'
    >>> Gated().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    16
    """

    def __init__(self, *, hidden_size=None, dropout=None, gate="softmax"):
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.gate = gate

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        return GatedFusion(
            dims, hidden_size=self._size(hidden_size), dropout=self._dropout(dropout), gate=self.gate
        )


class CrossAttention(FusionSpec):
    """Cross-modal attention between the modalities' step states.

    Each modality's steps (recurrent outputs, image regions) attend to the
    other modalities' steps; each is then mean-pooled and the results
    concatenated.

    Parameters
    ----------
    dim : int or None
        Common size the steps are projected to (None: the estimator's
        ``hidden_size``).
    num_heads : int, default=4
        Attention heads; must divide ``dim``.
    dropout : float or None
        On the attention weights (None: the estimator's).

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import CrossAttention
    >>> MultimodalClassifier(fusion=CrossAttention(num_heads=2)).get_params()["fusion__num_heads"]
    2

    Each modality's attended steps are pooled to ``dim`` (here the
    ``hidden_size`` of 16) and the modalities concatenated:

    >>> CrossAttention().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    32
    """

    def __init__(self, *, dim=None, num_heads=4, dropout=None):
        self.dim = dim
        self.num_heads = num_heads
        self.dropout = dropout

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        _positive("CrossAttention", "dim", self.dim, allow_none=True)
        _positive("CrossAttention", "num_heads", self.num_heads)
        return CrossAttentionFusion(
            dims, dim=self.dim if self.dim is not None else hidden_size,
            num_heads=self.num_heads, dropout=self._dropout(dropout),
        )


class Condition(FusionSpec):
    """One modality's vector conditions another's recurrent encoder.

    The fused vector is the concatenation of all modality vectors. Needs at
    least two modalities.

    Parameters
    ----------
    source : str or None
        Modality whose encoded vector is the condition (None: the first
        modality that is not a sequence, e.g. an image).
    target : str or None
        Modality with a recurrent encoder (rnn, gru, lstm) that takes it
        (None: the first sequence modality, text or frames, whose encoder
        is recurrent or left to the default, which then becomes a GRU for
        tokens, an LSTM for frames). So ``fusion="condition"`` works by name
        whenever the data hold a sequence and another modality.
    mode : {"init", "input"}, default="init"
        As the target's initial hidden state, or added to each step's input.

    Examples
    --------
    >>> from skmm import MultimodalClassifier
    >>> from skmm.fusion import Condition
    >>> clf = MultimodalClassifier(fusion=Condition(source="image", target="text", mode="input"))
    >>> clf.get_params()["fusion__source"], clf.get_params()["fusion__mode"]
    ('image', 'input')
    >>> Condition("image", "text").build(
    ...     {"image": 8, "text": 16}, hidden_size=16, dropout=0.0, n_outputs=3).output_dim
    24
    """

    # The estimator fills a missing source/target from the data (choose_condition).
    picks_modalities = True

    def __init__(self, source=None, target=None, *, mode="init"):
        self.source = source
        self.target = target
        self.mode = mode

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        check_condition(sorted(dims), self.source, self.target, self.mode)
        return ConditionFusion(dims, source=self.source, target=self.target, mode=self.mode)


FUSIONS = {
    "concat": Concat,
    "late": Late,
    "tensor": Tensor,
    "low_rank": LowRank,
    "attention": Attention,
    "gated": Gated,
    "cross_attention": CrossAttention,
    "condition": Condition,
}


def resolve_fusion(choice):
    """A FusionSpec from a name or a spec."""
    if isinstance(choice, str):
        if choice not in FUSIONS:
            raise ValueError(f"unknown fusion {choice!r}; choose one of {sorted(FUSIONS)}.")
        return FUSIONS[choice]()
    if not isinstance(choice, FusionSpec):
        raise TypeError(
            f"fusion must be a fusion name or an skmm.fusion object, got {type(choice).__name__}."
        )
    return choice
