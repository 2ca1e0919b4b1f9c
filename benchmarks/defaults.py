"""Default fusion net vs the classical baseline, on AV-Digits and on real data (a script, not a test).

For each set, with the evaluators' recipe (``TextSequencer(max_len=16)``,
``ImageLoader(size=(32, 32))``, ``AudioFeaturizer(n_mels=40)``) and an
otherwise default ``MultimodalClassifier(prep, random_state=0)``, prints a
Markdown table of test accuracy, macro-F1 and fit seconds beside

* skmm's classical baseline (:func:`skmm.baselines.make_baseline`: word
  TF-IDF, pooled pixels, MFCC statistics into logistic regression);
* the same with character 2-4-gram TF-IDF for the text (stronger on short,
  noisy or multilingual text).

Sets: ``av_digits`` (:func:`skmm.datasets.make_av_digits`, 2,000 rows,
``split="unseen"``) and ``wesnoth`` (``skmm.datasets.fetch_wesnoth_units``,
when this checkout has it: sprites, descriptions in many languages, sounds).
Fit seconds include decoding and featurising the media.

    OMP_NUM_THREADS=1 python benchmarks/defaults.py [--sets av_digits,wesnoth] [--augment]
"""

from __future__ import annotations

import argparse
import subprocess
import time

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import MFCCStats, PooledPixels, make_baseline
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer


def load(name):
    """(X_train, X_test, y_train, y_test), or None when this checkout lacks the set."""
    import skmm.datasets as datasets

    if name == "av_digits":
        return datasets.make_av_digits(2000, split="unseen", random_state=0)
    if name == "wesnoth":
        fetch = getattr(datasets, "fetch_wesnoth_units", None)
        if fetch is None:
            return None
        X_train, y_train = fetch(split="train", verbose=0)
        X_test, y_test = fetch(split="test", verbose=0)
        columns = ["text", "image", "audio"]
        return X_train[columns], X_test[columns], np.asarray(y_train), np.asarray(y_test)
    raise ValueError(f"unknown set {name!r}")


def char_baseline():
    return Pipeline([("features", ColumnTransformer([
        ("text", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True), "text"),
        ("image", make_pipeline(PooledPixels(), StandardScaler()), "image"),
        ("audio", make_pipeline(MFCCStats(), StandardScaler()), "audio"),
    ])), ("model", LogisticRegression(max_iter=2000))])


def recipe():
    return ModalityTransformer([
        ("text", TextSequencer(max_len=16, on_missing="mask"), "text"),
        ("image", ImageLoader(size=(32, 32)), "image"),
        ("audio", AudioFeaturizer(n_mels=40, on_missing="mask"), "audio"),
    ])


def evaluate(model, data):
    X_train, X_test, y_train, y_test = data
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    pred = model.predict(X_test)
    return np.mean(pred == np.asarray(y_test)), f1_score(y_test, pred, average="macro"), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="av_digits,wesnoth")
    parser.add_argument("--augment", action="store_true", help="also the net with augment='auto'")
    args = parser.parse_args(argv)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    rows = []
    for name in args.sets.split(","):
        data = load(name)
        if data is None:
            print(f"{name}: not in this checkout, skipped", flush=True)
            continue
        print(f"{name}: {len(data[0])} train / {len(data[1])} test rows", flush=True)
        models = {
            "baseline: make_baseline (word + char TF-IDF, logistic)": make_baseline(
                text="text", image="image", audio="audio"),
            "baseline: char TF-IDF only (the issue's, logistic)": char_baseline(),
            "skmm default fusion": MultimodalClassifier(recipe(), random_state=0, verbose=0),
        }
        if args.augment:
            models["skmm default fusion, augment='auto'"] = MultimodalClassifier(
                recipe(), augment="auto", random_state=0, verbose=0)
        for label, model in models.items():
            accuracy, f1, seconds = evaluate(model, data)
            rows.append((name, label, accuracy, f1, seconds))
            print(f"  {label}: accuracy {accuracy:.3f}, macro-F1 {f1:.3f}, {seconds:.0f}s", flush=True)
    print("\n| set | model | accuracy | macro-F1 | fit s |\n|---|---|---:|---:|---:|")
    for name, label, accuracy, f1, seconds in rows:
        print(f"| {name} | {label} | {accuracy:.3f} | {f1:.3f} | {seconds:.0f} |")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
