"""
Multiple choice: which caption names the spoken digit?
======================================================

:class:`~skmm.MultipleChoiceClassifier` scores each row's candidate answers
against its context and picks one. Here the context is a spoken digit and a
noisy caption with partial clues, and the four candidates are phrases
("the digit seven", "a 7", ...) naming four different digits. The
preprocessor reads every candidate from one column, ``"choice"``, so one
vocabulary serves all four.
"""

# %%
# Four candidates per row
# -----------------------
import os

import numpy as np

from skmm import ModalityTransformer, MultipleChoiceClassifier
from skmm.baselines import TfidfChoice
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, TextSequencer

FAST = os.environ.get("SKMM_DOCS_FAST") == "1"  # set by the docs build
N_SAMPLES, MAX_EPOCHS = (800, 30) if FAST else (2000, 60)
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEMPLATES = ["the digit {w}", "a {d}", "number {w}", "it is {w}", "{d}"]
CHOICES = ["a0", "a1", "a2", "a3"]
rng = np.random.RandomState(0)


def with_candidates(X, digits):
    rows, answers = [], []
    for digit in digits:
        options = rng.permutation(np.r_[[digit], rng.choice(np.setdiff1d(np.arange(10), [digit]), 3, replace=False)])
        rows.append([TEMPLATES[rng.randint(len(TEMPLATES))].format(w=WORDS[d], d=d) for d in options])
        answers.append(int(np.flatnonzero(options == digit)[0]))
    return X.assign(question="which digit?", **dict(zip(CHOICES, np.array(rows).T))), np.array(answers)


X_train, X_test, d_train, d_test = make_av_digits(N_SAMPLES, split="unseen", random_state=0)
X_train, y_train = with_candidates(X_train.drop(columns="image"), np.asarray(d_train))
X_test, y_test = with_candidates(X_test.drop(columns="image"), np.asarray(d_test))
print(X_test[["text", *CHOICES]].head(3).to_string(), "\nright:", y_test[:3])

# %%
# The estimator and the TF-IDF baseline
# -------------------------------------
prep = ModalityTransformer([
    ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ("text", TextSequencer(max_len=16), "text"),
    ("question", TextSequencer(max_len=4), "question"),
    ("choice", TextSequencer(max_len=6), "choice"),
])
clf = MultipleChoiceClassifier(prep, CHOICES, question="question", max_epochs=MAX_EPOCHS,
                               n_iter_no_change=8, random_state=0, verbose=0)
clf.fit(X_train, y_train)
tfidf = TfidfChoice(CHOICES, question="question", context=["text"]).fit(X_train)
print(f"chance 0.25, TF-IDF {tfidf.score(X_test, y_test):.3f}, "
      f"MultipleChoiceClassifier {clf.score(X_test, y_test):.3f}")

# %%
# A missing candidate (None) is never chosen: its probability is 0.
X_some = X_test.head(3).assign(a3=None)
print(clf.predict_proba(X_some).round(3))
