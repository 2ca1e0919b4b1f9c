"""Each fit owns its random stream (threads, resume) and checkpoints never fail silently."""

import errno
import os
import warnings

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed, parallel_backend
from test_reliability import _Crash
from test_reliability import _Interrupt as _CrashAfter

import skmm.persistence.checkpoint as checkpoint_module
from skmm import MultimodalClassifier

# Dropout, modality dropout, shuffling, a validation split and a schedule:
# every random and stateful part of training.
PARAMS = dict(
    hidden_size=16, batch_size=16, max_epochs=5, dropout=0.3, modality_dropout=0.3,
    validation_fraction=0.2, lr_schedule="cosine", verbose=0,
)


def _data(seed=0, n=80):
    rng = np.random.RandomState(seed)
    X = {"a": rng.normal(size=(n, 5)).astype("float32"), "b": rng.normal(size=(n, 3)).astype("float32")}
    return X, (X["a"][:, 0] + X["b"][:, 1] > 0).astype(int)


def _weights(clf):
    return [p.detach().clone() for p in clf.net_.module_.parameters()]


def _assert_same_fit(a, b):
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        assert torch.equal(wa, wb)
    assert a.history_[:, "train_loss"] == b.history_[:, "train_loss"]


def _fit(seed, data, **extra):
    return MultimodalClassifier(random_state=seed, **{**PARAMS, **extra}).fit(*data)


def test_seeded_fits_in_two_threads_equal_the_same_fits_in_turn():
    jobs = [(seed, _data(seed)) for seed in range(4)]
    serial = [_fit(seed, data) for seed, data in jobs]
    with parallel_backend("threading", n_jobs=2):
        threaded = Parallel()(delayed(_fit)(seed, data) for seed, data in jobs)
    for a, b in zip(serial, threaded):
        _assert_same_fit(a, b)
    # Different seeds do give different fits (the comparison can fail).
    assert not torch.equal(_weights(serial[0])[0], _weights(serial[1])[0])


def test_fit_leaves_the_global_torch_stream_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    _fit(0, _data())
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("extra", [{}, {"early_stopping": True, "lr_schedule": "plateau", "n_iter_no_change": 2}])
def test_fit_killed_after_epoch_k_and_resumed_equals_an_uninterrupted_fit(tmp_path, extra):
    data = _data()
    uninterrupted = _fit(3, data, **extra)
    folder = tmp_path / "ckpt"
    with pytest.raises(_Crash):
        _fit(3, data, checkpoint_dir=folder, callbacks=[_CrashAfter(2)], **extra)
    resumed = _fit(3, data, checkpoint_dir=folder, **extra)
    assert resumed.history_[2]["resumed_from_epoch"] == 2
    _assert_same_fit(uninterrupted, resumed)
    np.testing.assert_array_equal(resumed.predict_proba(data[0]), uninterrupted.predict_proba(data[0]))


def test_a_fit_with_a_wide_part_resumes_exactly(tmp_path):
    import scipy.sparse as sp

    X, y = _data()
    # A sparse modality: the wide part, trained by its own SGD with momentum.
    c = sp.random(len(y), 40, density=0.2, format="lil", random_state=0, dtype=np.float32)
    c[:, 0] = y[:, None]  # in LIL form: setting a column of a CSR matrix warns that it is slow
    X["c"] = c.tocsr()
    uninterrupted = _fit(3, (X, y))
    folder = tmp_path / "ckpt"
    with pytest.raises(_Crash):
        _fit(3, (X, y), checkpoint_dir=folder, callbacks=[_CrashAfter(2)])
    resumed = _fit(3, (X, y), checkpoint_dir=folder)
    assert hasattr(resumed.net_, "wide_optimizer_")
    _assert_same_fit(uninterrupted, resumed)


def test_a_finished_checkpoint_is_returned_as_is(tmp_path):
    data = _data()
    first = _fit(0, data, checkpoint_dir=tmp_path)
    again = _fit(0, data, checkpoint_dir=tmp_path)
    _assert_same_fit(first, again)


def test_unwritable_checkpoint_dir_fails_before_training(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    clf = MultimodalClassifier(checkpoint_dir=blocker / "ckpt", **PARAMS)
    with pytest.raises(ValueError, match=r"checkpoint_dir '.*a_file/ckpt' is not a writable folder"):
        clf.fit(*_data())
    assert not hasattr(clf, "net_")


def test_a_failed_save_raises_and_leaves_no_partial_file(tmp_path, monkeypatch):
    def disk_full(obj, f):
        f.write(b"half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", disk_full)
    with pytest.raises(OSError, match=r"could not write the checkpoint '.*checkpoint.pt' \(No space left"):
        _fit(0, _data(), checkpoint_dir=tmp_path)
    assert os.listdir(tmp_path) == []


def test_a_kill_mid_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    data = _data()
    uninterrupted = _fit(3, data)
    real_save = torch.save
    calls = []

    def killed_on_third_write(obj, f):
        calls.append(1)
        if len(calls) == 3:
            f.write(b"torn")
            raise _Crash("killed while writing epoch 3")
        real_save(obj, f)

    monkeypatch.setattr(checkpoint_module.torch, "save", killed_on_third_write)
    with pytest.raises(_Crash):
        _fit(3, data, checkpoint_dir=tmp_path)
    monkeypatch.setattr(checkpoint_module.torch, "save", real_save)
    assert os.listdir(tmp_path) == ["checkpoint.pt"]  # no temporary file left behind
    resumed = _fit(3, data, checkpoint_dir=tmp_path)
    assert resumed.history_[2]["resumed_from_epoch"] == 2
    _assert_same_fit(uninterrupted, resumed)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 torn zip", b"\x80\x04 not a checkpoint"])
def test_a_torn_checkpoint_names_the_file_and_what_to_do(tmp_path, content):
    (tmp_path / "checkpoint.pt").write_bytes(content)
    # Refused before torch reads it: no warning about a pickle's protocol, only skmm's error.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"checkpoint '.*checkpoint.pt' is damaged .* delete '.*' to start over"):
            _fit(0, _data(), checkpoint_dir=tmp_path)


def test_a_truncated_real_checkpoint_is_refused(tmp_path):
    _fit(0, _data(), checkpoint_dir=tmp_path, max_epochs=1)
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match="is damaged"):
        _fit(0, _data(), checkpoint_dir=tmp_path)


@pytest.mark.parametrize("change, match", [
    ({"hidden_size": 8}, r"hidden_size is 16 there and 8 here"),
    ({"fusion": "attention"}, r"fusion is 'Concat' there and 'Attention' here"),
    ({"random_state": 1}, r"random_state is 0 there and 1 here"),
])
def test_a_checkpoint_from_another_configuration_names_the_difference(tmp_path, change, match):
    with pytest.raises(_Crash):
        _fit(0, _data(), checkpoint_dir=tmp_path, callbacks=[_CrashAfter(1)])
    params = {**PARAMS, "random_state": 0, **change}
    with pytest.raises(ValueError, match=match + r".*delete"):
        MultimodalClassifier(checkpoint_dir=tmp_path, **params).fit(*_data())


def test_an_old_skorch_checkpoint_is_not_silently_mixed_in(tmp_path):
    (tmp_path / "history.json").write_text("[]")
    with pytest.raises(ValueError, match=r"holds \['history.json'\] from an older skmm checkpoint"):
        _fit(0, _data(), checkpoint_dir=tmp_path)


def test_an_unseeded_fit_resumes_with_its_own_seed(tmp_path):
    data = _data()
    with pytest.raises(_Crash):
        _fit(None, data, checkpoint_dir=tmp_path, callbacks=[_CrashAfter(2)])
    seed = torch.load(tmp_path / "checkpoint.pt", weights_only=True)["seed"]
    resumed = _fit(None, data, checkpoint_dir=tmp_path)
    _assert_same_fit(_fit(seed, data), resumed)


class _CtrlC(_CrashAfter):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.after:
            raise KeyboardInterrupt  # skorch ends the fit quietly, as on Ctrl-C


def test_a_fit_stopped_by_ctrl_c_resumes_exactly(tmp_path):
    data = _data()
    stopped = _fit(3, data, checkpoint_dir=tmp_path, callbacks=[_CtrlC(2)])
    assert len(stopped.history_) == 2
    resumed = _fit(3, data, checkpoint_dir=tmp_path)
    assert resumed.history_[2]["resumed_from_epoch"] == 2
    _assert_same_fit(_fit(3, data), resumed)
