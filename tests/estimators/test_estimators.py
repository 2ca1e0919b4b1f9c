import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from skmm import MultimodalClassifier, MultimodalRegressor
from skmm.encoders import LSTM, ConvEncoder, MLPEncoder, NGramBagEncoder, TemporalConvEncoder

FAST = dict(max_epochs=12, batch_size=16, hidden_size=16, lr=5e-3, verbose=0)


def test_one_object_form_learns_all_modalities(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), fusion="concat", random_state=0, **FAST).fit(X, y)
    assert clf.classes_.tolist() == [0, 1, 2]
    assert sorted(clf.modalities_) == ["audio", "image", "number", "text"]
    assert {n: i.kind for n, i in clf.modalities_.items()} == {
        "audio": "frames", "image": "image", "number": "vector", "text": "tokens"}
    proba = clf.predict_proba(X.head(7))
    assert proba.shape == (7, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert clf.score(X, y) > 0.9


def test_default_encoders_follow_the_kind(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), random_state=0, **{**FAST, "max_epochs": 1}).fit(X, y)
    enc = clf.net_.module_.encoders
    # Subword bag for text, convolutions over time for frames: fast and strong on real data.
    assert isinstance(enc["text"], NGramBagEncoder)
    assert isinstance(enc["audio"], TemporalConvEncoder)
    assert isinstance(enc["image"], ConvEncoder) and isinstance(enc["number"], MLPEncoder)


def test_encoders_param_picks_by_name_or_object(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(
        make_prep(), encoders={"text": "lstm", "audio": LSTM(hidden_size=8, bidirectional=True)},
        random_state=0, **{**FAST, "max_epochs": 1},
    ).fit(X, y)
    enc = clf.net_.module_.encoders
    assert type(enc["text"].rnn).__name__ == "LSTM"
    assert enc["audio"].output_dim == 8 * 2 * 2  # two directions, mean and max pooled


@pytest.mark.parametrize("encoders, match", [
    ({"text": "transformer"}, "unknown encoder 'transformer'"),
    ({"text": "cnn"}, "CNN encodes image, but modality 'text' holds tokens"),
    ({"video": "cnn"}, r"modalities \['video'\] that X does not have"),
])
def test_bad_encoder_choices(frame, make_prep, encoders, match):
    X, y = frame
    with pytest.raises(ValueError, match=match):
        MultimodalClassifier(make_prep(), encoders=encoders, **FAST).fit(X, y)


def test_pipeline_grid_search_over_net_and_preprocessing(frame, make_prep):
    X, y = frame
    pipe = Pipeline([("prep", make_prep()), ("net", MultimodalClassifier(random_state=0, **FAST))])
    search = GridSearchCV(pipe, {"net__hidden_size": [8, 16], "prep__text__max_len": [3, 6]}, cv=2)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.named_steps["prep"].transform(X.head())["text"].shape[1] == search.best_params_["prep__text__max_len"]
    assert search.predict(X.head()).shape == (5,)
    assert search.predict_proba(X.head()).shape == (5, 3)


def test_cross_val_score_on_raw_frame(frame, make_prep):
    X, y = frame
    scores = cross_val_score(MultimodalClassifier(make_prep(), random_state=0, **FAST), X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.6


def test_seeded_fits_repeat_exactly_and_clone_is_unfitted(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), random_state=3, validation_fraction=0.2, **FAST)
    a = clf.fit(X, y).predict_proba(X)
    twin = clone(clf)
    assert not hasattr(twin, "net_")
    b = twin.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = clone(clf).set_params(random_state=4).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, c)


def test_fit_does_not_touch_global_torch_rng(frame, make_prep):
    import torch

    X, y = frame
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MultimodalClassifier(make_prep(), random_state=0, **{**FAST, "max_epochs": 1}).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_pickle_round_trip_predicts_identically(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), random_state=0, **FAST).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_verbose_prints_epochs_and_zero_is_silent(frame, make_prep, capsys):
    X, y = frame
    params = {**FAST, "max_epochs": 2}
    MultimodalClassifier(make_prep(), random_state=0, **params).fit(X, y)
    assert capsys.readouterr().out == ""
    params["verbose"] = 1
    MultimodalClassifier(make_prep(), random_state=0, validation_fraction=0.25, **params).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_acc" in out and "\n      2 " in out


def test_history_records_each_epoch(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), random_state=0, validation_fraction=0.2, **FAST).fit(X, y)
    assert len(clf.history_) == FAST["max_epochs"]
    losses = clf.history_[:, "train_loss"]
    assert losses[-1] < losses[0]


def test_string_and_bool_labels(frame, make_prep):
    X, y = frame
    names = np.array(["ant", "bee", "cat"])[y]
    clf = MultimodalClassifier(make_prep(), random_state=0, **FAST).fit(X, names)
    assert clf.classes_.tolist() == ["ant", "bee", "cat"]
    assert set(clf.predict(X)) <= {"ant", "bee", "cat"}
    flags = (y == 1).to_numpy()
    assert MultimodalClassifier(make_prep(), random_state=0, **FAST).fit(X, flags).predict(X).dtype == bool


def test_predict_before_fit_and_single_class(frame, make_prep):
    X, y = frame
    with pytest.raises(NotFittedError):
        MultimodalClassifier(make_prep()).predict(X)
    with pytest.raises(ValueError, match="single class"):
        MultimodalClassifier(make_prep(), **FAST).fit(X, np.zeros(len(X)))


def test_frame_not_modified_and_column_order_free(frame, make_prep):
    X, y = frame
    before = X.copy(deep=True)
    clf = MultimodalClassifier(make_prep(), random_state=0, **FAST).fit(X, y)
    pd.testing.assert_frame_equal(X, before)
    shuffled = X[["number", "audio", "text", "image"]]
    np.testing.assert_array_equal(clf.predict_proba(shuffled), clf.predict_proba(X))


def test_raw_media_without_preprocessor_is_a_clear_error(frame):
    X, y = frame
    with pytest.raises(TypeError, match=r"columns \['text', 'image', 'audio'\] are not numeric"):
        MultimodalClassifier(**FAST).fit(X, y)


def test_missing_modality_at_predict(frame, make_prep):
    X, y = frame
    prep = make_prep()
    Xt = prep.fit_transform(X)
    clf = MultimodalClassifier(random_state=0, **FAST).fit(Xt, y)
    del Xt["audio"]
    with pytest.raises(ValueError, match=r"modalities \['audio'\] seen in fit are missing"):
        clf.predict(Xt)


@pytest.mark.parametrize("param, value", [
    ("hidden_size", 0), ("max_epochs", -1), ("dropout", 1.5), ("lr", 0),
    ("optimizer", "lbfgs"), ("validation_fraction", 1.0), ("fusion", "mean"),
])
def test_bad_params_raise_at_fit(frame, make_prep, param, value):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), **{**FAST, param: value})
    with pytest.raises(ValueError, match=param if param != "fusion" else "unknown fusion"):
        clf.fit(X, y)


def test_regressor_on_media_frame(frame, make_prep):
    X, y = frame
    target = y.to_numpy() * 10.0 + 5
    reg = MultimodalRegressor(make_prep(), random_state=0, **{**FAST, "max_epochs": 25}).fit(X, target)
    pred = reg.predict(X)
    assert pred.shape == (len(X),)
    assert reg.score(X, target) > 0.7
    two = np.stack([target, -target], axis=1)
    assert MultimodalRegressor(make_prep(), random_state=0, **FAST).fit(X, two).predict(X).shape == (len(X), 2)


def test_plain_array_is_one_vector_modality():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = MultimodalClassifier(random_state=0, **{**FAST, "max_epochs": 30}).fit(X, y)
    assert list(clf.modalities_) == ["x"] and clf.n_features_in_ == 4
    assert clf.score(X, y) > 0.85
    with pytest.raises(ValueError, match="X has 3 features, but MultimodalClassifier is expecting 4"):
        clf.predict(X[:, :3])


def test_nested_encoder_and_fusion_params_from_a_pipeline(frame, make_prep):
    X, y = frame
    pipe = Pipeline([("prep", make_prep()), ("net", MultimodalClassifier(encoders={"text": "lstm"}, **FAST))])
    pipe.set_params(net__encoders__text__hidden_size=5, net__encoders__text__bidirectional=True)
    text = pipe.get_params()["net__encoders"]["text"]
    assert isinstance(text, LSTM) and text.hidden_size == 5 and text.bidirectional
    pipe.set_params(net__max_epochs=1).fit(X, y)
    assert pipe[-1].net_.module_.encoders["text"].output_dim == 5 * 2 * 2
    from skmm.fusion import Concat

    pipe.set_params(net__fusion="concat")
    with pytest.raises(ValueError, match="Invalid parameter 'rank'"):
        pipe.set_params(net__fusion__rank=3)
    assert isinstance(pipe[-1].fusion, Concat)
    with pytest.raises(ValueError, match="choose modality 'audio'"):
        pipe.set_params(net__encoders__audio__hidden_size=3)


def test_several_targets_train_one_head_each(frame, make_prep):
    X, y = frame
    targets = pd.DataFrame({"label": y, "parity": np.where(y % 2 == 0, "even", "odd")})
    clf = MultimodalClassifier(make_prep(), random_state=0, validation_fraction=0.2,
                               task_weights={"label": 2.0, "parity": 1.0}, **FAST).fit(X, targets)
    assert [c.tolist() for c in clf.classes_] == [[0, 1, 2], ["even", "odd"]]
    pred = clf.predict(X)
    assert pred.shape == (len(X), 2)
    proba = clf.predict_proba(X)
    assert [p.shape for p in proba] == [(len(X), 3), (len(X), 2)]
    subset_accuracy = np.mean(np.all(pred == targets.to_numpy(), axis=1))
    assert clf.score(X, targets) == pytest.approx(subset_accuracy) and subset_accuracy > 0.6
    assert "valid_acc" in clf.history_[-1]
    with pytest.raises(ValueError, match="task_weights names"):
        MultimodalClassifier(make_prep(), task_weights={"x": 1}, **FAST).fit(X, targets)


def test_regressor_task_weights_focus_the_loss(frame, make_prep):
    X, y = frame
    targets = np.stack([y * 10.0, np.random.RandomState(0).normal(size=len(y))], axis=1)
    # Jointly trained ("none"), the targets share the net's capacity: the weights decide where it goes.
    params = dict(random_state=0, balance="none", **{**FAST, "max_epochs": 20})
    weighted = MultimodalRegressor(make_prep(), task_weights=[1.0, 0.0], **params).fit(X, targets)
    equal = MultimodalRegressor(make_prep(), **params).fit(X, targets)
    err = lambda m: np.abs(m.predict(X)[:, 0] - targets[:, 0]).mean()
    assert err(weighted) < err(equal)


def test_early_stopping_and_schedules(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), random_state=0, early_stopping=True, n_iter_no_change=2,
                               lr_schedule="plateau", **{**FAST, "max_epochs": 60, "lr": 0.05}).fit(X, y)
    assert len(clf.history_) < 60  # stopped early
    assert "valid_loss" in clf.history_[-1]
    cosine = MultimodalClassifier(make_prep(), random_state=0, lr_schedule="cosine", **{**FAST, "max_epochs": 4}).fit(X, y)
    lrs = [g["lr"] for g in cosine.net_.optimizer_.param_groups]
    assert lrs[0] < FAST["lr"]  # annealed
    with pytest.raises(ValueError, match="lr_schedule"):
        MultimodalClassifier(make_prep(), lr_schedule="warmup", **FAST).fit(X, y)


def test_attention_weights_readable_after_predict(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(), fusion="attention", random_state=0, **FAST).fit(X, y)
    weights = clf.modality_weights(X.iloc[:7])
    assert list(weights.columns) == ["audio", "image", "number", "text"]
    assert weights.shape == (7, 4) and (weights.index == X.index[:7]).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-5)
    concat = MultimodalClassifier(make_prep(), random_state=0, **{**FAST, "max_epochs": 1}).fit(X, y)
    with pytest.raises(ValueError, match="has no per-modality weights"):
        concat.modality_weights(X)


def test_subclass_contract_is_declared():
    from skmm.estimators import BaseMultimodal

    class Incomplete(BaseMultimodal):
        _stratify = False

        def _criterion(self):
            return None, {}

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # _encode_target and _n_outputs are missing


@pytest.mark.parametrize("param, value, error", [
    ("hidden_size", True, ValueError), ("num_workers", -1, ValueError),
    ("preprocessor", object(), TypeError), ("encoders", ["gru"], TypeError),
])
def test_declared_constraints_keep_error_types(param, value, error):
    X = {"a": np.zeros((4, 2), np.float32)}
    with pytest.raises(error, match=param):
        MultimodalClassifier(**{param: value}, verbose=0).fit(X, [0, 1, 0, 1])
