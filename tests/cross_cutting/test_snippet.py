"""The README's first fit and the front page's snippet, end to end on AV-Digits media files."""

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

ROOT = Path(__file__).resolve().parents[2]


def _readme_snippet():
    """The code of the README's first ```python block, as written."""
    return re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL).group(1)


def _front_page_snippet():
    """The code of docs/index.rst's first ``.. code-block:: python``, dedented."""
    text = (ROOT / "docs" / "index.rst").read_text()
    block = re.search(r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)", text).group(1)
    return "\n".join(line[3:] for line in block.splitlines())


def _run_as_written(code, monkeypatch, data_home, n_samples):
    """Execute a docs snippet with make_av_digits shrunk to ``n_samples`` rows in ``data_home``.

    Only the data size changes; every other argument and line runs as the
    reader would run it.
    """
    import skmm.datasets

    def small(**kwargs):
        kwargs.update(n_samples=n_samples, data_home=data_home)
        return make_av_digits(**kwargs)

    monkeypatch.setattr(skmm.datasets, "make_av_digits", small)
    namespace = {"__name__": "__snippet__"}
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace


def test_readme_snippet_runs_as_written_and_prints_its_results(tmp_path, monkeypatch, capsys):
    namespace = _run_as_written(_readme_snippet(), monkeypatch, tmp_path, n_samples=120)
    out = capsys.readouterr().out
    search = namespace["search"]
    # What a user wants to see is printed, with the values the objects hold.
    assert f"best params: {search.best_params_}" in out
    assert f"cross-validated accuracy of the best: {search.best_score_:.3f}" in out
    test_score = search.score(namespace["X_test"], namespace["y_test"])
    assert f"test accuracy (unseen writers and speakers): {test_score:.3f}" in out
    assert re.search(r"grid search: \d+ s", out)
    assert "Fitting 3 folds for each of 4 candidates" in out  # GridSearchCV's progress
    assert re.search(r"one-object form, test accuracy: 0\.\d{3}", out)
    assert "epoch" in out  # the one-object form's per-epoch log (verbose=1)
    # Trained on every modality: clearly better than the 10% of chance on its own data.
    assert namespace["clf"].score(namespace["X_train"], namespace["y_train"]) > 0.3
    assert list(tmp_path.iterdir()), "the data went to data_home, not to the user's ~/skmm_data"


def test_front_page_snippet_defines_what_it_uses(tmp_path, monkeypatch, capsys):
    namespace = _run_as_written(_front_page_snippet(), monkeypatch, tmp_path, n_samples=100)
    assert namespace["clf"].classes_.tolist() == list(range(10))
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert printed == str(namespace["clf"].predict(namespace["X"].head()))


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
