"""The balance interface: parameter objects, the module they build, the registry of names.

Joint training of a fusion fits the easiest modality first and then stops
learning the others (modality imbalance). A balance option changes how the
network is trained (extra per-modality heads and losses, modulated
gradients, alternating passes) and, for some, how its outputs are formed;
the encoders and the fusion stay the user's choice.

A balance option is one file of this package holding its parameter object
(a :class:`BalanceSpec`, what users pass in ``balance=``) and the module it
builds (a :class:`BalanceModule`), registered by name with
:func:`register_balance`.
"""

from __future__ import annotations

from typing import Callable, ClassVar, Mapping, NamedTuple, Sequence

import torch
from sklearn.base import BaseEstimator
from torch import Tensor, nn

from ..utils.registration import REGISTER_DOC, Spec, registrar

BALANCES: dict[str, type[BalanceSpec]] = {}
"""Balance name -> parameter object class, filled by :func:`register_balance`."""


def register_balance(name: str) -> Callable[[Spec], Spec]:
    return registrar(BALANCES, name)


register_balance.__doc__ = REGISTER_DOC.format(
    base="BalanceSpec", picked_by="``balance=name``", registry="BALANCES",
    package="skmm.balance", parent="UnimodalHeads", function="register_balance", key="balance",
)


#: The fused head's name among the members a balance option combines.
FUSED_MEMBER = "<fused>"


class Parts(NamedTuple):
    """What one forward pass of a balanced network produced.

    ``output`` is what prediction uses; ``fused`` the fusion's head (None
    when not computed); ``unimodal`` each modality's own head; ``present``
    the batch's presence masks (None: every sample has every modality).
    """

    output: Tensor
    fused: Tensor | None
    unimodal: dict[str, Tensor]
    present: dict[str, Tensor] | None


def _target_and_weight(y):
    if isinstance(y, dict):
        return y["target"], y["weight"]
    return y, None


def masked_loss(criterion: nn.Module, pred: Tensor, y, present: Tensor | None) -> Tensor:
    """``criterion``'s sample-weighted mean loss over the samples that have the modality.

    ``criterion`` is an skmm per-sample loss (:mod:`skmm.nn.losses`); ``y``
    the target, or ``{"target": ..., "weight": ...}`` for weighted fits.
    """
    target, weight = _target_and_weight(y)
    losses = criterion.per_sample(pred, target)
    w = torch.ones_like(losses) if weight is None else weight.to(losses.dtype)
    if present is not None:
        w = w * present.to(losses.dtype)
    # A batch in which no sample has the modality contributes 0, not 0/0.
    return (losses * w).sum() / w.sum().clamp(min=torch.finfo(losses.dtype).tiny)


def log_probabilities(logits: Tensor, task_sizes: Sequence[int] | None) -> Tensor:
    """Per-task log-softmax of concatenated logits (regression outputs: returned as they are)."""
    if task_sizes is None:
        return logits
    return torch.cat([torch.log_softmax(p, dim=1) for p in torch.split(logits, list(task_sizes), dim=1)], dim=1)


def correct(logits: Tensor, target: Tensor, task_sizes: Sequence[int]) -> Tensor:
    """Per sample, the fraction of its targets predicted right (a float tensor (n,))."""
    parts = torch.split(logits, list(task_sizes), dim=1)
    if target.ndim == 1:
        target = target[:, None]
    hits = [p.argmax(1) == target[:, i] for i, p in enumerate(parts)]
    return torch.stack(hits, dim=1).float().mean(1)


def make_unimodal_heads(
    dims: Mapping[str, int], n_outputs: int, hidden_size: int, dropout: float, kind: str,
) -> nn.ModuleDict:
    """One head per modality: a linear probe (``kind="linear"``) or the fused head's MLP shape."""
    from ..fusion.head import make_head

    if kind == "linear":
        return nn.ModuleDict({name: nn.Linear(dim, n_outputs) for name, dim in sorted(dims.items())})
    return nn.ModuleDict({
        name: make_head(dim, hidden_size, n_outputs, dropout) for name, dim in sorted(dims.items())
    })


class BalanceModule(nn.Module):
    """Base of balance modules: per-modality heads, the training loss, the outputs.

    The network (:class:`~skmm.nn.MultimodalNetwork`) computes the encoders'
    vectors once, gives them to :meth:`heads_of` and to the fusion, and asks
    :meth:`output` for what prediction uses; the skorch net asks
    :meth:`loss` for the training loss, :meth:`modulate` to change the
    gradients before the optimizer steps, and :meth:`passes` for the
    optimizer steps each batch takes.

    Parameters
    ----------
    heads : nn.ModuleDict
        Modality name -> its head (vector -> outputs).
    task_sizes : list of int or None
        Classes of each target (classification), None for regression.

    Attributes
    ----------
    detach : bool
        The heads read detached vectors: they watch the encoders without
        training them (probes).
    uses_fusion : bool
        Whether the fusion and its head take part (False: only the
        modalities' own heads do).
    """

    detach: ClassVar[bool] = False
    uses_fusion: ClassVar[bool] = True

    def __init__(self, heads: nn.ModuleDict, task_sizes: Sequence[int] | None) -> None:
        super().__init__()
        self.heads = heads
        self.task_sizes = None if task_sizes is None else [int(s) for s in task_sizes]

    @property
    def names(self) -> list[str]:
        return sorted(self.heads)

    # -- members combined with weights fitted after training ----------------
    def learn_member_weights(self, members: Sequence[str]) -> None:
        """Combine ``members`` with weights that :func:`skmm.balance.weights.fit_member_weights` fits."""
        self.member_names = list(members)
        # A buffer, not a parameter: training leaves it alone; saved with the weights.
        self.register_buffer("member_weights", torch.ones(len(self.member_names)))

    def weights_by_name(self) -> dict[str, Tensor] | None:
        if getattr(self, "member_weights", None) is None:
            return None
        return {name: self.member_weights[i] for i, name in enumerate(self.member_names)}

    def training_heads(self) -> list[str] | None:
        """The modalities whose heads a training pass needs (None: all); the others are not encoded."""
        return None

    def frozen_modules(self, network: nn.Module) -> list[nn.Module]:
        """Modules that stay in evaluation mode while the rest trains (none by default)."""
        return []

    def param_groups(self, network: nn.Module) -> dict[str, list] | None:
        """Member name -> its parameters, for one optimizer group each (None: one group)."""
        return None

    def members(self, fused: Tensor | None, unimodal: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """The outputs the weights combine, by member name."""
        return dict(unimodal)

    def heads_of(self, features: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Each modality's head on its vector (detached for probes)."""
        return {
            name: head(features[name].detach() if self.detach else features[name])
            for name, head in self.heads.items() if name in features
        }

    def output(self, fused: Tensor | None, unimodal: Mapping[str, Tensor], present) -> Tensor:
        """What prediction uses; the fused head's output by default."""
        return fused

    def passes(self) -> list[str | None]:
        """The forward/backward passes of one training batch (None: the whole network)."""
        return [None]

    def loss(self, parts: Parts, criterion: nn.Module, y, pass_: str | None = None) -> Tensor:
        """The training loss of one pass: the output's loss plus each head's (masked by presence)."""
        loss = criterion(parts.output, y)
        return loss + sum(self.unimodal_losses(parts, criterion, y).values())

    def validation_loss(self, parts: Parts, criterion: nn.Module, y) -> Tensor:
        """The validation loss early stopping and the plateau schedule watch: the training objective.

        (The product of several members' probabilities is sharper than any
        of them, so its own loss reaches 0 long before the members stop
        improving.)
        """
        return self.loss(parts, criterion, y)

    def unimodal_losses(self, parts: Parts, criterion: nn.Module, y) -> dict[str, Tensor]:
        present = parts.present or {}
        return {
            name: masked_loss(criterion, out, y, present.get(name)) for name, out in parts.unimodal.items()
        }

    def modulate(self, network: nn.Module, parts: Parts, criterion: nn.Module, y) -> dict[str, float]:
        """Change the gradients before the step; returns per-modality figures to record (none here)."""
        return {}

    def scores(self, parts: Parts, criterion: nn.Module, y) -> dict[str, tuple[float, float]]:
        """Per figure, ``(its sum over the batch's samples that have the modality, their count)``.

        ``loss_<name>`` for every head, and ``acc_<name>`` (accuracy) for
        classification; recorded per epoch as ``valid_loss_<name>`` and
        ``valid_acc_<name>``.
        """
        target, _ = _target_and_weight(y)
        present = parts.present or {}
        out = {}
        for name, logits in parts.unimodal.items():
            mask = present.get(name)
            keep = torch.ones(len(logits), dtype=torch.bool, device=logits.device) if mask is None else mask
            count = float(keep.sum())
            if self.task_sizes is not None:
                out[f"acc_{name}"] = (float(correct(logits, target, self.task_sizes)[keep].sum()), count)
            out[f"loss_{name}"] = (float(criterion.per_sample(logits, target)[keep].sum()), count)
        return out


class BalanceSpec(BaseEstimator):
    """Base of balance choices: parameters plus ``build``.

    A subclass declares its parameters' ``_parameter_constraints`` and
    implements ``build_module(dims, *, n_outputs, task_sizes, hidden_size,
    dropout)`` returning a :class:`BalanceModule`, or None for training as
    it is (``"none"``). Registered with :func:`register_balance`, it is
    choosable by name.
    """

    _parameter_constraints: ClassVar[dict] = {}
    #: Whether an encoder's linear part (``NGram(wide="auto")``) stays on beside media encoders.
    wide_beside_media: ClassVar[bool] = False
    #: Whether the option stops training itself and schedules a plateau's learning rates itself (the
    #: estimator then adds neither early stopping nor its plateau schedule).
    stops_training: ClassVar[bool] = False

    def training_callbacks(self, *, patience: int, max_epochs: int, lr_schedule: str | None) -> list:
        """skorch callbacks the option needs, as ``(name, callback)`` pairs (none by default)."""
        return []

    def build(
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None,
        hidden_size: int, dropout: float,
    ) -> BalanceModule | None:
        """The module balancing modalities of sizes ``dims`` (name -> vector size), or None."""
        self._validate_params()
        return self.build_module(
            dims, n_outputs=n_outputs, task_sizes=task_sizes, hidden_size=hidden_size, dropout=dropout,
        )

    def build_module(  # pragma: no cover
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None, hidden_size: int,
        dropout: float,
    ) -> BalanceModule | None:
        raise NotImplementedError(f"{type(self).__name__} must implement build_module.")


def resolve_balance(choice: str | BalanceSpec) -> BalanceSpec:
    """A BalanceSpec from a name or a spec."""
    if isinstance(choice, str):
        if choice not in BALANCES:
            raise ValueError(f"unknown balance {choice!r}; choose one of {sorted(BALANCES)}.")
        return BALANCES[choice]()
    if not isinstance(choice, BalanceSpec):
        raise TypeError(
            f"balance must be a balance name or an skmm.balance object, got {type(choice).__name__}."
        )
    return choice
