"""Fusion methods: shapes, gradients, padding and absent-modality masking, params."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skmm import ModalityDict, MultimodalClassifier
from skmm.data.inputs import ModalityInfo
from skmm.encoders import CNN, GRU, LSTM
from skmm.fusion import (
    FUSIONS,
    AttentionFusion,
    ConcatFusion,
    Condition,
    ConditionFusion,
    CrossAttentionFusion,
    GatedFusion,
    LateFusion,
    LowRank,
    LowRankFusion,
    Tensor,
    TensorFusion,
    resolve_fusion,
)
from skmm.fusion.head import make_head
from skmm.nn import MultimodalNetwork

N, N_OUT, VOCAB = 5, 3, 9
INFOS = {
    "text": ModalityInfo("tokens", (6,), vocab_size=VOCAB),
    "image": ModalityInfo("image", (1, 8, 8)),
    "audio": ModalityInfo("frames", (7, 4)),
}
SPECS = {"text": GRU(), "image": CNN(channels=(4, 6)), "audio": LSTM(num_layers=2, bidirectional=True)}
NAMES_BY_COUNT = {1: ["text"], 2: ["image", "text"], 3: ["audio", "image", "text"]}
# Small choices for every fusion name; condition: the image conditions the text GRU.
CHOICES = {
    "concat": "concat",
    "late": FUSIONS["late"](weights="learned"),
    "tensor": Tensor(dim=3),
    "low_rank": LowRank(rank=3),
    "attention": "attention",
    "gated": "gated",
    "gated_sigmoid": FUSIONS["gated"](gate="sigmoid"),
    "cross_attention": FUSIONS["cross_attention"](num_heads=2),
    "condition": Condition(source="image", target="text"),
    "condition_input": Condition(source="image", target="text", mode="input"),
}


def make_network(fusion, names, seed=0):
    torch.manual_seed(seed)
    encoders = {name: SPECS[name].build(INFOS[name], hidden_size=8, dropout=0.0) for name in names}
    module = resolve_fusion(CHOICES.get(fusion, fusion)).build(
        {name: enc.output_dim for name, enc in encoders.items()}, hidden_size=8, dropout=0.0, n_outputs=N_OUT
    )
    head = torch.nn.Identity() if getattr(module, "is_output", False) else make_head(module.output_dim, 8, N_OUT, 0.0)
    return MultimodalNetwork(encoders, module, head)


def make_batch(names, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = {"text": torch.tensor([6, 3, 1, 0, 4]), "audio": torch.tensor([7, 2, 5, 1, 3])}
    text = torch.randint(1, VOCAB, (N, 6), generator=g)
    text[torch.arange(6)[None, :] >= lengths["text"][:, None]] = 0
    audio = torch.randn(N, 7, 4, generator=g)
    audio[torch.arange(7)[None, :] >= lengths["audio"][:, None]] = 0
    batch = {
        "text": {"x": text, "lengths": lengths["text"]},
        "image": {"x": torch.randn(N, 1, 8, 8, generator=g)},
        "audio": {"x": audio, "lengths": lengths["audio"]},
    }
    return {name: batch[name] for name in names}


def cases(min_modalities=1):
    for fusion in CHOICES:
        for count in (1, 2, 3):
            if fusion.startswith("condition") and count < 2:
                continue
            if count >= min_modalities:
                yield pytest.param(fusion, NAMES_BY_COUNT[count], id=f"{fusion}-{count}")


@pytest.mark.parametrize("fusion, names", list(cases()))
def test_output_shape_and_gradients_reach_every_encoder(fusion, names):
    net = make_network(fusion, names)
    out = net(make_batch(names))
    assert out.shape == (N, N_OUT) and torch.isfinite(out).all()
    out.pow(2).sum().backward()
    for name, encoder in net.encoders.items():
        grads = [p.grad for p in encoder.parameters()]
        if fusion == "cross_attention":
            # Step states skip a CNN's final linear layer (it makes the pooled vector only).
            assert all(g is not None for p, g in zip(encoder.parameters(), grads) if p.ndim == 4), name
        else:
            assert all(g is not None for g in grads), name
        assert any(g is not None and g.abs().sum() > 0 for g in grads), name


@pytest.mark.parametrize("fusion, names", list(cases(min_modalities=2)))
def test_padding_never_changes_the_output(fusion, names):
    net = make_network(fusion, names).eval()
    batch = make_batch(names)
    padded = make_batch(names)
    if "text" in padded:  # three more padding columns
        padded["text"]["x"] = torch.cat([padded["text"]["x"], torch.zeros(N, 3, dtype=torch.int64)], dim=1)
    if "audio" in padded:  # junk in every padded frame, and four junk frames more
        x = torch.cat([padded["audio"]["x"], torch.zeros(N, 4, 4)], dim=1)
        pad = torch.arange(11)[None, :] >= padded["audio"]["lengths"][:, None]
        x[pad] = torch.randn(int(pad.sum()), 4) * 50
        padded["audio"]["x"] = x
    with torch.no_grad():
        torch.testing.assert_close(net(batch), net(padded))


@pytest.mark.parametrize("fusion, names", list(cases(min_modalities=2)))
@pytest.mark.parametrize("which", [0, -1])
def test_absent_modality_changes_nothing(fusion, names, which):
    net = make_network(fusion, names).eval()
    name = names[which]
    absent = torch.tensor([True, False, True, False, False])
    batch, changed = make_batch(names), make_batch(names)
    changed[name] = make_batch(names, seed=1)[name]  # other values in every sample
    for b in (batch, changed):
        b[name]["present"] = ~absent
    with torch.no_grad():
        out, out_changed = net(batch), net(changed)
    # Where the modality is absent its values do not matter; where present they do.
    torch.testing.assert_close(out[absent], out_changed[absent])
    assert not torch.allclose(out[~absent], out_changed[~absent])
    # All-present flags equal no flags.
    flagged = make_batch(names)
    for other in names:
        flagged[other]["present"] = torch.ones(N, dtype=torch.bool)
    with torch.no_grad():
        torch.testing.assert_close(net(flagged), net(make_batch(names)))


@pytest.mark.parametrize("fusion, names", list(cases(min_modalities=2)))
def test_sample_with_no_modality_is_finite_in_values_and_gradients(fusion, names):
    net = make_network(fusion, names)
    batch = make_batch(names)
    for name in names:
        batch[name]["present"] = torch.tensor([False, True, True, False, True])
    out = net(batch)
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


def test_concat_zeroes_absent_vectors_in_name_order():
    fusion = ConcatFusion({"b": 1, "a": 2})
    out = fusion({"b": torch.ones(2, 1), "a": torch.full((2, 2), 2.0)}, {"a": torch.tensor([True, False])})
    assert out.tolist() == [[2, 2, 1], [0, 0, 1]]


def test_late_fusion_averages_present_heads_and_is_the_output():
    fusion = LateFusion({"a": 2, "b": 3}, 4, hidden_size=5)
    assert fusion.is_output and fusion.output_dim == 4
    features = {"a": torch.randn(3, 2), "b": torch.randn(3, 3)}
    heads = {name: fusion.heads[name](features[name]) for name in "ab"}
    torch.testing.assert_close(fusion(features), (heads["a"] + heads["b"]) / 2)
    only_b = fusion(features, {"a": torch.tensor([False, False, True])})
    torch.testing.assert_close(only_b[:2], heads["b"][:2])
    with pytest.raises(ValueError, match="learned"):
        fusion.modality_weights(features)
    with pytest.raises(ValueError, match="weights"):
        LateFusion({"a": 2}, 3, weights="max")


def test_tensor_fusion_is_the_outer_product_with_ones():
    fusion = TensorFusion({"a": 2, "b": 1}, dim=None)
    a, b = torch.tensor([[2.0, 3.0]]), torch.tensor([[5.0]])
    out = fusion({"a": a, "b": b})
    expected = torch.outer(torch.tensor([1.0, 2, 3]), torch.tensor([1.0, 5])).flatten()
    assert fusion.output_dim == 6 and torch.equal(out[0], expected)
    # Absent b: only its constant 1 remains.
    out = fusion({"a": a, "b": b}, {"b": torch.tensor([False])})
    assert torch.equal(out[0], torch.outer(torch.tensor([1.0, 2, 3]), torch.tensor([1.0, 0])).flatten())


def test_tensor_fusion_guard_points_to_low_rank():
    with pytest.raises(ValueError, match="fusion='low_rank'"):
        Tensor(dim=None).build({"a": 128, "b": 64, "c": 128}, hidden_size=8, dropout=0.0, n_outputs=2)
    with pytest.raises(ValueError, match="max_features=100"):
        TensorFusion({"a": 10, "b": 10}, dim=None, max_features=100)
    assert Tensor(dim=8).build({"a": 128, "b": 64}, hidden_size=8, dropout=0, n_outputs=2).output_dim == 81


def test_low_rank_factors_and_absent_modality_keeps_constant_term():
    fusion = LowRank(rank=3, output_dim=5).build({"a": 2, "b": 4}, hidden_size=8, dropout=0, n_outputs=2)
    assert isinstance(fusion, LowRankFusion) and fusion.output_dim == 5
    assert fusion.factors["a"].shape == (3, 3, 5) and fusion.factors["b"].shape == (3, 5, 5)
    features = {"a": torch.randn(2, 2), "b": torch.randn(2, 4)}
    out = fusion(features, {"b": torch.tensor([False, True])})
    zeroed = fusion({"a": features["a"], "b": torch.zeros(2, 4)})
    torch.testing.assert_close(out[0], zeroed[0])
    assert LowRank().build({"a": 2}, hidden_size=7, dropout=0, n_outputs=2).output_dim == 7
    with pytest.raises(ValueError, match="rank"):
        LowRank(rank=0).build({"a": 2}, hidden_size=7, dropout=0, n_outputs=2)


@pytest.mark.parametrize("fusion_cls", [AttentionFusion, GatedFusion])
def test_modality_weights_per_sample(fusion_cls):
    fusion = fusion_cls({"b": 3, "a": 2, "c": 4}, hidden_size=6)
    features = {"a": torch.randn(4, 2), "b": torch.randn(4, 3), "c": torch.randn(4, 4)}
    weights = fusion.modality_weights(features)
    assert weights.shape == (4, 3)
    torch.testing.assert_close(weights.sum(1), torch.ones(4))
    present = {"b": torch.tensor([True, False, True, False])}
    weights = fusion.modality_weights(features, present)
    assert (weights[[1, 3], 1] == 0).all() and (weights[[0, 2], 1] > 0).all()
    torch.testing.assert_close(weights.sum(1), torch.ones(4))


def test_network_modality_weights_and_clear_error_otherwise():
    names = NAMES_BY_COUNT[3]
    for fusion in ("attention", "gated", "late"):
        net = make_network(fusion, names).eval()
        weights = net.modality_weights(make_batch(names))
        assert weights.shape == (N, 3) and torch.allclose(weights.sum(1), torch.ones(N))
    with pytest.raises(ValueError, match="no per-modality weights"):
        make_network("concat", names).modality_weights(make_batch(names))
    with pytest.raises(ValueError, match="no per-modality weights"):
        make_network("cross_attention", names).modality_weights(make_batch(names))


def test_cross_attention_mixes_modalities_and_one_modality_attends_to_itself():
    names = ["image", "text"]
    net = make_network("cross_attention", names).eval()
    assert isinstance(net.fusion, CrossAttentionFusion) and net.fusion.output_dim == 2 * 8
    batch, changed = make_batch(names), make_batch(names)
    changed["image"]["x"] = torch.randn(N, 1, 8, 8)
    with torch.no_grad():
        text_part = net.fuse(batch)[:, 8:]
        text_part_changed = net.fuse(changed)[:, 8:]
    # The text's pooled vector attends to the image: changing the image changes it.
    assert not torch.allclose(text_part, text_part_changed)
    single = make_network("cross_attention", ["text"])
    assert single(make_batch(["text"])).shape == (N, N_OUT)


@pytest.mark.parametrize("mode", ["init", "input"])
def test_condition_makes_the_source_reach_the_target_encoder(mode):
    names = ["image", "text"]
    net = make_network("condition" if mode == "init" else "condition_input", names).eval()
    assert isinstance(net.fusion, ConditionFusion) and net.fusion.mode == mode
    batch, changed = make_batch(names), make_batch(names)
    changed["image"]["x"] = torch.randn(N, 1, 8, 8)
    image_dim = net.encoders["image"].output_dim
    with torch.no_grad():
        text_part = net.fuse(batch)[:, image_dim:]
        text_part_changed = net.fuse(changed)[:, image_dim:]
        unconditioned = net.encoders["text"](batch["text"]["x"], batch["text"]["lengths"])
    assert not torch.allclose(text_part, text_part_changed)
    assert not torch.allclose(text_part, unconditioned)
    # An absent source conditions nothing.
    batch["image"]["present"] = torch.zeros(N, dtype=torch.bool)
    with torch.no_grad():
        torch.testing.assert_close(net.fuse(batch)[:, image_dim:], unconditioned)


@pytest.mark.parametrize(
    "names, choice, match",
    [
        (["text"], Condition(source="image", target="text"), "at least 2 modalities"),
        (["image", "text"], Condition(source="audio", target="text"), "source 'audio' is not a modality"),
        (["image", "text"], Condition(source="image", target="speech"), "target 'speech' is not a modality"),
        (["image", "text"], Condition(), "needs source= and target="),
        (["image", "text"], Condition(source="text", target="text"), "must differ"),
        (["image", "text"], Condition(source="image", target="text", mode="h0"), "mode"),
        (["image", "text"], Condition(source="text", target="image"), "not a recurrent encoder"),
    ],
)
def test_condition_errors(names, choice, match):
    CHOICES["_tmp"] = choice
    try:
        with pytest.raises(ValueError, match=match):
            make_network("_tmp", names)
    finally:
        del CHOICES["_tmp"]


def test_unknown_fusion_name():
    with pytest.raises(ValueError, match="choose one of"):
        resolve_fusion("sum")
    assert sorted(FUSIONS) == sorted(
        ["concat", "late", "tensor", "low_rank", "attention", "gated", "cross_attention", "condition"]
    )


# -- through the estimator -------------------------------------------------------------

def tiny_data(n=30, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 3
    text = rng.randint(1, 12, size=(n, 5))
    text[rng.rand(n, 5) < 0.3] = 0
    text = np.sort(text, axis=1)[:, ::-1].copy()  # padding (0) at the end
    image = rng.normal(size=(n, 1, 6, 6)).astype(np.float32)
    image[:, 0, 0, :] += y[:, None]
    audio = rng.normal(size=(n, 4, 3)).astype(np.float32)
    audio[: n // 2, 3] = np.nan  # shorter clips
    return ModalityDict({"text": text, "image": image, "audio": audio}), y


NESTED = {
    "concat": {},
    "late": {"net__fusion__weights": "learned"},
    "tensor": {"net__fusion__dim": 3},
    "low_rank": {"net__fusion__rank": 3},
    "attention": {"net__fusion__hidden_size": 6},
    "gated": {"net__fusion__gate": "sigmoid"},
    "cross_attention": {"net__fusion__num_heads": 2},
    "condition": {"net__fusion__source": "image", "net__fusion__target": "text", "net__fusion__mode": "input"},
}


@pytest.mark.parametrize("fusion", sorted(NESTED))
def test_each_fusion_by_name_in_a_pipeline_end_to_end(fusion):
    X, y = tiny_data()
    pipe = Pipeline([
        ("prep", FunctionTransformer()),
        ("net", MultimodalClassifier(hidden_size=8, max_epochs=2, batch_size=16, verbose=0, random_state=0)),
    ])
    pipe.set_params(net__fusion=fusion, **NESTED[fusion])
    params = pipe.get_params()
    assert type(resolve_fusion(params["net__fusion"])) is FUSIONS[fusion]
    for key, value in NESTED[fusion].items():
        assert params[key] == value
    fitted = clone(pipe).fit(X, y)  # clone keeps the fusion's parameters
    assert fitted.predict(X).shape == (30,) and fitted.predict_proba(X).shape == (30, 3)
    module = fitted[-1].net_.module_
    assert type(module.fusion).__name__.lower().startswith(fusion.replace("_", ""))
    if fusion == "low_rank":
        assert module.fusion.factors["text"].shape[0] == 3
    if fusion == "late":
        assert isinstance(module.head, torch.nn.Identity) and module.fusion.logits is not None


def test_fusion_errors_surface_at_fit():
    X, y = tiny_data()
    clf = MultimodalClassifier(fusion=Condition(source="image", target="audio", mode="init"), hidden_size=8,
                               encoders={"audio": "mlp"}, max_epochs=1, verbose=0)
    with pytest.raises(ValueError):  # an mlp cannot encode frames
        clf.fit(X, y)
    clf.set_params(encoders=None, fusion=Condition(source="image", target="nothing"))
    with pytest.raises(ValueError, match="target 'nothing' is not a modality"):
        clf.fit(X, y)
    clf.set_params(fusion="tensor", fusion__dim=None, fusion__max_features=500)
    with pytest.raises(ValueError, match="low_rank"):
        clf.fit(X, y)


def test_cross_attention_heads_must_divide_dim():
    with pytest.raises(ValueError, match="must divide dim"):
        FUSIONS["cross_attention"](dim=10, num_heads=4).build({"a": 3}, hidden_size=8, dropout=0, n_outputs=2)
    fusion = FUSIONS["cross_attention"](num_heads=2).build({"b": 3, "a": 5}, hidden_size=6, dropout=0, n_outputs=2)
    assert fusion.names == ["a", "b"] and fusion.output_dim == 12


@pytest.mark.parametrize(
    "spec, param",
    [
        (Tensor(dim=0), "dim"),
        (Tensor(max_features=1.5), "max_features"),
        (LowRank(output_dim=-2), "output_dim"),
        (FUSIONS["attention"](dropout=1.5), "dropout"),
        (FUSIONS["gated"](gate="tanh"), "gate"),
        (FUSIONS["late"](weights="median"), "weights"),
        (FUSIONS["cross_attention"](num_heads=0), "num_heads"),
    ],
)
def test_fusion_parameters_checked_at_build(spec, param):
    # Construction stores anything (sklearn convention); build names the bad parameter.
    with pytest.raises(ValueError, match=f"'{param}' parameter of {type(spec).__name__}"):
        spec.build({"a": 4, "b": 4}, hidden_size=8, dropout=0.0, n_outputs=2)


def test_every_fusion_module_declares_the_interface():
    from skmm.fusion import BatchFusion, FusionModule

    for name, spec_class in FUSIONS.items():
        spec = spec_class("a", "b") if name == "condition" else spec_class()
        module = spec.build({"a": 4, "b": 4}, hidden_size=8, dropout=0.0, n_outputs=2)
        assert isinstance(module, FusionModule), name
        assert module.takes_batch == isinstance(module, BatchFusion), name
        assert module.is_output == (name == "late"), name


def test_a_new_registered_fusion_trains_through_the_estimator():
    # The extension contract: one FusionModule + one FusionSpec registered by name.
    from skmm.fusion import FusionModule, FusionSpec, register_fusion

    class SumFusion(FusionModule):
        def __init__(self, dims):
            super().__init__(dims)
            self.output_dim = dims[self.names[0]]

        def forward(self, features, present=None):
            return sum(features[name] for name in self.names)

    @register_fusion("_sum")
    class Sum(FusionSpec):
        def build_module(self, dims, *, hidden_size, dropout, n_outputs):
            return SumFusion(dims)

    try:
        rng = np.random.RandomState(0)
        X = ModalityDict({"a": rng.rand(30, 3).astype(np.float32), "b": rng.rand(30, 5).astype(np.float32)})
        y = np.arange(30) % 2
        clf = MultimodalClassifier(fusion="_sum", hidden_size=8, max_epochs=2, verbose=0, random_state=0).fit(X, y)
        assert isinstance(clf.net_.module_.fusion, SumFusion)
        assert clf.predict(X).shape == (30,)
    finally:
        del FUSIONS["_sum"]


def test_network_rejects_a_fusion_without_the_interface():
    with pytest.raises(TypeError, match="FusionModule"):
        MultimodalNetwork({}, torch.nn.Identity(), torch.nn.Identity())


def test_condition_by_name_picks_a_source_and_a_recurrent_target():
    from skmm.data.inputs import ModalityInfo
    from skmm.encoders import RecurrentEncoder
    from skmm.fusion.condition import choose_condition

    X, y = tiny_data()
    clf = MultimodalClassifier(fusion="condition", hidden_size=8, max_epochs=1, verbose=0, random_state=0)
    clf.fit(X, y)
    fusion = clf.net_.module_.fusion
    # A non-recurrent modality conditions the first sequence, whose default encoder became recurrent.
    assert clf.modalities_[fusion.source].kind not in ("tokens", "frames")
    assert clf.modalities_[fusion.target].kind in ("tokens", "frames")
    assert isinstance(clf.net_.module_.encoders[fusion.target], RecurrentEncoder)
    assert clf.fusion == "condition"  # the parameter is left as given
    # An explicit recurrent choice wins; an explicit non-recurrent encoder is never a target.
    infos = {"a": ModalityInfo("frames", (5, 3)), "b": ModalityInfo("tokens", (4,), vocab_size=9),
             "c": ModalityInfo("vector", (2,)), "d": ModalityInfo("sparse", (7,))}
    assert choose_condition(infos, {"b": "lstm"})[:2] == ("c", "b")
    assert choose_condition(infos, {"a": "conv1d"}) == ("c", "b", {"a": "conv1d", "b": "gru"})
    assert choose_condition(infos, {"a": "conv1d", "b": "ngram"})[1] is None
    assert choose_condition({"d": infos["d"], "c": infos["c"]}, {}) == ("c", None, {})
