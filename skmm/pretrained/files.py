"""Where pretrained models come from: the offline rule, tokenizers and weights files.

Nothing is downloaded when it need not be: a local directory loads with
``local_files_only=True``, and so does every name when ``HF_HUB_OFFLINE`` or
``TRANSFORMERS_OFFLINE`` is set. Weights files are read with safetensors or
``torch.load(weights_only=True)``; no loader is asked to run remote code.
The libraries are imported lazily (:func:`require`): skmm imports without them.
"""

from __future__ import annotations

import os
from functools import lru_cache

import torch

from ..utils.bounded import open_bounded, read_bounded
from ..utils.errors import MediaError

_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def offline() -> bool:
    """True when the environment asks Hugging Face libraries not to use the network."""
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in _OFFLINE_VARS)


def local_files_only(name) -> bool:
    """Load ``name`` from disk only: it is a local directory, or the user is offline."""
    return offline() or os.path.isdir(os.fspath(name))


def require(package, extra="pretrained"):
    """Import ``package``, or say which extra to install."""
    try:
        return __import__(package)
    except ImportError as exc:
        raise ImportError(
            f"{package} is needed for this pretrained model: pip install 'skmm[{extra}]' "
            f"(or pip install {package}). ({exc})"
        ) from None


def _stamp(name):
    """Modification time of a local directory, so an overwritten model reloads."""
    path = os.fspath(name)
    return os.stat(path).st_mtime_ns if os.path.isdir(path) else None


def load_error(what, name, exc):
    """The ValueError for a model that would not load, with the offline hint when it applies."""
    hint = (
        " The environment is offline (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE): give a local "
        "directory written by save_pretrained, or a name already in the cache."
        if offline() else ""
    )
    return ValueError(f"could not load the {what} {name!r}: {exc}{hint}")


def load_tokenizer(name):
    """The transformers tokenizer of ``name`` (a model id or a local directory), memoised."""
    return _tokenizer(os.fspath(name), local_files_only(name), _stamp(name))


@lru_cache(maxsize=8)
def _tokenizer(name, local_only, stamp):
    transformers = require("transformers")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, local_files_only=local_only)
    except (OSError, ValueError, KeyError) as exc:
        raise load_error("tokenizer", name, exc) from None
    if tokenizer.pad_token is None:
        # Decoder-only tokenizers (GPT-2) have no padding token; the attention mask hides it anyway.
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def read_weights(path):
    """A state dict from a safetensors or torch file; loading runs no code.

    The file is read under the "weights" cap (``skmm.preprocessing.file_limits``).
    """
    path = os.fspath(path)
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load

            return load(read_bounded(path, "weights"))
        with open_bounded(path, "weights") as f:
            state = torch.load(f, map_location="cpu", weights_only=True)
    except MediaError as exc:  # missing, not a regular file, or over the cap
        raise ValueError(f"{exc}.") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"weights file {path!r} holds a {type(state).__name__}, not a state dict.")
    return state


def load_state(model, weights, name):
    where = f"weights file {os.fspath(weights)!r} does not fit {name!r}"
    try:
        # Extra entries (a classifier head the backbone drops) are fine.
        missing, _ = model.load_state_dict(read_weights(weights), strict=False)
    except RuntimeError as exc:  # shapes that differ
        raise ValueError(f"{where}: {str(exc).splitlines()[-1].strip()}") from None
    if missing:
        # Entries missing from the backbone itself would leave it half random.
        raise ValueError(f"{where}: {len(missing)} missing entries (e.g. {missing[:3]}).")

