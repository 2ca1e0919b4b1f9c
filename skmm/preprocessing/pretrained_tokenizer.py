"""Text column -> a pretrained model's input ids and attention mask."""

from __future__ import annotations

import os
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..compose._columns import one_column_tags
from ..pretrained.loading import load_tokenizer
from ..utils.docstrings import fill_doc
from ..utils.sklearn_compat import _fit_context
from ..utils.spec_params import ON_MISSING, POSITIVE_INT
from ..utils.types import ColumnLike
from .presence import PresenceMixin, presence
from .text import read_texts, read_training_texts


class PretrainedTokenizer(PresenceMixin, TransformerMixin, BaseEstimator):
    """Tokenize a text column with a pretrained model's own tokenizer.

    The tokenizer is transformers' ``AutoTokenizer`` for ``name_or_path``
    (a model id or a local directory written by ``save_pretrained``); it
    adds the model's special tokens, truncates to ``max_len`` and pads.
    Both arrays the model reads travel in one integer array of shape
    ``(n_samples, 2, max_len)``: ``[:, 0]`` holds the input ids and
    ``[:, 1]`` the attention mask (1 for a real token). skmm's networks
    recognise that shape as *tokenized* text and feed it to a
    :class:`skmm.encoders.Pretrained` encoder of the same model.

    The tokenizer is not stored in the fitted object (it is loaded again,
    and memoised, when needed), so the transformer pickles small and saves
    with :meth:`~skmm.MultimodalClassifier.save_params`.

    Parameters
    ----------
    name_or_path : str or path
        Model id or local directory. A directory, or any name when
        ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` is set, loads without
        the network.
    max_len : int, default=128
        Tokens per row, special tokens included: longer texts are truncated,
        shorter ones padded.
    on_missing : {"error", "mask"}, default="error"
        A missing value (None/NaN) raises a ValueError naming the row, or
        with "mask" gives a row of padding with an all-zero attention mask
        (reported absent by ``transform_with_presence``), so the network
        treats the sample as lacking this modality. An empty string is a
        present text ([CLS] [SEP]).

    Attributes
    ----------
    vocab_size_ : int
        Size of the tokenizer's vocabulary (added tokens included).
    pad_token_id_ : int
        Id of the padding token.
    n_features_in_ : int
        Always 1 (one text column).

    Examples
    --------
    A tokenizer saved from a small vocabulary (usually a model id, or the
    folder a model was saved to):

    >>> import tempfile
    >>> from transformers import BertTokenizerFast
    >>> from skmm.preprocessing import PretrainedTokenizer
    >>> folder = tempfile.mkdtemp()
    >>> words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "cat", "sat"]
    >>> _ = BertTokenizerFast(vocab={w: i for i, w in enumerate(words)}).save_pretrained(folder)
    >>> encoded = PretrainedTokenizer(folder, max_len=6).fit_transform(["a cat sat", "a dog"])
    >>> encoded.shape
    (2, 2, 6)
    >>> encoded[:, 0]  # [CLS] ... [SEP], unknown words as [UNK], then padding
    array([[2, 5, 6, 7, 3, 0],
           [2, 5, 1, 3, 0, 0]])
    >>> encoded[:, 1]
    array([[1, 1, 1, 1, 1, 0],
           [1, 1, 1, 1, 0, 0]])
    """

    modality = "text"
    output_kind = "tokenized"

    _parameter_constraints: ClassVar[dict] = {
        "name_or_path": "no_validation",  # _tokenizer names a wrong kind, loading a wrong id
        "max_len": [POSITIVE_INT],
        "on_missing": [ON_MISSING],
    }

    def __init__(
        self, name_or_path: str | os.PathLike, *, max_len: int = 128, on_missing: Literal["error", "mask"] = "error"
    ) -> None:
        self.name_or_path = name_or_path
        self.max_len = max_len
        self.on_missing = on_missing

    def __sklearn_tags__(self):
        return one_column_tags(super().__sklearn_tags__(), self)

    def _tokenizer(self):
        if not isinstance(self.name_or_path, (str, os.PathLike)):
            raise TypeError(
                f"name_or_path must be a model id or a folder, got {type(self.name_or_path).__name__}."
            )
        return load_tokenizer(self.name_or_path)

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def fit(self, X: ColumnLike, y: object = None) -> PretrainedTokenizer:
        """Load the tokenizer and check the column.

        {texts_parameters}
        y : ignored

        Returns
        -------
        self : PretrainedTokenizer
        """
        tokenizer = self._tokenizer()
        column, _ = read_training_texts(X, self)
        self.vocab_size_ = len(tokenizer)
        self.pad_token_id_ = int(tokenizer.pad_token_id)
        column.record_input(self)
        return self

    @fill_doc
    def transform(self, X: ColumnLike) -> np.ndarray:
        """Token ids and attention masks.

        {texts_parameters}

        Returns
        -------
        encoded : ndarray of shape (n_samples, 2, max_len), dtype int64
            ``[:, 0]`` input ids, ``[:, 1]`` attention mask.
        """
        return self.transform_with_presence(X)[0]

    def transform_with_presence(self, X: ColumnLike) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`transform`, with the bool mask of the rows present: an empty string is, None/NaN is not."""
        check_is_fitted(self, "vocab_size_")
        _, texts = read_texts(X, self)
        out = np.zeros((len(texts), 2, self.max_len), dtype=np.int64)
        out[:, 0] = self.pad_token_id_
        rows = [i for i, text in enumerate(texts) if text is not None]
        if rows:
            encoded = self._tokenizer()(
                [texts[i] for i in rows], padding="max_length", truncation=True,
                max_length=self.max_len, return_tensors="np",
            )
            out[rows, 0] = encoded["input_ids"]
            out[rows, 1] = encoded["attention_mask"]
        return out, presence(texts)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names of the flattened output: ``input_ids_<i>`` then ``attention_mask_<i>``."""
        check_is_fitted(self, "vocab_size_")
        return np.array(
            [f"{part}_{i}" for part in ("input_ids", "attention_mask") for i in range(self.max_len)],
            dtype=object,
        )
