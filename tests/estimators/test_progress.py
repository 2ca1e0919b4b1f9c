"""What training prints: nothing at verbose=0; a table and a progress bar at verbose=1."""

import io
import re
import sys

import numpy as np

from skmm import ModalityDict, MultimodalClassifier

FAST = dict(max_epochs=3, batch_size=16, hidden_size=8, random_state=0)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _data():
    rng = np.random.RandomState(0)
    X = ModalityDict(a=rng.normal(size=(64, 3)).astype("float32"))
    return X, (X["a"][:, 0] > 0).astype(int)


def test_verbose_zero_prints_nothing(capsys):
    X, y = _data()
    clf = MultimodalClassifier(verbose=0, **FAST).fit(X, y)
    clf.partial_fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_on_a_terminal(monkeypatch):
    X, y = _data()
    out, err = _Terminal(), _Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    MultimodalClassifier(verbose=1, validation_fraction=0.25, **FAST).fit(X, y)
    # 48 training rows in 3 batches + 16 validation rows in 1: 4 batches per epoch.
    assert len(re.findall(r"\b0/4 \[", err.getvalue())) == FAST["max_epochs"]
    assert "train_loss" in out.getvalue() and "\x1b[" in out.getvalue()  # colours on a terminal


def test_files_get_the_table_without_colour_codes_or_bars(capsys):
    X, y = _data()
    MultimodalClassifier(verbose=1, **FAST).fit(X, y)
    out, err = capsys.readouterr()  # capsys streams are not terminals
    assert "train_loss" in out and re.search(r"^\s+3\s", out, flags=re.MULTILINE)
    assert "\x1b[" not in out
    assert err == ""
