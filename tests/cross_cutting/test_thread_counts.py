"""What the README says about seeded fits and the number of CPU threads."""

import numpy as np
import pytest
import torch

from skmm import MultimodalClassifier

# Small: on a loaded machine every parallel region with 2 threads waits for a core.
FAST = {"max_epochs": 2, "batch_size": 32, "verbose": 0}


@pytest.fixture
def threads():
    """Set torch's intra-op thread count for a test, and put the old one back."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


def test_seeded_fit_same_threads_exact_other_threads_close(frame, make_prep, threads):
    X, y = frame

    def fit(n):
        threads(n)
        prep = make_prep(number=False).set_params(audio="drop")  # the CNN and the GRU run in parallel regions
        return MultimodalClassifier(prep, random_state=0, **FAST).fit(X, y).predict_proba(X)

    one = fit(1)
    np.testing.assert_array_equal(fit(1), one)  # same seed, same thread count: bit for bit
    # Another thread count sums in another order: float rounding only, not another model
    # (the README's "What reproduces" gives the sizes measured on the demo).
    np.testing.assert_allclose(fit(2), one, atol=1e-3)
