"""Where a fit's time goes, measured from outside the library (helper of profile_fit.py).

:class:`FitProfiler` is a skorch callback. At ``on_train_begin`` it puts
forward pre/post hooks on the network's parts (each encoder, the fusion,
the fused head, each balance member's head, each linear part), step
pre/post hooks on the optimizers, and per-instance wrappers on the skorch
net's ``notify``, ``run_single_epoch``, ``get_iterator`` (the DataLoader's
``next`` and each dataset's ``__getitems__``), ``train_step``,
``train_step_single``, ``validation_step``, ``infer`` and ``get_loss``; at
``on_train_end`` it takes them all off again, so the fitted estimator is as
it would be without it.

Every timer is *exclusive*: a part's time excludes the timed parts it calls
(an encoder inside ``infer``, the closure's forward inside an optimizer's
``step``), so the parts add up to the whole without double counting. Hence
``backward`` is ``train_step_single`` less its forward and loss (skorch's
``loss.backward()``), and the optimizer step is the step less any closure
it runs. Times are keyed by (stage, phase, part): stage is the balance
option's stage (``staged``: ``stage 1`` while a modality member trains,
``stage 2`` once every member is frozen and the fusion trains), phase is
``train`` / ``valid`` (inside skorch's ``run_single_epoch``), ``epoch``
(epoch callbacks), ``setup`` and ``end``.

CPU only: on a GPU the timers would need ``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager

from skorch.callbacks import Callback

#: The skorch net methods wrapped per instance, and the part each one's own time counts as.
NET_METHODS = {
    "train_step": "train step: other (zero_grad, glue)",
    "train_step_single": "backward",
    "validation_step": "validation step: other",
    "infer": "forward: other (balance output, glue)",
    "get_loss": "loss",
}


class FitProfiler(Callback):
    """A skorch callback that times the parts of a fit (see the module docstring).

    After the fit, :attr:`totals_` maps ``(stage, phase, part)`` to
    seconds, :attr:`batches_` ``(stage, phase)`` to batch counts,
    :attr:`epochs_` stage to epoch counts, :attr:`threads_` the torch
    threads seen at each epoch's start, :attr:`train_begin_` /
    :attr:`train_end_` the ``perf_counter`` at those events.
    """

    def initialize(self):
        self.totals_ = defaultdict(float)
        self.batches_ = defaultdict(int)
        self.epochs_ = defaultdict(int)
        self.threads_ = set()
        self.train_begin_ = self.train_end_ = None
        self._stack, self._handles, self._wrapped, self._datasets = [], [], [], set()
        self._stage, self._phase = "setup", "setup"
        return self

    # -- the timer stack -------------------------------------------------
    def enter(self, part):
        self._stack.append([part, time.perf_counter(), 0.0, (self._stage, self._phase)])

    def exit(self, part):
        # A hook that never fired its exit (an exception inside a forward) leaves its frame: drop it.
        while self._stack and self._stack[-1][0] != part:
            self._stack.pop()
        if not self._stack:
            return
        _, start, children, (stage, phase) = self._stack.pop()
        elapsed = time.perf_counter() - start
        self.totals_[(stage, phase, part)] += elapsed - children
        if self._stack:
            self._stack[-1][2] += elapsed

    @contextmanager
    def timing(self, part):
        self.enter(part)
        try:
            yield
        finally:
            self.exit(part)

    def stage_of(self, net):
        balance = getattr(net.module_, "balance", None)
        if balance is None:
            return "single stage"
        if type(balance).__name__ == "StagedModule":
            return "stage 2 (fusion)" if balance.uses_fusion else "stage 1 (modality members)"
        return "joint"

    # -- installing and removing ------------------------------------------
    def _hook_module(self, module, part):
        self._handles.append(module.register_forward_pre_hook(lambda m, args: self.enter(part)))
        self._handles.append(module.register_forward_hook(lambda m, args, out: self.exit(part)))

    def _wrap(self, obj, name, wrapper):
        original = getattr(obj, name)
        had_own = name in vars(obj)
        setattr(obj, name, wrapper(original))
        self._wrapped.append((obj, name, original if had_own else None))

    def _timed(self, part, count=None):
        def wrapper(original):
            def timed(*args, **kwargs):
                if count is not None:
                    self.batches_[(self._stage, count)] += 1
                with self.timing(part):
                    return original(*args, **kwargs)
            return timed
        return wrapper

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.train_begin_ = time.perf_counter()
        module = net.module_
        for name, encoder in module.encoders.items():
            self._hook_module(encoder, f"encoder: {name}")
        if getattr(module, "fusion", None) is not None:
            self._hook_module(module.fusion, "fusion")
        if getattr(module, "head", None) is not None:
            self._hook_module(module.head, "head (fused)")
        balance = getattr(module, "balance", None)
        for name, head in getattr(balance, "heads", {}).items():
            self._hook_module(head, f"head: {name} (balance member)")
        for name, linear in getattr(module, "wide", {}).items():
            self._hook_module(linear, f"wide: {name}")
        for optimizer in (getattr(net, "optimizer_", None), getattr(net, "wide_optimizer_", None)):
            if optimizer is not None:
                self._handles.append(optimizer.register_step_pre_hook(lambda o, a, k: self.enter("optimizer step")))
                self._handles.append(optimizer.register_step_post_hook(lambda o, a, k: self.exit("optimizer step")))
        for method, part in NET_METHODS.items():
            count = {"train_step": "train", "validation_step": "valid"}.get(method)
            self._wrap(net, method, self._timed(part, count))
        self._wrap(net, "notify", self._notify_wrapper(net))
        self._wrap(net, "run_single_epoch", self._epoch_wrapper)
        self._wrap(net, "get_iterator", self._iterator_wrapper)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.train_end_ = time.perf_counter()
        for handle in self._handles:
            handle.remove()
        for obj, name, original in reversed(self._wrapped):
            if original is None:
                vars(obj).pop(name, None)  # back to the class's method
            else:
                setattr(obj, name, original)
        self._handles, self._wrapped, self._datasets = [], [], set()

    # -- the wrappers -------------------------------------------------------
    def _notify_wrapper(self, net):
        def wrapper(original):
            def notify(method_name, **cb_kwargs):
                if method_name == "on_epoch_begin":
                    self._stage, self._phase = self.stage_of(net), "epoch"
                    self.epochs_[self._stage] += 1
                    self.threads_.add(_torch_threads())
                elif method_name == "on_train_end":
                    self._phase = "end"
                with self.timing("callbacks"):
                    return original(method_name, **cb_kwargs)
            return notify
        return wrapper

    def _epoch_wrapper(self, original):
        def run_single_epoch(iterator, training, prefix, step_fn, **fit_params):
            self._phase = "train" if training else "valid"
            try:
                with self.timing("pass: batch loop (history, batch callbacks)"):
                    return original(iterator, training, prefix, step_fn, **fit_params)
            finally:
                self._phase = "epoch"
        return run_single_epoch

    def _iterator_wrapper(self, original):
        def get_iterator(dataset, training=False):
            self._wrap_getitems(dataset)
            return TimedIterable(original(dataset, training=training), self)
        return get_iterator

    def _wrap_getitems(self, dataset):
        """Time each level's ``__getitems__`` (torch's fetcher calls it as an attribute, so an instance's own works)."""
        while dataset is not None:
            if callable(getattr(dataset, "__getitems__", None)) and id(dataset) not in self._datasets:
                part = f"batch assembly: {type(dataset).__name__}.__getitems__"
                self._wrap(dataset, "__getitems__", self._timed(part))
                self._datasets.add(id(dataset))
            dataset = getattr(dataset, "dataset", None)  # a Subset's underlying dataset


class TimedIterable:
    """A DataLoader whose ``iter`` and each ``next`` count as batch assembly."""

    def __init__(self, loader, profiler):
        self.loader, self.profiler = loader, profiler

    def __len__(self):
        return len(self.loader)

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def __iter__(self):
        part = "batch assembly: DataLoader"
        with self.profiler.timing(part):
            iterator = iter(self.loader)
        while True:
            with self.profiler.timing(part):
                try:
                    batch = next(iterator)
                except StopIteration:
                    return
            yield batch


def _torch_threads():
    import torch

    return torch.get_num_threads()
