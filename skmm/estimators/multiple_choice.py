"""MultipleChoiceClassifier: pick the right one of each row's candidate answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import EpochScoring

from ..compose._native_frames import to_pandas
from ..compose.modality_dict import ModalityDict
from ..data.batches import ModalityDataset
from ..data.inputs import as_modalities
from ..data.kinds import check_matches, describe
from ..data.tensors import to_tensors
from ..nn.towers import ChoiceTowers, ScaledCrossEntropy
from ..utils.docstrings import fill_doc
from ..utils.threads import scoped
from ..utils.types import Estimator, ModalityInput, SampleWeight
from . import choices as _choices
from .base import BaseMultimodal
from .labels import ValidAccuracy
from .network import build_network
from .params import derived_signature, refuse_dropped
from .weights import target_only

#: Shared parameters that do not apply: one score per candidate, no per-modality heads.
DROPPED = ("balance", "task_weights")
#: The initial temperature of the candidates' scores (learned from there).
CHOICE_TEMPERATURE = 0.07


class MultipleChoiceClassifier(ClassifierMixin, BaseMultimodal):
    """Multiple-choice answering: score each row's candidates against its context, pick one.

    As in video question answering (TVQA: a clip, its subtitles and a
    question; which of five answers is right?). ``choices`` names the ``k``
    candidate columns, ``question`` the question's; every other modality is
    context. The context and question modalities are encoded and fused into
    one vector (one encoder per modality, ``fusion`` joins them); one
    candidate network, shared by all ``k`` candidates, embeds each candidate;
    a candidate's score is the cosine of the two times a learned scale, and a
    softmax over the row's candidates gives ``predict_proba``. A missing
    candidate (None) is masked out.

    The preprocessor reads the candidates from one column named
    ``"choice"`` and must make one modality of that name: the estimator
    hands it a long frame with a row per (row, candidate), so one fitted
    transformer (one vocabulary) reads every candidate, and its output is
    split back into the context once per row and the ``k`` candidates.
    Without a preprocessor, X is a dict of arrays whose ``choices``
    modalities have one per-row shape.

    Parameters
    ----------
    preprocessor : transformer or None, default=None
        E.g. ``ModalityTransformer([("video", VideoLoader(), "clip"),
        ("question", TextSequencer(), "question"), ("choice",
        TextSequencer(), "choice")])``.
    choices : list of str, default=None
        The candidate columns (modalities without a preprocessor), at
        least 2; required.
    question : str or None, default=None
        The question column, if any (read as context: its own modality of
        the preprocessor's output).
    **params
        Every other parameter of :class:`MultimodalClassifier` but
        ``class_weight``, ``balance`` and ``task_weights``; ``hidden_size``
        is also the width of the space the context and candidates meet in.

    Attributes
    ----------
    classes_ : ndarray
        ``arange(k)``: ``predict`` gives the position of the chosen candidate.
    n_choices_ : int
    modalities_, net_, history_, preprocessor_
        As in :class:`MultimodalClassifier` (``modalities_["choice"]`` is the
        candidates'); ``net_.module_`` is a :class:`skmm.nn.towers.ChoiceTowers`.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDict, MultipleChoiceClassifier
    >>> rng = np.random.RandomState(0)
    >>> codes = np.eye(6, dtype="float32")
    >>> y = rng.randint(3, size=300)
    >>> answers = rng.randint(6, size=(300, 3))
    >>> context = codes[answers[np.arange(300), y]] + rng.normal(0, 0.3, (300, 6)).astype("float32")
    >>> X = ModalityDict(context=context, a=codes[answers[:, 0]], b=codes[answers[:, 1]], c=codes[answers[:, 2]])
    >>> clf = MultipleChoiceClassifier(choices=["a", "b", "c"], hidden_size=16, max_epochs=30,
    ...                                random_state=0, verbose=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (300, 3)
    >>> clf.score(X, y) > 0.7
    True
    """

    _stratify = True
    balance = "none"
    task_weights = None
    _parameter_constraints: dict = {
        **{k: v for k, v in BaseMultimodal._parameter_constraints.items() if k not in DROPPED},
        "choices": [list, tuple, None],  # checked (2 or more, distinct) in fit
        "question": [str, None],
    }

    def __init__(
        self, preprocessor: Estimator | None = None, choices: Sequence[str] | None = None, *,
        question: str | None = None, **params: Any,
    ) -> None:
        refuse_dropped(self, params, DROPPED)
        super().__init__(preprocessor, **params)
        del self.balance, self.task_weights  # the class's: not parameters here
        self.choices = choices
        self.question = question

    __init__.__signature__ = derived_signature(  # type: ignore[attr-defined]
        BaseMultimodal.__init__, __init__, drop=DROPPED)

    # -- the subclass contract ------------------------------------------
    def _encode_target(self, y, refit=True, classes=None):
        if refit:
            self.n_choices_ = len(self.choices)
            self.classes_ = np.arange(self.n_choices_)
        return torch.as_tensor(np.asarray(y, dtype=np.int64)), self.n_choices_

    def _criterion(self):
        return ScaledCrossEntropy, {"scale": 1.0 / CHOICE_TEMPERATURE}

    def _n_outputs(self):
        return self.n_choices_

    def _valid_callbacks(self):
        return [("valid_acc", EpochScoring(ValidAccuracy([self.n_choices_]), name="valid_acc",
                                           lower_is_better=False, target_extractor=target_only))]

    def _check_loaded(self):
        k = getattr(self, "n_choices_", None)
        if not isinstance(k, int) or isinstance(k, bool) or k < 2 or k != len(self.choices or ()):
            raise ValueError(f"n_choices_ must be the number of choices, got {k!r}")

    def _configuration(self, names=None):
        if names is not None:
            names = (*names, "choices", "question")
        return super()._configuration(names)

    def _build_module(self, n_outputs):
        infos = self.modalities_
        context = {n: info for n, info in infos.items() if n != _choices.CHOICE}
        if not context:
            raise ValueError("the candidates need something to be scored against: a context or question modality.")
        chosen = dict(self.encoders or {})
        unknown = sorted(set(chosen) - set(infos))
        if unknown:
            raise ValueError(f"encoders names modalities {unknown} that X does not have; it has {sorted(infos)}.")
        query = build_network(context, {n: c for n, c in chosen.items() if n in context}, self.fusion,
                              self.hidden_size, self.dropout, self.hidden_size, balance="none")
        candidate = {_choices.CHOICE: chosen[_choices.CHOICE]} if _choices.CHOICE in chosen else None
        target = build_network({_choices.CHOICE: infos[_choices.CHOICE]}, candidate, "concat",
                               self.hidden_size, self.dropout, self.hidden_size, balance="none")
        return ChoiceTowers(query, target, n_choices=n_outputs, temperature=CHOICE_TEMPERATURE)

    # -- the data: candidates stacked for the preprocessor, split for the network ---------
    def _expand(self, X, fitting=False):
        """X -> the network's input: context modalities and ``choice_<j>`` per candidate."""
        choices = _choices.check_choices(self.choices, self.question)
        X = to_pandas(X)
        k = len(choices)
        if isinstance(X, ModalityDict) and _choices.choice_name(0) in X:
            return X  # what preprocess returned
        if self.preprocessor is None:
            if not isinstance(X, dict):
                raise TypeError("without a preprocessor, X must be a dict of arrays (the choices among them).")
            return _choices.expand_arrays(as_modalities(X), choices)
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"with a preprocessor, X must be a DataFrame, got {type(X).__name__}.")
        long, present = _choices.long_frame(X, choices, self.question)
        if fitting:
            self.preprocessor_ = clone(self.preprocessor)
            data = self.preprocessor_.fit_transform(long)
        else:
            data = self.preprocessor_.transform(long)
        return _choices.split_long(as_modalities(data), k, present)

    def _infos(self):
        """The fitted modality of each input name (every candidate: ``"choice"``'s)."""
        infos = {n: info for n, info in self.modalities_.items() if n != _choices.CHOICE}
        infos.update({_choices.choice_name(j): self.modalities_[_choices.CHOICE] for j in range(self.n_choices_)})
        return infos

    def _fit_dataset(self, X, target, seed):
        if self.lazy:
            raise ValueError("MultipleChoiceClassifier does not train lazily (lazy=True); decode the frame up front.")
        expanded = self._expand(X, fitting=True)
        context, stacked = _choices.stacked(expanded, self.n_choices_)
        self.modalities_ = {**describe(context), **describe(stacked)}
        return ModalityDataset(to_tensors(expanded, self._infos()), target)

    def _predict_dataset(self, X, target=None):
        check_is_fitted(self, "net_")
        expanded = self.preprocess(X)
        context, stacked = _choices.stacked(expanded, self.n_choices_)
        check_matches(context, {n: i for n, i in self.modalities_.items() if n != _choices.CHOICE})
        check_matches(stacked, {_choices.CHOICE: self.modalities_[_choices.CHOICE]})
        return ModalityDataset(to_tensors(expanded, self._infos()), target)

    @fill_doc
    def preprocess(self, X: ModalityInput) -> ModalityDict:
        """X as the network reads it: the context modalities and each candidate's (``choice_<j>``).

        {network_input_parameters}

        Returns
        -------
        data : ModalityDict
        """
        check_is_fitted(self, "net_")
        return self._expand(X)

    # -- fit and predict ----------------------------------------------------
    def fit(self, X: ModalityInput, y: ArrayLike, sample_weight: SampleWeight | None = None
            ) -> MultipleChoiceClassifier:
        """Fit the preprocessor (on every candidate) and train the network.

        Parameters
        ----------
        X : DataFrame or dict of arrays
            The context, question and candidate columns.
        y : array-like of shape (n_samples,)
            The right candidate of each row: its index in ``choices``, or
            the candidate itself (matched against the row's candidates).
        sample_weight : array-like of shape (n_samples,) or None, default=None

        Returns
        -------
        self
        """
        choices = _choices.check_choices(self.choices, self.question)
        return super().fit(X, _choices.answer_indices(to_pandas(X), to_pandas(y), choices), sample_weight)

    @scoped
    @fill_doc
    def predict_proba(self, X: ModalityInput) -> np.ndarray:
        """Probability of each candidate (0 for a missing one).

        {prediction_parameters}

        Returns
        -------
        proba : ndarray of shape (n_samples, k)
        """
        return torch.softmax(self._forward(X).double(), dim=1).numpy()

    @scoped
    @fill_doc
    def predict(self, X: ModalityInput) -> np.ndarray:
        """The index of each row's most probable candidate.

        {prediction_parameters}

        Returns
        -------
        y : ndarray of int, shape (n_samples,)
        """
        return self.predict_proba(X).argmax(axis=1)

    @scoped
    def score(self, X: ModalityInput, y: ArrayLike, sample_weight: SampleWeight | None = None) -> float:
        """Accuracy; ``y`` as in :meth:`fit` (indices or the right candidates)."""
        choices = _choices.check_choices(self.choices, self.question)
        right = _choices.answer_indices(to_pandas(X), to_pandas(y), choices)
        return float(np.average(self.predict(X) == right, weights=sample_weight))
