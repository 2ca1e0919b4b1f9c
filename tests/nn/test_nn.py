import pytest
import torch

from skmm.data.inputs import ModalityInfo
from skmm.encoders import CNN, GRU, LSTM, MLP, RNN, ConvEncoder, MLPEncoder, RecurrentEncoder
from skmm.encoders.recurrent import POOLINGS
from skmm.fusion import ConcatFusion
from skmm.fusion.head import make_head
from skmm.nn import MultimodalNetwork


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_never_changes_the_encoding(cell, pooling, bidirectional):
    torch.manual_seed(0)
    enc = RecurrentEncoder(5, 7, cell=cell, pooling=pooling, bidirectional=bidirectional, num_layers=2).eval()
    x = torch.randn(3, 4, 5)
    lengths = torch.tensor([4, 2, 1])
    padded = torch.cat([x, torch.randn(3, 6, 5)], dim=1)  # 6 junk steps after every sequence
    for i, n in enumerate(lengths):
        padded[i, n:] = torch.randn(padded.shape[1] - n, 5) * 100  # junk where padding is
    out_short, out_long = enc(x, lengths), enc(padded, lengths)
    assert out_short.shape == (3, enc.output_dim)
    torch.testing.assert_close(out_short, out_long)


def test_token_input_is_embedded_and_empty_rows_work():
    enc = RecurrentEncoder(None, 6, vocab_size=10, embedding_dim=4)
    ids = torch.tensor([[2, 3, 0], [0, 0, 0]])
    out = enc(ids, (ids != 0).sum(1))
    assert out.shape == (2, enc.output_dim) and torch.isfinite(out).all()


def test_conv_and_mlp_shapes():
    assert ConvEncoder(3, 10, channels=(4, 8))(torch.randn(2, 3, 17, 9)).shape == (2, 10)
    assert MLPEncoder(5, 6, num_layers=2)(torch.randn(4, 5)).shape == (4, 6)


def test_concat_fusion_orders_by_name():
    fusion = ConcatFusion({"b": 1, "a": 2})
    out = fusion({"b": torch.ones(1, 1), "a": torch.zeros(1, 2)})
    assert fusion.output_dim == 3 and out.tolist() == [[0, 0, 1]]


def test_gradients_reach_every_encoder():
    infos = {
        "text": ModalityInfo("tokens", (5,), vocab_size=9),
        "audio": ModalityInfo("frames", (6, 4)),
        "image": ModalityInfo("image", (1, 8, 8)),
        "num": ModalityInfo("vector", (3,)),
    }
    specs = {"text": GRU(), "audio": LSTM(), "image": CNN(), "num": MLP()}
    encoders = {name: specs[name].build(info, hidden_size=8, dropout=0.0) for name, info in infos.items()}
    fusion = ConcatFusion({n: e.output_dim for n, e in encoders.items()})
    net = MultimodalNetwork(encoders, fusion, make_head(fusion.output_dim, 8, 3, 0.0))
    batch = {
        "text": {"x": torch.randint(1, 9, (4, 5)), "lengths": torch.tensor([5, 3, 1, 2])},
        "audio": {"x": torch.randn(4, 6, 4), "lengths": torch.tensor([6, 6, 2, 1])},
        "image": {"x": torch.randn(4, 1, 8, 8)},
        "num": {"x": torch.randn(4, 3)},
    }
    net(batch).sum().backward()
    for name, encoder in net.encoders.items():
        grads = [p.grad for p in encoder.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads), name
        assert any(g.abs().sum() > 0 for g in grads), name


def test_rnn_spec_builds_a_vanilla_rnn():
    enc = RNN(hidden_size=5, pooling="last").build(ModalityInfo("frames", (3, 2)), hidden_size=9, dropout=0.0)
    assert isinstance(enc.rnn, torch.nn.RNN) and enc.output_dim == 5


def test_bad_cell_and_pooling():
    with pytest.raises(ValueError, match="cell"):
        RecurrentEncoder(3, 4, cell="transformer")
    with pytest.raises(ValueError, match="pooling"):
        RecurrentEncoder(3, 4, pooling="sum")


def test_batch_loader_covers_every_row_once_per_epoch():
    from skmm.data.inputs import ModalityDataset, batch_loader

    dataset = ModalityDataset({"v": {"x": torch.arange(10.0)[:, None]}}, torch.arange(10))
    torch.manual_seed(0)
    batches = list(batch_loader(dataset, batch_size=4, shuffle=True))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    seen = torch.cat([y for _, y in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    ordered = torch.cat([y for _, y in batch_loader(dataset, batch_size=3)])
    assert ordered.tolist() == list(range(10))
    assert torch.equal(torch.cat([X["v"]["x"][:, 0] for X, _ in batches]), seen.float())
