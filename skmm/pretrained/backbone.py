"""A loaded pretrained network behind one call, and its stack of blocks.

:class:`Backbone` takes a modality's batch tensor as skmm carries it
(tokenized text ``(n, 2, L)``, images ``(n, C, H, W)``, raw waveforms
``(n, samples)``) and returns per-step states, their mask and one pooled
vector per sample; :func:`find_blocks` finds the blocks ``freeze=<int>``
trains. :mod:`skmm.pretrained.loading` builds backbones from the libraries.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

POOLINGS = ("auto", "mean", "cls", "pooler")
# Names under which libraries keep their stack of repeated blocks.
_BLOCK_CONTAINERS = ("layer", "layers", "blocks", "stages", "block")


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
