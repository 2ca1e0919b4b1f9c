"""Adam and AdamW that update only the rows of an embedding table a batch used.

A text's n-gram vocabulary on real data runs to hundreds of thousands of
rows. torch's Adam takes dense gradients only, so every step would decay
and update every row of the table, used or not: on 4,300 descriptions in 45
languages (401,250 word and n-gram rows of 64) that was two thirds of the
fit's time. These optimizers take the sparse gradients of
:class:`RowEmbedding` tables and update just the rows the batch touched
("lazy" Adam, as ``torch.optim.SparseAdam`` and TensorFlow's ``LazyAdam``
do; fastText's own training is sparse SGD), and every dense parameter
exactly as torch's class does, in one optimizer, so learning-rate
schedules, checkpoints and ``state_dict`` see one object.

A row's moments and weight decay advance on the steps that use the row;
its bias correction follows the table's step count. The table itself,
:class:`RowEmbedding`, is a layer of the text encoders
(:mod:`skmm.encoders.tokens`); it is exported here too, where it is trained.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, cast, overload

import torch
from torch import nn

from ..encoders.bag_linear import TokenBagLinear
from ..encoders.tokens import RowEmbedding
from ..utils.docstrings import fill_doc

__all__ = ["Adam", "AdamW", "SGD", "RowEmbedding", "use_sparse_rows", "SPARSE_MIN_ROWS"]

#: Tables with fewer rows are updated densely: below this, updating every
#: row costs less than gathering and scattering the used ones.
SPARSE_MIN_ROWS = 16_384


def use_sparse_rows(module: nn.Module, enabled: bool) -> list[nn.Parameter]:
    """Set which :class:`RowEmbedding` tables (and text linear parts) of ``module`` give sparse gradients.

    Parameters
    ----------
    module : nn.Module
    enabled : bool
        Whether the optimizer takes sparse gradients (:class:`Adam`,
        :class:`AdamW`); tables under :data:`SPARSE_MIN_ROWS` rows stay dense.

    Returns
    -------
    list of nn.Parameter
        The weights now trained by rows.

    Examples
    --------
    >>> from skmm.nn.optim import RowEmbedding, use_sparse_rows
    >>> tables = [RowEmbedding(100, 4), RowEmbedding(50_000, 4)]
    >>> rows = use_sparse_rows(torch.nn.ModuleList(tables), enabled=True)
    >>> [t.sparse for t in tables], rows[0] is tables[1].weight
    ([False, True], True)
    """
    rows: list[nn.Parameter] = []
    for part in module.modules():
        # A text's linear part too (its weights are a table of one row per id, trained by skmm's SGD).
        if isinstance(part, (RowEmbedding, TokenBagLinear)):
            part.sparse = bool(enabled) and part.weight.shape[0] >= SPARSE_MIN_ROWS
            if part.sparse:
                rows.append(cast(nn.Parameter, part.weight))
    return rows


# A mixin put before a torch optimizer: to the type checker it is one (its ``super()`` is the optimizer).
if TYPE_CHECKING:
    _Optimizer = torch.optim.Optimizer
else:
    _Optimizer = object


class _SparseRows(_Optimizer):
    """Step: dense parameters through the torch class, sparse-gradient ones by rows."""

    takes_sparse_rows = True

    @overload
    def step(self, closure: None = None) -> None: ...

    @overload
    def step(self, closure: Callable[[], float]) -> float: ...

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        sparse = [
            (group, p) for group in self.param_groups for p in group["params"]
            if p.grad is not None and p.grad.is_sparse
        ]
        held = [p.grad for _, p in sparse]
        for _, p in sparse:
            p.grad = None  # torch's step refuses sparse gradients; it skips None
        try:
            super().step()
        finally:
            for (_, p), grad in zip(sparse, held):
                p.grad = grad
        for group, p in sparse:
            self._update_rows(group, p)
        return loss

    def _update_rows(self, group, param):
        if group["amsgrad"] or group["maximize"]:
            raise ValueError(
                f"{type(self).__name__} trains embedding rows without amsgrad or maximize; "
                "pass a torch optimizer class as optimizer= to use them (the embeddings then train densely)."
            )
        grad = param.grad.coalesce()
        rows, values = grad.indices()[0], grad.values()
        state = self.state[param]
        if not state:
            state["step"] = torch.tensor(0.0)
            state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        state["step"] += 1
        step = float(state["step"])
        beta1, beta2 = group["betas"]
        lr, decay = float(group["lr"]), group["weight_decay"]
        weights = param.index_select(0, rows)
        if decay and group.get("decoupled_weight_decay", False):
            weights.mul_(1 - lr * decay)
        elif decay:
            values = values.add(weights, alpha=decay)
        exp_avg = state["exp_avg"].index_select(0, rows).mul_(beta1).add_(values, alpha=1 - beta1)
        exp_avg_sq = state["exp_avg_sq"].index_select(0, rows).mul_(beta2).addcmul_(values, values, value=1 - beta2)
        state["exp_avg"].index_copy_(0, rows, exp_avg)
        state["exp_avg_sq"].index_copy_(0, rows, exp_avg_sq)
        denom = exp_avg_sq.div(1 - beta2 ** step).sqrt_().add_(group["eps"])
        weights.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1 ** step))
        param.index_copy_(0, rows, weights)


@fill_doc
class Adam(_SparseRows, torch.optim.Adam):
    """``torch.optim.Adam`` that also trains :class:`RowEmbedding` tables by rows (skmm's ``"adam"``).

    {adam_parameters}

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.optim import Adam, RowEmbedding, use_sparse_rows
    >>> table = RowEmbedding(20_000, 4)
    >>> _ = use_sparse_rows(table, True)
    >>> opt = Adam(table.parameters(), lr=0.1)
    >>> before = table.weight.detach().clone()
    >>> table(torch.tensor([3, 5])).sum().backward()
    >>> opt.step()
    >>> changed = (table.weight != before).any(1).nonzero().flatten().tolist()
    >>> changed
    [3, 5]
    """


@fill_doc
class AdamW(_SparseRows, torch.optim.AdamW):
    """``torch.optim.AdamW`` that also trains :class:`RowEmbedding` tables by rows (skmm's ``"adamw"``).

    Decoupled weight decay shrinks a row on the steps that use it.

    {adam_parameters}

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.optim import AdamW, RowEmbedding, use_sparse_rows
    >>> table = RowEmbedding(20_000, 4)
    >>> _ = use_sparse_rows(table, True)
    >>> opt = AdamW(table.parameters(), lr=0.1)
    >>> table(torch.tensor([7])).sum().backward()
    >>> opt.step()
    >>> int(opt.state[table.weight]["step"])
    1
    """


class SGD(_SparseRows, torch.optim.SGD):
    """``torch.optim.SGD`` that also takes sparse row gradients, as the text's linear part gives them.

    The same heavy-ball steps as torch's class on a dense gradient (the
    momentum buffer stays dense: rows the batch did not use keep moving
    with their velocity); only the gradient is sparse, so a step never
    builds or zero-fills the table's dense gradient (on Wesnoth's 401,250
    n-gram rows x 10 races, most of the linear part's backward). Sparse
    gradients take no weight decay, dampening or Nesterov momentum.

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups.
    **kwargs
        As torch's class (``lr``, ``momentum``, ...).

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.optim import SGD
    >>> w = torch.nn.Parameter(torch.zeros(4, 2))
    >>> opt = SGD([w], lr=1.0, momentum=0.5)
    >>> for _ in range(2):
    ...     w.grad = torch.sparse_coo_tensor([[1]], torch.ones(1, 2), (4, 2), check_invariants=True)
    ...     opt.step()
    >>> w[:, 0].tolist()  # -1, then -(0.5 * 1 + 1)
    [0.0, -2.5, 0.0, 0.0]
    """

    def _update_rows(self, group, param):
        if group["weight_decay"] or group["dampening"] or group["nesterov"] or group["maximize"]:
            raise ValueError(
                "skmm's SGD takes sparse row gradients without weight decay, dampening, Nesterov momentum "
                "or maximize."
            )
        grad = param.grad.coalesce()
        rows, values = grad.indices()[0], grad.values()
        lr, momentum = float(group["lr"]), group["momentum"]
        if not momentum:
            param.index_add_(0, rows, values, alpha=-lr)
            return
        state = self.state[param]
        buffer = state.get("momentum_buffer")
        if buffer is None:  # torch's first step sets the buffer to the gradient
            buffer = state["momentum_buffer"] = torch.zeros_like(param, memory_format=torch.preserve_format)
        else:
            buffer.mul_(momentum)
        buffer.index_add_(0, rows, values)
        param.add_(buffer, alpha=-lr)
