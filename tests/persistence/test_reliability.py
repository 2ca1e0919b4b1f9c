"""Persistence, reproducibility, checkpoint/resume and parallel grid search."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from skmm import MultimodalClassifier, MultimodalRegressor
from skmm.persistence import params_file as persistence


@pytest.fixture(scope="module", autouse=True)
def _no_joblib_workers_left():
    # GridSearchCV(n_jobs=2) leaves joblib's reusable loky workers alive; later tests count child processes.
    yield
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)

FAST = dict(max_epochs=6, batch_size=16, hidden_size=16, lr=5e-3, verbose=0)


@pytest.fixture
def fitted(frame, make_prep):
    X, y = frame
    return MultimodalClassifier(make_prep(), random_state=0, **FAST).fit(X, y), X, y


def test_pickle_and_joblib_round_trips(fitted, tmp_path):
    clf, X, _ = fitted
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict_proba(X), expected)


def test_safe_params_round_trip_weights_and_preprocessing(fitted, make_prep, tmp_path):
    clf, X, _ = fitted
    path = tmp_path / "clf.pt"
    clf.save_params(path)
    # Only plain data and tensors: loads with weights_only=True (no code runs).
    torch.load(path, weights_only=True)
    loaded = MultimodalClassifier(make_prep(), random_state=0, **FAST).load_params(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    vocab = loaded.preprocessor_.named_transformers_["text"].vocabulary_
    assert vocab == clf.preprocessor_.named_transformers_["text"].vocabulary_
    with pytest.raises(ValueError, match="holds a MultimodalClassifier, not a MultimodalRegressor"):
        MultimodalRegressor(make_prep()).load_params(path)


def test_safe_format_refuses_foreign_classes():
    state = {"__estimator__": "os.system", "params": {}, "fitted": {}}
    with pytest.raises(ValueError, match="refusing to rebuild 'os.system'"):
        persistence.from_plain(state)


def test_load_params_maps_to_the_estimators_device(fitted, make_prep, monkeypatch):
    clf, X, _ = fitted
    buffer = io.BytesIO()
    clf.save_params(buffer)
    seen = {}
    real_load = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    buffer.seek(0)
    MultimodalClassifier(make_prep(), device="cpu", **FAST).load_params(buffer)
    assert seen["map_location"] == "cpu" and seen["weights_only"] is True


def test_model_marked_cuda_unpickles_on_cpu(fitted):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the path under test is CPU-only loading")
    clf, X, _ = fitted
    expected = clf.predict_proba(X)
    clf.set_params(device="cuda")
    clf.net_.device = "cuda"  # as if fitted on a GPU
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = pickle.loads(pickle.dumps(clf))
    assert str(loaded.net_.device) == "cpu"
    assert any("CUDA" in str(w.message) for w in caught)
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


def test_same_seed_same_predictions_in_pipeline_and_grid_search(frame, make_prep):
    X, y = frame

    def search():
        pipe = Pipeline([("prep", make_prep()), ("net", MultimodalClassifier(random_state=7, **FAST))])
        return GridSearchCV(pipe, {"net__hidden_size": [8, 16]}, cv=2).fit(X, y)

    a, b = search(), search()
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_grid_search_with_two_worker_processes(frame, make_prep):
    X, y = frame
    pipe = Pipeline([("prep", make_prep()), ("net", MultimodalClassifier(random_state=0, **FAST))])
    grid = {"net__hidden_size": [8, 16]}
    parallel = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X, y)
    serial = GridSearchCV(pipe, grid, cv=2, n_jobs=1).fit(X, y)
    np.testing.assert_allclose(parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"])


class _Crash(RuntimeError):
    pass


class _Interrupt(Callback):
    """Raise after a given epoch, as a crash would (skorch swallows KeyboardInterrupt)."""

    def __init__(self, after):
        self.after = after

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.after:
            raise _Crash(f"crashed after epoch {self.after}")


def test_interrupted_fit_resumes_from_its_checkpoint(frame, make_prep, tmp_path):
    X, y = frame
    params = dict(random_state=0, checkpoint_dir=tmp_path / "ckpt", **{**FAST, "max_epochs": 5})
    interrupted = MultimodalClassifier(make_prep(), callbacks=[_Interrupt(after=2)], **params)
    with pytest.raises(_Crash):
        interrupted.fit(X, y)
    resumed = MultimodalClassifier(make_prep(), **params).fit(X, y)
    history = resumed.history_
    assert len(history) == 5
    assert history[:, "epoch"] == [1, 2, 3, 4, 5]
    assert history[2]["resumed_from_epoch"] == 2
    assert "resumed_from_epoch" not in history[1]
    assert resumed.score(X, y) > 0.5
