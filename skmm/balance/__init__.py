"""Balanced training of every modality: choices for ``balance=``.

Joint training of a fusion fits the easiest modality first and then stops
learning the others (modality imbalance); these options keep every
modality learning. ``balance="heads"`` picks by name,
``balance=OGMGE(alpha=0.8)`` with parameters, and ``net__balance__alpha`` in
a grid search reaches them.

* ``"none"`` (:class:`NoBalance`): the fused loss alone;
* ``"heads"`` (:class:`UnimodalHeads`): each encoder also trained through a head and loss of its own;
* ``"ogm_ge"`` (:class:`OGMGE`): gradients of the modality that is ahead slowed down (OGM-GE);
* ``"mla"`` (:class:`MLA`): alternating unimodal steps through a shared head (MLA);
* ``"ensemble"`` (:class:`UnimodalEnsemble`): one net per modality, combined;
* ``"staged"`` (:class:`Staged`): each modality to its own best epoch, then the fusion on top.

With any option but ``"none"``, ``history_`` records each modality's own
validation score every epoch (``valid_acc_<name>`` for classifiers,
``valid_loss_<name>`` for regressors); :func:`skmm.plotting.plot_modality_scores`
draws them.
"""

# The base classes are importable for writing an option (docs/user_guide/balance.rst) but not listed in __all__.
from .base import BALANCES, BalanceModule, BalanceSpec, Parts, register_balance, resolve_balance  # noqa: F401

# Importing an option's file registers it; the order is that of the docs' table.
# isort: off
from .none import NoBalance
from .heads import UnimodalHeads
from .ogm_ge import OGMGE
from .mla import MLA
from .ensemble import UnimodalEnsemble
from .staged import Staged
# isort: on

__all__ = [
    "register_balance", "BALANCES",
    "NoBalance", "UnimodalHeads", "OGMGE", "MLA", "UnimodalEnsemble", "Staged",
]
