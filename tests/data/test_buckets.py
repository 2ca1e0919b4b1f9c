"""Length-aware batches: similar lengths together, each batch cut to its longest row."""

import math

import numpy as np
import pytest
import torch

from skmm import ModalityDict, MultimodalClassifier
from skmm.data.buckets import length_batches, sort_lengths, step_axes, trim_batch
from skmm.data.kinds import describe
from skmm.encoders.conv1d import TemporalConvEncoder


def _long_tailed(n=400, seed=0):
    rng = np.random.RandomState(seed)
    return torch.as_tensor(np.minimum(rng.lognormal(3, 0.8, n).astype(int) + 1, 400))


def test_every_row_once_in_batches_of_similar_length():
    lengths = _long_tailed()
    batches = length_batches(lengths, 16, torch.Generator().manual_seed(0))
    rows = torch.cat(batches)
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    assert max(len(b) for b in batches) == 16
    padded = sum(len(b) * int(lengths[b].max()) for b in batches)
    random = sum(len(b) * int(lengths[b].max()) for b in torch.randperm(len(lengths)).split(16))
    # Cut to their own longest row, sorted batches pad far less than random ones.
    assert padded < 0.6 * random


def test_batches_are_seeded_and_change_between_epochs():
    lengths = _long_tailed()
    first = length_batches(lengths, 16, torch.Generator().manual_seed(3))
    again = length_batches(lengths, 16, torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    generator = torch.Generator().manual_seed(3)
    epoch_1, epoch_2 = length_batches(lengths, 16, generator), length_batches(lengths, 16, generator)
    assert [b.tolist() for b in epoch_1] != [b.tolist() for b in epoch_2]


def test_sorting_only_where_padding_is_most_of_the_work():
    tensors = {"a": {"x": torch.zeros(4, 10, 3), "lengths": torch.tensor([10, 9, 8, 10])}}
    assert sort_lengths(tensors, {"a": 1}) is None  # near-equal lengths: random batches
    tensors["a"]["lengths"] = torch.tensor([10, 1, 2, 1])
    assert sort_lengths(tensors, {"a": 1}).tolist() == [10, 1, 2, 1]
    # The modality with the largest padded rows decides.
    tensors["b"] = {"x": torch.zeros(4, 50, 40), "lengths": torch.tensor([50, 49, 50, 48])}
    assert sort_lengths(tensors, {"a": 1, "b": 1}) is None


def test_trim_cuts_each_sequence_to_the_batch_longest_row():
    X = {
        "audio": {"x": torch.zeros(2, 30, 4), "lengths": torch.tensor([7, 3]), "present": torch.ones(2, dtype=bool)},
        "tok": {"x": torch.zeros(2, 2, 12, dtype=torch.int64), "lengths": torch.tensor([0, 0])},
        "img": {"x": torch.zeros(2, 3, 8, 8)},
    }
    out = trim_batch(X, {"audio": 1, "tok": 2})
    assert out["audio"]["x"].shape == (2, 7, 4) and out["audio"]["present"] is X["audio"]["present"]
    assert out["tok"]["x"].shape == (2, 2, 1)  # no real token: one step is kept
    assert out["img"] is X["img"]
    assert X["audio"]["x"].shape == (2, 30, 4)  # the batch itself is not changed


def test_step_axes_follow_the_kind():
    infos = describe({
        "f": np.zeros((2, 5, 3), np.float32), "t": np.ones((2, 4), np.int64), "v": np.zeros((2, 3), np.float32),
    })
    assert step_axes(infos) == {"f": 1, "t": 1}


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_encoder_gives_a_row_the_same_output_however_far_it_is_padded(stride):
    torch.manual_seed(0)
    encoder = TemporalConvEncoder(6, 8, channels=(5, 5, 5), stride=stride).eval()
    states, mask = encoder.encode_steps(torch.randn(2, 23, 6), torch.tensor([23, 9]))
    # The stride keeps ceil(T / stride) steps, then each of the 3 blocks halves them (rounding up).
    assert mask.sum(1).tolist() == [math.ceil(math.ceil(t / stride) / 8) for t in (23, 9)]
    frames = torch.randn(2, 23, 6)
    lengths = torch.tensor([23, 9])
    short = encoder(frames[1:, :9], lengths[1:])
    padded = encoder(torch.cat([frames, torch.zeros(2, 40, 6)], dim=1), lengths)
    torch.testing.assert_close(padded[1:], short, atol=1e-5, rtol=1e-5)


def _frames_data(n=400, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    frames = np.full((n, 120, 4), np.nan, np.float32)
    for i, n_steps in enumerate(np.where(rng.rand(n) < 0.1, 120, rng.randint(4, 20, n))):
        frames[i, :n_steps] = rng.randn(n_steps, 4) + y[i]
    return ModalityDict({"audio": frames, "num": rng.randn(n, 2).astype(np.float32)}), y


@pytest.mark.parametrize("length_aware", [True, False])
def test_fit_trains_on_cut_batches_and_repeats_with_its_seed(length_aware):
    X, y = _frames_data()
    widths = []
    params = dict(max_epochs=2, batch_size=16, balance="none", length_aware_batching=length_aware, random_state=0,
                  verbose=0)
    first = MultimodalClassifier(**params).fit(X, y)
    again = MultimodalClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    first.net_.module_.encoders["audio"].register_forward_pre_hook(
        lambda module, args: widths.append(args[0].shape[1]) if module.training else None)
    first.partial_fit(X, y)
    if length_aware:
        assert min(widths) < 120  # most rows are short: their batch is cut
    else:
        assert set(widths) == {120}
