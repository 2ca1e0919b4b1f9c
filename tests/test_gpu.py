"""The CUDA path; skipped on machines without a GPU."""

import numpy as np
import pytest
import torch

from skmm import MultimodalClassifier

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_cuda_moves_the_network_and_pins_batches(frame, make_prep):
    X, y = frame
    threads = torch.get_num_threads()
    params = dict(max_epochs=3, batch_size=16, hidden_size=16, random_state=0, verbose=0)
    gpu = MultimodalClassifier(make_prep(), device="cuda", **params).fit(X, y)
    assert all(p.is_cuda for p in gpu.net_.module_.parameters())
    loader = gpu.net_.get_iterator(gpu._dataset(gpu._input(X.head(4))), training=False)
    assert loader.pin_memory
    batch = next(iter(loader))[0]
    assert not next(iter(batch.values()))["x"].is_cuda  # preprocessing stays on the CPU
    cpu = MultimodalClassifier(make_prep(), device="cpu", **params).fit(X, y)
    # Same seeds on two devices: close, not bit-identical (different kernels).
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=0.1)
    assert gpu.score(X, y) > 0.6
    assert torch.get_num_threads() == threads  # the CPU side's thread count is scoped too
