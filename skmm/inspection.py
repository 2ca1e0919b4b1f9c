"""Model inspection: how much a fitted skmm network relies on each modality."""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import get_scorer
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, check_random_state

from .compose.modality_dict import ModalityDict
from .utils.types import Estimator, ModalityInput

__all__ = ["modality_importance"]


def _final_estimator(estimator, X):
    """(skmm estimator, X as that estimator's predict takes it)."""
    if hasattr(estimator, "best_estimator_"):  # a fitted GridSearchCV and the like
        estimator = estimator.best_estimator_
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps[:-1]:
            if step is not None and step != "passthrough":
                X = step.transform(X)
        estimator = estimator.steps[-1][1]
    if not (callable(getattr(estimator, "preprocess", None)) and hasattr(estimator, "predict")):
        raise TypeError(
            "modality_importance needs a fitted MultimodalClassifier or "
            "MultimodalRegressor, or a Pipeline ending in one; got "
            f"{type(estimator).__name__}."
        )
    return estimator, X


def _make_scorer(scoring):
    if scoring is None:
        return lambda est, data, y: est.score(data, y)
    if isinstance(scoring, str):
        return get_scorer(scoring)
    if callable(scoring):
        return scoring
    raise ValueError(
        f"scoring must be None, a scorer name (e.g. 'f1_macro') or a callable "
        f"scorer(estimator, X, y); got {scoring!r}."
    )


def modality_importance(
    estimator: Estimator, X: ModalityInput, y: ArrayLike, scoring: str | Callable[..., float] | None = None,
    n_repeats: int = 5, random_state: int | np.random.RandomState | None = None,
) -> Bunch:
    """Drop in score when one modality is shuffled across rows (or removed).

    Permutation importance by modality rather than by column: for each
    modality, its array is shuffled across the rows of ``X`` (all its
    features move together, so the pairing of that modality with the other
    modalities and with ``y`` is broken) and the estimator is scored again.
    The importance is the baseline score minus the shuffled score, repeated
    ``n_repeats`` times. A modality the model ignores scores about 0; a
    modality it relies on scores up to the baseline minus chance.

    Media are decoded once: the steps of a Pipeline before the estimator and
    the estimator's own ``preprocessor`` run a single time, and only the
    network is run for each shuffle.

    When the fitted estimator supports missing modalities (its
    ``without(data, name)`` marks a modality absent, as skmm's do), each
    modality is also removed outright and the drop in score is returned as
    ``removal_importances_mean`` (removal is deterministic, so
    ``removal_importances_std`` is 0). Otherwise those keys are absent.

    Parameters
    ----------
    estimator : fitted estimator
        A :class:`~skmm.MultimodalClassifier` or
        :class:`~skmm.MultimodalRegressor` (with or without its own
        ``preprocessor``), a :class:`~sklearn.pipeline.Pipeline` ending in
        one, or a fitted search (``GridSearchCV``) whose ``best_estimator_``
        is one of those.
    X : DataFrame, dict of arrays or array
        Data as ``estimator.predict`` takes it; usually held-out data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    scoring : str, callable or None, default=None
        ``None`` uses the estimator's ``score`` (accuracy for classifiers,
        R² for regressors); a string names a scikit-learn scorer
        (``"f1_macro"``, ``"neg_log_loss"``, ``"neg_mean_absolute_error"``,
        ...); a callable is called as ``scorer(est, data, y)`` with the
        fitted skmm estimator ``est`` and ``data``, what its
        ``preprocess`` returned (which its ``predict`` and
        ``predict_proba`` take). Higher scores must be better.
    n_repeats : int, default=5
        Shuffles per modality.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles; an int gives the same result on every call.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        modalities : list of str
            Modality names, in the order of the rows below.
        importances_mean : ndarray of shape (n_modalities,)
            Mean drop in score over the shuffles.
        importances_std : ndarray of shape (n_modalities,)
            Standard deviation of the drop over the shuffles.
        importances : ndarray of shape (n_modalities, n_repeats)
            Every drop in score.
        baseline_score : float
            Score on the unshuffled data.
        removal_importances_mean, removal_importances_std : ndarray of shape (n_modalities,)
            Drop in score when the modality is removed; only when the
            estimator supports missing modalities.

    See Also
    --------
    sklearn.inspection.permutation_importance : The same per input column.
    skmm.plotting.plot_modality_importance : Bars of the result.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDict, MultimodalClassifier
    >>> from skmm.inspection import modality_importance
    >>> rng = np.random.RandomState(0)
    >>> X = ModalityDict(signal=rng.normal(size=(200, 2)).astype("float32"),
    ...                  noise=rng.normal(size=(200, 2)).astype("float32"))
    >>> y = (X["signal"][:, 0] > 0).astype(int)
    >>> clf = MultimodalClassifier(max_epochs=20, random_state=0, verbose=0).fit(X, y)
    >>> result = modality_importance(clf, X, y, n_repeats=3, random_state=0)
    >>> result.modalities
    ['signal', 'noise']
    >>> result.importances.shape
    (2, 3)
    >>> bool(result.importances_mean[0] > 0.3), bool(abs(result.importances_mean[1]) < 0.05)
    (True, True)
    """
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive int, got {n_repeats!r}.")
    scorer = _make_scorer(scoring)
    est, Xt = _final_estimator(estimator, X)
    data = est.preprocess(Xt)
    y = np.asarray(y)
    names = list(data)
    n_rows = len(next(iter(data.values())))
    if len(y) != n_rows:
        raise ValueError(f"X has {n_rows} samples but y has {len(y)}.")

    baseline = float(scorer(est, data, y))
    rng = check_random_state(random_state)
    importances = np.empty((len(names), n_repeats))
    for i, name in enumerate(names):
        for r in range(n_repeats):
            order = rng.permutation(n_rows)
            shuffled = ModalityDict(data)
            shuffled[name] = data[name][order]
            if name in data.present:  # a sample's presence moves with its row
                shuffled.present[name] = data.present[name][order]
            importances[i, r] = baseline - float(scorer(est, shuffled, y))
    result = Bunch(
        modalities=names,
        importances_mean=importances.mean(axis=1),
        importances_std=importances.std(axis=1),
        importances=importances,
        baseline_score=baseline,
    )
    if callable(getattr(est, "without", None)):
        removal = np.array([baseline - float(scorer(est, est.without(data, name), y)) for name in names])
        result.removal_importances_mean = removal
        result.removal_importances_std = np.zeros_like(removal)
    return result
