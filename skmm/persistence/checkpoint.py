"""Checkpoints that are written atomically, checked on resume and resume exactly.

One file per checkpoint folder, ``checkpoint.pt``, holds everything a
resumed fit needs: weights, optimizer state, history, the fit's generator
states (so the random stream continues where it stopped), the state of
learning-rate schedules and early stopping, and the configuration of the
fit that wrote it. It is written to a temporary file in the same folder,
flushed to disk and renamed over the old one (``os.replace``), so a kill
mid-write leaves the previous checkpoint whole; any failure to write raises.
It is read with ``torch.load(weights_only=True)``: no code runs.
"""

from __future__ import annotations

import json
import os
import tempfile

import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from skorch.history import History

from ..compose._columns import MediaError
from .config import first_difference, short
from .torch_files import load_archive

FILE = "checkpoint.pt"
FORMAT = "skmm-checkpoint-1"
# What skmm < this format wrote (skorch's Checkpoint): not resumable exactly.
_OLD_FILES = ("params.pt", "optimizer.pt", "history.json")


# The fit's generators (its own random stream, skmm.estimators.seeding) as a checkpoint keeps them.
def generator_states(net):
    """The fit's generator states (CPU, and CUDA when used) as tensors."""
    states = {"cpu": net.random_generator.get_state()}
    if net.cuda_generator is not None:
        states["cuda"] = net.cuda_generator.get_state()
    return states


def set_generator_states(net, states):
    """Restore what :func:`generator_states` returned."""
    net.random_generator.set_state(states["cpu"])
    if net.cuda_generator is not None and "cuda" in states:
        net.cuda_generator.set_state(states["cuda"])


def _advice(dirname):
    return f"delete {os.fspath(dirname)!r} to start over, or pass another checkpoint_dir"


def check_writable(dirname):
    """Create ``dirname`` if needed and prove a file can be written there.

    Raises
    ------
    ValueError
        Naming the folder and the reason, before any training.
    """
    dirname = os.fspath(dirname)
    try:
        os.makedirs(dirname, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=dirname, prefix=".skmm-probe-") as probe:
            probe.write(b"0")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise ValueError(
            f"checkpoint_dir {dirname!r} is not a writable folder ({exc.strerror or exc}); "
            "pass a folder you can write to, or checkpoint_dir=None."
        ) from None


def atomic_save(obj, path):
    """``torch.save(obj)`` to ``path`` through a temporary file and a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OSError(
            exc.errno, f"could not write the checkpoint {path!r} ({exc.strerror or exc}); "
            "free space or choose another checkpoint_dir"
        ) from exc
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def reason(exc, limit=160):
    """A one-line account of ``exc`` for a message (torch's own can run to a page)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _callback_states(net):
    states = {}
    for name, callback in net.callbacks_:
        if isinstance(callback, LRScheduler) and getattr(callback, "lr_scheduler_", None) is not None:
            states[name] = {"scheduler": callback.lr_scheduler_.state_dict(), "batch_idx_": callback.batch_idx_}
        elif isinstance(callback, EarlyStopping) and hasattr(callback, "misses_"):
            # Before a first improvement skorch has set no best epoch (and no threshold) yet.
            threshold = getattr(callback, "dynamic_threshold_", None)
            states[name] = {
                "misses_": callback.misses_, "dynamic_threshold_": None if threshold is None else float(threshold),
                "best_epoch_": getattr(callback, "best_epoch_", None),
                "best_model_weights_": getattr(callback, "best_model_weights_", None),
            }
        elif hasattr(callback, "checkpoint_state"):
            # skmm's own callbacks with state (plain data and tensors), e.g. staged training's.
            states[name] = callback.checkpoint_state()
    return states


def _restore_callbacks(net, states):
    for name, callback in net.callbacks_:
        state = states.get(name)
        if state is None:
            continue
        if isinstance(callback, LRScheduler):
            callback.lr_scheduler_.load_state_dict(state["scheduler"])
            callback.batch_idx_ = state["batch_idx_"]
        elif isinstance(callback, EarlyStopping):
            for key, value in state.items():
                setattr(callback, key, value)
        elif hasattr(callback, "restore_checkpoint_state"):
            callback.restore_checkpoint_state(state)


def snapshot(net, config, seed, finished=False):
    """Everything a resumed fit needs, as data ``torch.load(weights_only=True)`` reads."""
    return {
        "format": FORMAT,
        "config": config,
        "seed": seed,
        "epochs": len(net.history),
        "finished": finished,
        "module": {k: v.detach().cpu() for k, v in net.module_.state_dict().items()},
        "optimizer": net.optimizer_.state_dict(),
        # The wide part's SGD (skmm.estimators.skorch_net), so a resumed fit equals an uninterrupted one.
        "wide_optimizer": net.wide_optimizer_.state_dict() if hasattr(net, "wide_optimizer_") else None,
        "generators": generator_states(net),
        "callbacks": _callback_states(net),
        "history": json.dumps(net.history.to_list()),
    }


class EpochCheckpoint(Callback):
    """Save a checkpoint after every epoch; restore one at the first resumed epoch.

    Parameters
    ----------
    dirname : str or path
        The checkpoint folder.
    config : dict
        The fit's configuration (``skmm.persistence.config.configuration``).
    seed : int
        The fit's seed (a resumed fit reuses it: validation split, sampling).
    """

    def __init__(self, dirname, config, seed):
        self.dirname = dirname
        self.config = config
        self.seed = seed
        self._pending = None

    @property
    def path(self):
        return os.path.join(os.fspath(self.dirname), FILE)

    def save(self, net, finished=False):
        atomic_save(snapshot(net, self.config, self.seed, finished), self.path)

    def on_epoch_end(self, net, **kwargs):
        self.save(net)

    def resume_later(self, state):
        """Re-apply ``state``'s optimizers and callbacks at the next epoch start, after ``on_train_begin``."""
        self._pending = state

    def on_epoch_begin(self, net, **kwargs):
        if self._pending is not None:
            state, self._pending = self._pending, None
            _restore_callbacks(net, state["callbacks"])
            # A schedule sets the learning rate when it is created: put the saved one back.
            _load_optimizers(net, state)


def _load_optimizers(net, state):
    net.optimizer_.load_state_dict(state["optimizer"])
    if state.get("wide_optimizer") is not None and hasattr(net, "wide_optimizer_"):
        net.wide_optimizer_.load_state_dict(state["wide_optimizer"])


def read(dirname, config, map_location="cpu"):
    """The checkpoint in ``dirname`` (checked against ``config``), or None if there is none.

    Raises
    ------
    ValueError
        If the folder holds a damaged checkpoint, one from an older skmm, or
        one written by a fit with another configuration; the message names
        the file, the difference and what to do.
    """
    path = os.path.join(os.fspath(dirname), FILE)
    if not os.path.exists(path):
        old = [name for name in _OLD_FILES if os.path.exists(os.path.join(os.fspath(dirname), name))]
        if old:
            raise ValueError(
                f"checkpoint_dir {os.fspath(dirname)!r} holds {old} from an older skmm checkpoint "
                f"that cannot be resumed exactly; {_advice(dirname)}."
            )
        return None
    try:
        state = load_archive(path, map_location, "checkpoint")
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"not an skmm checkpoint (format {FORMAT})")
        history = History(json.loads(state["history"]))
        if not isinstance(state["epochs"], int) or len(history) != state["epochs"]:
            raise ValueError("its history does not match its epoch count")
        if not isinstance(state["seed"], int) or isinstance(state["seed"], bool):
            raise ValueError("its seed is not an integer")
    except MediaError as exc:  # not a regular file, or over the cap: the message names it
        raise ValueError(f"{exc}; {_advice(dirname)}.") from None
    except Exception as exc:  # any failure to read it means the same thing to the user
        raise ValueError(
            f"the checkpoint {path!r} is damaged or not an skmm checkpoint "
            f"({reason(exc)}); {_advice(dirname)}."
        ) from None
    difference = first_difference(state.get("config"), config)
    if difference is not None:
        where, saved, current = difference
        raise ValueError(
            f"the checkpoint {path!r} was written by a fit with another configuration: "
            f"{where} is {short(saved)} there and {short(current)} here; {_advice(dirname)}."
        )
    state["history"] = history
    return state


def restore(net, state, callback):
    """Load a checkpoint's weights, optimizer, history and generators into ``net``."""
    try:
        net.module_.load_state_dict(state["module"])
        _load_optimizers(net, state)
        set_generator_states(net, state["generators"])
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise ValueError(
            f"the checkpoint {callback.path!r} does not fit this network ({exc}); "
            f"{_advice(callback.dirname)}."
        ) from None
    net.history = state["history"]
    callback.resume_later(state)
