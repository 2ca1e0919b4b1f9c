"""Loading pretrained networks and tokenizers from transformers, timm and torchvision.

Every source ends in a :class:`Backbone`: one ``nn.Module`` that takes a
modality's batch tensor as skmm carries it (tokenized text ``(n, 2, L)``,
images ``(n, C, H, W)``, raw waveforms ``(n, samples)``) and returns per-step
states, their mask and one pooled vector per sample. The libraries are
imported lazily: skmm imports without them. Where models come from (the
offline rule, weights files) is :mod:`skmm.pretrained.files`; the backbone
itself :mod:`skmm.pretrained.backbone`.
"""

from __future__ import annotations

import torch
from torch import nn

from .backbone import POOLINGS, Backbone, find_blocks
from .files import load_error, load_state, load_tokenizer, local_files_only, require

__all__ = [
    "SOURCES", "POOLINGS", "Backbone", "find_blocks", "load_backbone", "load_tokenizer", "local_files_only",
]

SOURCES = ("transformers", "timm", "torchvision")
# ImageNet statistics: what timm, torchvision and most image processors use.
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


# -- transformers -----------------------------------------------------------
def _transformers_model(name, weights):
    transformers = require("transformers")
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
        raise load_error("transformers model", name, exc) from None
    finally:
        if shown:
            progress.enable_progress_bar()
    if weights is not None:
        load_state(model, weights, name)
    return model


def _image_statistics(name):
    """(mean, std) from the image processor saved beside ``name``, else ImageNet's."""
    transformers = require("transformers")
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
    timm = require("timm")
    _check_kind(name, "image", kind)
    try:
        model = timm.create_model(name, pretrained=weights is None, num_classes=0)
    except (RuntimeError, OSError, ValueError) as exc:
        raise load_error("timm model", name, exc) from None
    if weights is not None:
        load_state(model, weights, name)
    config = getattr(model, "pretrained_cfg", {}) or {}
    mean = tuple(config.get("mean", IMAGENET_MEAN)) if normalize else None
    std = tuple(config.get("std", IMAGENET_STD)) if normalize else None
    size = tuple(config["input_size"][1:]) if "input_size" in config else None
    return Backbone(model, "image", _run_timm, pooling=pooling, mean=mean, std=std, image_size=size, channels=3)


def _run_plain(model, x, mask):
    pooled = model(x)
    return pooled.unsqueeze(1), pooled


def _torchvision_backbone(name, weights, kind, pooling, normalize):
    torchvision = require("torchvision")
    _check_kind(name, "image", kind)
    try:
        model = torchvision.models.get_model(name, weights=None if weights is not None else "DEFAULT")
    except (RuntimeError, OSError, ValueError) as exc:
        raise load_error("torchvision model", name, exc) from None
    if weights is not None:
        load_state(model, weights, name)
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
