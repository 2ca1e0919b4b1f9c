"""Multiple choice on real sets: chance, TF-IDF cosine, a classifier's probabilities and MultipleChoiceClassifier.

Tasks (each row: a context, a question and 4 candidate answers, one right):

- ``av``: AV-Digits, a digit's video, speech and noisy caption (unseen
  speakers and writers) -> which of 4 phrases ("the digit seven", "a 7",
  "number seven"...) names it; the wrong ones name 3 other digits.
- ``wesnoth``: Wesnoth units, a unit's sprite, sound and description (any of
  45 languages) -> which of 4 unit names is its (the wrong ones: 3 other
  units); held-out rows of the units.

Methods: chance; ``TfidfChoice`` (TF-IDF cosine of the caption or
description and the question to each candidate); a ``MultimodalClassifier``
trained on the item labels, picking the candidate whose item it finds most
probable (it knows which item each candidate names, the estimator does not);
``MultipleChoiceClassifier``, which reads the candidates as text.

    OMP_NUM_THREADS=1 python benchmarks/multiple_choice.py [--fast] [--tasks av wesnoth]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from skmm import ModalityTransformer, MultimodalClassifier, MultipleChoiceClassifier
from skmm.baselines import TfidfChoice
from skmm.datasets import fetch_wesnoth_units, make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer, VideoLoader

CHOICES = ["a0", "a1", "a2", "a3"]
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEMPLATES = ["the digit {w}", "a {d}", "number {w}", "it is {w}", "{d}", "the number {d}", "{w}"]


def with_candidates(X, labels, names, rng, question):
    """4 candidates per row: the row's item and 3 others, as ``names(item)``, in random order."""
    items = np.unique(labels)
    answers, candidate_items = [], []
    for label in labels:
        others = rng.choice(items[items != label], size=3, replace=False)
        order = rng.permutation(np.r_[[label], others].astype(object))
        candidate_items.append(order)
        answers.append(int(np.flatnonzero(order == label)[0]))
    candidate_items = np.array(candidate_items, dtype=object)
    X = X.assign(question=question, **{c: [names(i, rng) for i in candidate_items[:, j]]
                                       for j, c in enumerate(CHOICES)})
    return X, np.array(answers), candidate_items


def av_task(fast):
    X_train, X_test, y_train, y_test = make_av_digits(
        800 if fast else 2000, split="unseen", random_state=0, modalities=("text", "image", "audio", "video"))
    X_train, X_test = X_train.drop(columns="image"), X_test.drop(columns="image")
    rng = np.random.RandomState(0)

    def caption(digit, rng):
        return TEMPLATES[rng.randint(len(TEMPLATES))].format(w=WORDS[int(digit)], d=int(digit))

    train = with_candidates(X_train, np.asarray(y_train), caption, rng, "which digit is it?")
    test = with_candidates(X_test, np.asarray(y_test), caption, rng, "which digit is it?")
    steps = [("video", VideoLoader(size=(28, 28), n_frames=12), "video"),
             ("audio", AudioFeaturizer(n_mels=40), "audio"),
             ("text", TextSequencer(max_len=16), "text")]
    return train, test, np.asarray(y_train), np.asarray(y_test), steps, ["text"]


def wesnoth_task(fast):
    from sklearn.model_selection import train_test_split

    X, _ = fetch_wesnoth_units(verbose=0)
    if fast:
        X = X[X["lang"].isin(["en", "de", "fr", "es", "it", "ru"])]
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0, stratify=X["unit"])
    X_train, X_test = X_train.reset_index(drop=True), X_test.reset_index(drop=True)
    rng = np.random.RandomState(0)

    def name(unit, rng):
        return str(unit)

    train = with_candidates(X_train.drop(columns=["unit", "lang"]), X_train["unit"].to_numpy(), name, rng,
                            "which unit is this?")
    test = with_candidates(X_test.drop(columns=["unit", "lang"]), X_test["unit"].to_numpy(), name, rng,
                           "which unit is this?")
    steps = [("image", ImageLoader(size=(32, 32)), "image"),
             ("audio", AudioFeaturizer(n_mels=40), "audio"),
             ("text", TextSequencer(max_len=48), "text")]
    return train, test, X_train["unit"].to_numpy(), X_test["unit"].to_numpy(), steps, ["text"]


TASKS = {"av": av_task, "wesnoth": wesnoth_task}


def classifier_choice(train, test, labels_train, steps, epochs):
    """A classifier of the items; of each row's candidates, the item it finds most probable."""
    (X_train, _, _), (X_test, _, items) = train, test
    clf = MultimodalClassifier(ModalityTransformer(steps), max_epochs=epochs, random_state=0, verbose=0)
    clf.fit(X_train, labels_train)
    proba = clf.predict_proba(X_test)
    column = {label: i for i, label in enumerate(clf.classes_)}
    scores = np.array([[proba[r, column[i]] if i in column else -1.0 for i in row] for r, row in enumerate(items)])
    return scores.argmax(axis=1)


def run(task, fast):
    train, test, labels_train, labels_test, steps, text_context = TASKS[task](fast)
    (X_train, y_train, _), (X_test, y_test, _) = train, test
    epochs = 15 if fast else 40
    rows = [("chance", 0.25, 0.0)]

    start = time.perf_counter()
    tfidf = TfidfChoice(CHOICES, question="question", context=text_context).fit(X_train)
    rows.append(("TF-IDF cosine (TfidfChoice)", tfidf.score(X_test, y_test), time.perf_counter() - start))

    start = time.perf_counter()
    picked = classifier_choice(train, test, labels_train, steps, epochs)
    rows.append(("classifier of the items (knows the candidates' items)", float((picked == y_test).mean()),
                 time.perf_counter() - start))

    start = time.perf_counter()
    prep = ModalityTransformer([*steps, ("question", TextSequencer(max_len=6), "question"),
                                ("choice", TextSequencer(max_len=6), "choice")])
    clf = MultipleChoiceClassifier(prep, CHOICES, question="question", max_epochs=epochs, lr=2e-3,
                                   n_iter_no_change=8, random_state=0, verbose=0)
    clf.fit(X_train, y_train)
    rows.append(("MultipleChoiceClassifier", clf.score(X_test, y_test), time.perf_counter() - start))

    print(f"\n### {task}: {len(X_train)} training rows, {len(X_test)} test rows, 4 candidates"
          f"{' (fast)' if fast else ''}\n")
    print("| method | accuracy | fit + predict (s) |")
    print("|---|---:|---:|")
    for name, accuracy, seconds in rows:
        print(f"| {name} | {accuracy:.3f} | {seconds:.0f} |")
    print(f"\nMultipleChoiceClassifier - TF-IDF = {100 * (rows[3][1] - rows[1][1]):+.1f} points; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer rows and epochs")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")
    for task in args.tasks:
        run(task, args.fast)


if __name__ == "__main__":
    main()
