"""MultipleChoiceClassifier: each row's candidates scored against its context."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skmm import ModalityDict, ModalityTransformer, MultipleChoiceClassifier
from skmm.estimators.choices import answer_indices, long_frame, split_long
from skmm.preprocessing import TextSequencer

FAST = dict(hidden_size=16, max_epochs=30, batch_size=32, lr=5e-3, random_state=0, verbose=0)
WORDS = ["apple", "river", "stone", "cloud", "grass", "flame"]
CHOICES = ["a0", "a1", "a2", "a3"]


def quiz(n=240, seed=0):
    """The context mentions one word among fillers; the candidates are four words, one of them it."""
    rng = np.random.RandomState(seed)
    rows, y = [], []
    for _ in range(n):
        options = list(rng.choice(WORDS, size=4, replace=False))
        right = rng.randint(4)
        filler = " ".join(rng.choice(["the", "a", "seen", "near", "maybe"], size=3))
        rows.append([f"{filler} {options[right]} {filler}", "which word?", *options])
        y.append(right)
    return pd.DataFrame(rows, columns=["context", "question", *CHOICES]), np.array(y)


def prep():
    return ModalityTransformer([
        ("context", TextSequencer(max_len=8), "context"),
        ("question", TextSequencer(max_len=3), "question"),
        ("choice", TextSequencer(max_len=2), "choice"),
    ])


@pytest.fixture(scope="module")
def fitted():
    X, y = quiz()
    # The loss sits on a plateau for some epochs before it falls: no early stopping on 24 held-out rows.
    clf = MultipleChoiceClassifier(prep(), CHOICES, question="question", **{**FAST, "max_epochs": 50,
                                                                           "early_stopping": False})
    return clf.fit(X, y), X, y


def test_it_learns_which_candidate_the_context_names(fitted):
    clf, X, y = fitted
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(X), proba.argmax(axis=1))
    assert list(clf.classes_) == [0, 1, 2, 3] and clf.n_choices_ == 4
    X_test, y_test = quiz(120, seed=1)
    assert clf.score(X_test, y_test) > 0.9  # chance: 0.25
    # The right candidate itself is a label too.
    as_text = X_test[CHOICES].to_numpy()[np.arange(120), y_test]
    assert clf.score(X_test, as_text) == clf.score(X_test, y_test)


def test_missing_candidates_are_never_chosen(fitted):
    clf, X, _ = fitted
    X = X.iloc[:20].copy()
    X.loc[X.index[:10], "a1"] = None
    proba = clf.predict_proba(X)
    assert (proba[:10, 1] == 0).all() and (proba[10:, 1] > 0).all()
    assert (clf.predict(X)[:10] != 1).all()


def test_the_long_frame_reads_every_candidate_with_one_transformer():
    X, _ = quiz(5)
    X.loc[2, "a3"] = None
    long, present = long_frame(X, CHOICES, "question")
    assert len(long) == 20 and list(long["choice"][:4]) == list(X.loc[0, CHOICES])
    assert present[2].tolist() == [True, True, True, False]
    data = ModalityTransformer([("context", TextSequencer(), "context"), ("choice", TextSequencer(), "choice")])
    split = split_long(data.fit_transform(long), 4, present)
    assert sorted(split) == ["choice_0", "choice_1", "choice_2", "choice_3", "context"]
    assert split["context"].shape[0] == 5 and split.present["choice_3"].tolist() == [True, True, False, True, True]


def test_answers_as_indices_or_candidates_and_their_errors():
    X, y = quiz(6)
    text = X[CHOICES].to_numpy()[np.arange(6), y]
    np.testing.assert_array_equal(answer_indices(X, text, CHOICES), y)
    np.testing.assert_array_equal(answer_indices(X, y.astype(float), CHOICES), y)
    with pytest.raises(ValueError, match="row 0"):
        answer_indices(X, ["nothing"] * 6, CHOICES)
    with pytest.raises(ValueError, match="no candidate index"):
        answer_indices(X, [7] * 6, CHOICES)


def test_arrays_without_a_preprocessor():
    rng = np.random.RandomState(0)
    codes = np.eye(5, dtype="float32")
    y = rng.randint(3, size=200)
    answers = rng.randint(5, size=(200, 3))
    context = codes[answers[np.arange(200), y]] + rng.normal(0, 0.2, (200, 5)).astype("float32")
    X = ModalityDict(ctx=context, **{f"c{j}": codes[answers[:, j]] for j in range(3)})
    clf = MultipleChoiceClassifier(choices=["c0", "c1", "c2"], **FAST).fit(X, y)
    assert clf.score(X, y) > 0.7
    np.testing.assert_array_equal(clf.predict(clf.preprocess(X)), clf.predict(X))


def test_round_trips_and_grid_search(fitted, tmp_path):
    clf, X, y = fitted
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    clf.save_params(tmp_path / "mc.pt")
    loaded = MultipleChoiceClassifier(prep(), CHOICES, question="question", **FAST).load_params(tmp_path / "mc.pt")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match="choices"):
        MultipleChoiceClassifier(prep(), CHOICES[:3], question="question", **FAST).load_params(tmp_path / "mc.pt")
    small = clone(clf).set_params(max_epochs=2)
    assert small.get_params()["choices"] == CHOICES and "balance" not in small.get_params()
    search = GridSearchCV(small, {"hidden_size": [8, 16]}, cv=2).fit(X[:80], y[:80])
    assert len(search.cv_results_["params"]) == 2


def test_seeded_fits_repeat():
    X, y = quiz(60)
    one = MultipleChoiceClassifier(prep(), CHOICES, **{**FAST, "max_epochs": 2}).fit(X, y)
    two = MultipleChoiceClassifier(prep(), CHOICES, **{**FAST, "max_epochs": 2}).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))


def test_bad_setups_say_what_is_wrong():
    X, y = quiz(20)
    with pytest.raises(ValueError, match="choices must name"):
        MultipleChoiceClassifier(prep(), **FAST).fit(X, y)
    with pytest.raises(ValueError, match="also one of the choices"):
        MultipleChoiceClassifier(prep(), CHOICES, question="a0", **FAST).fit(X, y)
    without_choice = ModalityTransformer([("context", TextSequencer(), "context")])
    with pytest.raises(ValueError, match="named 'choice'"):
        MultipleChoiceClassifier(without_choice, CHOICES, **FAST).fit(X, y)
    X.loc[3, CHOICES] = None
    with pytest.raises(ValueError, match="row 3 has no candidate"):
        MultipleChoiceClassifier(prep(), CHOICES, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="lazy"):
        MultipleChoiceClassifier(prep(), CHOICES, lazy=True, **FAST).fit(*quiz(20))
