"""The classical featurisers (TF-IDF, pooled pixels, MFCC statistics) and make_baseline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.fft import dct
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ..preprocessing import AudioFeaturizer, ImageLoader
from ..preprocessing._text_cells import column_texts
from ..utils.types import ColumnLike, Estimator


class _TextTfidf(TfidfVectorizer):
    """TfidfVectorizer reading its column as skmm's text preprocessors do.

    Any str is text (surrogates repaired), UTF-8 bytes are decoded, and a
    missing or non-text cell raises an error naming the column and row
    (:mod:`skmm.preprocessing._text_cells`), where TfidfVectorizer itself
    would fail on ``'int' object has no attribute 'lower'``.
    """

    def fit(self, raw_documents, y=None):
        return super().fit(column_texts(raw_documents, "TfidfVectorizer"), y)

    def fit_transform(self, raw_documents, y=None):
        return super().fit_transform(column_texts(raw_documents, "TfidfVectorizer"), y)

    def transform(self, raw_documents):
        return super().transform(column_texts(raw_documents, "TfidfVectorizer"))


class PooledPixels(TransformerMixin, BaseEstimator):
    """Images -> a small grid of averaged pixel values, flattened.

    Each image is shrunk to ``grid`` with Pillow's antialiasing resize (an
    area average), so every feature is the mean of one block of pixels.

    Parameters
    ----------
    grid : tuple of int, default=(8, 8)
        (rows, columns) of blocks.
    channels : {None, 1, 3}, default=None
        As in :class:`~skmm.preprocessing.ImageLoader`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.baselines import PooledPixels
    >>> PooledPixels(grid=(4, 4)).fit_transform([np.zeros((28, 28), np.uint8)]).shape
    (1, 16)
    """

    def __init__(self, grid: tuple[int, int] | list[int] = (8, 8), *, channels: Literal[1, 3] | None = None) -> None:
        self.grid = grid
        self.channels = channels

    def _loader(self):
        return ImageLoader(size=self.grid, channels=self.channels, normalize=False)

    def fit(self, X: ColumnLike, y: object = None) -> PooledPixels:
        """Learn the channel count."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: ColumnLike, y: object = None) -> np.ndarray:
        """Fit and return pooled pixels, decoding each image once."""
        self.loader_ = self._loader()
        return self.loader_.fit_transform(X).reshape(len(X), -1)

    def transform(self, X: ColumnLike) -> np.ndarray:
        """Pooled pixels: ndarray of shape (n_samples, channels * rows * columns)."""
        check_is_fitted(self, "loader_")
        return self.loader_.transform(X).reshape(len(X), -1)


class MFCCStats(TransformerMixin, BaseEstimator):
    """Audio -> mean and standard deviation of MFCCs over time.

    MFCCs are the orthonormal DCT-II of log-mel frames (as librosa's), from
    :class:`~skmm.preprocessing.AudioFeaturizer`.

    Parameters
    ----------
    n_mfcc : int, default=20
        Coefficients kept.
    sample_rate : int, default=16000
    n_mels : int, default=40

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.baselines import MFCCStats
    >>> clip = np.sin(np.arange(4000) / 5.0).astype("float32")
    >>> MFCCStats(n_mfcc=13).fit_transform([clip, clip[:2000]]).shape
    (2, 26)
    """

    def __init__(self, n_mfcc: int = 20, *, sample_rate: int = 16000, n_mels: int = 40) -> None:
        self.n_mfcc = n_mfcc
        self.sample_rate = sample_rate
        self.n_mels = n_mels

    def _stats(self, frames):
        mfcc = dct(frames, type=2, norm="ortho", axis=-1)[..., : self.n_mfcc]
        return np.concatenate([np.nanmean(mfcc, axis=1), np.nanstd(mfcc, axis=1)], axis=1)

    def fit(self, X: ColumnLike, y: object = None) -> MFCCStats:
        """Learn the padded length of the frames."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: ColumnLike, y: object = None) -> np.ndarray:
        """Fit and return MFCC statistics, decoding each clip once."""
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc ({self.n_mfcc}) cannot exceed n_mels ({self.n_mels}).")
        self.featurizer_ = AudioFeaturizer(self.sample_rate, self.n_mels, normalize=False)
        return self._stats(self.featurizer_.fit_transform(X))

    def transform(self, X: ColumnLike) -> np.ndarray:
        """MFCC statistics: ndarray of shape (n_samples, 2 * n_mfcc)."""
        check_is_fitted(self, "featurizer_")
        return self._stats(self.featurizer_.transform(X))


def text_features() -> FeatureUnion:
    """Sublinear TF-IDF of word 1-2-grams beside that of character 2-4-grams within words.

    Examples
    --------
    >>> from skmm.baselines.features import text_features
    >>> text_features().fit_transform(["a red fox", "a blue fox"]).shape[0]
    2
    """
    return FeatureUnion([
        ("words", _TextTfidf(ngram_range=(1, 2), sublinear_tf=True)),
        ("chars", _TextTfidf(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
    ])


def make_baseline(
    *, text: str | None = None, image: str | None = None, audio: str | None = None,
    numeric: str | Sequence[str] | None = None, estimator: Estimator | None = None,
) -> Pipeline:
    """Build a classical baseline over the given columns.

    Parameters
    ----------
    text : str or None
        Text column: TF-IDF of word 1-2-grams beside TF-IDF of character
        2-4-grams within words (``analyzer="char_wb"``), both sublinear; the
        character part holds up on short, misspelt or multilingual text
        where word features are sparse. Steps ``words`` and ``chars``
        (``features__text__chars__ngram_range``).
    image : str or None
        Image column (paths or arrays): 8x8 pooled pixels, standardised.
    audio : str or None
        Audio column (paths or waveforms): MFCC means and stds, standardised.
    numeric : str, list of str or None
        Numeric columns: standardised.
    estimator : sklearn estimator or None
        The model on the features; default
        ``LogisticRegression(max_iter=2000)``. Pass e.g. ``Ridge()`` for
        regression.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features`` (a ColumnTransformer) and ``model``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.baselines import make_baseline
    >>> X = pd.DataFrame({"text": ["good film", "bad film", "good", "bad"], "age": [1, 2, 3, 4]})
    >>> model = make_baseline(text="text", numeric=["age"]).fit(X, [1, 0, 1, 0])
    >>> model.predict(pd.DataFrame({"text": ["good"], "age": [2]}))
    array([1])
    """
    parts: list[tuple[str, Estimator, str | list[str]]] = []
    if text is not None:
        parts.append(("text", text_features(), text))
    if image is not None:
        parts.append(("image", make_pipeline(PooledPixels(), StandardScaler()), image))
    if audio is not None:
        parts.append(("audio", make_pipeline(MFCCStats(), StandardScaler()), audio))
    if numeric is not None:
        parts.append(("numeric", StandardScaler(), [numeric] if isinstance(numeric, str) else list(numeric)))
    if not parts:
        raise ValueError("make_baseline needs at least one of text, image, audio, numeric.")
    for name, _, column in parts:
        if name != "numeric" and not isinstance(column, str):
            raise TypeError(f"{name} must be one column name (a string), got {column!r}.")
    model = estimator if estimator is not None else LogisticRegression(max_iter=2000)
    return Pipeline([("features", ColumnTransformer(parts)), ("model", model)])
