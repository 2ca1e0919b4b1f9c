"""The README's first fit, end to end on AV-Digits media files."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer


def _prep():
    return ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])


def _run(n_samples, max_epochs, cv, data_home):
    X, y = make_av_digits(n_samples=n_samples, random_state=0, data_home=data_home)
    pipe = Pipeline([("prep", _prep()), ("net", MultimodalClassifier(max_epochs=max_epochs, random_state=0, verbose=0))])
    search = GridSearchCV(pipe, {"net__hidden_size": [32, 64], "prep__text__max_len": [8, 16]}, cv=cv)
    search.fit(X, y)
    assert search.predict(X.head()).shape == (5,)
    proba = search.predict_proba(X.head())
    assert proba.shape == (5, 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    clf = MultimodalClassifier(_prep(), fusion="concat", max_epochs=max_epochs, random_state=0, verbose=0).fit(X, y)
    assert clf.classes_.tolist() == list(range(10))
    return search, clf, X, y


def test_readme_snippet_small(tmp_path):
    search, clf, X, y = _run(n_samples=160, max_epochs=10, cv=2, data_home=tmp_path)
    assert sorted(search.cv_results_["params"], key=str) == sorted(
        [{"net__hidden_size": h, "prep__text__max_len": m} for h in (32, 64) for m in (8, 16)], key=str)
    # Trained on every modality: clearly better than the 10% of chance on its own data.
    assert clf.score(X, y) > 0.3


@pytest.mark.slow
def test_readme_snippet_as_written(tmp_path):
    search, clf, X, y = _run(n_samples=2000, max_epochs=10, cv=3, data_home=tmp_path)
    assert search.best_score_ > 0.6


@pytest.mark.slow
def test_fusion_beats_the_classical_baseline_on_unseen_speakers(tmp_path):
    X_train, X_test, y_train, y_test = make_av_digits(2000, split="unseen", random_state=0, data_home=tmp_path)
    baseline = make_baseline(text="text", image="image", audio="audio").fit(X_train, y_train)
    net = MultimodalClassifier(_prep(), max_epochs=15, random_state=0, verbose=0).fit(X_train, y_train)
    assert net.score(X_test, y_test) > baseline.score(X_test, y_test)
