"""Loading pretrained networks and tokenizers from transformers, timm and torchvision.

Every source ends in a :class:`Backbone`: one ``nn.Module`` that takes a
modality's batch tensor as skmm carries it (tokenized text ``(n, 2, L)``,
images ``(n, C, H, W)``, raw waveforms ``(n, samples)``) and returns per-step
states, their mask and one pooled vector per sample. The libraries are
imported here, lazily: skmm imports without them.

Nothing is downloaded when it need not be: a local directory loads with
``local_files_only=True``, and so does every name when ``HF_HUB_OFFLINE`` or
``TRANSFORMERS_OFFLINE`` is set. Weights files are read with safetensors or
``torch.load(weights_only=True)``; no loader is asked to run remote code.
"""

from __future__ import annotations

import os
from functools import lru_cache

import torch
from torch import nn
from torch.nn import functional as F

SOURCES = ("transformers", "timm", "torchvision")
POOLINGS = ("auto", "mean", "cls", "pooler")
# ImageNet statistics: what timm, torchvision and most image processors use.
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# Names under which libraries keep their stack of repeated blocks.
_BLOCK_CONTAINERS = ("layer", "layers", "blocks", "stages", "block")
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def offline() -> bool:
    """True when the environment asks Hugging Face libraries not to use the network."""
    return any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on") for v in _OFFLINE_VARS)


def local_files_only(name) -> bool:
    """Load ``name`` from disk only: it is a local directory, or the user is offline."""
    return offline() or os.path.isdir(os.fspath(name))


def _import(package, extra="pretrained"):
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


def _load_error(what, name, exc):
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
    transformers = _import("transformers")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name, local_files_only=local_only)
    except (OSError, ValueError, KeyError) as exc:
        raise _load_error("tokenizer", name, exc) from None
    if tokenizer.pad_token is None:
        # Decoder-only tokenizers (GPT-2) have no padding token; the attention mask hides it anyway.
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def _read_weights(path):
    """A state dict from a safetensors or torch file; loading runs no code."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"weights file {path!r} does not exist.")
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"weights file {path!r} holds a {type(state).__name__}, not a state dict.")
    return state


def _load_state(model, weights, name):
    where = f"weights file {os.fspath(weights)!r} does not fit {name!r}"
    try:
        # Extra entries (a classifier head the backbone drops) are fine.
        missing, _ = model.load_state_dict(_read_weights(weights), strict=False)
    except RuntimeError as exc:  # shapes that differ
        raise ValueError(f"{where}: {str(exc).splitlines()[-1].strip()}") from None
    if missing:
        # Entries missing from the backbone itself would leave it half random.
        raise ValueError(f"{where}: {len(missing)} missing entries (e.g. {missing[:3]}).")


# -- transformers -----------------------------------------------------------
def _transformers_model(name, weights):
    transformers = _import("transformers")
    local_only = local_files_only(name)
    progress = transformers.utils.logging
    shown = progress.is_progress_bar_enabled()
    # The per-tensor loading bar is noise beside the estimator's own progress
    # (silenced with verbose=0); download bars belong to huggingface_hub and stay.
    progress.disable_progress_bar()
    try:
        config = transformers.AutoConfig.from_pretrained(name, local_files_only=local_only)
        if weights is not None:
            model = transformers.AutoModel.from_config(config)
        else:
            model = transformers.AutoModel.from_pretrained(name, local_files_only=local_only)
    except (OSError, ValueError, KeyError) as exc:
        raise _load_error("transformers model", name, exc) from None
    finally:
        if shown:
            progress.enable_progress_bar()
    if weights is not None:
        _load_state(model, weights, name)
    return model


def _image_statistics(name):
    """(mean, std) from the image processor saved beside ``name``, else ImageNet's."""
    transformers = _import("transformers")
    try:
        processor = transformers.AutoImageProcessor.from_pretrained(
            name, local_files_only=local_files_only(name)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return IMAGENET_MEAN, IMAGENET_STD
    mean = getattr(processor, "image_mean", None) or IMAGENET_MEAN
    std = getattr(processor, "image_std", None) or IMAGENET_STD
    return tuple(mean), tuple(std)


def _pick_tower(model, kind):
    """A two-tower model (CLIP) -> the tower for ``kind``."""
    tower = {"image": "vision_model", "tokenized": "text_model"}.get(kind)
    if tower and hasattr(model, tower):
        return getattr(model, tower)
    return model


_INPUTS = {"input_ids": "tokenized", "pixel_values": "image", "input_values": "vector"}


class Backbone(nn.Module):
    """A pretrained network behind one call: batch -> (states, mask, pooled).

    Parameters
    ----------
    model : nn.Module
        The network (its classification head removed).
    kind : {"tokenized", "image", "vector"}
        The skmm kind it reads: tokenized text, images, or raw waveforms.
    run : callable
        ``run(model, x, mask) -> (states (n, S, D), pooler output or None)``.
    pooling : {"auto", "mean", "cls", "pooler"}
        How states become one vector: "mean" of the real steps, the first
        ("cls") step, or the model's own "pooler" output; "auto" is "mean"
        for text and audio and the pooler output (else the mean) for images.
    mean, std : tuple of float or None
        Per-channel statistics images are standardised with (images must
        then arrive in [0, 1]); None leaves them as they are.
    image_size : tuple of int or None
        (H, W) the model needs; other sizes are resized (bilinear).
    channels : int or None
        Channels the model reads; one-channel images are repeated to 3.
    """

    def __init__(self, model, kind, run, *, pooling="auto", mean=None, std=None, image_size=None, channels=None):
        super().__init__()
        self.model = model
        self.kind = kind
        self._run = run
        self.pooling = pooling
        self.image_size = image_size
        self.channels = channels
        if mean is not None:
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1), persistent=False)
        else:
            self.mean = self.std = None
        self.vocab_size = _vocab_size(model) if kind == "tokenized" else None

    def prepare(self, x):
        """The model's input tensor and step mask from skmm's batch tensor."""
        if self.kind == "tokenized":
            ids, mask = x[:, 0], x[:, 1]
            if self.vocab_size is not None and ids.numel() and int(ids.max()) >= self.vocab_size:
                raise ValueError(
                    f"token id {int(ids.max())} is outside the model's vocabulary of "
                    f"{self.vocab_size}: tokenize with the model's own tokenizer "
                    "(PretrainedTokenizer with the same name)."
                )
            return ids, mask.bool()
        if self.kind == "image":
            if self.channels == 3 and x.shape[1] == 1:
                x = x.expand(-1, 3, -1, -1)
            if self.image_size is not None and tuple(x.shape[-2:]) != tuple(self.image_size):
                x = F.interpolate(x, size=tuple(self.image_size), mode="bilinear", align_corners=False)
            if self.mean is not None:
                if x.numel() and float(x.min()) < -1e-3:
                    raise ValueError(
                        "images hold negative values, but this pretrained model standardises "
                        "images in [0, 1] with its own statistics: load them with "
                        "ImageLoader(normalize=False), or pass normalize=False to Pretrained "
                        "when they are already standardised."
                    )
                x = (x - self.mean) / self.std
        return x, None

    def forward(self, x):
        inputs, mask = self.prepare(x)
        states, pooler = self._run(self.model, inputs, mask)
        if states.ndim == 4:  # a convolutional feature map: one step per region
            states = states.flatten(2).transpose(1, 2)
        if mask is None or mask.shape[1] != states.shape[1]:
            mask = torch.ones(states.shape[:2], dtype=torch.bool, device=states.device)
        return states, mask, self._pool(states, mask, pooler)

    def _pool(self, states, mask, pooler):
        pooling = self.pooling
        if pooling == "auto":
            pooling = "pooler" if self.kind == "image" and pooler is not None else "mean"
        if pooling == "pooler":
            if pooler is None:
                raise ValueError("pooling='pooler': this model has no pooler output; use 'mean' or 'cls'.")
            return pooler.flatten(1)
        if pooling == "cls":
            return states[:, 0]
        weights = mask.unsqueeze(-1).to(states.dtype)
        return (states * weights).sum(1) / weights.sum(1).clamp(min=1)


def _vocab_size(model):
    embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
    return getattr(embeddings, "num_embeddings", None)


def _run_transformers(model, x, mask):
    name = model.main_input_name
    kwargs = {name: x}
    if mask is not None:
        kwargs["attention_mask"] = mask.long()
    out = model(**kwargs)
    return out.last_hidden_state, getattr(out, "pooler_output", None)


def _transformers_backbone(name, weights, kind, pooling, normalize):
    model = _pick_tower(_transformers_model(name, weights), kind)
    reads = _INPUTS.get(getattr(model, "main_input_name", None))
    if reads is None:
        raise ValueError(
            f"{name!r} ({type(model).__name__}) reads {model.main_input_name!r}; skmm feeds "
            f"transformers models input ids, pixel values or raw waveforms."
        )
    _check_kind(name, reads, kind)
    mean = std = size = None
    if kind == "image":
        if normalize:
            mean, std = _image_statistics(name)
        size = getattr(model.config, "image_size", None)
        if isinstance(size, int):
            size = (size, size)
    channels = getattr(model.config, "num_channels", None)
    return Backbone(model, kind, _run_transformers, pooling=pooling, mean=mean, std=std,
                    image_size=size, channels=channels)


def _check_kind(name, reads, kind):
    if reads != kind:
        what = {"tokenized": "tokenized text (PretrainedTokenizer's output)",
                "image": "images (n, C, H, W)", "vector": "raw waveforms (n, samples)"}
        raise ValueError(
            f"pretrained model {name!r} reads {what[reads]}, but the modality holds {what.get(kind, kind)}."
        )


# -- timm and torchvision ---------------------------------------------------
def _run_timm(model, x, mask):
    features = model.forward_features(x)
    return features, model.forward_head(features, pre_logits=True)


def _timm_backbone(name, weights, kind, pooling, normalize):
    timm = _import("timm")
    _check_kind(name, "image", kind)
    try:
        model = timm.create_model(name, pretrained=weights is None, num_classes=0)
    except (RuntimeError, OSError, ValueError) as exc:
        raise _load_error("timm model", name, exc) from None
    if weights is not None:
        _load_state(model, weights, name)
    config = getattr(model, "pretrained_cfg", {}) or {}
    mean = tuple(config.get("mean", IMAGENET_MEAN)) if normalize else None
    std = tuple(config.get("std", IMAGENET_STD)) if normalize else None
    size = tuple(config["input_size"][1:]) if "input_size" in config else None
    return Backbone(model, "image", _run_timm, pooling=pooling, mean=mean, std=std, image_size=size, channels=3)


def _run_plain(model, x, mask):
    pooled = model(x)
    return pooled.unsqueeze(1), pooled


def _torchvision_backbone(name, weights, kind, pooling, normalize):
    torchvision = _import("torchvision")
    _check_kind(name, "image", kind)
    try:
        model = torchvision.models.get_model(name, weights=None if weights is not None else "DEFAULT")
    except (RuntimeError, OSError, ValueError) as exc:
        raise _load_error("torchvision model", name, exc) from None
    if weights is not None:
        _load_state(model, weights, name)
    for head in ("fc", "heads", "classifier", "head"):
        if hasattr(model, head):
            setattr(model, head, nn.Identity())
            break
    mean, std = (IMAGENET_MEAN, IMAGENET_STD) if normalize else (None, None)
    if pooling not in ("auto", "pooler"):
        raise ValueError(f"torchvision models give one pooled vector; pooling={pooling!r} is not available.")
    return Backbone(model, "image", _run_plain, pooling="pooler", mean=mean, std=std, channels=3)


_LOADERS = {"transformers": _transformers_backbone, "timm": _timm_backbone, "torchvision": _torchvision_backbone}


def load_backbone(name, source, weights, kind, *, pooling="auto", normalize=True):
    """Load ``name`` from ``source`` as a :class:`Backbone` reading modality ``kind``."""
    if source not in _LOADERS:
        raise ValueError(f"source must be one of {list(SOURCES)}, got {source!r}.")
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {list(POOLINGS)}, got {pooling!r}.")
    # Real weights on the CPU even when the network is sized on the meta
    # device (a skeleton to check a params file): they are read, not drawn.
    with torch.device("cpu"):
        return _LOADERS[source](name, weights, kind, pooling, normalize)


def find_blocks(model):
    """The backbone's stack of repeated blocks (transformer layers, ResNet stages), in order.

    The container (``ModuleList``/``Sequential`` named ``layer``, ``layers``,
    ``blocks`` or ``stages``) holding the most parameters; torchvision's
    ResNets keep theirs as ``layer1`` ... ``layer4``.
    """
    best, best_size = None, 0
    for name, module in model.named_modules():
        if isinstance(module, (nn.ModuleList, nn.Sequential)) and name.rpartition(".")[2] in _BLOCK_CONTAINERS:
            size = sum(p.numel() for p in module.parameters())
            if size > best_size:
                best, best_size = list(module), size
    if best is None:
        numbered = sorted(
            (n for n, _ in model.named_children() if n.startswith("layer") and n[5:].isdigit()),
            key=lambda n: int(n[5:]),
        )
        best = [getattr(model, n) for n in numbered] or None
    if not best:
        raise ValueError(
            f"freeze=<int> trains the last blocks, but no stack of blocks was found in "
            f"{type(model).__name__}; use freeze=True or freeze=False."
        )
    return best
