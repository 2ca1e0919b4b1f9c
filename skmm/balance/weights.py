"""Member weights fitted on the validation split once training ends (stacking of the members)."""

from __future__ import annotations

import torch
from skorch.callbacks import Callback
from skorch.utils import to_tensor
from torch.nn import functional as F

from .heads import product

# softplus(_ONE) == 1: the fit starts from the plain product.
_ONE = 0.5413248546129181


def _collect(net, dataset):
    module, balance = net.module_, net.module_.balance
    outs, masks = {}, {}
    targets, weights = [], []
    with torch.no_grad():
        for Xi, yi in net.get_iterator(dataset, training=False):
            parts = module.parts(to_tensor(Xi, device=net.device))
            members = balance.members(parts.fused, parts.unimodal)
            present = parts.present or {}
            # A staged fit that ended before its fusion stage has no fused member yet.
            for name in (n for n in balance.member_names if n in members):
                outs.setdefault(name, []).append(members[name])
                masks.setdefault(name, [])
                masks[name].append(present.get(name, torch.ones(len(members[name]), dtype=torch.bool,
                                                                device=members[name].device)))
            yi = to_tensor(yi, device=net.device)
            targets.append(yi["target"] if isinstance(yi, dict) else yi)
            if isinstance(yi, dict):
                weights.append(yi["weight"])
    cat = lambda chunks: torch.cat(chunks, dim=0)  # noqa: E731
    y = cat(targets)
    if weights:
        y = {"target": y, "weight": cat(weights)}
    return {n: cat(v) for n, v in outs.items()}, {n: cat(v) for n, v in masks.items()}, y


def fit_member_weights(net, dataset, max_iter: int = 50) -> None:
    """Fit the balance module's member weights on ``dataset`` (the validation split).

    The weights minimise the loss of the combined output on held-out rows
    (a power of each member's probabilities; for regression, a weighted
    mean), starting from 1 each. Nothing happens without a validation split
    or when the module combines no weighted members, or weighs them
    otherwise (``fits_member_weights`` False).
    """
    balance = getattr(net.module_, "balance", None)
    if dataset is None or balance is None or getattr(balance, "member_weights", None) is None or not len(dataset):
        return
    if not getattr(balance, "fits_member_weights", True):  # weighed otherwise (a staged regressor: by precision)
        return
    was_training = net.module_.training
    net.module_.eval()
    try:
        members, present, y = _collect(net, dataset)
    finally:
        net.module_.train(was_training)
    names = [name for name in balance.member_names if name in members]
    raw = torch.zeros(len(names), device=balance.member_weights.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([raw], max_iter=max_iter, line_search_fn="strong_wolfe")

    def loss():
        optimizer.zero_grad()
        w = F.softplus(raw + _ONE)
        combined = product(members, present, balance.task_sizes, {name: w[i] for i, name in enumerate(names)})
        value = net.criterion_(combined, y)
        value.backward()
        return value

    optimizer.step(loss)
    with torch.no_grad():
        fitted = F.softplus(raw + _ONE)
        if torch.isfinite(fitted).all():
            for i, name in enumerate(names):
                balance.member_weights[balance.member_names.index(name)] = fitted[i]


class MemberWeights(Callback):
    """After training (and after early stopping restored the best epoch), fit the member weights."""

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        self.dataset_valid_ = dataset_valid

    def on_train_end(self, net, X=None, y=None, **kwargs):
        dataset, self.dataset_valid_ = getattr(self, "dataset_valid_", None), None
        fit_member_weights(net, dataset)
