"""``Pretrained``: a pretrained network (transformers, timm, torchvision) as a modality's encoder."""

from __future__ import annotations

import os

from .encoders import EncoderSpec
from ._pretrained_loading import POOLINGS, SOURCES, load_backbone
from ._pretrained_module import PretrainedEncoder, check_freeze


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
        folds and ``predict`` (see :mod:`skmm._feature_cache`). False: the
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

    def __init__(
        self, name, source="transformers", weights=None, freeze=True, *, pooling="auto",
        hidden_size=None, dropout=None, normalize=True,
    ):
        self.name = name
        self.source = source
        self.weights = weights
        self.freeze = freeze
        self.pooling = pooling
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.normalize = normalize

    def build(self, info, *, hidden_size, dropout):
        if not isinstance(self.name, (str, os.PathLike)):
            raise TypeError(f"Pretrained: name must be a model id or a folder, got {type(self.name).__name__}.")
        if self.source not in SOURCES:
            raise ValueError(f"Pretrained: source must be one of {list(SOURCES)}, got {self.source!r}.")
        if self.pooling not in POOLINGS:
            raise ValueError(f"Pretrained: pooling must be one of {list(POOLINGS)}, got {self.pooling!r}.")
        check_freeze(self.freeze)
        backbone = load_backbone(
            self.name, self.source, self.weights, info.kind, pooling=self.pooling, normalize=self.normalize
        )
        settings = (type(self).__name__, os.fspath(self.name), self.source, self.pooling, bool(self.normalize))
        return PretrainedEncoder(
            backbone, self._size(hidden_size), dropout=self._dropout(dropout), freeze=self.freeze,
            settings=settings,
        )
