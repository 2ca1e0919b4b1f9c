"""Benchmark on a real set: Wesnoth units (sprite + description + sound -> race).

Loads :func:`skmm.datasets.fetch_wesnoth_units` (building its cache from the
Debian package ``wesnoth-1.16-data`` on first use), splits by unit type
(every language of a unit on one side) and prints a Markdown table of test
accuracy, macro-F1 and fit seconds for

* the classical baselines (:func:`skmm.baselines.make_baseline`: TF-IDF,
  pooled pixels, MFCC statistics into logistic regression), per modality and
  all three;
* a stronger text baseline: character 2-4-gram TF-IDF into a class-balanced
  ``LinearSVC`` (the texts are in 45 languages, where word features are
  sparse);
* skmm's nets with defaults on each single modality;
* skmm fusion with defaults: ``MultimodalClassifier(prep, random_state=0)``;
* with ``--grid``: skmm fusion after a small ``GridSearchCV`` (3-fold
  ``GroupKFold`` by unit on the training rows).

Fit seconds include reading and featurising the media for every model.

    OMP_NUM_THREADS=1 python benchmarks/real.py [--quick] [--grid] [--max-len 96]
"""

from __future__ import annotations

import argparse
import subprocess
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import fetch_wesnoth_units
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

MODALITIES = ("text", "image", "audio")
#: The small grid behind --grid (4 candidates x 3 folds): the fusion and the width.
GRID = {"fusion": ["concat", "gated"], "hidden_size": [64, 128]}


def make_prep(modalities, max_len):
    steps = {
        "text": ("text", TextSequencer(max_len=max_len), "text"),
        "image": ("image", ImageLoader(size=(32, 32)), "image"),
        "audio": ("audio", AudioFeaturizer(n_mels=40), "audio"),
    }
    return ModalityTransformer([steps[m] for m in modalities])


def subsample(X, y, n_langs, seed=0):
    """Keep at most *n_langs* languages per unit (the --quick set)."""
    rng = np.random.default_rng(seed)
    keep = X.groupby("unit", sort=False).indices
    rows = np.sort(np.concatenate([
        idx if len(idx) <= n_langs else rng.choice(idx, n_langs, replace=False) for idx in keep.values()
    ]))
    return X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)


def evaluate(label, model, data, fit_params=None):
    X_train, X_test, y_train, y_test = data
    start = time.perf_counter()
    model.fit(X_train, y_train, **(fit_params or {}))
    seconds = time.perf_counter() - start
    pred = model.predict(X_test)
    row = (label, accuracy_score(y_test, pred), f1_score(y_test, pred, average="macro"), seconds)
    print(f"  {label}: accuracy {row[1]:.3f}, macro-F1 {row[2]:.3f}, {seconds:.1f}s", flush=True)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 languages per unit, 3 epochs")
    parser.add_argument("--grid", action="store_true", help="add skmm after a small grid search")
    parser.add_argument("--max-len", type=int, default=96, help="TextSequencer max_len (tokens)")
    parser.add_argument("--no-nets", action="store_true", help="baselines only")
    args = parser.parse_args(argv)

    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    start = time.perf_counter()
    X_train, y_train = fetch_wesnoth_units(split="train")
    X_test, y_test = fetch_wesnoth_units(split="test")
    loaded = time.perf_counter() - start
    net_kw = {}
    if args.quick:
        X_train, y_train = subsample(X_train, y_train, 3)
        X_test, y_test = subsample(X_test, y_test, 3)
        net_kw = {"max_epochs": 3}
    data = (X_train, X_test, y_train, y_test)
    print(f"Wesnoth units: {len(X_train)} train / {len(X_test)} test rows, "
          f"{X_train['unit'].nunique()} / {X_test['unit'].nunique()} unit types, "
          f"{y_train.nunique()} races; loaded in {loaded:.1f}s; source: {X_train.attrs.get('package')} "
          f"{X_train.attrs.get('version')} ({X_train.attrs.get('license')})", flush=True)

    rows = []
    for columns in [[m] for m in MODALITIES] + [list(MODALITIES)]:
        model = make_baseline(**{c: c for c in columns})
        rows.append(evaluate(f"baseline: {'+'.join(columns)} (logistic)", model, data))
    char_text = Pipeline([
        ("features", ColumnTransformer([("text", TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2), "text")])),
        ("model", LinearSVC(class_weight="balanced")),
    ])
    rows.append(evaluate("baseline: text char 2-4-grams (balanced LinearSVC)", char_text, data))
    if not args.no_nets:
        for modality in MODALITIES:
            model = MultimodalClassifier(make_prep([modality], args.max_len), random_state=0, verbose=0, **net_kw)
            rows.append(evaluate(f"skmm: {modality} only (defaults)", model, data))
        fusion = MultimodalClassifier(make_prep(MODALITIES, args.max_len), random_state=0, verbose=0, **net_kw)
        rows.append(evaluate("skmm: text+image+audio fusion (defaults)", fusion, data))
    if args.grid:
        grid = dict(GRID, max_epochs=[3]) if args.quick else GRID
        search = GridSearchCV(
            MultimodalClassifier(make_prep(MODALITIES, args.max_len), random_state=0, verbose=0),
            grid, cv=GroupKFold(n_splits=3), scoring="f1_macro", n_jobs=1,
        )
        label = f"skmm: fusion after grid search over {grid} (3-fold GroupKFold by unit)"
        rows.append(evaluate(label, search, data, {"groups": X_train["unit"]}))
        print(f"  best params: {search.best_params_}", flush=True)

    print()
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print("| model | test accuracy | test macro-F1 | fit seconds |")
    print("|---|---:|---:|---:|")
    for label, accuracy, f1, seconds in rows:
        print(f"| {label} | {accuracy:.3f} | {f1:.3f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
