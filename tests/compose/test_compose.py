import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import StandardScaler

from skmm import ModalityDict, ModalityTransformer
from skmm.preprocessing import ImageLoader, TextSequencer


def test_outputs_stay_separate_with_their_shapes(frame, make_prep):
    X, _ = frame
    out = make_prep().fit_transform(X)
    assert isinstance(out, ModalityDict)
    assert sorted(out) == ["audio", "image", "number", "text"]
    # Each token's id, then its subword ids (TextSequencer's default).
    assert out["text"].shape[:2] == (len(X), 6) and out["text"].dtype == np.int64
    assert out["image"].shape == (len(X), 1, 14, 14) and out["image"].dtype == np.float32
    assert out["audio"].ndim == 3 and out["audio"].shape[2] == 16
    assert out["number"].shape == (len(X), 1) and out["number"].dtype == np.float32


def test_nested_params_reach_transformers(frame, make_prep):
    X, _ = frame
    prep = make_prep()
    assert prep.get_params()["text__max_len"] == 6
    prep.set_params(text__max_len=3, image__size=(8, 8))
    out = prep.fit_transform(X)
    assert out["text"].shape[1] == 3 and out["image"].shape[2:] == (8, 8)


def test_transform_matches_fit_transform_and_ignores_column_order(frame, make_prep):
    X, _ = frame
    prep = make_prep()
    out = prep.fit_transform(X)
    again = prep.transform(X[list(reversed(X.columns))].assign(extra=1))
    for name in out:
        np.testing.assert_array_equal(np.nan_to_num(out[name]), np.nan_to_num(again[name]))


def test_input_frame_is_not_modified(frame, make_prep):
    X, _ = frame
    before = X.copy(deep=True)
    make_prep().fit(X).transform(X)
    pd.testing.assert_frame_equal(X, before)


def test_missing_column_at_fit_and_transform(frame, make_prep):
    X, _ = frame
    with pytest.raises(ValueError, match=r"modality 'image': column\(s\) \['image'\] not found in X at fit"):
        make_prep().fit(X.drop(columns="image"))
    prep = make_prep().fit(X)
    with pytest.raises(ValueError, match=r"modality 'audio': column\(s\) \['audio'\] not found in X at transform"):
        prep.transform(X.rename(columns={"audio": "sound"}))


def test_empty_frame_and_wrong_type():
    prep = ModalityTransformer([("text", TextSequencer(), "t")])
    with pytest.raises(ValueError, match="empty frame"):
        prep.fit(pd.DataFrame({"t": []}))
    with pytest.raises(TypeError, match="takes a pandas DataFrame"):
        prep.fit(["a", "b"])


def test_passthrough_drop_and_sparse_vector_modalities():
    X = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.1, 0.2], "t": ["xx yy", "yy", "zz"]})
    prep = ModalityTransformer([
        ("nums", "passthrough", ["a", "b"]),
        ("tfidf", TfidfVectorizer(), "t"),
        ("gone", "drop", "t"),
    ])
    out = prep.fit_transform(X)
    assert sorted(out) == ["nums", "tfidf"]
    assert out["nums"].dtype == np.float32
    np.testing.assert_allclose(out["nums"], [[1, 0.5], [2, 0.1], [3, 0.2]], rtol=1e-6)
    # Sparse output stays sparse (the estimator's wide part reads it).
    assert sp.issparse(out["tfidf"]) and out["tfidf"].shape == (3, 3)


def test_passthrough_of_text_is_a_type_error():
    prep = ModalityTransformer([("t", "passthrough", ["t"])])
    with pytest.raises(TypeError, match="'t' is 'passthrough' but its columns are not all numeric"):
        prep.fit(pd.DataFrame({"t": ["a"]}))


@pytest.mark.parametrize("transformers, error, match", [
    ([], ValueError, "non-empty list"),
    ([("a__b", StandardScaler(), ["x"])], ValueError, "without '__'"),
    ([("a", StandardScaler(), ["x"]), ("a", StandardScaler(), ["x"])], ValueError, "unique"),
    ([("a", object(), ["x"])], TypeError, "is not a transformer"),
    ([("a", StandardScaler(), [])], ValueError, "columns must be"),
])
def test_bad_transformer_lists(transformers, error, match):
    with pytest.raises(error, match=match):
        ModalityTransformer(transformers).fit(pd.DataFrame({"x": [1.0, 2.0]}))


def test_named_transformers_are_fitted_clones(frame):
    X, _ = frame
    loader = ImageLoader(size=(5, 5))
    prep = ModalityTransformer([("image", loader, "image")]).fit(X)
    assert prep.named_transformers_["image"] is not loader
    assert prep.named_transformers_["image"].channels_ == 1
    assert not hasattr(loader, "channels_")
