"""Real text + numbers: Debian's package list, the section of a package from its description and sizes.

A real, text-heavy set that every Debian or Ubuntu machine holds offline
(apt's ``Packages`` list, read with ``lz4cat`` when compressed): one row per
binary package, with

* ``description``: its one-line synopsis (``"Real-time strategy game of ancient warfare"``);
* ``installed_kib``, ``download_kib`` (log1p), ``n_depends``, ``n_recommends``,
  ``arch_all``: numbers;

and its ``Section`` (``libs``, ``python``, ``doc``, ``games``, ...) as the
target, the ``--classes`` most common ones. The package name and debtags are
left out (they nearly spell the section). Rows are split by source package,
so a library's ``-dev`` and ``-doc`` siblings never sit on both sides.

Prints a Markdown table: skmm's classical baselines
(:func:`skmm.baselines.make_baseline`: word + char TF-IDF and standardised
numbers into logistic regression; and a char-n-gram LinearSVC) against an
otherwise default :class:`skmm.MultimodalClassifier` on text alone and on
text + numbers.

    OMP_NUM_THREADS=1 python benchmarks/debian_packages.py [--train 8000] [--test 4000] [--classes 20]
"""

from __future__ import annotations

import argparse
import glob
import subprocess
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.preprocessing import TextSequencer

NUMBERS = ["installed_kib", "download_kib", "n_depends", "n_recommends", "arch_all"]


def packages_file():
    """apt's main ``Packages`` list for this machine (the largest one)."""
    found = sorted(glob.glob("/var/lib/apt/lists/*_main_binary-*_Packages*"), key=lambda p: -len(open(p, "rb").read()))
    if not found:
        raise SystemExit("no apt Packages list under /var/lib/apt/lists (run apt-get update)")
    return found[0]


def read_stanzas(path):
    """Each package's fields (a dict per stanza), read with ``lz4cat`` or ``zcat`` when compressed."""
    if path.endswith(".lz4"):
        text = subprocess.run(["lz4cat", path], capture_output=True, check=True).stdout.decode("utf-8", "replace")
    elif path.endswith((".gz", ".xz")):
        text = subprocess.run(["zcat" if path.endswith(".gz") else "xzcat", path], capture_output=True,
                              check=True).stdout.decode("utf-8", "replace")
    else:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    for block in text.split("\n\n"):
        fields, key = {}, None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


def count_relations(value):
    return 0 if not value else len(value.split(","))


def load_frame(classes):
    rows = []
    for f in read_stanzas(packages_file()):
        rows.append({
            "description": f.get("Description", ""),
            "installed_kib": np.log1p(float(f.get("Installed-Size", 0) or 0)),
            "download_kib": np.log1p(float(f.get("Size", 0) or 0) / 1024),
            "n_depends": count_relations(f.get("Depends")) + count_relations(f.get("Pre-Depends")),
            "n_recommends": count_relations(f.get("Recommends")),
            "arch_all": float(f.get("Architecture") == "all"),
            "source": f.get("Source", f["Package"]).split(" ")[0],
            "section": f.get("Section", "").split("/")[-1],  # contrib/net -> net
        })
    frame = pd.DataFrame(rows)
    top = frame["section"].value_counts().index[:classes]
    return frame[frame["section"].isin(top)].reset_index(drop=True)


def split(frame, n_train, n_test, seed=0):
    """A train and a test sample, disjoint by source package."""
    train_idx, test_idx = next(GroupShuffleSplit(1, test_size=0.4, random_state=seed).split(frame, groups=frame["source"]))
    rng = np.random.default_rng(seed)
    train = frame.iloc[rng.permutation(train_idx)[:n_train]]
    test = frame.iloc[rng.permutation(test_idx)[:n_test]]
    return train, test


def models(with_numbers):
    numbers = NUMBERS if with_numbers else None
    steps = [("text", TextSequencer(), "description")]
    if with_numbers:
        steps.append(("numbers", "passthrough", NUMBERS))
    return {
        "baseline: make_baseline (word + char TF-IDF, logistic)": make_baseline(text="description", numeric=numbers),
        "baseline: char 2-4-grams, balanced LinearSVC (text)": Pipeline([
            ("features", ColumnTransformer([("text", TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True), "description")])),
            ("model", LinearSVC(class_weight="balanced")),
        ]),
        "skmm default": MultimodalClassifier(ModalityTransformer(steps), random_state=0, verbose=0),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=8000)
    parser.add_argument("--test", type=int, default=4000)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--only", default="", help="run only models whose label contains this")
    args = parser.parse_args(argv)
    uptime = lambda: subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    print("uptime:", uptime(), flush=True)
    frame = load_frame(args.classes)
    train, test = split(frame, args.train, args.test)
    print(f"{len(frame):,} packages in {args.classes} sections; {len(train):,} train / {len(test):,} test rows "
          f"(split by source package); majority class {test['section'].value_counts(normalize=True).iloc[0]:.3f}",
          flush=True)
    results = []
    for columns, with_numbers in (("text", False), ("text + numbers", True)):
        for label, model in models(with_numbers).items():
            if args.only not in label or ("LinearSVC" in label and with_numbers):
                continue
            start = time.perf_counter()
            model.fit(train, train["section"])
            seconds = time.perf_counter() - start
            pred = model.predict(test)
            accuracy = float(np.mean(pred == test["section"].to_numpy()))
            f1 = f1_score(test["section"], pred, average="macro")
            results.append((label, columns, accuracy, f1, seconds))
            print(f"  {label} [{columns}]: accuracy {accuracy:.3f}, macro-F1 {f1:.3f}, {seconds:.1f}s", flush=True)
    print("\n| model | columns | test accuracy | test macro-F1 | fit seconds |\n|---|---|---:|---:|---:|")
    for label, columns, accuracy, f1, seconds in results:
        print(f"| {label} | {columns} | {accuracy:.3f} | {f1:.3f} | {seconds:.1f} |")
    print("uptime:", uptime())


if __name__ == "__main__":
    main()
