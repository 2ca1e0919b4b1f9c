"""Multiple choice by TF-IDF cosine: the candidate whose words are most like the context's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from ..estimators.choices import answer_indices, check_choices
from ..preprocessing._text_cells import column_texts
from ..utils.sklearn_compat import _fit_context
from .features import text_features


class TfidfChoice(ClassifierMixin, BaseEstimator):
    """Pick the candidate with the highest TF-IDF cosine to the context and question.

    The classical baseline of :class:`~skmm.MultipleChoiceClassifier`, with
    its ``choices`` and ``question``: TF-IDF (word 1-2-grams and character
    2-4-grams, as :func:`~skmm.baselines.make_baseline`'s) is fitted on every
    context, question and candidate text of ``fit``'s X; ``y`` is not used
    (the method learns nothing from the answers). A missing candidate scores
    below every other.

    Parameters
    ----------
    choices : list of str, default=None
        The candidate (text) columns; required.
    question : str or None, default=None
        The question column.
    context : list of str or None, default=None
        Further text columns read with the question (subtitles, captions).

    Attributes
    ----------
    classes_ : ndarray
        ``arange(k)``.
    features_ : FeatureUnion
        The fitted TF-IDF.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmm.baselines import TfidfChoice
    >>> X = pd.DataFrame({"q": ["a red fox runs", "the blue sea"], "a": ["blue sea", "red fox"],
    ...                   "b": ["red fox", "green hill"]})
    >>> TfidfChoice(["a", "b"], question="q").fit(X).predict(X)
    array([1, 0])
    """

    _parameter_constraints: dict = {
        "choices": [list, tuple, None],
        "question": [str, None],
        "context": [list, tuple, None],
    }

    def __init__(self, choices: Sequence[str] | None = None, *, question: str | None = None,
                 context: Sequence[str] | None = None) -> None:
        self.choices = choices
        self.question = question
        self.context = context

    def _context_texts(self, X):
        columns = [*(self.context or []), *([self.question] if self.question is not None else [])]
        if not columns:
            raise ValueError("TfidfChoice needs a question or context column to compare the candidates with.")
        parts = [column_texts(X[c].fillna(""), "TfidfChoice") for c in columns]
        return [" ".join(words) for words in zip(*parts)]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: pd.DataFrame, y: ArrayLike | None = None) -> TfidfChoice:
        """Fit the TF-IDF on every text of X.

        Parameters
        ----------
        X : DataFrame
        y : None or array-like
            Ignored (the answers teach this baseline nothing).

        Returns
        -------
        self
        """
        choices = check_choices(self.choices, self.question)
        candidates = [str(v) for v in X[choices].to_numpy(dtype=object).ravel() if not pd.isna(v)]
        self.features_ = text_features().fit(self._context_texts(X) + candidates)
        self.classes_ = np.arange(len(choices))
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Cosine of each row's context and question to each candidate, ``(n_samples, k)`` (-1: missing).

        Parameters
        ----------
        X : DataFrame

        Returns
        -------
        scores : ndarray of shape (n_samples, k)
        """
        check_is_fitted(self, "features_")
        context = normalize(self.features_.transform(self._context_texts(X)))
        scores = []
        for column in check_choices(self.choices, self.question):
            cells = X[column]
            answer = normalize(self.features_.transform(cells.fillna("").astype(str).tolist()))
            score = np.asarray(context.multiply(answer).sum(axis=1)).ravel()
            scores.append(np.where(pd.isna(cells).to_numpy(), -1.0, score))
        return np.column_stack(scores)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """A softmax of ten times the cosines (missing candidates near 0).

        Parameters
        ----------
        X : DataFrame

        Returns
        -------
        proba : ndarray of shape (n_samples, k)
        """
        scores = 10 * self.decision_function(X)
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The index of the best-matching candidate of each row (the first, on ties).

        Parameters
        ----------
        X : DataFrame

        Returns
        -------
        y : ndarray of int, shape (n_samples,)
        """
        return self.decision_function(X).argmax(axis=1)

    def score(self, X: pd.DataFrame, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Accuracy; ``y`` the right candidates' indices or the candidates themselves.

        Parameters
        ----------
        X : DataFrame
        y : array-like of shape (n_samples,)
        sample_weight : array-like or None, default=None

        Returns
        -------
        accuracy : float
        """
        right = answer_indices(X, y, check_choices(self.choices, self.question))
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        return float(np.average(self.predict(X) == right, weights=weights))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.target_tags.required = False
        return tags
