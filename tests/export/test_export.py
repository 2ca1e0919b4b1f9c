"""ONNX export: onnxruntime's predictions equal the estimator's."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from skmm import ModalityTransformer, MultimodalClassifier, MultimodalRegressor
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

pytest.importorskip("onnxruntime")
from skmm.export import OnnxModel, export_onnx  # noqa: E402
from skmm.export.writing import _FixedAdaptiveAvgPool2d  # noqa: E402

FAST = dict(max_epochs=3, batch_size=16, hidden_size=8, lr=5e-3, verbose=0, random_state=0)


def _prep(image_size=(14, 14)):
    return ModalityTransformer([
        ("text", TextSequencer(max_len=6, on_missing="mask"), "text"),
        ("image", ImageLoader(size=image_size, on_missing="mask"), "image"),
        ("audio", AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, on_missing="mask"), "audio"),
        ("number", StandardScaler(), ["number"]),
    ])


def _with_gaps(X):
    """Rows lacking text, an image or audio, and text with words never seen in fit."""
    X = X.astype(object).copy()
    X.loc[0, "text"], X.loc[1, "image"], X.loc[2, "audio"] = None, np.nan, None
    X.loc[3, "text"] = "zebra unicorn " + X.loc[3, "text"]
    return X


@pytest.mark.parametrize("fusion", ["concat", "attention"])
def test_classifier_onnx_matches_predict_proba(frame, tmp_path, fusion):
    X, y = frame
    clf = MultimodalClassifier(_prep(), fusion=fusion, **FAST).fit(X, y)
    path = export_onnx(clf, tmp_path / "clf.onnx")
    model = OnnxModel(path, clf.preprocessor_)
    test = _with_gaps(X)
    np.testing.assert_allclose(model.predict_proba(test), clf.predict_proba(test), atol=1e-5, rtol=0)
    np.testing.assert_array_equal(model.predict(test), clf.predict(test))
    # Batch size and sequence lengths are dynamic: one row, and a shorter text.
    one = test.iloc[[5]]
    np.testing.assert_allclose(model.predict_proba(one), clf.predict_proba(one), atol=1e-5, rtol=0)
    np.testing.assert_array_equal(model.classes_, clf.classes_)


@pytest.mark.parametrize("image_encoder", ["cnn", "deconv"])
def test_image_pooling_of_any_size_exports(frame, tmp_path, image_encoder):
    # 28 x 28 images reach the adaptive pooling at 7 x 7 (cnn) or 14 x 14
    # (deconv), sizes the pooling grid does not divide.
    X, y = frame
    clf = MultimodalClassifier(_prep((28, 28)), encoders={"image": image_encoder}, **FAST).fit(X, y)
    model = OnnxModel(export_onnx(clf, tmp_path / "clf.onnx"), clf.preprocessor_)
    np.testing.assert_allclose(model.predict_proba(X), clf.predict_proba(X), atol=1e-5, rtol=0)
    # The estimator's own network is untouched by the export.
    assert any(isinstance(m, torch.nn.AdaptiveAvgPool2d) for m in clf.net_.module_.modules())


@pytest.mark.parametrize("in_size, out_size", [((7, 7), (4, 4)), ((3, 5), (4, 2)), ((14, 14), (5, 5))])
def test_fixed_adaptive_pool_equals_torchs(in_size, out_size):
    x = torch.randn(2, 3, *in_size)
    expected = torch.nn.AdaptiveAvgPool2d(out_size)(x)
    torch.testing.assert_close(_FixedAdaptiveAvgPool2d(in_size, out_size)(x), expected)


def test_regressor_onnx_matches_predict(frame, tmp_path):
    X, y = frame
    target = pd.DataFrame({"a": y * 2.0 + 1, "b": X["number"] * 3.0})
    reg = MultimodalRegressor(_prep(), **FAST).fit(X, target)
    model = OnnxModel(export_onnx(reg, tmp_path / "reg.onnx"), reg.preprocessor_)
    test = _with_gaps(X)
    np.testing.assert_allclose(model.predict(test), reg.predict(test), atol=1e-5 * np.abs(reg.predict(test)).max())
    with pytest.raises(AttributeError, match="regressor"):
        model.predict_proba(test)


def test_several_targets_and_string_classes(frame, tmp_path):
    X, y = frame
    targets = pd.DataFrame({"label": np.array(["x", "y", "z"])[y], "even": y % 2 == 0})
    clf = MultimodalClassifier(_prep(), **FAST).fit(X, targets)
    model = OnnxModel(export_onnx(clf, tmp_path / "multi.onnx"), clf.preprocessor_)
    for got, want in zip(model.predict_proba(X), clf.predict_proba(X)):
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    np.testing.assert_array_equal(model.predict(X), clf.predict(X))


def test_not_an_skmm_file_and_unfitted(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["a"], ["output"])], "g",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), tmp_path / "other.onnx")
    with pytest.raises(ValueError, match="not written by skmm"):
        OnnxModel(tmp_path / "other.onnx")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        export_onnx(MultimodalClassifier(), tmp_path / "x.onnx")


def test_text_with_its_linear_part_exports(frame, tmp_path):
    # Text beside numbers: the text encoder carries its linear TF-IDF part, whose repeated ids are
    # counted another way when exporting (no torch.unique); rows with repeated words check it.
    X, y = frame
    X = X.copy()
    X.loc[:5, "text"] = X.loc[:5, "text"] + " " + X.loc[:5, "text"]
    prep = ModalityTransformer([("text", TextSequencer(max_len=12, on_missing="mask"), "text"),
                                ("number", StandardScaler(), ["number"])])
    clf = MultimodalClassifier(prep, **FAST).fit(X, y)
    assert float(clf.net_.module_.wide["text"].weight.detach().abs().sum()) > 0  # trained, so it weighs in
    model = OnnxModel(export_onnx(clf, tmp_path / "clf.onnx"), clf.preprocessor_)
    test = _with_gaps(X)
    np.testing.assert_allclose(model.predict_proba(test), clf.predict_proba(test), atol=1e-5, rtol=0)
