"""Thread counts chosen per call and never left behind."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from threadpoolctl import threadpool_info

from skmm import MultimodalClassifier, MultimodalRegressor
from skmm.utils.threads import choose_threads, cores, load, thread_limit, usable_cores


def _settings():
    """Every global thread setting a call could change."""
    return torch.get_num_threads(), sorted((i["filepath"], i["num_threads"]) for i in threadpool_info())


@pytest.fixture
def caller_threads():
    """The caller's own choice (3, unusual on purpose), restored after the test."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield _settings()
    torch.set_num_threads(before)


def _data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = {"a": rng.normal(size=(n, 4)).astype("float32")}
    return X, (X["a"][:, 0] > 0).astype(int)


class _SeenThreads(Callback):
    def __init__(self):
        self.seen = []

    def on_batch_begin(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())


def test_thread_limit_restores_settings_after_exit_and_exception(caller_threads):
    with thread_limit(1):
        assert torch.get_num_threads() == 1
        assert all(i["num_threads"] == 1 for i in threadpool_info())
    assert _settings() == caller_threads
    with pytest.raises(RuntimeError, match="boom"):
        with thread_limit(1):
            raise RuntimeError("boom")
    assert _settings() == caller_threads


def test_fit_and_predict_use_n_threads_and_restore(caller_threads):
    X, y = _data()
    seen = _SeenThreads()
    clf = MultimodalClassifier(max_epochs=2, n_threads=1, callbacks=[seen], random_state=0, verbose=0)
    clf.fit(X, y)
    assert set(seen.seen) == {1}
    assert _settings() == caller_threads
    clf.predict_proba(X), clf.predict(X), clf.score(X, y)
    assert _settings() == caller_threads
    reg = MultimodalRegressor(max_epochs=1, n_threads=2, random_state=0, verbose=0).fit(X, y.astype(float))
    reg.predict(X)
    assert _settings() == caller_threads
    # Each epoch's history says how many threads it ran on (exact repeats need the same counts).
    assert clf.history_[:, "threads"] == [1, 1] and reg.history_[:, "threads"] == [2]
    default = MultimodalClassifier(max_epochs=2, random_state=0, verbose=0).fit(X, y)
    assert len(default.history_[:, "threads"]) == 2
    assert all(1 <= n <= usable_cores() for n in default.history_[:, "threads"])


def test_failed_fit_and_predict_restore_settings(caller_threads):
    X, y = _data()

    class Boom(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        MultimodalClassifier(max_epochs=2, n_threads=1, callbacks=[Boom()], verbose=0).fit(X, y)
    assert _settings() == caller_threads
    clf = MultimodalClassifier(max_epochs=1, n_threads=1, verbose=0).fit(X, y)
    with pytest.raises(ValueError):
        clf.predict({"b": X["a"]})  # wrong modality, raised inside the scope
    assert _settings() == caller_threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_n_threads_validation(bad):
    X, y = _data(20)
    with pytest.raises(ValueError, match="n_threads"):
        MultimodalClassifier(n_threads=bad, max_epochs=1, verbose=0).fit(X, y)


def test_default_is_bounded_by_affinity_quota_and_load(monkeypatch):
    monkeypatch.setattr(load._meter, "other_busy_cores", lambda: 0.0)
    monkeypatch.setattr(cores, "_affinity", lambda: [0, 1, 2, 3])
    monkeypatch.setattr(cores, "_cgroup_cores", lambda: None)
    assert choose_threads(None, n_rows=10_000) == 4
    monkeypatch.setattr(load._meter, "other_busy_cores", lambda: 1.0)
    assert choose_threads(None, n_rows=10_000) == 3
    monkeypatch.setattr(load._meter, "other_busy_cores", lambda: 0.05)
    monkeypatch.setattr(cores, "_cgroup_cores", lambda: 2.5)  # quota of 2.5 cores
    assert usable_cores() == 2
    assert choose_threads(None, n_rows=10_000) == 2
    monkeypatch.setattr(cores, "_affinity", lambda: [3])
    assert choose_threads(None, n_rows=10_000) == 1
    assert choose_threads(5, n_rows=10) == 5  # asked for: honoured
    monkeypatch.setattr(cores, "_affinity", lambda: [0, 1])
    monkeypatch.setattr(load._meter, "other_busy_cores", lambda: 0.0)
    assert choose_threads(None, n_rows=10) == 1  # small work


def test_real_choice_never_exceeds_usable_cores():
    assert 1 <= choose_threads(None, n_rows=10_000) <= usable_cores()
    assert usable_cores() <= len(__import__("os").sched_getaffinity(0))


def test_workers_get_one_thread(monkeypatch):
    monkeypatch.setattr(load._meter, "other_busy_cores", lambda: 0.0)
    monkeypatch.setattr(cores, "_affinity", lambda: [0, 1, 2, 3])
    got = {}
    worker = threading.Thread(target=lambda: got.update(auto=choose_threads(None, 10_000), asked=choose_threads(2)))
    worker.start()
    worker.join()
    assert got == {"auto": 1, "asked": 2}


def test_loky_worker_gets_one_thread():
    from joblib import Parallel, delayed

    counts = Parallel(n_jobs=2, backend="loky")(delayed(choose_threads)(None, 10_000) for _ in range(2))
    assert counts == [1, 1]


def test_overlapping_fits_in_threads_leave_nothing_behind(caller_threads):
    X, y = _data()
    errors = []

    def fit():
        try:
            MultimodalClassifier(max_epochs=2, n_threads=1, random_state=0, verbose=0).fit(X, y).predict(X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=fit) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert _settings() == caller_threads


@pytest.mark.parametrize("n_threads", [1, 2])
def test_seeded_fits_repeat_whatever_the_thread_count(n_threads):
    X, y = _data()
    fits = [MultimodalClassifier(max_epochs=2, n_threads=n_threads, random_state=0, verbose=0).fit(X, y)
            for _ in range(2)]
    assert all(fit.history_[:, "threads"] == [n_threads] * 2 for fit in fits)  # really fitted on that many
    a, b = (fit.predict_proba(X) for fit in fits)
    np.testing.assert_array_equal(a, b)


def _cpu_seconds(pid):
    """User + system CPU seconds of process ``pid`` so far (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="the meter reads /proc (Linux)")
def test_meter_sees_another_process_burning_a_core():
    # However much CPU the scheduler gives the burner, the meter must count at least that much:
    # its own window encloses the interval over which the burner's CPU time is read.
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # inherits our CPU affinity
    try:
        time.sleep(0.3)  # let it start
        meter = load._LoadMeter()
        meter.other_busy_cores()  # the first reading; the next one measures from here
        started, burned = time.monotonic(), _cpu_seconds(burner.pid)
        time.sleep(0.5)
        burned = _cpu_seconds(burner.pid) - burned
        busy = meter.other_busy_cores()
        wall = time.monotonic() - started
    finally:
        burner.kill()
        burner.wait()
    # One clock tick (/proc counts in them) either side of each reading.
    assert busy >= 0.95 * burned / wall - 4 / os.sysconf("SC_CLK_TCK") / wall


def test_meter_subtracts_this_process_cpu_time(monkeypatch):
    # (wall seconds, busy CPU seconds of our cores, this process's CPU seconds)
    readings = iter([(100.0, 50.0, 10.0), (101.0, 51.5, 11.0)])
    monkeypatch.setattr(load, "_cpu_snapshot", lambda cpus: next(readings))
    meter = load._LoadMeter()
    assert meter.other_busy_cores() == pytest.approx(0.5)  # 1.5 core-seconds busy, 1.0 of them ours


def test_nested_blocks_take_the_smallest_and_give_it_back(caller_threads):
    with thread_limit(2):
        with thread_limit(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2  # the outer block's count is back
        with thread_limit(4):
            assert torch.get_num_threads() == 2  # an inner block never raises it
    assert _settings() == caller_threads


def test_inspection_runs_under_the_estimator_thread_count(caller_threads):
    from skmm.inspection import modality_importance

    X, y = _data()
    clf = MultimodalClassifier(max_epochs=1, n_threads=1, random_state=0, verbose=0).fit(X, y)
    seen = []
    original = clf.predict_proba
    clf.predict_proba = lambda data: seen.append(torch.get_num_threads()) or original(data)
    modality_importance(clf, X, y, n_repeats=2, random_state=0)
    assert seen and set(seen) == {1}
    assert _settings() == caller_threads


def test_meter_reuses_a_reading_taken_moments_ago(monkeypatch):
    readings = iter([(100.0, 50.0, 10.0), (101.0, 51.5, 11.0), (101.01, 60.0, 11.0)])
    monkeypatch.setattr(load, "_cpu_snapshot", lambda cpus: next(readings))
    meter = load._LoadMeter()
    assert meter.other_busy_cores() == pytest.approx(0.5)
    assert meter.other_busy_cores() == pytest.approx(0.5)  # 10 ms later: no new window, no waiting
