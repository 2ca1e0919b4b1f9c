"""Transfer learning with warm_start_from: what is copied, what is new, what is skipped."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from skmm import ModalityDict, MultimodalClassifier, MultimodalRegressor


def _data(n=40, seed=0, n_classes=2, width_b=3):
    rng = np.random.RandomState(seed)
    X = {
        "a": rng.normal(size=(n, 4)).astype(np.float32),
        "b": rng.normal(size=(n, width_b)).astype(np.float32),
    }
    y = np.digitize(X["a"][:, 0] + X["b"][:, 0], np.linspace(-1, 1, n_classes - 1))
    return X, y


def _params(**extra):
    return {"hidden_size": 8, "max_epochs": 5, "random_state": 0, "verbose": 0, **extra}


def _state(est, prefix):
    """Weights under ``prefix``: as training began for a ``_start`` result, else as fitted."""
    state = getattr(est, "start_", None) or est.net_.module_.state_dict()
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def _equal(first, second):
    return first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)


class _StartingWeights(Callback):
    """Keeps the network's weights as training begins."""

    def on_train_begin(self, net, **kwargs):
        self.state = {k: v.clone() for k, v in net.module_.state_dict().items()}


def _start(est, X, y):
    """Fit ``est`` for one epoch; return it with ``start_``: its weights before training."""
    recorder = _StartingWeights()
    est = est.set_params(max_epochs=1, callbacks=[("start", recorder)]).fit(X, y)
    est.start_ = recorder.state
    return est


@pytest.fixture(scope="module")
def source():
    X, y = _data()
    return MultimodalClassifier(fusion="gated", **_params()).fit(X, y)


def test_encoders_and_fusion_start_from_the_source_and_head_is_new(source):
    X, y = _data(seed=1, n_classes=3)  # another task: three classes
    target = _start(MultimodalClassifier(fusion="gated", warm_start_from=source, **_params()), X, y)
    for part in ("encoders.a.", "encoders.b.", "fusion."):
        assert _equal(_state(target, part), _state(source, part)), part
    assert _state(target, "head.")["head.3.weight"].shape == (3, 8)  # a new head for 3 classes
    assert target.warm_start_report_ == {"loaded": ["encoders.a", "encoders.b", "fusion"], "skipped": {}}
    # Training then moves on from there.
    trained = MultimodalClassifier(fusion="gated", warm_start_from=source, **_params()).fit(X, y)
    assert not _equal(_state(trained, "encoders.a."), _state(source, "encoders.a."))


def test_same_classes_still_get_a_new_head(source):
    X, y = _data()
    target = _start(MultimodalClassifier(fusion="gated", warm_start_from=source, **_params(random_state=1)), X, y)
    assert _equal(_state(target, "encoders."), _state(source, "encoders."))
    assert not _equal(_state(target, "head."), _state(source, "head."))


def test_mismatched_shapes_are_skipped_with_a_message(source, capsys):
    X, y = _data(width_b=5)  # modality "b" is wider: its encoder cannot be copied
    X["c"] = X["a"][:, :2]  # and "c" is not in the source
    est = MultimodalClassifier(fusion="concat", warm_start_from=source, **_params(verbose=1, max_epochs=1))
    with pytest.warns(UserWarning, match=r"Skipped encoders.b \(encoders.b.layers.0.weight has shape"):
        est.fit(X, y)
    assert est.warm_start_report_["loaded"] == ["encoders.a"]
    assert set(est.warm_start_report_["skipped"]) == {"encoders.b", "encoders.c"}
    assert est.warm_start_report_["skipped"]["encoders.c"] == "not in the source"
    assert "Warm start: loaded encoders.a; the head is new." in capsys.readouterr().out


def test_nothing_matching_raises(source):
    X = {"other": np.random.RandomState(0).rand(20, 3).astype(np.float32)}
    with pytest.raises(ValueError, match=r"no encoder or fusion matches the source \(encoders.other: not in"):
        MultimodalClassifier(warm_start_from=source, **_params()).fit(X, np.arange(20) % 2)
    with pytest.raises(TypeError, match="warm_start_from must be"):
        MultimodalClassifier(warm_start_from=3, **_params()).fit(X, np.arange(20) % 2)


def test_from_a_params_file_and_into_a_regressor(source, tmp_path):
    source.save_params(tmp_path / "source.pt")
    X, y = _data(seed=2)
    target = _start(MultimodalRegressor(fusion="gated", warm_start_from=tmp_path / "source.pt", **_params()),
                    X, y.astype(float))
    assert _equal(_state(target, "encoders."), _state(source, "encoders."))
    assert target.warm_start_report_["loaded"] == ["encoders.a", "encoders.b", "fusion"]


def test_grid_search_needs_a_frozen_source_or_a_file(source, tmp_path):
    X, y = _data()
    est = MultimodalClassifier(fusion="gated", warm_start_from=source, **_params(max_epochs=1))
    # clone() unfits an estimator parameter; the message says how to keep it.
    with pytest.raises(ValueError, match="FrozenEstimator"):
        clone(est).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every part matches: no warning
        grid = GridSearchCV(est.set_params(warm_start_from=FrozenEstimator(source)), {"lr": [1e-3, 1e-2]}, cv=2)
        grid.fit(ModalityDict(X), y)
    assert grid.best_estimator_.warm_start_report_["loaded"] == ["encoders.a", "encoders.b", "fusion"]


def test_late_fusion_heads_are_new(source):
    X, y = _data()
    late = MultimodalClassifier(fusion="late", **_params()).fit(X, y)
    with pytest.warns(UserWarning, match="late fusion ends in the heads"):
        target = MultimodalClassifier(fusion="late", warm_start_from=late, **_params(max_epochs=1)).fit(X, y)
    assert "fusion" in target.warm_start_report_["skipped"]
