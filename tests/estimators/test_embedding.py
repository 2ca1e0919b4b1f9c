"""transform / encode: a fitted network as a featuriser."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import MultimodalClassifier, MultimodalRegressor
from skmm.fusion import Condition

FAST = dict(max_epochs=8, batch_size=16, hidden_size=16, lr=5e-3, random_state=0, verbose=0)


@pytest.fixture(scope="module")
def fitted(media_frame):
    from sklearn.preprocessing import StandardScaler

    from skmm import ModalityTransformer
    from skmm.preprocessing import ImageLoader, TextSequencer

    X, y = media_frame
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=6), "text"),
        ("image", ImageLoader(size=(14, 14), on_missing="mask"), "image"),
        ("number", StandardScaler(), ["number"]),
    ])
    X = X.copy()
    X.loc[[0, 4], "image"] = None
    # balance="none": the head alone predicts (the default, "staged", also multiplies each modality's own head in).
    return MultimodalClassifier(prep, balance="none", **FAST).fit(X, y), X, y


def test_transform_is_what_the_head_reads(fitted):
    clf, X, _ = fitted
    Z = clf.transform(X)
    assert Z.shape == (len(X), clf.net_.module_.fusion.output_dim) and Z.dtype == np.float32
    np.testing.assert_array_equal(clf.transform(X), Z)  # eval mode: no dropout
    with torch.no_grad():
        logits = clf.net_.module_.head(torch.from_numpy(Z)).double()
    np.testing.assert_allclose(torch.softmax(logits, 1).numpy(), clf.predict_proba(X), atol=1e-5)
    names = clf.get_feature_names_out()
    assert len(names) == Z.shape[1] and names[0] == "multimodalclassifier0"
    as_frame = pickle.loads(pickle.dumps(clf)).set_output(transform="pandas").transform(X)
    assert list(as_frame.columns) == list(names) and (as_frame.index == X.index).all()
    np.testing.assert_array_equal(as_frame.to_numpy(), Z)


def test_saved_and_loaded_estimator_embeds_identically(fitted, tmp_path):
    clf, X, _ = fitted
    clf.save_params(tmp_path / "clf.pt")
    loaded = clone(clf).load_params(tmp_path / "clf.pt")
    np.testing.assert_array_equal(loaded.transform(X), clf.transform(X))
    for name, code in clf.encode(X).items():
        np.testing.assert_array_equal(loaded.encode(X)[name], code)


def test_encode_gives_each_modality_with_absent_rows_nan(fitted):
    clf, X, _ = fitted
    codes = clf.encode(X)
    encoders = clf.net_.module_.encoders
    assert list(codes) == ["image", "number", "text"]
    assert {name: code.shape for name, code in codes.items()} == {
        name: (len(X), encoders[name].output_dim) for name in codes
    }
    absent = np.isnan(codes["image"]).all(axis=1)
    assert absent.tolist() == [i in (0, 4) for i in range(len(X))]
    assert not np.isnan(codes["text"]).any() and not np.isnan(codes["image"][~absent]).any()
    # Concat fusion: the fused vector is the encodings side by side, absent ones zero.
    side_by_side = np.concatenate([np.nan_to_num(codes[name], nan=0.0) for name in sorted(codes)], axis=1)
    np.testing.assert_allclose(clf.transform(X), side_by_side, atol=1e-6)


def test_in_a_pipeline_before_logistic_regression(media_frame, make_prep):
    X, y = media_frame
    pipe = Pipeline([("net", MultimodalClassifier(make_prep(number=False), **FAST)), ("lr", LogisticRegression())])
    search = GridSearchCV(pipe, {"net__hidden_size": [8, 16]}, cv=2).fit(X, y)
    best = search.best_estimator_
    assert best.score(X, y) > 0.9
    # Concat fusion: the encodings side by side.
    net = best.named_steps["net"]
    assert net.transform(X).shape[1] == sum(code.shape[1] for code in net.encode(X).values())
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(best)).predict_proba(X), best.predict_proba(X))
    assert not hasattr(clone(best).named_steps["net"], "net_")


@pytest.mark.parametrize("fusion, width", [("late", 1), ("attention", 16), (Condition("number", "text"), 16 + 32)])
def test_regressor_and_other_fusions(fusion, width):
    rng = np.random.RandomState(0)
    X = {"number": rng.normal(size=(40, 3)), "text": rng.randint(1, 20, (40, 5))}
    reg = MultimodalRegressor(fusion=fusion, **FAST).fit(X, X["number"][:, 0])
    assert reg.transform(X).shape == (40, width)
    assert list(reg.encode(X)) == ["number", "text"]


def test_lazy_and_unfitted(frame, make_prep):
    X, y = frame
    clf = MultimodalClassifier(make_prep(number=False), lazy=True, lazy_fit_rows=40, **FAST).fit(X, y)
    Z = clf.transform(X)
    dims = {name: enc.output_dim for name, enc in clf.net_.module_.encoders.items()}
    assert Z.shape == (len(X), sum(dims.values())) and np.isfinite(Z).all()
    assert clf.encode(X)["audio"].shape == (len(X), dims["audio"])
    with pytest.raises(NotFittedError):
        MultimodalClassifier().transform(X)
    with pytest.raises(NotFittedError):
        MultimodalClassifier().get_feature_names_out()
