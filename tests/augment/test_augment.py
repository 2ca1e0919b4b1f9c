"""Augmentation touches training batches only, seeded, and is searchable."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skmm import MultimodalClassifier
from skmm.augment import FrameAugment, ImageAugment, TokenAugment, resolve_augment
from skmm.data.inputs import ModalityInfo
from skmm.estimators.data import predict_dataset

FAST = dict(max_epochs=2, hidden_size=8, verbose=0, random_state=0)


@pytest.fixture
def data(frame, make_prep):
    X, y = frame
    return make_prep(number=False).fit_transform(X), y


def test_augmentation_is_off_at_predict_and_on_in_training(data):
    X, y = data
    clf = MultimodalClassifier(augment="auto", **FAST).fit(X, y)
    assert sorted(clf.net_.augment) == ["audio", "image", "text"]
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba, clf.predict_proba(X))  # deterministic
    clf.net_.augment = None  # the same weights without augmentation predict the same
    np.testing.assert_array_equal(proba, clf.predict_proba(X))
    # In training mode the network sees a different batch on every call.
    net = clf.set_params().net_
    net.augment = resolve_augment("auto", clf.modalities_)
    batch = next(iter(net.get_iterator(predict_dataset(clf, X), training=False)))[0]
    net.module_.train()
    torch.manual_seed(1)
    first = net.infer(batch)
    assert not torch.equal(first, net.infer(batch))
    net.module_.eval()
    assert torch.equal(net.infer(batch), net.infer(batch))


def test_seeded_fits_repeat_and_augmentation_changes_training(data):
    X, y = data
    a = MultimodalClassifier(augment="auto", **FAST).fit(X, y).predict_proba(X)
    b = MultimodalClassifier(augment="auto", **FAST).fit(X, y).predict_proba(X)
    plain = MultimodalClassifier(augment=None, **FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, plain)


def test_augment_is_grid_searchable_and_clones(data):
    X, y = data
    clf = MultimodalClassifier(augment={"image": ImageAugment(degrees=5), "text": None}, **FAST)
    copy = clone(clf)
    assert copy.augment["image"].degrees == 5 and copy.augment["image"] is not clf.augment["image"]
    copy.set_params(augment={"audio": FrameAugment(time_masks=1)}).fit(X, y)
    assert sorted(copy.net_.augment) == ["audio"]


def test_bad_augment_is_named():
    infos = {"text": ModalityInfo("tokens", (5,), vocab_size=9), "x": ModalityInfo("vector", (3,))}
    with pytest.raises(ValueError, match="does not augment vector"):
        resolve_augment({"x": TokenAugment()}, infos)
    with pytest.raises(ValueError, match="does not have"):
        resolve_augment({"photo": ImageAugment()}, infos)
    with pytest.raises(ValueError, match="'auto'"):
        resolve_augment("yes", infos)
    with pytest.raises(ValueError, match="p must be in"):
        resolve_augment({"text": TokenAugment(p=1.5)}, infos)


def test_token_dropout_keeps_padding_a_suffix_and_one_token():
    torch.manual_seed(0)
    augment = TokenAugment(p=0.5).build(ModalityInfo("tokens", (6, 3), vocab_size=50))
    x = torch.randint(2, 50, (200, 6, 3))
    x[:, 4:] = 0
    x[0, 1:] = 0  # a one-token text
    out = augment({"x": x, "lengths": (x[..., 0] != 0).sum(1)})
    ids = out["x"][..., 0]
    lengths = out["lengths"]
    assert (lengths >= 1).all() and (lengths <= 4).all() and lengths.float().mean() < 3.5
    assert ((ids != 0).sum(1) == lengths).all()
    assert (ids[torch.arange(6)[None, :] >= lengths[:, None]] == 0).all()
    # Kept tokens keep their subwords and their order.
    kept = out["x"][1, : lengths[1]]
    rows = [i for i in range(4) if any(torch.equal(x[1, i], k) for k in kept)]
    assert rows == sorted(rows) and len(rows) == lengths[1]


def test_image_and_frame_augments_keep_shapes_and_change_values():
    torch.manual_seed(0)
    image = ImageAugment().build(ModalityInfo("image", (3, 16, 16)))
    x = torch.randn(4, 3, 16, 16)
    out = image({"x": x, "present": torch.ones(4, dtype=torch.bool)})
    assert out["x"].shape == x.shape and not torch.allclose(out["x"], x)
    frames = FrameAugment().build(ModalityInfo("frames", (30, 8)))
    f = torch.randn(4, 30, 8)
    f[:, 20:] = 0
    out = frames({"x": f, "lengths": torch.tensor([20] * 4)})
    assert out["x"].shape == f.shape and (out["x"][:, 20:] == 0).all()
    assert not torch.allclose(out["x"][:, :20], f[:, :20])
