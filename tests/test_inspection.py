"""modality_importance: per-modality permutation (and removal) importance."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmm import ModalityDict, ModalityTransformer, MultimodalClassifier, MultimodalRegressor
from skmm.inspection import modality_importance

N = 240


def _dicts(seed=0):
    rng = np.random.RandomState(seed)
    X = ModalityDict(
        signal=rng.normal(size=(N, 3)).astype(np.float32),
        noise=rng.normal(size=(N, 3)).astype(np.float32),
    )
    y = (X["signal"][:, 0] + 0.5 * X["signal"][:, 1] > 0).astype(int)
    return X, y


def _frame(seed=0):
    X, y = _dicts(seed)
    frame = pd.DataFrame(
        np.hstack([X["signal"], X["noise"]]), columns=["s0", "s1", "s2", "n0", "n1", "n2"]
    )
    return frame, y


class CountingScaler(TransformerMixin, BaseEstimator):
    """StandardScaler that counts transform calls (to check media are decoded once)."""

    calls = 0

    def fit(self, X, y=None):
        self.scaler_ = StandardScaler().fit(X)
        return self

    def transform(self, X):
        type(self).calls += 1
        return self.scaler_.transform(X)


def _prep():
    return ModalityTransformer([
        ("signal", CountingScaler(), ["s0", "s1", "s2"]),
        ("noise", StandardScaler(), ["n0", "n1", "n2"]),
    ])


def _clf(prep=None):
    return MultimodalClassifier(prep, max_epochs=15, hidden_size=16, random_state=0, verbose=0)


@pytest.fixture(scope="module")
def fitted():
    X, y = _dicts()
    return _clf().fit(X, y), X, y


def test_informative_modality_beats_noise(fitted):
    clf, X, y = fitted
    result = modality_importance(clf, X, y, n_repeats=4, random_state=0)
    assert result.modalities == ["signal", "noise"]
    assert result.importances.shape == (2, 4)
    assert result.importances_mean.shape == result.importances_std.shape == (2,)
    np.testing.assert_allclose(result.importances_mean, result.importances.mean(axis=1))
    np.testing.assert_allclose(result.importances_std, result.importances.std(axis=1))
    assert result.baseline_score == pytest.approx(clf.score(X, y))
    # Shuffling the signal leaves a coin toss: a drop of ~baseline - 0.5.
    assert result.importances_mean[0] > 0.3
    assert abs(result.importances_mean[1]) < 0.03
    assert result.importances_mean[0] > 10 * abs(result.importances_mean[1])
    # Removal importances come with estimators that can mark a modality absent.
    assert ("removal_importances_mean" in result) == hasattr(clf, "without")


def test_reproducible_with_random_state(fitted):
    clf, X, y = fitted
    a = modality_importance(clf, X, y, n_repeats=3, random_state=7)
    b = modality_importance(clf, X, y, n_repeats=3, random_state=np.random.RandomState(7))
    c = modality_importance(clf, X, y, n_repeats=3, random_state=8)
    np.testing.assert_array_equal(a.importances, b.importances)
    assert not np.array_equal(a.importances, c.importances)


def test_pipeline_and_own_preprocessor_agree_and_decode_once():
    X, y = _frame()
    pipe = Pipeline([("prep", _prep()), ("net", _clf())]).fit(X, y)
    own = _clf(_prep()).fit(X, y)
    CountingScaler.calls = 0
    from_pipe = modality_importance(pipe, X, y, n_repeats=3, random_state=0)
    assert CountingScaler.calls == 1  # preprocessing ran once, not once per shuffle
    CountingScaler.calls = 0
    from_own = modality_importance(own, X, y, n_repeats=3, random_state=0)
    assert CountingScaler.calls == 1
    assert from_pipe.modalities == from_own.modalities == ["signal", "noise"]
    np.testing.assert_allclose(from_pipe.importances, from_own.importances)
    assert from_pipe.importances_mean[0] > 0.3 and abs(from_pipe.importances_mean[1]) < 0.03


def test_grid_search_uses_best_estimator():
    X, y = _frame()
    search = GridSearchCV(Pipeline([("prep", _prep()), ("net", _clf())]),
                          {"net__hidden_size": [16]}, cv=2).fit(X, y)
    result = modality_importance(search, X, y, n_repeats=2, random_state=0)
    direct = modality_importance(search.best_estimator_, X, y, n_repeats=2, random_state=0)
    np.testing.assert_allclose(result.importances, direct.importances)


def test_regressor_uses_r2():
    X, _ = _dicts()
    y = 2.0 * X["signal"][:, 0] - X["signal"][:, 1] + 1.0
    reg = MultimodalRegressor(max_epochs=40, hidden_size=16, random_state=0, verbose=0).fit(X, y)
    result = modality_importance(reg, X, y, n_repeats=3, random_state=0)
    assert result.baseline_score == pytest.approx(reg.score(X, y))
    assert result.baseline_score > 0.8
    # Shuffled signal: R² falls to about -1 (prediction and target independent), a drop > 1.
    assert result.importances_mean[0] > 1.0
    assert abs(result.importances_mean[1]) < 0.05
    mae = modality_importance(reg, X, y, scoring="neg_mean_absolute_error", n_repeats=2, random_state=0)
    assert mae.importances_mean[0] > 0.5 and abs(mae.importances_mean[1]) < 0.1


def test_string_and_callable_scoring(fitted):
    clf, X, y = fitted
    default = modality_importance(clf, X, y, n_repeats=2, random_state=0)
    accuracy = modality_importance(clf, X, y, scoring="accuracy", n_repeats=2, random_state=0)
    np.testing.assert_allclose(default.importances, accuracy.importances)
    # Scorers that need probabilities go through predict_proba.
    for scoring in ["neg_log_loss", "roc_auc", "f1_macro"]:
        result = modality_importance(clf, X, y, scoring=scoring, n_repeats=2, random_state=0)
        assert result.importances_mean[0] > 0.1, scoring
        assert abs(result.importances_mean[1]) < 0.05, scoring
    seen = []

    def scorer(est, data, y_true):
        seen.append(sorted(data))
        assert list(est.classes_) == [0, 1]
        return float((est.predict(data) == y_true).mean())

    custom = modality_importance(clf, X, y, scoring=scorer, n_repeats=2, random_state=0)
    np.testing.assert_allclose(custom.importances, default.importances)
    removals = 2 if hasattr(clf, "without") else 0
    assert seen[0] == ["noise", "signal"] and len(seen) == 1 + 2 * 2 + removals


class ClassifierWithRemoval(MultimodalClassifier):
    """Stands in for an estimator that supports missing modalities."""

    def without(self, data, name):
        data = ModalityDict(data)
        data[name] = np.zeros_like(data[name])
        return data


def test_removal_importances_when_supported():
    X, y = _dicts()
    clf = ClassifierWithRemoval(max_epochs=15, hidden_size=16, random_state=0, verbose=0).fit(X, y)
    result = modality_importance(clf, X, y, n_repeats=2, random_state=0)
    assert result.removal_importances_mean.shape == result.removal_importances_std.shape == (2,)
    zeroed = ModalityDict(X, signal=np.zeros_like(X["signal"]))
    assert result.removal_importances_mean[0] == pytest.approx(clf.score(X, y) - clf.score(zeroed, y))
    assert result.removal_importances_mean[0] > 0.2
    np.testing.assert_array_equal(result.removal_importances_std, 0)


class ClassifierWithoutRemoval(MultimodalClassifier):
    """An estimator that cannot mark a modality absent."""

    without = None


def test_no_removal_importances_when_unsupported():
    X, y = _dicts()
    clf = ClassifierWithoutRemoval(max_epochs=2, hidden_size=8, random_state=0, verbose=0).fit(X, y)
    result = modality_importance(clf, X, y, n_repeats=2, random_state=0)
    assert "removal_importances_mean" not in result and "removal_importances_std" not in result
    assert result.importances.shape == (2, 2)


def test_errors(fitted):
    clf, X, y = fitted
    with pytest.raises(TypeError, match="MultimodalClassifier"):
        modality_importance(LogisticRegression().fit(X["signal"], y), X["signal"], y)
    with pytest.raises(ValueError, match="n_repeats"):
        modality_importance(clf, X, y, n_repeats=0)
    with pytest.raises(ValueError, match="scoring"):
        modality_importance(clf, X, y, scoring=3)
    with pytest.raises(ValueError, match="samples"):
        modality_importance(clf, X, y[:-1])


def test_without_removes_one_modality_from_every_row(fitted):
    clf, X, y = fitted
    data = clf.preprocess(X)
    assert data is X  # already the network's input: passed through
    gone = clf.without(data, "signal")
    assert np.isnan(gone["signal"]).all() and gone["noise"] is data["noise"]
    assert not np.isnan(X["signal"]).any()  # the input is left as it was
    assert clf.score(gone, y) < clf.score(data, y) - 0.2
    with pytest.raises(ValueError, match="no modality 'image'"):
        clf.without(data, "image")
