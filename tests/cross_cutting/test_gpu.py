"""The CUDA path; skipped on machines without a GPU."""

import numpy as np
import pytest
import torch

from skmm import MultimodalClassifier
from skmm.estimators.data import predict_dataset

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_cuda_moves_the_network_and_pins_batches(frame, make_prep):
    X, y = frame
    threads = torch.get_num_threads()
    params = dict(max_epochs=3, batch_size=16, hidden_size=16, random_state=0, verbose=0)
    gpu = MultimodalClassifier(make_prep(), device="cuda", **params).fit(X, y)
    assert all(p.is_cuda for p in gpu.net_.module_.parameters())
    loader = gpu.net_.get_iterator(predict_dataset(gpu, X.head(4)), training=False)
    assert loader.pin_memory
    batch = next(iter(loader))[0]
    assert not next(iter(batch.values()))["x"].is_cuda  # preprocessing stays on the CPU
    cpu = MultimodalClassifier(make_prep(), device="cpu", **params).fit(X, y)
    # Same seeds on two devices: close, not bit-identical (different kernels).
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=0.1)
    assert gpu.score(X, y) > 0.6
    assert torch.get_num_threads() == threads  # the CPU side's thread count is scoped too


def test_embedding_rows_train_on_cuda(monkeypatch):
    import pandas as pd

    from skmm import ModalityTransformer
    from skmm.nn import optim
    from skmm.preprocessing import TextSequencer

    monkeypatch.setattr(optim, "SPARSE_MIN_ROWS", 50)
    rng = np.random.default_rng(0)
    vocab = [f"w{i}x{j}" for i in range(3) for j in range(60)]
    texts = [" ".join(rng.choice(vocab[60 * (i % 3): 60 * (i % 3 + 1)], 6)) for i in range(120)]
    X, y = pd.DataFrame({"text": texts}), pd.Series(np.arange(120) % 3)
    prep = ModalityTransformer([("text", TextSequencer(max_len=6), "text")])
    clf = MultimodalClassifier(prep, device="cuda", max_epochs=4, random_state=0, verbose=0).fit(X, y)
    table = clf.net_.module_.encoders["text"].embedding
    assert table.sparse and table.weight.is_cuda
    assert clf.score(X, y) > 0.6
