"""Stage two of balance="staged" reads frozen encoders' outputs kept by row instead of recomputing them."""

import numpy as np
import torch

from skmm import ModalityDict, MultimodalClassifier
from skmm.balance.frozen_outputs import FrozenOutputs


def _data(n=160, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 3
    frames = rng.normal(size=(n, 12, 3)).astype("float32")
    frames[:, :, 0] += y[:, None]
    tokens = rng.randint(2, 30, size=(n, 5)).astype("int64")
    tokens[:, 0] = 30 + (y == 2)
    return ModalityDict(audio=frames, text=tokens, num=rng.normal(size=(n, 2)).astype("float32")), y


def test_stage_two_runs_the_encoders_once_per_row(monkeypatch):
    X, y = _data()
    per_epoch = []

    class Count:
        def __init__(self):
            self.n = 0

    counter = Count()
    from skmm.encoders.conv1d import TemporalConvEncoder

    forward = TemporalConvEncoder.forward

    def counting(self, x, lengths=None):
        counter.n += len(x)
        return forward(self, x, lengths)

    monkeypatch.setattr(TemporalConvEncoder, "forward", counting)
    from skorch.callbacks import Callback

    class PerEpoch(Callback):
        def on_epoch_begin(self, net, **kwargs):
            self.fused = net.module_.balance.uses_fusion

        def on_epoch_end(self, net, **kwargs):
            per_epoch.append((self.fused, counter.n))
            counter.n = 0

    clf = MultimodalClassifier(balance="staged", max_epochs=16, n_iter_no_change=2, random_state=0, verbose=0,
                               callbacks=[PerEpoch()]).fit(X, y)
    stage_two = [n for fused, n in per_epoch if fused]
    assert len(stage_two) >= 2
    # The first epoch of stage two computes every row (training and validation) once; later ones none.
    assert stage_two[0] == len(y) and set(stage_two[1:]) == {0}
    assert clf.net_.module_.frozen_outputs is None  # dropped at the end of the fit: predict computes
    assert clf.score(X, y) > 0.6


def test_kept_outputs_train_the_fusion_as_recomputed_ones_would(monkeypatch):
    X, y = _data()
    kept = MultimodalClassifier(balance="staged", max_epochs=16, n_iter_no_change=2, random_state=0,
                                verbose=0).fit(X, y)
    monkeypatch.setattr(FrozenOutputs, "get", lambda self, key, rows, compute: compute())
    recomputed = MultimodalClassifier(balance="staged", max_epochs=16, n_iter_no_change=2, random_state=0,
                                      verbose=0).fit(X, y)
    assert len(kept.history_) == len(recomputed.history_)
    np.testing.assert_allclose(kept.predict_proba(X), recomputed.predict_proba(X), atol=1e-5)


def test_augmented_modalities_are_not_kept():
    X, y = _data()
    clf = MultimodalClassifier(balance="staged", augment={"audio": "auto"}, max_epochs=12, n_iter_no_change=2,
                               random_state=0, verbose=0)
    clf.fit(X, y)
    assert clf.score(X, y) > 0.5


def test_cache_grows_and_recomputes_a_batch_with_an_unseen_row():
    cache, calls = FrozenOutputs(), []

    def compute(value):
        def run():
            calls.append(value)
            return torch.full((2, 1), float(value))
        return run

    assert cache.get("a", torch.tensor([0, 1]), compute(1)).flatten().tolist() == [1.0, 1.0]
    assert cache.get("a", torch.tensor([9, 1]), compute(2)).flatten().tolist() == [2.0, 2.0]
    assert cache.get("a", torch.tensor([9, 0]), compute(3)).flatten().tolist() == [2.0, 1.0]
    assert calls == [1, 2]
