"""Pretrained networks (transformers, timm, torchvision) as encoders, frozen or fine-tuned.

:class:`Pretrained` is the parameter object; :class:`PretrainedEncoder` the
module it builds around a loaded backbone (:mod:`skmm.pretrained.loading`),
with the frozen-output cache of :mod:`skmm.pretrained.feature_cache`.
"""

from __future__ import annotations

import os
from numbers import Integral
from typing import Any, ClassVar

import torch
from torch import nn

from ..pretrained.backbone import Backbone
from ..pretrained.feature_cache import cached_rows, fingerprint
from ..pretrained.loading import POOLINGS, SOURCES, find_blocks, load_backbone
from ..utils.sklearn_compat import Interval, StrOptions
from ..utils.spec_params import POSITIVE_INT, PROBABILITY, or_default
from .base import EncoderModule, EncoderSpec


class Pretrained(EncoderSpec):
    """A pretrained network as a modality's encoder, frozen or fine-tuned.

    The network is loaded when the estimator is fitted (so the estimator
    itself stays small to clone and to grid-search); its pooled output goes
    through a trainable linear layer to ``hidden_size``. What it reads:

    * text: a transformers text encoder (BERT, RoBERTa, ...), fed by
      :class:`skmm.preprocessing.PretrainedTokenizer` with the same name;
    * images ``(n, C, H, W)``: transformers vision models (ResNet, ViT,
      ConvNeXt, CLIP's vision tower) and timm or torchvision models. They
      expect images in [0, 1] (``ImageLoader(normalize=False)``) and
      standardise them with the model's own statistics; images of another
      size are resized to the model's ``image_size`` when it has one;
    * raw waveforms ``(n, samples)``: transformers speech encoders
      (Wav2Vec2, HuBERT).

    Parameters
    ----------
    name : str or path
        Model id (``"bert-base-uncased"``, ``"resnet18"``) or, for
        transformers, a local directory written by ``save_pretrained``.
        Names load from the local cache, or download where there is
        network; a directory, or any name when ``HF_HUB_OFFLINE`` or
        ``TRANSFORMERS_OFFLINE`` is set, never touches the network.
    source : {"transformers", "timm", "torchvision"}, default="transformers"
    weights : str, path or None, default=None
        A local weights file (safetensors, or a torch state dict read with
        ``weights_only=True``) loaded over the architecture ``name``
        instead of its published weights.
    freeze : bool or int, default=True
        True: the network's weights stay fixed and its outputs are computed
        once per input row and reused across epochs, grid-search candidates,
        folds and ``predict`` (see :mod:`skmm.pretrained.feature_cache`). False: the
        whole network is fine-tuned. An int ``k``: only the last ``k``
        blocks (transformer layers, ResNet stages) and what follows them
        are trained.
    pooling : {"auto", "mean", "cls", "pooler"}, default="auto"
        One vector per sample from the last hidden states: their mean over
        real tokens/steps, the first token's, or the model's pooler output.
        "auto": the pooler output for images (the mean if the model has
        none), the mean for text and audio.
    hidden_size : int or None, default=None
        Size of the trainable projection (None: the estimator's).
    dropout : float or None, default=None
        Before the projection (None: the estimator's).
    normalize : bool, default=True
        Standardise images with the model's statistics (from the image
        processor saved beside it, else ImageNet's); False when they arrive
        already standardised.

    Examples
    --------
    A tiny BERT saved locally (real uses give a model id or a folder):

    >>> import tempfile
    >>> import pandas as pd
    >>> from transformers import BertConfig, BertModel, BertTokenizerFast
    >>> from skmm import ModalityTransformer, MultimodalClassifier
    >>> from skmm.encoders import Pretrained
    >>> from skmm.preprocessing import PretrainedTokenizer
    >>> folder = tempfile.mkdtemp()
    >>> words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "film", "plot"]
    >>> _ = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)}).save_pretrained(folder)
    >>> BertModel(BertConfig(vocab_size=9, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
    ...                      intermediate_size=32)).save_pretrained(folder)
    >>> X = pd.DataFrame({"review": ["good film", "bad plot", "good plot", "bad film"] * 5})
    >>> y = [1, 0, 1, 0] * 5
    >>> clf = MultimodalClassifier(
    ...     ModalityTransformer([("text", PretrainedTokenizer(folder, max_len=8), "review")]),
    ...     encoders={"text": Pretrained(folder, freeze=True)},
    ...     max_epochs=20, lr=1e-2, random_state=0, verbose=0).fit(X, y)
    >>> clf.score(X, y)
    1.0
    """

    kinds = ("tokenized", "image", "vector")
    _parameter_constraints: ClassVar[dict] = {
        "name": [str, os.PathLike],
        "source": [StrOptions(set(SOURCES))],
        "weights": [str, os.PathLike, None],
        "freeze": ["boolean", Interval(Integral, 0, None, closed="left")],
        "pooling": [StrOptions(set(POOLINGS))],
        "hidden_size": [POSITIVE_INT, None],
        "dropout": [PROBABILITY, None],
        "normalize": ["boolean"],
    }

    def __init__(
        self, name: str | os.PathLike, source: str = "transformers", weights: str | os.PathLike | None = None,
        freeze: bool | int = True, *, pooling: str = "auto", hidden_size: int | None = None,
        dropout: float | None = None, normalize: bool = True,
    ) -> None:
        self.name = name
        self.source = source
        self.weights = weights
        self.freeze = freeze
        self.pooling = pooling
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.normalize = normalize

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> PretrainedEncoder:
        backbone = load_backbone(
            self.name, self.source, self.weights, info.kind, pooling=self.pooling, normalize=self.normalize
        )
        settings = (type(self).__name__, os.fspath(self.name), self.source, self.pooling, bool(self.normalize))
        return PretrainedEncoder(
            backbone, or_default(self.hidden_size, hidden_size), dropout=or_default(self.dropout, dropout),
            freeze=self.freeze, settings=settings,
        )


def check_freeze(freeze):
    """``freeze`` must be a bool or an int >= 0 (blocks to train)."""
    if isinstance(freeze, bool):
        return
    if not isinstance(freeze, Integral) or freeze < 0:
        raise ValueError(
            f"freeze must be True, False or the number of last blocks to train (int >= 0), got {freeze!r}."
        )


class PretrainedEncoder(EncoderModule):
    """A :class:`~skmm.pretrained.backbone.Backbone` as an skmm encoder.

    The backbone's pooled vector goes through dropout and a trainable
    linear layer with ReLU to ``hidden_size`` (``output_dim``); its per-step
    states (text tokens, image patches or regions, audio frames) are what
    ``encode_steps`` gives cross-modal attention (``step_dim`` features).

    Parameters
    ----------
    backbone : Backbone
    hidden_size : int
        Output size.
    dropout : float
    freeze : bool or int
        True (or 0): no backbone weight trains and the backbone stays in
        eval mode; its outputs are cached per input row (see
        :mod:`skmm.pretrained.feature_cache`). False: everything trains. An int ``k``:
        only the last ``k`` blocks (and what follows them, such as a final
        norm) train; the rest is frozen and in eval mode.
    settings : tuple
        What, besides the weights, changes the backbone's outputs (name,
        pooling, normalisation); part of the cache key.

    Examples
    --------
    A tiny ViT saved locally, its last block trained:

    >>> import tempfile
    >>> import torch
    >>> from transformers import ViTConfig, ViTModel
    >>> from skmm.pretrained.loading import load_backbone
    >>> folder = tempfile.mkdtemp()
    >>> ViTModel(ViTConfig(image_size=32, patch_size=8, hidden_size=16, num_hidden_layers=2,
    ...                    num_attention_heads=2, intermediate_size=32)).save_pretrained(folder)
    >>> encoder = PretrainedEncoder(load_backbone(folder, "transformers", None, "image"), 8, freeze=1)
    >>> images = torch.rand(2, 3, 32, 32)
    >>> encoder(images).shape
    torch.Size([2, 8])
    >>> encoder.backbone_output(images).shape  # the pooled vector the projection reads
    torch.Size([2, 16])
    >>> encoder.encode_steps(images)[0].shape  # the class token and 16 patches
    torch.Size([2, 17, 16])
    >>> sorted({name.split(".")[1] for name, p in encoder.backbone.named_parameters() if p.requires_grad})
    ['layernorm', 'layers', 'pooler']
    """

    def __init__(
        self, backbone: Backbone, hidden_size: int, *, dropout: float = 0.0, freeze: bool | int = True,
        settings: tuple = (),
    ) -> None:
        super().__init__()
        check_freeze(freeze)
        self.backbone = backbone
        self.freeze = freeze
        self.settings = settings
        self.frozen = freeze is True or (freeze is not False and freeze == 0)
        self.trained_blocks = []
        with torch.no_grad(), torch.device("cpu"):  # sized by one real run, even in a meta skeleton
            states, _, pooled = backbone.eval()(self._example())
        self.step_dim = states.shape[-1]
        self.project = nn.Sequential(nn.Dropout(dropout), nn.Linear(pooled.shape[-1], hidden_size), nn.ReLU())
        self.output_dim = hidden_size
        self._fingerprint = None
        if freeze is not False:
            for parameter in backbone.parameters():
                parameter.requires_grad_(False)
        if not self.frozen and freeze is not False:
            blocks = find_blocks(backbone.model)
            if freeze > len(blocks):
                raise ValueError(f"freeze={freeze}: the backbone has only {len(blocks)} blocks.")
            self.trained_blocks = blocks[-freeze:]
            self._train_tail(blocks[-1])
        self.train()

    def _example(self):
        kind = self.backbone.kind
        if kind == "tokenized":
            return torch.ones(1, 2, 4, dtype=torch.int64)
        if kind == "image":
            size = self.backbone.image_size or (64, 64)
            return torch.full((1, self.backbone.channels or 3, *size), 0.5)
        return torch.zeros(1, 16000)

    def _train_tail(self, last_block):
        """Unfreeze the last blocks and every parameter registered after them."""
        for block in self.trained_blocks:
            for parameter in block.parameters():
                parameter.requires_grad_(True)
        last = {id(p) for p in last_block.parameters()}
        seen_last = False
        for parameter in self.backbone.parameters():
            if id(parameter) in last:
                seen_last = True
            elif seen_last:
                parameter.requires_grad_(True)

    def train(self, mode: bool = True) -> PretrainedEncoder:
        super().train(mode)
        if self.freeze is not False:
            self.backbone.eval()
            for block in self.trained_blocks:
                block.train(mode)
        return self

    def _load_from_state_dict(self, *args, **kwargs):
        self._fingerprint = None  # new weights: outputs cached for the old ones do not apply
        super()._load_from_state_dict(*args, **kwargs)

    @property
    def takes_trimmed_steps(self) -> bool:  # type: ignore[override]
        # Frozen outputs are cached row by row, keyed by the padded row.
        return not self.frozen

    def backbone_output(self, x: torch.Tensor, what: str = "pooled") -> torch.Tensor:
        """The backbone's pooled vectors ``(n, D)`` or states ``(n, S, step_dim)`` for a batch.

        What :meth:`forward` projects (``what="pooled"``) and
        :meth:`encode_steps` returns (``what="states"``), before any
        trainable layer of the encoder; computed once per input row and
        cached while the backbone is frozen (the cache is keyed by its
        weights, so loading other weights computes anew).
        """
        if what not in ("pooled", "states"):
            raise ValueError(f"what must be 'pooled' or 'states', got {what!r}.")
        index = 2 if what == "pooled" else 0

        def compute(rows):
            with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
                return self.backbone(rows)[index]

        # A traced graph (ONNX export) must run the backbone, not bake in cached rows.
        if not self.frozen or torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            return compute(x)
        if self._fingerprint is None:
            self._fingerprint = fingerprint(self.backbone, self.settings)
        with torch.no_grad():
            return cached_rows((self._fingerprint, what), x, compute)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.project(self.backbone_output(x, "pooled"))

    def encode_steps(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The backbone's last hidden states ``(n, S, step_dim)`` and their mask ``(n, S)``."""
        states = self.backbone_output(x, "states")
        if self.backbone.kind == "tokenized" and states.shape[1] == x.shape[-1]:
            mask = x[:, 1].bool()
        else:
            mask = torch.ones(states.shape[:2], dtype=torch.bool, device=states.device)
        return states, mask
