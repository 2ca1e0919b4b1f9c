"""The video kind and its encoder (CNN per frame, GRU over frames) with every fusion."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.data.inputs import ModalityInfo, check_matches, describe, to_tensors
from skmm.encoders import CNN, GRU, LSTM, CNNRecurrent
from skmm.fusion import FUSIONS, Condition, LowRank, Tensor, resolve_fusion
from skmm.fusion.head import make_head
from skmm.nn import MultimodalNetwork
from skmm.preprocessing import VideoLoader

N, N_OUT, VOCAB, T = 5, 3, 9, 5
INFOS = {
    "video": ModalityInfo("video", (T, 1, 8, 8)),
    "text": ModalityInfo("tokens", (6,), vocab_size=VOCAB),
}
SPECS = {"video": CNNRecurrent(frame=CNN(channels=(4,)), sequence=GRU()), "text": GRU()}
CHOICES = {
    "concat": "concat",
    "late": FUSIONS["late"](weights="learned"),
    "tensor": Tensor(dim=3),
    "low_rank": LowRank(rank=3),
    "attention": "attention",
    "gated": "gated",
    "cross_attention": FUSIONS["cross_attention"](num_heads=2),
    "condition": Condition(source="text", target="video"),  # the text conditions the video's GRU
    "condition_input": Condition(source="text", target="video", mode="input"),
    "condition_from_video": Condition(source="video", target="text"),
}
LENGTHS = torch.tensor([5, 2, 1, 3, 4])


def make_network(fusion, names=("text", "video"), seed=0):
    torch.manual_seed(seed)
    encoders = {name: SPECS[name].build(INFOS[name], hidden_size=8, dropout=0.0) for name in names}
    module = resolve_fusion(CHOICES[fusion]).build(
        {name: enc.output_dim for name, enc in encoders.items()}, hidden_size=8, dropout=0.0, n_outputs=N_OUT
    )
    head = torch.nn.Identity() if getattr(module, "is_output", False) else make_head(module.output_dim, 8, N_OUT, 0.0)
    return MultimodalNetwork(encoders, module, head)


def make_batch(seed=0, extra_frames=0, junk=0.0):
    """Text and videos; the frames after each video's length are ``junk`` (0: as to_tensors pads)."""
    g = torch.Generator().manual_seed(seed)
    text_lengths = torch.tensor([6, 3, 1, 2, 4])
    text = torch.randint(1, VOCAB, (N, 6), generator=g)
    text[torch.arange(6)[None, :] >= text_lengths[:, None]] = 0
    video = torch.cat([torch.randn(N, T, 1, 8, 8, generator=g), torch.zeros(N, extra_frames, 1, 8, 8)], dim=1)
    padding = torch.arange(T + extra_frames)[None, :] >= LENGTHS[:, None]
    video[padding] = junk * torch.randn(int(padding.sum()), 1, 8, 8)
    return {"text": {"x": text, "lengths": text_lengths}, "video": {"x": video, "lengths": LENGTHS.clone()}}


@pytest.mark.parametrize("fusion", list(CHOICES))
def test_every_fusion_takes_a_video_and_trains_its_encoder(fusion):
    net = make_network(fusion)
    out = net(make_batch())
    assert out.shape == (N, N_OUT) and torch.isfinite(out).all()
    out.pow(2).sum().backward()
    video = net.encoders["video"]
    conv = video.frame.features[0].weight
    assert conv.grad is not None and conv.grad.abs().sum() > 0  # through the GRU into the CNN
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in video.sequence.rnn.parameters())


@pytest.mark.parametrize("fusion", list(CHOICES))
def test_padded_frames_never_change_the_output(fusion):
    net = make_network(fusion).eval()
    with torch.no_grad():
        torch.testing.assert_close(net(make_batch()), net(make_batch(extra_frames=3, junk=50.0)))


@pytest.mark.parametrize("fusion", list(CHOICES))
def test_absent_video_changes_nothing(fusion):
    net = make_network(fusion).eval()
    absent = torch.tensor([True, False, True, False, False])
    batch, changed = make_batch(), make_batch()
    changed["video"] = make_batch(seed=1)["video"]
    for b in (batch, changed):
        b["video"]["present"] = ~absent
    with torch.no_grad():
        out, out_changed = net(batch), net(changed)
    torch.testing.assert_close(out[absent], out_changed[absent])
    assert not torch.allclose(out[~absent], out_changed[~absent])


def test_condition_reaches_the_video_encoder():
    net = make_network("condition").eval()
    batch, changed = make_batch(), make_batch()
    changed["text"] = make_batch(seed=1)["text"]
    text_dim = net.encoders["text"].output_dim
    with torch.no_grad():
        video_part = net.fuse(batch)[:, text_dim:]
        video_part_changed = net.fuse(changed)[:, text_dim:]
    assert not torch.allclose(video_part, video_part_changed)


def test_encoder_steps_are_the_real_frames_and_other_recurrent_cells():
    encoder = CNNRecurrent(frame=CNN(channels=(4,), hidden_size=6), sequence=LSTM(bidirectional=True)).build(
        INFOS["video"], hidden_size=8, dropout=0.0
    )
    assert encoder.frame.output_dim == 6 and encoder.output_dim == 32 and encoder.step_dim == 16
    states, mask = encoder.encode_steps(make_batch()["video"]["x"], LENGTHS)
    assert states.shape == (N, T, 16) and mask.sum(1).tolist() == LENGTHS.tolist()
    with pytest.raises(ValueError, match="frame must encode image, but GRU encodes"):
        CNNRecurrent(frame=GRU()).build(INFOS["video"], hidden_size=8, dropout=0.0)
    with pytest.raises(ValueError, match=r"encoders\['sequence'\]: unknown encoder 'transformer'"):
        CNNRecurrent(sequence="transformer").build(INFOS["video"], hidden_size=8, dropout=0.0)


def test_video_kind_read_off_the_array_with_lengths_and_presence():
    videos = [np.zeros((4, 6, 6), np.uint8), np.ones((2, 6, 6), np.uint8), None]
    array = VideoLoader(n_frames=4, size=(6, 6), on_missing="mask").fit_transform(videos)
    infos = describe({"clip": array})
    assert infos["clip"] == ModalityInfo("video", (4, 1, 6, 6)) and infos["clip"].features == 1
    tensors = to_tensors({"clip": array}, infos)["clip"]
    assert tensors["lengths"].tolist() == [4, 2, 0] and tensors["present"].tolist() == [True, True, False]
    assert torch.isfinite(tensors["x"]).all()
    check_matches({"clip": array[:, :2]}, infos)  # fewer frames later is fine
    with pytest.raises(ValueError, match="fitted on video of per-sample shape"):
        check_matches({"clip": array[..., :3]}, infos)
    holes = array.copy()
    holes[0, 1] = np.nan
    with pytest.raises(ValueError, match="row 0: NaN frames must only pad the end"):
        to_tensors({"clip": holes}, infos)


def _frame(n=48, seed=0):
    """Label: whether a bright bar moves down or up the frames (order matters)."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    videos = []
    for label in y:
        t = rng.randint(3, 7)
        clip = rng.randint(0, 40, (t, 8, 8)).astype(np.uint8)
        rows = np.arange(t) if label else np.arange(t)[::-1]
        for step, row in enumerate(rows):
            clip[step, row] = 255
        videos.append(clip)
    X = pd.DataFrame({"clip": pd.Series(videos, dtype=object), "x": rng.normal(size=n)})
    X.loc[[3, 10], "clip"] = None
    return X, y


FAST = dict(max_epochs=25, batch_size=16, hidden_size=16, lr=1e-2, random_state=0, verbose=0)


def _prep():
    return ModalityTransformer([
        ("clip", VideoLoader(n_frames=6, size=(8, 8), on_missing="mask"), "clip"),
        ("x", "passthrough", ["x"]),
    ])


def test_estimator_learns_from_video_and_round_trips(tmp_path):
    X, y = _frame()
    before = X.copy()
    clf = MultimodalClassifier(_prep(), **FAST).fit(X, y)
    assert type(clf.net_.module_.encoders["clip"]).__name__ == "VideoEncoder"
    assert clf.score(X, y) > 0.85
    pd.testing.assert_frame_equal(X, before)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X), expected)
    clf.save_params(tmp_path / "clf.pt")
    torch.load(tmp_path / "clf.pt", weights_only=True)
    loaded = MultimodalClassifier(_prep(), **FAST).load_params(tmp_path / "clf.pt")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


def test_grid_search_over_video_and_encoder_params():
    X, y = _frame(n=32)
    pipe = Pipeline([("prep", _prep()), ("net", MultimodalClassifier(**{**FAST, "max_epochs": 3}))])
    grid = {
        "prep__clip__n_frames": [3, 6],
        "net__encoders": [{"clip": CNNRecurrent(frame=CNN(channels=(4,)))}],
        "net__encoders__clip__frame__channels": [(4,), (4, 8)],
    }
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_
    assert best.named_steps["prep"].named_transformers_["clip"].n_frames == search.best_params_["prep__clip__n_frames"]
    encoder = best.named_steps["net"].net_.module_.encoders["clip"]
    assert len(search.best_params_["net__encoders__clip__frame__channels"]) == sum(
        isinstance(m, torch.nn.Conv2d) for m in encoder.frame.modules()
    )
