"""Training through Hugging Face Accelerate, on the CPU in one process."""

import pickle

import numpy as np
import pytest

pytest.importorskip("accelerate")

from skmm import MultimodalClassifier  # noqa: E402
from skmm.accelerate import AcceleratedMultimodalClassifier  # noqa: E402

FAST = dict(max_epochs=6, batch_size=16, hidden_size=16, lr=5e-3, random_state=0, verbose=0)


def test_accelerated_fit_learns_and_round_trips(frame, make_prep, capsys):
    X, y = frame
    clf = AcceleratedMultimodalClassifier(make_prep(), **FAST).fit(X, y)
    assert capsys.readouterr().out == ""  # verbose=0 is silent through the accelerator too
    assert type(clf.net_).__name__ == "AcceleratedModalityNet"
    assert clf.score(X, y) > 0.8
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # Same seeds, same network: the plain estimator trains to the same weights on the CPU.
    plain = MultimodalClassifier(make_prep(), **FAST).fit(X, y)
    np.testing.assert_allclose(plain.predict_proba(X), clf.predict_proba(X), atol=1e-5)
