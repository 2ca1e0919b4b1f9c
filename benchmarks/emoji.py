"""Benchmark on a real set: emoji (Noto picture + CLDR name in ~94 languages -> Unicode group).

Loads :func:`skmm.datasets.fetch_emoji` (building its cache from the Debian
packages ``fonts-noto-color-emoji``, ``unicode-cldr-core`` and
``unicode-data`` on first use), split by emoji (every language, skin tone and
gender of one emoji on one side, stratified by group), and prints a Markdown
table of test accuracy and macro-F1 for

* the classical baselines (:func:`skmm.baselines.make_baseline`: word TF-IDF,
  pooled pixels, into logistic regression), per modality and both;
* skmm's ``MultimodalClassifier`` with defaults (``n_threads=1``) on the text
  alone, the image alone, and both (the default fusion), over seeds 0, 1, 2:
  median and range;
* the product of the two single nets' ``predict_proba`` (same seed): the
  floor a jointly trained fusion should beat.

The nets read one preprocessing fitted on the training rows
(``TextSequencer(max_len=32)``, ``ImageLoader(size=(32, 32))``), so their fit
seconds exclude decoding; the baselines' include their feature extraction.
The machine's load (``uptime``) is printed before and after: timings on a
shared machine are only comparable within one run.

    OMP_NUM_THREADS=1 python benchmarks/emoji.py [--seeds 3] [--max-epochs N]
        [--include-flags] [--no-baselines]
"""

from __future__ import annotations

import argparse
import subprocess
import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from skmm import ModalityDict, ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import fetch_emoji
from skmm.preprocessing import ImageLoader, TextSequencer

MODALITIES = ("text", "image")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def only(data, names):
    return ModalityDict({name: data[name] for name in names})


def scores(y_true, pred):
    return accuracy_score(y_true, pred), f1_score(y_true, pred, average="macro")


def fit_net(names, train, test, y_train, seed, max_epochs):
    """(fitted net, test probabilities, fit seconds)."""
    epochs = {} if max_epochs is None else {"max_epochs": max_epochs}
    clf = MultimodalClassifier(random_state=seed, n_threads=1, verbose=0, **epochs)
    start = time.perf_counter()
    clf.fit(only(train, names), y_train)
    seconds = time.perf_counter() - start
    return clf, clf.predict_proba(only(test, names)), seconds


def summary(values, fmt="{:.3f}"):
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(np.median(values))} [{fmt.format(min(values))}, {fmt.format(max(values))}]"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per net (0, 1, ...)")
    parser.add_argument("--max-epochs", type=int, default=None, help="cap on the epochs (default: the estimator's)")
    parser.add_argument("--include-flags", action="store_true", help="keep the Flags group")
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args(argv)

    print("uptime:", uptime(), flush=True)
    X_train, y_train = fetch_emoji(split="train", include_flags=args.include_flags)
    X_test, y_test = fetch_emoji(split="test", include_flags=args.include_flags)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    packages = ", ".join(f"{name} {info['version']} ({info['license']})"
                         for name, info in X_train.attrs["packages"].items())
    majority = np.mean(y_test == max(set(y_train), key=list(y_train).count))
    print(f"Emoji: {len(X_train)} train / {len(X_test)} test rows, {X_train['emoji'].nunique()} / "
          f"{X_test['emoji'].nunique()} emoji, {len(set(y_train))} groups, "
          f"{X_train['lang'].nunique()} languages; majority class {majority:.3f}; sources: {packages}",
          flush=True)

    rows = []  # (label, accuracies, macro-F1s, seconds)
    if not args.no_baselines:
        for columns in [[m] for m in MODALITIES] + [list(MODALITIES)]:
            model = make_baseline(**{c: c for c in columns})
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            accuracy, f1 = scores(y_test, model.predict(X_test))
            rows.append((f"baseline: {'+'.join(columns)} (logistic)", [accuracy], [f1], [seconds]))
            print(f"  {rows[-1][0]}: {accuracy:.3f} ({seconds:.1f}s)", flush=True)

    prep = ModalityTransformer([("text", TextSequencer(max_len=32), "text"),
                                ("image", ImageLoader(size=(32, 32)), "image")])
    start = time.perf_counter()
    train, test = prep.fit_transform(X_train), prep.transform(X_test)
    print(f"  preprocessed once in {time.perf_counter() - start:.1f}s", flush=True)
    classes = None
    nets = {"text": [], "image": [], "text+image": [], "product": []}
    for seed in range(args.seeds):
        proba = {}
        for label, names in (("text", ["text"]), ("image", ["image"]), ("text+image", list(MODALITIES))):
            clf, proba[label], seconds = fit_net(names, train, test, y_train, seed, args.max_epochs)
            classes = clf.classes_
            nets[label].append((*scores(y_test, classes[proba[label].argmax(1)]), seconds, len(clf.history_)))
            print(f"  seed {seed} skmm {label}: {nets[label][-1][0]:.3f} ({seconds:.1f}s, "
                  f"{len(clf.history_)} epochs)", flush=True)
        # Logs, not products of probabilities, so that tiny values do not underflow.
        joint = np.log(np.clip(proba["text"], 1e-12, None)) + np.log(np.clip(proba["image"], 1e-12, None))
        seconds = nets["text"][-1][2] + nets["image"][-1][2]
        nets["product"].append((*scores(y_test, classes[joint.argmax(1)]), seconds, 0))
    titles = {"text": "skmm: text only (defaults)", "image": "skmm: image only (defaults)",
              "text+image": "skmm: text+image fusion (defaults)",
              "product": "skmm: product of the text and image nets' predict_proba"}
    epochs = {}
    for key, runs in nets.items():
        rows.append((titles[key], *([r[i] for r in runs] for i in range(3))))
        epochs[titles[key]] = [r[3] for r in runs] if key != "product" else None

    print()
    print("uptime:", uptime())
    print(f"seeds {list(range(args.seeds))}: median [min, max]; max_epochs={args.max_epochs}; n_threads=1; "
          "shared machine, see the load above.\n")
    print("| model | test accuracy | test macro-F1 | fit seconds | epochs |")
    print("|---|---:|---:|---:|---:|")
    for label, accuracy, f1, seconds in rows:
        ran = epochs.get(label)
        print(f"| {label} | {summary(accuracy)} | {summary(f1)} | {summary(seconds, '{:.1f}')} | "
              f"{summary(ran, '{:.0f}') if ran else '-'} |")


if __name__ == "__main__":
    main()
