"""Encoders: Deconv, Custom, step states for cross-attention, conditioning, parameters."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

from skmm import ModalityDict, MultimodalClassifier
from skmm.data.inputs import ModalityInfo
from skmm.encoders import (
    CNN,
    ENCODERS,
    GRU,
    LSTM,
    MLP,
    RNN,
    ConvEncoder,
    Custom,
    CustomEncoder,
    Deconv,
    DeconvEncoder,
    MLPEncoder,
    RecurrentEncoder,
    resolve_encoder,
)


def test_registry_names():
    assert sorted(ENCODERS) == [
        "char_cnn", "cnn", "cnn_recurrent", "conv1d", "deconv", "gru", "lstm", "mlp", "ngram", "rnn", "wide",
    ]
    assert isinstance(resolve_encoder("deconv", "img", ModalityInfo("image", (1, 8, 8))), Deconv)
    with pytest.raises(ValueError, match="encodes image"):
        resolve_encoder("deconv", "v", ModalityInfo("vector", (3,)))


def test_deconv_downsamples_then_upsamples():
    enc = Deconv(channels=(4, 8), deconv_channels=(6, 5), hidden_size=10).build(
        ModalityInfo("image", (3, 28, 28)), hidden_size=99, dropout=0.0
    )
    assert isinstance(enc, DeconvEncoder) and enc.output_dim == 10 and enc.step_dim == 5
    kinds = [type(m) for m in enc.features]
    assert kinds.count(torch.nn.Conv2d) == 2 and kinds.count(torch.nn.ConvTranspose2d) == 2
    x = torch.randn(2, 3, 28, 28)
    assert enc(x).shape == (2, 10)
    states, mask = enc.encode_steps(x)
    # 28 -> 14 -> 7 (conv blocks) -> 14 -> 28 (transposed-conv blocks)
    assert states.shape == (2, 28 * 28, 5) and mask.all()
    # Odd sizes and other grid sides work (adaptive pooling).
    assert enc(torch.randn(2, 3, 17, 9)).shape == (2, 10)
    enc(x).sum().backward()
    assert all(p.grad is not None for p in enc.parameters())


def test_conv_and_mlp_step_states():
    conv = ConvEncoder(3, 10, channels=(4, 8))
    states, mask = conv.encode_steps(torch.randn(2, 3, 16, 12))
    assert conv.step_dim == 8 and states.shape == (2, 4 * 3, 8) and mask.shape == (2, 12) and mask.all()
    mlp = MLPEncoder(5, 6)
    x = torch.randn(4, 5)
    states, mask = mlp.encode_steps(x)
    assert states.shape == (4, 1, 6) and mask.all()
    torch.testing.assert_close(states[:, 0], mlp(x))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_step_states_mask_padding(cell, bidirectional):
    torch.manual_seed(0)
    enc = RecurrentEncoder(5, 7, cell=cell, bidirectional=bidirectional, num_layers=2).eval()
    lengths = torch.tensor([4, 2, 1])
    x = torch.randn(3, 4, 5)
    junk = torch.cat([x, torch.randn(3, 3, 5) * 100], dim=1)
    for i, n in enumerate(lengths):
        junk[i, n:] = torch.randn(7 - n, 5) * 100
    states, mask = enc.encode_steps(x, lengths)
    states_junk, mask_junk = enc.encode_steps(junk, lengths)
    assert enc.step_dim == 7 * (2 if bidirectional else 1)
    assert states.shape == (3, 4, enc.step_dim) and mask.tolist() == [
        [True] * 4, [True, True, False, False], [True, False, False, False]
    ]
    torch.testing.assert_close(states, states_junk)
    assert torch.equal(mask, mask_junk)
    assert (states[~mask] == 0).all()
    # Mean of the real steps is the "mean" pooling of forward.
    enc.pooling = "mean"
    torch.testing.assert_close(enc(x, lengths), (states * mask[..., None]).sum(1) / lengths[:, None])


def test_empty_token_sequence_has_one_step():
    enc = RecurrentEncoder(None, 6, vocab_size=10)
    ids = torch.tensor([[2, 3, 0], [0, 0, 0]])
    states, mask = enc.encode_steps(ids, (ids != 0).sum(1))
    assert states.shape == (2, 2, 6) and mask.tolist() == [[True, True], [True, False]]
    assert torch.isfinite(states).all()


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_recurrent_condition_initial_state_and_step_input(cell):
    torch.manual_seed(0)
    enc = RecurrentEncoder(None, 6, cell=cell, vocab_size=10, embedding_dim=4, num_layers=2, bidirectional=True)
    assert enc.init_shape == (4, 6) and enc.step_input_size == 4
    ids, lengths = torch.tensor([[2, 3, 4], [5, 0, 0]]), torch.tensor([3, 1])
    plain = enc(ids, lengths)
    torch.testing.assert_close(enc(ids, lengths, condition={"h0": torch.zeros(4, 2, 6)}), plain)
    torch.testing.assert_close(enc(ids, lengths, condition={"input": torch.zeros(2, 4)}), plain)
    h0 = torch.randn(4, 2, 6, requires_grad=True)
    step = torch.randn(2, 4, requires_grad=True)
    assert not torch.allclose(enc(ids, lengths, condition={"h0": h0}), plain)
    assert not torch.allclose(enc(ids, lengths, condition={"input": step}), plain)
    enc(ids, lengths, condition={"h0": h0, "input": step}).sum().backward()
    assert h0.grad.abs().sum() > 0 and step.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="condition takes keys"):
        enc(ids, lengths, condition={"c0": h0})


class LengthAwareMean(torch.nn.Module):
    """Mean of the real steps, then a linear layer (a user module that takes lengths)."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2)
        self.norm = torch.nn.BatchNorm1d(2)

    def forward(self, x, lengths):
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).unsqueeze(-1)
        return self.norm(self.linear((x * mask).sum(1) / lengths[:, None]))


def test_custom_wraps_a_module_passes_lengths_and_copies_it():
    user = LengthAwareMean()
    spec = Custom(user, output_dim=2)
    info = ModalityInfo("frames", (4, 3))
    enc1, enc2 = spec.build(info, hidden_size=8, dropout=0.0), spec.build(info, hidden_size=8, dropout=0.0)
    assert isinstance(enc1, CustomEncoder) and enc1.output_dim == 2
    assert enc1.module is not user and enc1.module.linear.weight is not enc2.module.linear.weight
    x, lengths = torch.randn(3, 4, 3), torch.tensor([4, 2, 1])
    junk = x.clone()
    junk[1, 2:] = 100.0
    enc1.eval()
    torch.testing.assert_close(enc1(x, lengths), enc1(junk, lengths))  # lengths reached the module
    with torch.no_grad():
        enc1.module.linear.weight.add_(1.0)
    assert not torch.equal(enc1.module.linear.weight, user.linear.weight)
    states, mask = enc1.encode_steps(x, lengths)
    assert states.shape == (3, 1, 2) and mask.all()


def test_custom_freeze_keeps_weights_and_batchnorm_statistics():
    spec = Custom(LengthAwareMean(), output_dim=2, freeze=True)
    enc = spec.build(ModalityInfo("frames", (4, 3)), hidden_size=8, dropout=0.0)
    assert not any(p.requires_grad for p in enc.parameters())
    enc.train()
    assert enc.training and not enc.module.training  # the wrapped module stays in eval mode
    before = {k: v.clone() for k, v in enc.module.state_dict().items()}
    out = enc(torch.randn(5, 4, 3), torch.tensor([4, 3, 2, 1, 4]))
    assert not out.requires_grad
    for key, value in enc.module.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_custom_module_without_lengths_and_wrong_output_size():
    enc = Custom(torch.nn.Linear(3, 4), output_dim=4).build(ModalityInfo("vector", (3,)), hidden_size=8, dropout=0)
    assert enc(torch.randn(2, 3), None).shape == (2, 4)
    bad = Custom(torch.nn.Linear(3, 5), output_dim=4).build(ModalityInfo("vector", (3,)), hidden_size=8, dropout=0)
    with pytest.raises(ValueError, match="output_dim=4"):
        bad(torch.randn(2, 3))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        Custom("resnet", output_dim=4).build(ModalityInfo("vector", (3,)), hidden_size=8, dropout=0)
    with pytest.raises(ValueError, match="encodes image"):
        resolve_encoder(Custom(torch.nn.Linear(3, 4), 4, kinds=("image",)), "v", ModalityInfo("vector", (3,)))


def tiny_data(n=24, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    text = rng.randint(1, 9, size=(n, 5))
    text[:, 3:] *= rng.rand(n, 2) < 0.5
    text[:, 4] *= text[:, 3] != 0
    image = rng.normal(size=(n, 1, 8, 8)).astype(np.float32) + y[:, None, None, None]
    vec = rng.normal(size=(n, 3)).astype(np.float32)
    return ModalityDict({"text": text, "image": image, "vec": vec}), y


def test_every_encoder_parameter_is_reachable_from_the_estimator():
    X, y = tiny_data()
    clf = MultimodalClassifier(encoders={"text": "lstm", "image": "deconv", "vec": "mlp"},
                               max_epochs=1, verbose=0, random_state=0)
    clf.set_params(
        encoders__text__hidden_size=5, encoders__text__num_layers=2, encoders__text__bidirectional=True,
        encoders__text__dropout=0.2, encoders__text__embedding_dim=3, encoders__text__pooling="last",
        encoders__image__channels=(3,), encoders__image__deconv_channels=(4,), encoders__image__hidden_size=6,
        encoders__image__pooled=2, encoders__image__dropout=0.3,
        encoders__vec__num_layers=2, encoders__vec__hidden_size=7,
    )
    params = clf.get_params()["encoders"]
    assert isinstance(params["text"], LSTM) and isinstance(params["image"], Deconv)
    modules = clone(clf).fit(X, y).net_.module_.encoders
    text, image, vec = modules["text"], modules["image"], modules["vec"]
    assert isinstance(text.rnn, torch.nn.LSTM) and text.rnn.num_layers == 2 and text.rnn.bidirectional
    assert text.rnn.hidden_size == 5 and text.rnn.dropout == 0.2 and text.embedding.embedding_dim == 3
    assert text.output_dim == 10  # last state of both directions
    assert isinstance(image, DeconvEncoder) and image.step_dim == 4 and image.output_dim == 6
    assert image.project[0].p == 0.3 and image.project[1].in_features == 4 * 2 * 2
    assert vec.output_dim == 7 and len([m for m in vec.layers if isinstance(m, torch.nn.Linear)]) == 2


@pytest.mark.parametrize("spec, cls", [(RNN(), torch.nn.RNN), (GRU(), torch.nn.GRU), (LSTM(), torch.nn.LSTM)])
def test_recurrent_specs_pick_their_cell(spec, cls):
    assert isinstance(spec.build(ModalityInfo("frames", (3, 2)), hidden_size=4, dropout=0).rnn, cls)


def test_cnn_pooled_and_mlp_params():
    cnn = CNN(channels=(2,), pooled=3).build(ModalityInfo("image", (1, 9, 9)), hidden_size=4, dropout=0)
    assert cnn.project[1].in_features == 2 * 3 * 3
    assert MLP(num_layers=3).build(ModalityInfo("vector", (2,)), hidden_size=4, dropout=0).output_dim == 4


def test_custom_encoder_in_an_estimator_never_touches_the_users_module():
    X, y = tiny_data()
    user = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    before = user[0].weight.detach().clone()
    clf = MultimodalClassifier(encoders={"vec": Custom(user, output_dim=4)}, max_epochs=2, verbose=0,
                               random_state=0, lr=0.05)
    a = clone(clf).fit(X, y)
    b = clone(clf).fit(X, y)
    wa, wb = (m.net_.module_.encoders["vec"].module[0].weight for m in (a, b))
    assert torch.equal(user[0].weight, before)  # the user's module is not trained
    assert not torch.equal(wa, before)  # the estimator's copy is
    assert wa is not wb and torch.equal(wa, wb)  # separate copies, seeded the same


@pytest.mark.parametrize(
    "spec, param",
    [
        (LSTM(pooling="sum"), "pooling"),
        (GRU(num_layers=0), "num_layers"),
        (RNN(bidirectional="yes"), "bidirectional"),
        (MLP(dropout=-0.1), "dropout"),
        (MLP(hidden_size=2.5), "hidden_size"),
        (CNN(pooled=0), "pooled"),
        (Deconv(deconv_channels=8), "deconv_channels"),
        (Custom(torch.nn.Linear(3, 4), output_dim=0), "output_dim"),
    ],
)
def test_encoder_parameters_checked_at_build(spec, param):
    info = ModalityInfo("image", (1, 8, 8)) if isinstance(spec, (CNN, Deconv)) else ModalityInfo("vector", (3,))
    if isinstance(spec, (RNN, GRU, LSTM)):
        info = ModalityInfo("frames", (5, 3))
    with pytest.raises(ValueError, match=f"'{param}' parameter of {type(spec).__name__}"):
        spec.build(info, hidden_size=8, dropout=0.0)


def test_every_encoder_module_declares_the_interface():
    from skmm.encoders import EncoderModule

    infos = {"tokens": ModalityInfo("tokens", (6,), vocab_size=9), "frames": ModalityInfo("frames", (5, 3)),
             "image": ModalityInfo("image", (1, 8, 8)), "vector": ModalityInfo("vector", (3,)),
             "video": ModalityInfo("video", (4, 1, 8, 8)), "sparse": ModalityInfo("sparse", (7,))}
    for name, spec_class in ENCODERS.items():
        module = spec_class().build(infos[spec_class.kinds[0]], hidden_size=8, dropout=0.0)
        assert isinstance(module, EncoderModule), name
        # A video's recurrent part (a GRU by default) takes the condition.
        assert module.takes_condition == (name in ("rnn", "gru", "lstm", "cnn_recurrent")), name
        assert isinstance(module.output_dim, int) and isinstance(module.step_dim, int), name
