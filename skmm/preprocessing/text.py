"""Text column -> padded token ids."""

from __future__ import annotations

from collections import Counter
from numbers import Integral
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.utils.validation import check_is_fitted

from ..compose._columns import Column, one_column_tags
from ..utils.docstrings import fill_doc
from ..utils.sklearn_compat import StrOptions, _fit_context
from ..utils.spec_params import ON_MISSING, POSITIVE_INT
from ..utils.types import ColumnLike
from ._text_cells import as_text
from ._token_stream import token_stream
from .presence import PresenceMixin, presence
from .subwords import SubwordRows, learn_subwords

PAD_ID = 0
UNKNOWN_ID = 1


def read_texts(X, owner, then=None):
    """(Column, values): a text column's strings (``then`` applied), None where missing.

    Any str is text (surrogates repaired, :func:`._text_cells.as_text`) and
    UTF-8 bytes are decoded; another value raises a TypeError naming its row;
    missing values follow ``owner.on_missing``.
    """
    column = Column(X, type(owner).__name__)

    def text(value):
        value = as_text(value)
        return value if then is None else then(value)

    return column, column.decode(text, "text", owner.on_missing)


def read_training_texts(X, owner, then=None):
    """:func:`read_texts` for ``fit``: at least one row, and not every text missing."""
    column, texts = read_texts(X, owner, then)
    column.check_not_empty()
    column.check_some_present(texts, "text")
    return column, texts


class TextSequencer(PresenceMixin, TransformerMixin, BaseEstimator):
    """Turn a column of strings into padded sequences of token ids.

    Tokenisation uses scikit-learn's analyzers (the same as
    :class:`~sklearn.feature_extraction.text.CountVectorizer`); the vocabulary
    is learned in ``fit``, most frequent tokens first.

    Id 0 is padding and id 1 is the unknown token, so a row's length is its
    number of non-zero ids. An empty string gives a row of zeros: a text that
    is present and empty (``transform_with_presence`` reports it present),
    unlike a missing one (None/NaN).

    With ``subwords`` (the default), each word also carries the ids of its
    character n-grams (scikit-learn's ``char_wb`` analyzer, as fastText's
    subwords): the output is ``(n, max_len, 1 + max_subwords)``, the word id
    first, then its n-gram ids (0-padded). A misspelt, inflected or unseen
    word still shares n-grams with the words seen in ``fit``, which is what
    lets a network read short, noisy or multilingual text.

    Parameters
    ----------
    max_len : int, default=32
        Length of every output row: longer texts are truncated (their first
        ``max_len`` tokens are kept), shorter ones padded with 0.
    max_vocab : int or None, default=None
        Keep at most this many tokens (the most frequent); others become
        unknown.
    min_freq : int, default=1
        Tokens seen fewer times in ``fit`` become unknown.
    lowercase : bool, default=True
        Lower-case before tokenising.
    analyzer : {"word", "char"}, default="word"
        Split into words (by ``token_pattern``) or characters.
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression of a word token; unlike CountVectorizer's default
        it keeps one-character tokens such as digits.
    handle_unknown : {"token", "ignore"}, default="token"
        Map out-of-vocabulary tokens to id 1 or drop them.
    on_missing : {"error", "mask"}, default="error"
        A missing value (None/NaN) raises a ValueError naming the
        row, or with "mask" gives a row of zeros (no tokens) reported absent
        (see ``transform_with_presence``), so the network treats the sample
        as lacking this modality.
    subwords : (int, int) or None, default=(2, 4)
        Range of character n-gram lengths emitted per word (``analyzer="word"``
        only); None emits word ids alone, ``(n, max_len)``. N-grams seen
        fewer than ``min_freq`` times in ``fit`` are left out.
    max_subwords : int, default=24
        N-grams kept per word (the first ones, shortest first).

    Attributes
    ----------
    vocabulary_ : dict
        Token -> id (ids start at 2).
    subword_vocabulary_ : dict
        Character n-gram -> id (after the word ids); empty without subwords.
    vocab_size_ : int
        Number of ids including padding, unknown and subwords.
    n_features_in_ : int
        Always 1 (one text column).

    Examples
    --------
    >>> from skmm.preprocessing import TextSequencer
    >>> seq = TextSequencer(max_len=4, subwords=None).fit(["a cat", "a dog", "a cat sat"])
    >>> seq.transform(["a cat", "the dog sat down here"])
    array([[2, 3, 0, 0],
           [1, 4, 5, 1]])

    With subwords, an unseen word ("cats") keeps the n-grams it shares with
    seen ones:

    >>> seq = TextSequencer(max_len=4, subwords=(3, 3)).fit(["a cat", "a dog"])
    >>> ids = seq.transform(["cats"])
    >>> ids.shape
    (1, 4, 25)
    >>> inverse = {i: g for g, i in seq.subword_vocabulary_.items()}
    >>> int(ids[0, 0, 0]), [inverse[i] for i in ids[0, 0, 1:] if i]
    (1, [' ca', 'cat'])
    """

    modality = "text"
    output_kind = "tokens"
    _parameter_constraints: ClassVar[dict] = {
        "max_len": [POSITIVE_INT],
        "max_vocab": [POSITIVE_INT, None],
        "min_freq": [POSITIVE_INT],
        "lowercase": ["boolean"],
        "analyzer": [StrOptions({"word", "char"})],
        "token_pattern": [str],
        "handle_unknown": [StrOptions({"token", "ignore"})],
        "on_missing": [ON_MISSING],
        "subwords": [tuple, list, None],  # an ordered pair: _check_params
        "max_subwords": [POSITIVE_INT],
    }

    def __init__(
        self,
        *,
        max_len: int = 32,
        max_vocab: int | None = None,
        min_freq: int = 1,
        lowercase: bool = True,
        analyzer: Literal["word", "char"] = "word",
        token_pattern: str = r"(?u)\b\w+\b",
        handle_unknown: Literal["token", "ignore"] = "token",
        on_missing: Literal["error", "mask"] = "error",
        subwords: tuple[int, int] | list[int] | None = (2, 4),
        max_subwords: int = 24,
    ) -> None:
        self.max_len = max_len
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.lowercase = lowercase
        self.analyzer = analyzer
        self.token_pattern = token_pattern
        self.handle_unknown = handle_unknown
        self.on_missing = on_missing
        self.subwords = subwords
        self.max_subwords = max_subwords

    def __sklearn_tags__(self):
        return one_column_tags(super().__sklearn_tags__(), self)

    def _check_params(self):
        """What the declared constraints cannot say: ``subwords`` is an ordered pair of positive ints."""
        if self.subwords is not None and not (
            isinstance(self.subwords, (tuple, list)) and len(self.subwords) == 2
            and all(isinstance(n, Integral) and not isinstance(n, bool) and n > 0 for n in self.subwords)
            and self.subwords[0] <= self.subwords[1]
        ):
            raise ValueError(
                f"subwords must be None or (min_n, max_n) with 0 < min_n <= max_n, got {self.subwords!r}."
            )

    def _uses_subwords(self):
        return self.subwords is not None and self.analyzer == "word"

    def _tokenize(self, X, fitting=False):
        analyze = CountVectorizer(
            lowercase=self.lowercase,
            analyzer=self.analyzer,
            token_pattern=self.token_pattern if self.analyzer == "word" else None,
        ).build_analyzer()
        return (read_training_texts if fitting else read_texts)(X, self, analyze)

    @_fit_context(prefer_skip_nested_validation=True)
    @fill_doc
    def fit(self, X: ColumnLike, y: object = None) -> TextSequencer:
        """Learn the vocabulary.

        {texts_parameters}
        y : ignored

        Returns
        -------
        self : TextSequencer
        """
        self._check_params()
        column, docs = self._tokenize(X, fitting=True)
        counts = Counter(token for doc in docs if doc is not None for token in doc)
        kept = sorted(
            (token for token, count in counts.items() if count >= self.min_freq),
            key=lambda token: (-counts[token], token),
        )
        if self.max_vocab is not None:
            kept = kept[: self.max_vocab]
        self.vocabulary_ = {token: i + 2 for i, token in enumerate(kept)}
        self.subword_vocabulary_ = {}
        if self._uses_subwords():
            self.subword_vocabulary_ = learn_subwords(
                counts, self.subwords, self.min_freq, first_id=len(self.vocabulary_) + 2
            )
        self.vocab_size_ = len(self.vocabulary_) + len(self.subword_vocabulary_) + 2
        column.record_input(self)
        return self

    @fill_doc
    def transform(self, X: ColumnLike) -> np.ndarray:
        """Map texts to padded token ids.

        {texts_parameters}

        Returns
        -------
        ids : ndarray of shape (n_samples, max_len) or (n_samples, max_len, 1 + max_subwords), dtype int64
            Token ids, 0-padded at the end; with subwords, each token's
            word id then its n-gram ids.
        """
        return self.transform_with_presence(X)[0]

    def transform_with_presence(self, X: ColumnLike) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`transform`, with the bool mask of the rows present: an empty string is, None/NaN is not."""
        check_is_fitted(self, "vocabulary_")
        # Tokens drawn one at a time: a row stops at max_len, however long its text.
        _, docs = read_texts(X, self, token_stream(self.lowercase, self.analyzer, self.token_pattern))
        lookup = self.vocabulary_.get
        keep_unknown = self.handle_unknown == "token"
        rows = None
        if self.subword_vocabulary_:
            rows = SubwordRows(self.vocabulary_, self.subword_vocabulary_, self.subwords, self.max_subwords)
            ids = np.zeros((len(docs), self.max_len, rows.width), dtype=np.int64)
        else:
            ids = np.zeros((len(docs), self.max_len), dtype=np.int64)
        for i, doc in enumerate(docs):
            if doc is None:
                continue  # absent: no tokens
            row = []
            for token in doc:
                t = lookup(token, UNKNOWN_ID)
                if keep_unknown or t != UNKNOWN_ID:
                    row.append((token, t))
                    if len(row) == self.max_len:
                        break
            if rows is None:
                ids[i, : len(row)] = [t for _, t in row]
            elif row:
                ids[i, : len(row)] = [rows.word_row(token, t) for token, t in row]
        return ids, presence(docs)

    def get_feature_names_out(self, input_features: ArrayLike | None = None) -> np.ndarray:
        """Names of the output positions: ``token_0`` ... ``token_{max_len-1}``."""
        check_is_fitted(self, "vocabulary_")
        return np.array([f"token_{i}" for i in range(self.max_len)], dtype=object)
