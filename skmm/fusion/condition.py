"""Conditioning: one modality's vector conditions another's recurrent encoder."""

from __future__ import annotations

from typing import ClassVar, Mapping, Sequence

import torch
from torch import Tensor, nn

from ..utils.sklearn_compat import StrOptions
from .base import BatchFusion, FusionSpec, register_fusion
from .masking import present_mask, zero_absent


@register_fusion("condition")
class Condition(FusionSpec):
    """One modality's vector conditions another's recurrent encoder.

    ``mode="init"``: the source vector, projected (tanh) to the target's
    ``num_layers * directions * hidden_size``, is the target's initial
    hidden state. ``mode="input"``: projected to the target's step input
    size, it is added to every step's input. The fused vector is the
    concatenation of all modality vectors (the target's conditioned), as in
    :class:`Concat`. An absent source conditions nothing (zero initial state
    / nothing added); an absent modality's vector is zeros. Needs at least
    two modalities.

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
    picks_modalities: ClassVar[bool] = True

    _parameter_constraints: ClassVar[dict] = {
        "source": [str, None],
        "target": [str, None],
        "mode": [StrOptions({"init", "input"})],
    }

    def __init__(self, source: str | None = None, target: str | None = None, *, mode: str = "init") -> None:
        self.source = source
        self.target = target
        self.mode = mode

    def build_module(
        self, dims: Mapping[str, int], *, hidden_size: int, dropout: float, n_outputs: int,
    ) -> ConditionFusion:
        return ConditionFusion(dims, source=self.source, target=self.target, mode=self.mode)


def check_condition(names: Sequence[str], source: str | None, target: str | None, mode: str) -> None:
    """Validate a Condition's choices against the modality names (ValueError)."""
    if mode not in ("init", "input"):
        raise ValueError(f"Condition: mode must be 'init' or 'input', got {mode!r}.")
    if len(names) < 2:
        raise ValueError(
            f"Condition needs at least 2 modalities (a source and a target); the data has {list(names)}."
        )
    if source is None or target is None:
        raise ValueError(
            "Condition needs source= and target= modality names, e.g. "
            f"Condition(source='image', target='text'); the data has {list(names)}."
        )
    for role, name in (("source", source), ("target", target)):
        if name not in names:
            raise ValueError(f"Condition: {role} {name!r} is not a modality of the data; it has {list(names)}.")
    if source == target:
        raise ValueError(f"Condition: source and target must differ, both are {source!r}.")


class ConditionFusion(BatchFusion):
    """The module of :class:`Condition` (see there).

    Parameters
    ----------
    dims : dict of str -> int
    source, target : str
        Modality names; the target's encoder must take a condition
        (``takes_condition``: the recurrent encoders).
    mode : {"init", "input"}

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from skmm.encoders import MLPEncoder, RecurrentEncoder
    >>> from skmm.fusion import ConditionFusion
    >>> encoders = nn.ModuleDict({"image": MLPEncoder(8, 16),
    ...                           "text": RecurrentEncoder(None, 8, vocab_size=20)})
    >>> fusion = ConditionFusion({"image": 16, "text": 16}, source="image", target="text")
    >>> fusion.bind(encoders)  # MultimodalNetwork does this itself
    >>> batch = {"image": {"x": torch.randn(5, 8)},
    ...          "text": {"x": torch.randint(1, 20, (5, 6)), "lengths": torch.tensor([6, 4, 3, 2, 1])}}
    >>> fusion(batch, encoders).shape
    torch.Size([5, 32])
    """

    def __init__(self, dims: Mapping[str, int], *, source: str, target: str, mode: str = "init") -> None:
        super().__init__(dims)
        check_condition(self.names, source, target, mode)
        self.source, self.target, self.mode = source, target, mode
        self.project = None
        self.output_dim = sum(dims.values())

    def bind(self, encoders: nn.ModuleDict) -> None:
        """Check the target takes a condition; size the projection from both encoders."""
        target = encoders[self.target]
        if not getattr(target, "takes_condition", False):
            raise ValueError(
                f"Condition: target {self.target!r} is encoded by {type(target).__name__}, "
                "not a recurrent encoder (rnn, gru, lstm); only a recurrent encoder takes a condition."
            )
        source_dim = encoders[self.source].output_dim
        if self.mode == "init":
            layers, hidden = target.init_shape
            self.project = nn.Sequential(nn.Linear(source_dim, layers * hidden), nn.Tanh())
        else:
            self.project = nn.Linear(source_dim, target.step_input_size)

    def forward(
        self, batch: dict[str, dict[str, Tensor]], encoders: nn.ModuleDict,
        present: dict[str, Tensor] | None = None,
    ) -> Tensor:
        def encode(name, **kwargs):
            return encoders[name](batch[name]["x"], batch[name].get("lengths"), **kwargs)

        source = encode(self.source)
        n = source.shape[0]
        mask = present_mask(present, self.names, n, source.device)
        condition = self.project(source)
        if mask is not None:
            condition = condition * mask[:, self.names.index(self.source), None].to(condition.dtype)
        if self.mode == "init":
            layers, hidden = encoders[self.target].init_shape
            condition = {"h0": condition.view(n, layers, hidden).transpose(0, 1).contiguous()}
        else:
            condition = {"input": condition}
        vectors = [
            source if name == self.source
            else encode(name, condition=condition) if name == self.target
            else encode(name)
            for name in self.names
        ]
        return torch.cat(zero_absent(vectors, mask), dim=1)


# -- which modality conditions which, when fusion="condition" is picked by name -----
SEQUENCE_KINDS = ("tokens", "frames")
RECURRENT_DEFAULTS = {"tokens": "gru", "frames": "lstm"}
_RECURRENT_NAMES = ("rnn", "gru", "lstm")


def _is_recurrent(choice):
    if isinstance(choice, str):
        return choice in _RECURRENT_NAMES
    return bool(getattr(type(choice), "cell", ""))


def choose_condition(infos, choices, source=None, target=None):
    """Fill in a Condition's missing source and target from the data.

    The target is the first sequence modality (tokens or frames, by name)
    whose encoder is recurrent, or else the first whose encoder is left to
    the default, which then becomes recurrent (GRU for tokens, LSTM for
    frames): only a recurrent encoder takes a condition. The source is the
    first other modality that is not a sequence (an image or a vector), or
    else any other modality. Sparse modalities (the wide part) take no part.

    Parameters
    ----------
    infos : dict of str -> ModalityInfo
    choices : dict
        The estimator's ``encoders`` (modality -> name or object).
    source, target : str or None
        The user's choices; only missing ones are filled.

    Returns
    -------
    source, target : str or None
        None where the data allow no choice (the fusion then says why).
    choices : dict
        ``choices`` plus a recurrent encoder for a target left to the default.

    Examples
    --------
    >>> from skmm.fusion.condition import choose_condition
    >>> from skmm.data.inputs import ModalityInfo
    >>> infos = {"audio": ModalityInfo("frames", (50, 40)), "photo": ModalityInfo("image", (1, 8, 8)),
    ...          "text": ModalityInfo("tokens", (6,), vocab_size=20)}
    >>> choose_condition(infos, {})
    ('photo', 'audio', {'audio': 'lstm'})
    >>> choose_condition(infos, {"text": "gru"})
    ('photo', 'text', {'text': 'gru'})
    """
    names = sorted(name for name, info in infos.items() if info.kind != "sparse")
    choices = dict(choices)
    if target is None:
        sequences = [n for n in names if infos[n].kind in SEQUENCE_KINDS and n != source]
        recurrent = [n for n in sequences if _is_recurrent(choices.get(n))]
        unset = [n for n in sequences if choices.get(n) is None]
        target = (recurrent or unset or [None])[0]
    if target in infos and choices.get(target) is None and infos[target].kind in SEQUENCE_KINDS:
        choices[target] = RECURRENT_DEFAULTS[infos[target].kind]
    if source is None:
        others = [n for n in names if n != target]
        flat = [n for n in others if infos[n].kind not in SEQUENCE_KINDS]
        source = (flat or others or [None])[0]
    return source, target, choices
