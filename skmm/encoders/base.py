"""The encoder interface, the registry of encoder names and their resolution.

An encoder family is one file of this package holding its parameter object
(an :class:`EncoderSpec`, what users put in ``encoders=``) and the module it
builds (an :class:`EncoderModule`), the spec registered by name with
:func:`register_encoder`.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import torch
from sklearn.base import BaseEstimator
from torch import Tensor, nn

from ..utils.registration import REGISTER_DOC, Spec, registrar

ENCODERS: dict[str, type[EncoderSpec]] = {}
"""Encoder name -> parameter object class, filled by :func:`register_encoder`."""

# Measured on real data (issue #14): a subword bag for text and convolutions
# over time for frames beat the word GRU and the LSTM, and train faster.
DEFAULT_ENCODERS = {
    "tokens": "ngram", "frames": "conv1d", "image": "cnn", "video": "cnn_recurrent", "vector": "mlp", "sparse": "wide",
}


def register_encoder(name: str) -> Callable[[Spec], Spec]:
    return registrar(ENCODERS, name)


register_encoder.__doc__ = REGISTER_DOC.format(
    base="EncoderSpec", picked_by="``encoders={modality: name}``", registry="ENCODERS",
    package="skmm.encoders", parent="MLP", function="register_encoder", key="encoder",
)


def all_steps(states: Tensor) -> Tensor:
    """A mask ``(n, S)`` marking every step of ``states`` ``(n, S, d)`` real."""
    return torch.ones(states.shape[:2], dtype=torch.bool, device=states.device)


class EncoderModule(nn.Module):
    """Base of encoder modules: one modality's batch -> one vector per sample.

    A subclass sets ``output_dim`` and ``step_dim`` and implements
    ``forward(x, lengths=None) -> (n, output_dim)``. ``encode_steps(x,
    lengths=None) -> (states, mask)`` gives a sequence of states ``(n, S,
    step_dim)`` and a bool ``mask`` ``(n, S)`` (True: a real step), which
    cross-modal attention reads; the default is one step, the output vector
    (a recurrent encoder's steps are its per-step outputs, a convolutional
    one's the regions of its last feature map).

    Declared capability, with its default:

    * ``takes_condition = False``: True for an encoder that another modality
      can condition (``fusion=Condition(...)``): it then has ``init_shape``
      ``(layers, hidden)`` (one sample's initial hidden state),
      ``step_input_size`` (one step's input size), and its ``forward`` and
      ``encode_steps`` take ``condition={"h0": ..., "input": ...}``.
    * ``takes_trimmed_steps = True``: the encoder reads ``lengths`` and gives
      a row the same output however far its batch is padded, so training
      batches may be cut to their longest row
      (:mod:`skmm.data.buckets`). False for a user's module of unknown
      habits and for a frozen pretrained network (its cached outputs are
      keyed by the padded row).

    Examples
    --------
    A new encoder: a module that averages the real steps of frames.

    >>> import torch
    >>> from skmm.encoders import EncoderModule
    >>> class MeanFrames(EncoderModule):
    ...     def __init__(self, features):
    ...         super().__init__()
    ...         self.output_dim = self.step_dim = features
    ...     def forward(self, x, lengths=None):
    ...         return x.mean(1)
    >>> encoder = MeanFrames(3)
    >>> encoder(torch.ones(2, 5, 3)).shape
    torch.Size([2, 3])
    >>> states, mask = encoder.encode_steps(torch.ones(2, 5, 3))
    >>> states.shape, mask.all().item()
    (torch.Size([2, 1, 3]), True)
    """

    output_dim: int
    step_dim: int
    takes_condition: bool = False  # a class's declaration; VideoEncoder's follows its sequence encoder's
    takes_trimmed_steps: bool = True

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def encode_steps(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One step, the output vector: ``(n, 1, output_dim)``, and its mask."""
        states = self.forward(x, lengths).unsqueeze(1)
        return states, all_steps(states)


class EncoderSpec(BaseEstimator):
    """Base of encoder choices: parameters plus ``build``.

    A subclass sets ``kinds`` (the data kinds it encodes), declares its
    parameters' ``_parameter_constraints`` (scikit-learn's ``Interval``,
    ``StrOptions``, ...) and implements ``build_module(info, *, hidden_size,
    dropout)`` returning an :class:`EncoderModule`; ``build`` checks the
    parameters against the constraints (ValueError / TypeError) and calls it.
    Registered with :func:`register_encoder`, it is choosable by name.

    Examples
    --------
    >>> from skmm.encoders import ENCODERS, MLP, EncoderSpec
    >>> from skmm.data.inputs import ModalityInfo
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

    kinds: tuple[str, ...] = ()
    #: True when the module maps the modality straight to the outputs (the wide part), with no deep encoder.
    to_outputs: ClassVar[bool] = False
    _parameter_constraints: ClassVar[dict] = {}

    def build(self, info: Any, *, hidden_size: int, dropout: float) -> EncoderModule:
        """The module for a modality described by ``info`` (a ``ModalityInfo``)."""
        self._validate_params()
        return self.build_module(info, hidden_size=hidden_size, dropout=dropout)

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> EncoderModule:
        raise NotImplementedError(f"{type(self).__name__} must implement build_module.")

    def build_wide(self, info: Any, n_outputs: int, *, beside_media: bool = False) -> EncoderModule | None:
        """A linear part scoring the modality straight to the outputs beside the deep encoder; None (default): none.

        ``beside_media``: whether the network also encodes images, audio, video or time series.
        """
        return None


def resolve_encoder_choice(choice: str | EncoderSpec, name: str) -> EncoderSpec:
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


def resolve_encoder(choice: str | EncoderSpec | None, name: str, info: Any) -> EncoderSpec:
    """An EncoderSpec for modality ``name`` from a name, a spec or None."""
    if choice is None and info.kind not in DEFAULT_ENCODERS:
        # Tokenized text is a pretrained model's input: only that model reads it.
        raise ValueError(
            f"modality {name!r} holds tokenized text (PretrainedTokenizer's output): give it "
            f"the pretrained model as its encoder, encoders={{{name!r}: Pretrained(<same name>)}}."
        )
    choice = resolve_encoder_choice(DEFAULT_ENCODERS[info.kind] if choice is None else choice, name)
    if info.kind not in choice.kinds:
        raise ValueError(
            f"encoders[{name!r}]: {type(choice).__name__} encodes {', '.join(choice.kinds)}, "
            f"but modality {name!r} holds {info.kind}."
        )
    return choice
