"""The fusion interface, the registry of fusion names and their resolution.

A fusion is one file of this package holding its parameter object (a
:class:`FusionSpec`, what users put in ``fusion=``) and the module it builds
(a :class:`FusionModule`, or a :class:`BatchFusion` when it needs more than
one vector per modality), the spec registered by name with
:func:`register_fusion`.
"""

from __future__ import annotations

from typing import Callable, ClassVar, Mapping

from sklearn.base import BaseEstimator
from torch import Tensor, nn

from ..utils.docstrings import fill_doc
from ..utils.registration import REGISTER_DOC, Spec, registrar

FUSIONS: dict[str, type[FusionSpec]] = {}
"""Fusion name -> parameter object class, filled by :func:`register_fusion`."""


def register_fusion(name: str) -> Callable[[Spec], Spec]:
    return registrar(FUSIONS, name)


register_fusion.__doc__ = REGISTER_DOC.format(
    base="FusionSpec", picked_by="``fusion=name``", registry="FUSIONS",
    package="skmm.fusion", parent="Concat", function="register_fusion", key="fusion",
)


@fill_doc
class FusionModule(nn.Module):
    """Base of fusion modules: the encoders' vectors -> one vector per sample.

    A subclass sets ``output_dim`` and implements ``forward(features,
    present=None)``: ``features`` is ``{name: (n, dim)}``, the encoders'
    vectors, read in ``self.names`` (sorted) order; ``present`` is None or
    ``{name: bool (n,)}`` (a missing name: present in every sample). An
    absent modality contributes nothing, and a sample with no modality
    present gives finite outputs (:mod:`skmm.fusion.masking` helps).

    Declared capabilities, with their defaults:

    * ``takes_batch = False``: see :class:`BatchFusion`;
    * ``is_output = False``: True when the fusion already produces the
      network's outputs (``output_dim == n_outputs``, as late fusion's
      per-modality heads do); the estimator then adds no head;
    * ``modality_weights(features, present=None) -> (n, n_modalities)``:
      per-sample weights of the modalities, for fusions that weigh them;
      the default raises ValueError.

    {fusion_dims_parameters}

    Examples
    --------
    A new fusion: the elementwise maximum of same-sized vectors.

    >>> import torch
    >>> from skmm.fusion import FusionModule
    >>> class MaxFusion(FusionModule):
    ...     def __init__(self, dims):
    ...         super().__init__(dims)
    ...         self.output_dim = dims[self.names[0]]
    ...     def forward(self, features, present=None):
    ...         return torch.stack([features[n] for n in self.names]).amax(0)
    >>> fusion = MaxFusion({"a": 4, "b": 4})
    >>> fusion({"a": torch.zeros(2, 4), "b": torch.ones(2, 4)}).sum().item()
    8.0
    >>> fusion.takes_batch, fusion.is_output
    (False, False)
    """

    takes_batch: ClassVar[bool] = False
    is_output: ClassVar[bool] = False
    output_dim: int

    def __init__(self, dims: Mapping[str, int]) -> None:
        super().__init__()
        self.names = sorted(dims)

    def forward(  # pragma: no cover - interface
        self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None,
    ) -> Tensor:
        raise NotImplementedError

    def modality_weights(self, features: dict[str, Tensor], present: dict[str, Tensor] | None = None) -> Tensor:
        """(n, n_modalities) weights of the modalities; this fusion has none (ValueError)."""
        raise ValueError(
            f"{type(self).__name__} has no per-modality weights; they exist for "
            "fusion='attention', 'gated' and Late(weights='learned')."
        )


@fill_doc
class BatchFusion(FusionModule):
    """Base of fusions that need more than one vector per modality.

    ``takes_batch = True``: ``forward(batch, encoders, present=None)`` gets
    the raw batch ``{name: {"x": ..., "lengths": ...}}`` and the encoders (an
    ``nn.ModuleDict``; the network owns them, the fusion only calls them),
    e.g. to read their step states (cross-attention) or to pass one
    modality's vector into another's encoder (conditioning).
    :class:`~skmm.nn.MultimodalNetwork` calls ``bind(encoders)`` once at
    construction, so the fusion can check the encoders and create layers
    sized from them before the optimiser sees the parameters (the default
    does nothing).

    {fusion_dims_parameters}

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import MLPEncoder
    >>> from skmm.fusion import BatchFusion
    >>> class FirstStep(BatchFusion):
    ...     def bind(self, encoders):
    ...         self.output_dim = sum(encoders[n].step_dim for n in self.names)
    ...     def forward(self, batch, encoders, present=None):
    ...         return torch.cat([encoders[n].encode_steps(batch[n]["x"])[0][:, 0] for n in self.names], 1)
    >>> encoders = torch.nn.ModuleDict({"a": MLPEncoder(3, 4)})
    >>> fusion = FirstStep({"a": 4})
    >>> fusion.bind(encoders)
    >>> fusion({"a": {"x": torch.zeros(2, 3)}}, encoders).shape, fusion.takes_batch
    (torch.Size([2, 4]), True)
    """

    takes_batch: ClassVar[bool] = True

    def bind(self, encoders: nn.ModuleDict) -> None:
        """Check the encoders and create layers sized from them (default: nothing)."""

    # It takes the raw batch and the encoders, not their vectors: the network calls it by takes_batch.
    def forward(  # type: ignore[override]  # pragma: no cover - interface
        self, batch: dict[str, dict[str, Tensor]], encoders: nn.ModuleDict,
        present: dict[str, Tensor] | None = None,
    ) -> Tensor:
        raise NotImplementedError


class FusionSpec(BaseEstimator):
    """Base of fusion choices: parameters plus ``build``.

    A subclass declares its parameters' ``_parameter_constraints``
    (scikit-learn's ``Interval``, ``StrOptions``, ...) and implements
    ``build_module(dims, *, hidden_size, dropout, n_outputs)``, which gets
    each modality's encoder size by name and returns a :class:`FusionModule`;
    ``build`` checks the parameters against the constraints (ValueError /
    TypeError) and calls it. Registered with :func:`register_fusion`, it is
    choosable by name.

    Examples
    --------
    >>> from skmm.fusion import FUSIONS, FusionSpec
    >>> all(issubclass(cls, FusionSpec) for cls in FUSIONS.values())
    True
    >>> fusion = FUSIONS["low_rank"]().build({"a": 8, "b": 4}, hidden_size=16, dropout=0.0, n_outputs=3)
    >>> type(fusion).__name__, fusion.output_dim
    ('LowRankFusion', 16)
    """

    _parameter_constraints: ClassVar[dict] = {}

    def build(self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int) -> FusionModule:
        """The module fusing modalities of sizes ``dims`` (name -> encoder ``output_dim``)."""
        self._validate_params()
        return self.build_module(dims, hidden_size=hidden_size, dropout=dropout, n_outputs=n_outputs)

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> FusionModule:
        raise NotImplementedError(f"{type(self).__name__} must implement build_module.")


def resolve_fusion(choice: str | FusionSpec) -> FusionSpec:
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
