"""Cross-modal retrieval on real sets: chance, CCA, a classifier's embeddings and MultimodalEmbedder.

Tasks (each row of the table ranks a held-out gallery for each held-out query;
a hit is a gallery row of the query's class: its digit, its race, its unit):

- ``av``: AV-Digits, a spoken digit -> the handwritten images of that digit
  (unseen speakers and writers).
- ``wesnoth-sound``: Wesnoth units, a unit's sound -> sprites and
  descriptions of units of its race (held-out units: the dataset's split).
- ``wesnoth-text``: Wesnoth units, a description (any of 45 languages) ->
  sprites of units of its race (held-out units).
- ``wesnoth-text-unit``: the same, but a hit is the query's own unit (held-out
  rows of units seen in training: other languages and sprite frames).

Methods: chance (the expected recall@1 of a random ranking); ``LinearRetrieval``
(CCA over MFCC statistics, pooled pixels and TF-IDF, fitted on the training
pairs); the classifier embedding (``MultimodalClassifier.transform`` of a net
trained on the item labels with attention fusion and modality dropout, queries
and gallery each holding only their side's columns: the approach of
examples/plot_cross_modal_retrieval.py); ``MultimodalEmbedder`` trained on
the pairs with the item labels as positives.

    OMP_NUM_THREADS=1 python benchmarks/retrieval.py [--fast] [--tasks av wesnoth-sound wesnoth-text]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from skmm import ModalityTransformer, MultimodalClassifier, MultimodalEmbedder
from skmm.baselines import LinearRetrieval
from skmm.datasets import fetch_wesnoth_units, make_av_digits
from skmm.metrics import recall_at_k
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

KIND = {"text": "text", "image": "image", "audio": "audio"}


def av_task(fast):
    X_train, X_test, y_train, y_test = make_av_digits(800 if fast else 2000, split="unseen", random_state=0)
    # The example's columns: the classifier also trains on the caption; retrieval reads audio and image only.
    steps = [("text", TextSequencer(max_len=16, on_missing="mask"), "text"),
             ("image", ImageLoader(size=(28, 28), on_missing="mask"), "image"),
             ("audio", AudioFeaturizer(n_mels=40, on_missing="mask"), "audio")]
    return X_train, X_test, np.asarray(y_train), np.asarray(y_test), steps, ["audio"], ["image"]


def wesnoth_task(fast, query, target, level="race"):
    """``level="race"``: held-out units, a hit is a unit of the query's race; ``"unit"``: held-out rows, its unit."""
    from sklearn.model_selection import train_test_split

    if level == "race":
        X_train, y_train = fetch_wesnoth_units(split="train", verbose=0)
        X_test, y_test = fetch_wesnoth_units(split="test", verbose=0)
    else:
        X, _ = fetch_wesnoth_units(verbose=0)
        X_train, X_test = train_test_split(X, test_size=0.25, random_state=0, stratify=X["unit"])
        y_train, y_test = X_train["unit"], X_test["unit"]
    if fast:
        keep_train, keep_test = (X["lang"].isin(["en", "de", "fr", "es", "it", "ru"]) for X in (X_train, X_test))
        X_train, y_train, X_test, y_test = X_train[keep_train], y_train[keep_train], X_test[keep_test], y_test[keep_test]
    steps = [("text", TextSequencer(max_len=48, on_missing="mask"), "text"),
             ("image", ImageLoader(size=(32, 32), on_missing="mask"), "image"),
             ("audio", AudioFeaturizer(n_mels=40, on_missing="mask"), "audio")]
    steps = [s for s in steps if s[0] in query + target]
    return (X_train.reset_index(drop=True), X_test.reset_index(drop=True), np.asarray(y_train), np.asarray(y_test),
            steps, query, target)


TASKS = {
    "av": lambda fast: av_task(fast),
    "wesnoth-sound": lambda fast: wesnoth_task(fast, ["audio"], ["image", "text"]),
    "wesnoth-text": lambda fast: wesnoth_task(fast, ["text"], ["image"]),
    "wesnoth-text-unit": lambda fast: wesnoth_task(fast, ["text"], ["image"], level="unit"),
}


def only(X, columns, all_columns):
    return X.assign(**{c: None for c in all_columns if c not in columns})


def recalls(ranked, y):
    return {k: recall_at_k(y, ranked, k=k) for k in (1, 5)}


def classifier_embedding(X_train, X_test, y_train, y_test, steps, query, target, **params):
    clf = MultimodalClassifier(ModalityTransformer(steps), fusion="attention", modality_dropout=0.5,
                               random_state=0, verbose=0, **params)
    clf.fit(X_train, y_train)
    columns = [name for name, _, _ in steps]
    q = clf.transform(only(X_test, query, columns))
    g = clf.transform(only(X_test, target, columns))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return recalls(np.argsort(-(q @ g.T), axis=1, kind="stable")[:, :5], y_test)


def chance_at(y, k):
    """Expected recall@k of a random ranking: 1 - P(none of k draws is the query's label)."""
    n = len(y)
    m = np.array([(y == label).sum() for label in y])  # positives per query (the gallery holds the query's row)
    none = np.ones(n)
    for i in range(k):
        none *= np.clip((n - m - i) / (n - i), 0, None)
    return float(np.mean(1 - none))


def run(task, fast):
    X_train, X_test, y_train, y_test, steps, query, target = TASKS[task](fast)
    epochs = 40 if fast else 80
    rows = [("chance", {1: chance_at(y_test, 1), 5: chance_at(y_test, 5)}, 0.0)]

    start = time.perf_counter()
    cca = LinearRetrieval({c: KIND[c] for c in query}, {c: KIND[c] for c in target}, n_components=32)
    rows.append(("CCA (LinearRetrieval)", recalls(cca.fit(X_train).retrieve(X_test, k=5), y_test),
                 time.perf_counter() - start))

    # The settings of examples/plot_cross_modal_retrieval.py (the figure), then the embedder's budget.
    for name, params in (("classifier embedding, the example's settings", {"max_epochs": epochs // 2}),
                         ("classifier embedding, the embedder's budget",
                          {"max_epochs": epochs, "hidden_size": 128, "balance": "none"})):
        start = time.perf_counter()
        figure = classifier_embedding(X_train, X_test, y_train, y_test, steps, query, target, **params)
        rows.append((name, figure, time.perf_counter() - start))

    start = time.perf_counter()
    sides = [s for s in steps if s[0] in query + target]
    embedder = MultimodalEmbedder(ModalityTransformer(sides), query=query, target=target, embedding_dim=64,
                                  hidden_size=128, max_epochs=epochs, n_iter_no_change=10,
                                  learn_temperature=True, random_state=0, verbose=0)
    embedder.fit(X_train, y_train)
    rows.append(("MultimodalEmbedder", recalls(embedder.retrieve(X_test, k=5), y_test), time.perf_counter() - start))

    print(f"\n### {task}: {'+'.join(query)} -> {'+'.join(target)}; {len(X_train)} training rows, "
          f"{len(X_test)} queries and gallery rows{' (fast)' if fast else ''}\n")
    print("| method | recall@1 | recall@5 | fit + retrieve (s) |")
    print("|---|---:|---:|---:|")
    for name, r, seconds in rows:
        print(f"| {name} | {r[1]:.3f} | {r[5]:.3f} | {seconds:.0f} |")
    ours = rows[-1][1][1]
    ratios = ", ".join(f"{ours / max(r[1][1], 1e-9):.1f}x {r[0][len('classifier embedding, '):]}"
                       for r in rows[2:4])
    print(f"\nrecall@1 of MultimodalEmbedder: {ratios}; above CCA: {ours > rows[1][1][1]}; "
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
