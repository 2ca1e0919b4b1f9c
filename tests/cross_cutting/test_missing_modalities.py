"""Samples that lack a modality: masked in every fusion, robust with modality dropout."""

import numpy as np
import pytest

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.fusion import FUSIONS
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

FAST = dict(batch_size=16, hidden_size=16, lr=5e-3, random_state=0, verbose=0)


def _prep():
    return ModalityTransformer([
        ("text", TextSequencer(max_len=6, on_missing="mask"), "text"),
        ("image", ImageLoader(size=(14, 14), on_missing="mask"), "image"),
        ("audio", AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128, on_missing="mask"), "audio"),
    ])


def test_masked_values_become_absent_rows(frame):
    X, _ = frame
    X = X.astype(object)
    X.loc[0, "text"], X.loc[1, "image"], X.loc[2, "audio"] = None, np.nan, "/no/such/file.wav"
    out = _prep().fit_transform(X)
    assert (out["text"][0] == 0).all()
    assert np.isnan(out["image"][1]).all() and not np.isnan(out["image"][0]).any()
    assert np.isnan(out["audio"][2]).all()


def test_a_column_entirely_missing_in_fit_is_an_error(frame):
    X, y = frame
    with pytest.raises(ValueError, match="column 'image': every image is missing"):
        _prep().fit(X.assign(image=None))


@pytest.fixture(scope="module")
def robust(media_frame):
    X, y = media_frame
    X = X.drop(columns="number")
    clf = MultimodalClassifier(_prep(), modality_dropout=0.4, max_epochs=25, early_stopping=False, **FAST).fit(X, y)
    return clf, X, y


@pytest.mark.parametrize("removed", ["text", "image", "audio"])
def test_any_one_modality_removed_keeps_accuracy_well_above_chance(robust, removed):
    clf, X, y = robust
    full = clf.score(X, y)
    partial = clf.score(X.assign(**{removed: None}), y)
    assert partial > 0.6, (removed, partial)  # chance is 1/3
    assert full >= partial - 0.05


@pytest.mark.parametrize("kept", ["text", "image", "audio"])
def test_rows_with_only_one_modality_present(robust, kept):
    clf, X, y = robust
    only = X.assign(**{name: None for name in ["text", "image", "audio"] if name != kept})
    assert clf.predict(only).shape == (len(X),)
    assert clf.score(only, y) > 0.5


@pytest.mark.parametrize("fusion", sorted(set(FUSIONS) - {"condition"}))
def test_every_fusion_predicts_with_a_modality_absent(frame, fusion):
    X, y = frame
    data = _prep().fit_transform(X.drop(columns="number"))
    clf = MultimodalClassifier(fusion=fusion, max_epochs=2, **FAST).fit(data, y)
    absent = dict(data, image=np.full_like(data["image"], np.nan))
    proba, full = clf.predict_proba(absent), clf.predict_proba(data)
    assert np.isfinite(proba).all()
    assert not np.allclose(proba, full)  # the image counts when it is there
    nothing = {name: np.full_like(a, np.nan) if a.dtype.kind == "f" else np.zeros_like(a) for name, a in data.items()}
    assert np.isfinite(clf.predict_proba(nothing)).all()  # no modality at all: still no NaN
