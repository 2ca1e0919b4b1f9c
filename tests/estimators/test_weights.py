"""Sample and class weights: the weighted loss, routing, validation."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import Pipeline
from torch.nn import functional as F

from skmm import ModalityDict, MultimodalClassifier, MultimodalRegressor
from skmm.data.inputs import ModalityDataset, to_tensors
from skmm.estimators.weights import with_weight
from skmm.nn.losses import CrossEntropy, MultiTaskCrossEntropy, WeightedMSE

FAST = dict(max_epochs=6, batch_size=32, hidden_size=16, lr=5e-3, verbose=0, random_state=0)


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = ModalityDict(a=rng.normal(size=(n, 4)).astype("float32"), b=rng.normal(size=(n, 3)).astype("float32"))
    y = (X["a"][:, 0] + 0.5 * X["b"][:, 0] > 0).astype(int)
    return X, y


@pytest.mark.parametrize("estimator", [MultimodalClassifier, MultimodalRegressor])
def test_all_ones_weights_equal_no_weights(estimator):
    X, y = _data()
    plain = estimator(validation_fraction=0.2, **FAST).fit(X, y)
    ones = estimator(validation_fraction=0.2, **FAST).fit(X, y, sample_weight=np.ones(len(y)))
    method = "predict_proba" if estimator is MultimodalClassifier else "predict"
    np.testing.assert_array_equal(getattr(plain, method)(X), getattr(ones, method)(X))
    assert plain.history_[:, "valid_loss"] == ones.history_[:, "valid_loss"]


@pytest.mark.parametrize("estimator", [MultimodalClassifier, MultimodalRegressor])
def test_weights_change_the_fit(estimator):
    X, y = _data()
    weight = np.where(np.arange(len(y)) % 2 == 0, 5.0, 0.2)
    plain = estimator(**FAST).fit(X, y)
    weighted = estimator(**FAST).fit(X, y, sample_weight=weight)
    assert not np.allclose(plain.predict(X) if estimator is MultimodalRegressor else plain.predict_proba(X),
                           weighted.predict(X) if estimator is MultimodalRegressor else weighted.predict_proba(X))


def test_weighted_losses_are_weighted_means_of_per_sample_losses():
    torch.manual_seed(0)
    logits, y, w = torch.randn(7, 3), torch.randint(0, 3, (7,)), torch.rand(7) * 3
    expected = (F.cross_entropy(logits, y, reduction="none") * w).sum() / w.sum()
    torch.testing.assert_close(CrossEntropy()(logits, {"target": y, "weight": w}), expected)
    # Unweighted: the plain mean, as torch's own loss.
    torch.testing.assert_close(CrossEntropy()(logits, y), F.cross_entropy(logits, y))
    # Several targets: per-sample sum of task-weighted losses, then the weighted mean.
    y2 = torch.stack([y, torch.randint(0, 2, (7,))], dim=1)
    logits2 = torch.randn(7, 5)
    per_task = torch.stack([F.cross_entropy(logits2[:, :3], y2[:, 0], reduction="none"),
                            F.cross_entropy(logits2[:, 3:], y2[:, 1], reduction="none")], dim=1)
    expected2 = ((per_task @ torch.tensor([0.25, 0.75])) * w).sum() / w.sum()
    loss2 = MultiTaskCrossEntropy([3, 2], weights=[1, 3])(logits2, {"target": y2, "weight": w})
    torch.testing.assert_close(loss2, expected2)
    pred, target = torch.randn(7, 2), torch.randn(7, 2)
    expected3 = ((((pred - target) ** 2).mean(1)) * w).sum() / w.sum()
    torch.testing.assert_close(WeightedMSE(2)(pred, {"target": target, "weight": w}), expected3)
    # A batch whose rows all weigh 0 adds nothing (and no NaN).
    assert CrossEntropy()(logits, {"target": y, "weight": torch.zeros(7)}).item() == 0.0


def test_valid_loss_is_weighted_too():
    X, y = _data(100)
    weight = np.random.RandomState(1).uniform(0, 4, size=len(y))
    clf = MultimodalClassifier(validation_fraction=0.2, **FAST).fit(X, y, sample_weight=weight)
    target = torch.as_tensor(y)
    dataset = ModalityDataset(to_tensors(X, clf.modalities_), with_weight(target, weight))
    # The net's own split reproduces the held-out rows (seeded ValidSplit).
    _, valid = clf.net_.train_split(dataset, target)
    rows = torch.as_tensor(valid.indices)
    with torch.no_grad():
        logits = clf.net_.forward(valid, training=False)
    w = torch.as_tensor(weight[rows.numpy()], dtype=torch.float32)
    expected = (F.cross_entropy(logits, target[rows], reduction="none") * w).sum() / w.sum()
    # 20 held-out rows form one batch, so the epoch's valid_loss is this batch's loss.
    assert clf.history_[-1, "valid_loss"] == pytest.approx(expected.item(), rel=1e-6)


def test_heavy_weight_on_a_class_shifts_predictions_toward_it():
    X, y = _data()
    # Staged (the default) gives each stage half the epochs: 12, so that the plain fit learns both classes.
    fast = {**FAST, "max_epochs": 12}
    plain = MultimodalClassifier(**fast).fit(X, y)
    by_sample = MultimodalClassifier(**fast).fit(X, y, sample_weight=np.where(y == 0, 20.0, 1.0))
    by_class = MultimodalClassifier(class_weight={0: 20.0}, **fast).fit(X, y)
    share = lambda model: np.mean(model.predict(X) == 0)  # noqa: E731
    assert share(by_sample) > share(plain) + 0.1
    assert share(by_class) > share(plain) + 0.1
    # class_weight multiplies into the per-sample weights: the same fit.
    np.testing.assert_array_equal(by_sample.predict_proba(X), by_class.predict_proba(X))


def test_balanced_class_weight_matches_sklearn_formula():
    X, y = _data()
    y = np.where(np.arange(len(y)) < 90, 0, y)  # imbalanced: mostly 0
    balanced = MultimodalClassifier(class_weight="balanced", **FAST).fit(X, y)
    counts = np.bincount(y)
    manual = MultimodalClassifier(**FAST).fit(X, y, sample_weight=(len(y) / (2 * counts))[y])
    np.testing.assert_array_equal(balanced.predict_proba(X), manual.predict_proba(X))


@pytest.mark.parametrize(
    "class_weight, error, match",
    [
        ({0: 1.0, "cat": 2.0}, ValueError, r"class_weight names classes \['cat'\]"),
        ({0: -1.0}, ValueError, "finite weights >= 0"),
        ({0: 0.0, 1: 0.0}, ValueError, "0 for every sample"),
        ("even", ValueError, "'balanced'"),
        ([1, 2], TypeError, "'balanced', a dict"),
    ],
)
def test_bad_class_weight(class_weight, error, match):
    X, y = _data(40)
    with pytest.raises(error, match=match):
        MultimodalClassifier(class_weight=class_weight, **FAST).fit(X, y)


@pytest.mark.parametrize(
    "weight, match",
    [(np.ones(5), "sample_weight.shape"), (-np.ones(40), "Negative values"), (np.zeros(40), "non-zero")],
)
def test_bad_sample_weight(weight, match):
    X, y = _data(40)
    with pytest.raises(ValueError, match=match):
        MultimodalClassifier(**FAST).fit(X, y, sample_weight=weight)


def test_pipeline_passes_net__sample_weight(make_prep, frame):
    X, y = frame
    weight = np.where(y.to_numpy() == 1, 4.0, 1.0)
    params = dict(max_epochs=3, batch_size=16, hidden_size=8, verbose=0, random_state=0)
    pipe = Pipeline([("prep", make_prep()), ("net", MultimodalClassifier(**params))])
    pipe.fit(X, y, net__sample_weight=weight)
    direct = MultimodalClassifier(make_prep(), **params).fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(pipe.predict_proba(X), direct.predict_proba(X))


def test_metadata_routing_in_grid_search_and_cross_validate():
    X, y = _data()
    weight = np.where(y == 0, 10.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = MultimodalClassifier(**FAST).set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
        search = GridSearchCV(clf, {"hidden_size": [8, 16]}, cv=KFold(2)).fit(X, y, sample_weight=weight)
        cv = cross_validate(clf, X, y, cv=KFold(2), params={"sample_weight": weight}, return_estimator=True)
    # The refit saw the weights: it equals a direct weighted fit ...
    direct = MultimodalClassifier(**{**FAST, **search.best_params_}).fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(search.best_estimator_.predict_proba(X), direct.predict_proba(X))
    # ... and each cross_validate fold got its rows' weights.
    train = next(iter(KFold(2).split(X["a"])))[0]
    fold = MultimodalClassifier(**FAST).fit(X[train], y[train], sample_weight=weight[train])
    np.testing.assert_array_equal(cv["estimator"][0].predict_proba(X), fold.predict_proba(X))


def test_lazy_fit_carries_weights_with_each_batch(frame, make_prep):
    X, y = frame
    params = dict(max_epochs=2, batch_size=16, hidden_size=8, verbose=0, random_state=0)
    weight = np.where(y.to_numpy() == 0, 3.0, 1.0)
    lazy = MultimodalClassifier(make_prep(), lazy=True, lazy_fit_rows=len(X), **params)
    eager = MultimodalClassifier(make_prep(), **params)
    # Fitted on every row, the lazy preprocessor equals the eager one, so the fits agree.
    np.testing.assert_allclose(lazy.fit(X, y, sample_weight=weight).predict_proba(X),
                               eager.fit(X, y, sample_weight=weight).predict_proba(X), atol=1e-5)
    lazy.partial_fit(X, y, sample_weight=weight)
    assert len(lazy.history_) == 3


def test_class_weight_for_several_targets():
    X, y = _data()
    targets = np.column_stack([y, np.arange(len(y)) % 3])
    per_target = [{0: 4.0}, {2: 0.5}]
    by_list = MultimodalClassifier(class_weight=per_target, **FAST).fit(X, targets)
    weight = np.where(y == 0, 4.0, 1.0) * np.where(targets[:, 1] == 2, 0.5, 1.0)
    manual = MultimodalClassifier(**FAST).fit(X, targets, sample_weight=weight)
    for a, b in zip(by_list.predict_proba(X), manual.predict_proba(X)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="list of dicts, one per target"):
        MultimodalClassifier(class_weight={0: 2.0}, **FAST).fit(X, targets)
