"""Training through Hugging Face Accelerate (``pip install skmm[accelerate]``).

skorch's :class:`~skorch.hf.AccelerateMixin` on skmm's estimators: the same
parameters as :class:`~skmm.MultimodalClassifier` and
:class:`~skmm.MultimodalRegressor`, with devices, mixed precision and
distributed data parallelism left to an ``accelerate.Accelerator`` that
reads its settings from ``accelerate launch`` (or ``accelerate config``).
"""

from __future__ import annotations

from skorch.hf import AccelerateMixin

from .estimators import MultimodalClassifier, MultimodalRegressor
from .estimators.skorch_net import ModalityNet

__all__ = ["AcceleratedMultimodalClassifier", "AcceleratedMultimodalRegressor"]


class AcceleratedModalityNet(AccelerateMixin, ModalityNet):
    """skmm's skorch net, prepared and stepped by an ``Accelerator``."""

    def __setstate__(self, state):
        # The accelerator places the model, so ``device`` is None, which
        # skorch's unpickling reads as "unknown": it would warn on every load
        # and then map the tensors to the CPU anyway. Load onto the CPU and
        # hand placement back to the accelerator, as AccelerateMixin.load_params does.
        placed_by_accelerator = state["device"] is None
        if placed_by_accelerator:
            state["device"] = "cpu"
        super().__setstate__(state)
        if placed_by_accelerator:
            self.device = None


def _silent(*args, **kwargs):
    """A print sink that prints nothing (verbose=0)."""


class _Accelerated:
    def _net_class(self):
        from accelerate import Accelerator

        # device="cpu" keeps a launch on a GPU machine on the CPU; otherwise
        # the Accelerator places the model (one device per process).
        accelerator = Accelerator(cpu=str(self.device) == "cpu")
        # The mixin prints through the accelerator (main process only), which
        # skorch does not silence with verbose=0; choose the sink here.
        sink = accelerator.print if self.verbose else _silent
        return AcceleratedModalityNet, {
            "accelerator": accelerator, "device": None, "callbacks__print_log__sink": sink,
        }


class AcceleratedMultimodalClassifier(_Accelerated, MultimodalClassifier):
    """:class:`~skmm.MultimodalClassifier` trained through Accelerate.

    Run a script that fits it with ``accelerate launch --num_processes 4
    --mixed_precision fp16 train.py`` to train on 4 GPUs in mixed precision:
    each process gets ``batch_size`` rows per step, and only the main process
    should save (``if clf.net_.accelerator.is_main_process: ...``).

    Parameters
    ----------
    preprocessor, **params
        As :class:`~skmm.MultimodalClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDict
    >>> from skmm.accelerate import AcceleratedMultimodalClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = ModalityDict(a=rng.normal(size=(40, 3)).astype("float32"))
    >>> y = (X["a"][:, 0] > 0).astype(int)
    >>> clf = AcceleratedMultimodalClassifier(max_epochs=2, random_state=0, verbose=0).fit(X, y)
    >>> clf.predict(X).shape
    (40,)
    """


class AcceleratedMultimodalRegressor(_Accelerated, MultimodalRegressor):
    """:class:`~skmm.MultimodalRegressor` trained through Accelerate.

    Parameters
    ----------
    preprocessor, **params
        As :class:`~skmm.MultimodalRegressor`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDict
    >>> from skmm.accelerate import AcceleratedMultimodalRegressor
    >>> X = ModalityDict(a=np.linspace(0, 1, 30, dtype="float32")[:, None])
    >>> reg = AcceleratedMultimodalRegressor(max_epochs=2, random_state=0, verbose=0).fit(X, X["a"][:, 0])
    >>> reg.predict(X).shape
    (30,)
    """
