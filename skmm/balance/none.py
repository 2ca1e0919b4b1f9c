"""No balancing: the network trains on the fused output's loss alone (skmm before ``balance``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .base import BalanceSpec, register_balance


@register_balance("none")
class NoBalance(BalanceSpec):
    """Train on the fused output's loss alone, as plain joint training does.

    The network has no per-modality heads, so ``history_`` records no
    per-modality scores; the modality that is easiest to fit can dominate
    (see :doc:`/user_guide/balance`).

    Examples
    --------
    >>> from skmm.balance import NoBalance
    >>> NoBalance().build({"a": 8}, n_outputs=3, task_sizes=[3], hidden_size=16, dropout=0.0) is None
    True
    """

    def build_module(
        self, dims: Mapping[str, int], *, n_outputs: int, task_sizes: Sequence[int] | None, hidden_size: int,
        dropout: float,
    ) -> None:
        return None
