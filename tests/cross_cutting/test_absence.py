"""One definition of absence: the preprocessors' presence masks, carried on ModalityDict, read by the network."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils import _safe_indexing

from skmm import ModalityDict, ModalityTransformer, MultimodalClassifier
from skmm.data.inputs import as_modalities
from skmm.data.kinds import describe
from skmm.data.tensors import to_tensors
from skmm.estimators.data import predict_dataset
from skmm.preprocessing import AudioFeaturizer, ImageLoader, SequencePadder, TextSequencer, VideoLoader

FAST = dict(batch_size=16, hidden_size=8, lr=1e-2, max_epochs=3, random_state=0, verbose=0)


def _text_frame(n=48, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    texts = np.where(y == 1, "good fun film", "dull long plot").astype(object)
    texts[rng.rand(n) < 0.2] = ""
    texts[rng.rand(n) < 0.2] = None
    return pd.DataFrame({"review": texts, "score": y + rng.normal(0, 1.0, n)}), y


def _text_prep():
    return ModalityTransformer([
        ("text", TextSequencer(max_len=4, on_missing="mask"), "review"),
        ("score", "passthrough", ["score"]),
    ])


@pytest.fixture(scope="module")
def text_clf():
    X, y = _text_frame()
    # Attention weighs the modalities present in a sample: an empty text is one of them, a missing one is not.
    return MultimodalClassifier(_text_prep(), fusion="attention", **FAST).fit(X, y), X, y


def test_an_empty_string_is_a_present_text_and_none_nan_na_are_missing():
    seq = TextSequencer(max_len=3, on_missing="mask").fit(["a b", "c"])
    ids, present = seq.transform_with_presence(pd.Series(["a", "", None, np.nan, pd.NA], dtype=object))
    assert present.tolist() == [True, True, False, False, False]
    assert (ids[1] == 0).all() and (ids[2] == 0).all()  # the same ids: only the mask tells them apart
    np.testing.assert_array_equal(seq.transform(["a", ""]), ids[:2])


def test_an_empty_text_changes_the_prediction_against_a_missing_one(text_clf):
    clf, _, _ = text_clf
    rows = pd.DataFrame({"review": ["", None], "score": [0.3, 0.3]})
    assert clf.preprocess(rows).present["text"].tolist() == [True, False]
    weights = clf.modality_weights(rows)["text"].to_numpy()
    assert weights[0] > 0.01 and weights[1] == 0
    proba = clf.predict_proba(rows)
    assert not np.allclose(proba[0], proba[1])


def test_without_clears_the_mask_and_the_mask_alone_decides(text_clf):
    clf, X, _ = text_clf
    data = clf.preprocess(X)
    removed = clf.without(data, "text")
    assert not removed.present["text"].any() and removed.present["score"].all()
    assert data.present["text"].any()  # the prepared data is left as it was
    # The same arrays with only the mask cleared predict as without() does.
    masked = ModalityDict(data)
    masked.present["text"] = np.zeros(len(X), dtype=bool)
    np.testing.assert_allclose(clf.predict_proba(masked), clf.predict_proba(removed), atol=1e-6)
    assert not np.allclose(clf.predict_proba(masked), clf.predict_proba(data))


def test_lazy_mode_reads_the_masks_as_the_eager_one(text_clf):
    clf, X, _ = text_clf
    lazy = pickle.loads(pickle.dumps(clf)).set_params(lazy=True)  # the same fitted network, read lazily
    batch, _ = predict_dataset(lazy, X).__getitems__(list(range(len(X))))
    expected = X["review"].notna().to_numpy()
    assert batch["text"]["present"].tolist() == expected.tolist()
    np.testing.assert_allclose(lazy.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_pickled_and_saved_estimators_keep_reading_the_masks(text_clf, tmp_path):
    clf, X, _ = text_clf
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    clf.save_params(tmp_path / "clf.pt")
    np.testing.assert_array_equal(clone(clf).load_params(tmp_path / "clf.pt").predict_proba(X), expected)


def _video(frames):
    return np.random.RandomState(frames).randint(0, 255, size=(frames, 8, 8), dtype=np.uint8)


@pytest.mark.parametrize("make, present_value, kind", [
    (lambda: ImageLoader(size=(8, 8), on_missing="mask"), np.full((10, 10), 128, np.uint8), "image"),
    (lambda: AudioFeaturizer(sample_rate=8000, n_mels=8, n_fft=128, hop_length=64, on_missing="mask"),
     (np.sin(np.arange(2000) / 5.0).astype(np.float32), 8000), "frames"),
    (lambda: VideoLoader(n_frames=3, size=(8, 8), on_missing="mask"), _video(2), "video"),
    (lambda: SequencePadder(on_missing="mask"), [1.0, 2.0, 3.0], "frames"),
])
def test_a_missing_media_row_gets_mask_false_from_its_preprocessor(tmp_path, make, present_value, kind):
    column = pd.Series([present_value, None, str(tmp_path / "no-such-file"), present_value], dtype=object)
    if isinstance(make(), SequencePadder):
        column[2] = []  # a series with no step is its missing value
    out = ModalityTransformer([("m", make(), "c")]).fit_transform(pd.DataFrame({"c": column}))
    assert out.present["m"].tolist() == [True, False, False, True]
    assert out.kinds["m"] == kind == make().output_kind
    assert describe(as_modalities(out))["m"].kind == kind
    assert to_tensors(out, describe(out))["m"]["present"].tolist() == [True, False, False, True]


def test_numeric_columns_report_rows_with_every_value_missing():
    X = pd.DataFrame({"a": pd.array([1.0, None, 3.0], dtype="Float64"), "b": pd.array([1, pd.NA, 2], dtype="Int64")})
    out = ModalityTransformer([("n", "passthrough", ["a", "b"])]).fit_transform(X)
    assert out.present["n"].tolist() == [True, False, True] and out.kinds["n"] == "vector"
    with pytest.raises(ValueError, match=r"column 'b', row 1: the value is NaN"):
        ModalityTransformer([("n", "passthrough", ["a", "b"])]).fit_transform(X.assign(a=[1.0, 2.0, 3.0]))


def test_a_declared_kind_wins_over_the_heuristic_for_an_ambiguous_array():
    # Subword ids with max_len=2 whose second token is unknown: [:, 1] holds
    # only 0 and 1, which the content heuristic reads as an attention mask.
    seq = TextSequencer(max_len=2, subwords=(3, 3), min_freq=2)
    out = ModalityTransformer([("t", seq, "t")]).fit_transform(pd.DataFrame({"t": ["aa qq", "bb", "aa"]}))
    assert out["t"].shape[1] == 2 and np.isin(out["t"][:, 1], (0, 1)).all() and out["t"][:, 1].any()
    assert describe(dict(out))["t"].kind == "tokenized"  # undeclared: misread
    assert describe(as_modalities(out))["t"].kind == "tokens"


def test_a_declared_kind_that_the_array_cannot_hold_is_an_error():
    data = ModalityDict(x=np.zeros((4, 3), dtype=np.float32))
    data.kinds["x"] = "image"
    with pytest.raises(ValueError, match=r"modality 'x': its transformer declares 'image' output"):
        describe(data)
    data.kinds["x"] = "pixels"
    with pytest.raises(ValueError, match=r"modality 'x': its declared kind 'pixels'"):
        describe(data)


def test_a_mask_of_the_wrong_shape_or_dtype_is_an_error():
    data = ModalityDict(x=np.zeros((4, 3), dtype=np.float32))
    data.present["x"] = np.ones(3, dtype=bool)
    with pytest.raises(ValueError, match=r"modality 'x': its presence mask must be a bool array of shape \(4,\)"):
        as_modalities(data)
    data.present["x"] = np.ones(4)
    with pytest.raises(ValueError, match="got dtype float64"):
        as_modalities(data)


def test_the_mask_decides_over_the_content_of_a_row():
    data = ModalityDict(x=np.array([[1.0, 2.0], [np.nan, np.nan], [3.0, 4.0]], dtype=np.float32))
    infos = describe(data)
    assert to_tensors(data, infos)["x"]["present"].tolist() == [True, False, True]  # no mask: read off the NaN
    data.present["x"] = np.array([True, False, False])
    tensors = to_tensors(data, infos)["x"]
    assert tensors["present"].tolist() == [True, False, False]
    assert tensors["x"][2].abs().sum() == 0  # an absent row's values reach no encoder
    data.present["x"] = np.array([True, True, True])
    with pytest.raises(ValueError, match=r"modality 'x', row 1: holds some NaN"):
        to_tensors(data, infos)


def test_masks_and_kinds_follow_rows_copies_and_pickles():
    data = ModalityDict(a=np.arange(10).reshape(5, 2), b=np.arange(5.0)[:, None])
    data.present["a"] = np.array([True, False, True, False, True])
    data.kinds["a"] = "tokens"
    for out in (data[[4, 1]], _safe_indexing(data, np.array([4, 1]))):
        assert out.present["a"].tolist() == [True, False] and out.kinds == {"a": "tokens"}
    restored = pickle.loads(pickle.dumps(data))
    assert restored.present["a"].tolist() == data.present["a"].tolist() and restored.kinds == data.kinds
    copy = ModalityDict(data)
    copy["a"] = np.zeros((5, 2), dtype=int)  # new rows: the old mask no longer describes them
    assert "a" not in copy.present and "a" in data.present and copy.kinds == {"a": "tokens"}
