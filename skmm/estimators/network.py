"""The torch network an estimator builds: one encoder per modality, a fusion, a head."""

from __future__ import annotations

import torch
from sklearn.base import clone

from ..balance import resolve_balance
from ..encoders import resolve_encoder
from ..fusion import resolve_fusion
from ..fusion.condition import choose_condition
from ..fusion.head import make_head
from ..nn.model import MultimodalNetwork

#: Kinds encoded by a media network (a CNN, a recurrent or convolutional net over frames).
MEDIA_KINDS = ("image", "video", "frames")


def build_network(
    modalities: dict, encoders: dict | None, fusion, hidden_size: int, dropout: float, n_outputs: int,
    balance="staged", task_sizes=None,
) -> MultimodalNetwork:
    """The network for ``modalities`` (name -> ModalityInfo) as an estimator's parameters choose it.

    Parameters
    ----------
    modalities : dict
        Modality name -> :class:`~skmm.data.inputs.ModalityInfo` (an estimator's ``modalities_``).
    encoders : dict or None
        Modality name -> encoder choice (the estimator's ``encoders``).
    fusion : str or FusionSpec
        The estimator's ``fusion``.
    hidden_size, dropout : int, float
        The estimator's parameters of the same names.
    n_outputs : int
        Width of the output (class scores or targets).
    balance : str or BalanceSpec, default="staged"
        The estimator's ``balance``.
    task_sizes : list of int or None
        Classes of each target (classification), None for regression.

    Returns
    -------
    network : MultimodalNetwork
    """
    choices = encoders or {}
    unknown = sorted(set(choices) - set(modalities))
    if unknown:
        raise ValueError(f"encoders names modalities {unknown} that X does not have; it has {sorted(modalities)}.")
    fusion_spec = resolve_fusion(fusion)
    balance_spec = resolve_balance(balance)
    if getattr(fusion_spec, "picks_modalities", False):
        # fusion="condition" by name: a source and a target from the data.
        source, target, choices = choose_condition(modalities, choices, fusion_spec.source, fusion_spec.target)
        fusion_spec = clone(fusion_spec).set_params(source=source, target=target)
    built, wide = {}, {}
    beside_media = any(info.kind in MEDIA_KINDS for info in modalities.values())
    if balance_spec.wide_beside_media:
        # Every modality keeps a loss of its own: a text's linear part cannot starve the media.
        beside_media = False
    for name, info in modalities.items():
        spec = resolve_encoder(choices.get(name), name, info)
        if spec.to_outputs:
            # Linear straight to the outputs, beside the deep part (wide & deep).
            wide[name] = spec.build(info, hidden_size=n_outputs, dropout=dropout)
            continue
        built[name] = spec.build(info, hidden_size=hidden_size, dropout=dropout)
        # A deep encoder may bring a linear part of its own (the text bag's TF-IDF scores).
        linear = spec.build_wide(info, n_outputs, beside_media=beside_media)
        if linear is not None:
            wide[name] = linear
    if not built:
        return MultimodalNetwork({}, None, None, wide=wide)
    fused = fusion_spec.build(
        {name: enc.output_dim for name, enc in built.items()},
        hidden_size=hidden_size, dropout=dropout, n_outputs=n_outputs,
    )
    if getattr(fused, "is_output", False):
        head = torch.nn.Identity()  # late fusion already ends in per-modality heads
    else:
        head = make_head(fused.output_dim, hidden_size, n_outputs, dropout)
    balancing = None
    if len(set(built) | set(wide)) > 1:  # one modality has nothing to balance
        balancing = balance_spec.build(
            {name: enc.output_dim for name, enc in built.items()},
            n_outputs=n_outputs, task_sizes=task_sizes, hidden_size=hidden_size, dropout=dropout,
        )
    return MultimodalNetwork(built, fused, head, wide=wide, balance=balancing)
