"""Models saved by older skmm code (``tests/persistence/saved_models/``, written by ``tools/write_saved_models.py``
before the package's modules moved) load and predict as they did."""

import pickle
import pickletools
from pathlib import Path

import numpy as np
import pytest
from saved_models import ESTIMATORS, as_frame, make_estimator, outputs

FOLDER = Path(__file__).parent / "saved_models"


def _inputs():
    with np.load(FOLDER / "inputs.npz") as data:
        return {k: data[k] for k in data.files}


def _expected(kind):
    with np.load(FOLDER / f"{kind}_outputs.npz") as data:
        return {k: data[k] for k in data.files}


def _named_modules(path):
    """The modules a pickle names (the strings before each class or function it loads)."""
    strings, modules = [], set()
    for op, arg, _ in pickletools.genops(path.read_bytes()):
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            modules.add(strings[-2])
        elif op.name == "GLOBAL":
            modules.add(arg.split(" ")[0])
    return modules


def _check_same(kind, got, expected):
    assert sorted(got) == sorted(expected)
    if kind == "classifier":
        np.testing.assert_array_equal(got["predict"], expected["predict"])
    for key in got:
        # Bit for bit on the machine that wrote them; another CPU's kernels may round differently.
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_pickles_written_before_the_move_name_the_old_private_modules(kind):
    # Otherwise the files were rewritten by the new layout and test nothing about the old one.
    assert {"skmm._skorch_net", "skmm._threads", "skmm.nn.kinds"} <= _named_modules(FOLDER / f"{kind}.pkl")


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_saved_pickle_and_params_file_load_and_predict_as_before(kind):
    X = as_frame(_inputs())
    with open(FOLDER / f"{kind}.pkl", "rb") as f:
        unpickled = pickle.load(f)
    loaded = make_estimator(kind).load_params(FOLDER / f"{kind}.params")
    from_pickle, from_params = outputs(unpickled, X), outputs(loaded, X)
    for key in from_pickle:
        np.testing.assert_array_equal(from_pickle[key], from_params[key])
    _check_same(kind, from_pickle, _expected(kind))


def test_an_unpickled_model_keeps_training():
    # The unpickled net's callbacks and optimizer (named by their old modules) still run.
    inputs = _inputs()
    with open(FOLDER / "classifier.pkl", "rb") as f:
        clf = pickle.load(f)
    epochs = len(clf.history_)
    clf.set_params(warm_start=True, max_epochs=1).fit(as_frame(inputs), inputs["y"])
    assert len(clf.history_) == epochs + 1
    last = clf.history_[-1]
    assert last["threads"] == 1 and np.isfinite(last["train_loss"])  # RetuneThreads and the loss ran
