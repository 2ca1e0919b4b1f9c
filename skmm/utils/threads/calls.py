"""The thread count of one estimator call, and the call's context (rows, verbosity, retuning per epoch)."""

from __future__ import annotations

import functools
import math
from contextvars import ContextVar
from numbers import Integral
from typing import Any, Callable, TypeVar, cast

import scipy.sparse as sp
import torch
from skorch.callbacks import Callback

from ..sklearn_compat import _num_samples
from . import load
from .cores import in_worker, usable_cores
from .limit import _scope, thread_limit

_Method = TypeVar("_Method", bound=Callable[..., Any])

#: Below this many rows a call runs on one thread: pools cost more than they give.
SMALL_WORK_ROWS = 256
#: Other processes keeping more than this fraction of a core busy count as one core taken.
_BUSY_MARGIN = 0.2

#: ``verbose`` of the estimator call being run (preprocessors with verbose=None follow it).
call_verbosity: ContextVar[int] = ContextVar("skmm_call_verbosity", default=0)


def check_n_threads(n_threads):
    """Validate an ``n_threads`` parameter: None or an int >= 1."""
    if n_threads is None:
        return
    if isinstance(n_threads, bool) or not isinstance(n_threads, Integral) or n_threads < 1:
        raise ValueError(f"n_threads must be None or an integer >= 1, got {n_threads!r}.")


def choose_threads(n_threads=None, n_rows=None):
    """The thread count for one call: ``n_threads`` if given, else skmm's choice.

    Parameters
    ----------
    n_threads : int or None
        The user's choice; None lets skmm choose (see the module's docstring).
    n_rows : int or None
        Rows the call works on (None: unknown, taken as large).

    Returns
    -------
    int
        At least 1; skmm's choice never exceeds :func:`usable_cores`.

    Examples
    --------
    >>> from skmm.utils.threads import choose_threads, usable_cores
    >>> choose_threads(3)
    3
    >>> 1 <= choose_threads(None, n_rows=100_000) <= usable_cores()
    True
    >>> choose_threads(None, n_rows=10)
    1
    """
    check_n_threads(n_threads)
    if n_threads is not None:
        return int(n_threads)
    cores = usable_cores()
    if cores == 1 or in_worker() or (n_rows is not None and n_rows < SMALL_WORK_ROWS):
        return 1
    free = cores - load._meter.other_busy_cores()
    return max(1, min(cores, math.floor(free + _BUSY_MARGIN)))


def n_rows(X):
    """Samples in X; a dict of modality arrays counts rows, not keys."""
    if isinstance(X, dict) and not sp.issparse(X):  # a DOK matrix is a dict
        first = next(iter(X.values()), None)
        # A sparse modality (the wide part) has rows but no len().
        return 0 if first is None else (first.shape[0] if sp.issparse(first) else len(first))
    return _num_samples(X)


def _rows(X):
    try:
        return n_rows(X)
    except (TypeError, ValueError):
        return None  # validation later says what is wrong with X


def scoped(method: _Method) -> _Method:
    """Decorate an estimator method ``method(self, X, ...)`` to run under its thread count.

    Uses ``self.n_threads`` and the rows of X, and makes ``self.verbose``
    visible to preprocessors whose own ``verbose`` is None.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        n = choose_threads(getattr(self, "n_threads", None), _rows(X))
        token = call_verbosity.set(getattr(self, "verbose", 0) or 0)
        try:
            with thread_limit(n):
                return method(self, X, *args, **kwargs)
        finally:
            call_verbosity.reset(token)

    return cast(_Method, wrapper)  # the same signature: functools.wraps


class RetuneThreads(Callback):
    """skorch callback: choose the thread count again at each epoch, as the machine's load changes.

    With ``retune=False`` (``n_threads`` given) it only records. The count
    in force is recorded in each epoch's history (``"threads"``), since
    a seeded fit repeats bit for bit only on the same thread counts. The CPU
    use of other processes is measured over the previous epoch, so it adds
    no waiting.

    Parameters
    ----------
    retune : bool, default=True
    """

    def __init__(self, retune=True):
        self.retune = retune

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.n_rows_ = None if X is None else _rows(X)

    def on_epoch_begin(self, net, **kwargs):
        if self.retune and _scope.depth:
            _scope.retune(choose_threads(None, getattr(self, "n_rows_", None)))
        net.history.record("threads", torch.get_num_threads())
