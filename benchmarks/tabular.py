"""Numbers only, real: scikit-learn's bundled sets, the default net against logistic regression.

The sets ship inside scikit-learn (nothing is downloaded): breast cancer
(569 rows, 30 measurements), wine (178 rows, 13), digits (1,797 rows, 64
pixel values as numbers). For each, ``--splits`` stratified 70/30 splits;
:func:`skmm.baselines.make_baseline` (standardised numbers, logistic
regression) beside ``MultimodalClassifier`` over a ``StandardScaler``
modality (the ``mlp`` encoder), otherwise default, one thread. Prints mean
test accuracy and fit seconds.

    OMP_NUM_THREADS=1 python benchmarks/tabular.py [--splits 3]
"""

from __future__ import annotations

import argparse
import subprocess
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline

SETS = {"breast cancer": load_breast_cancer, "wine": load_wine, "digits (pixels as numbers)": load_digits}


def models(columns):
    return {
        "baseline: make_baseline (standardised, logistic)": make_baseline(numeric=columns),
        "skmm default (mlp)": MultimodalClassifier(
            ModalityTransformer([("numbers", StandardScaler(), columns)]), random_state=0, verbose=0, n_threads=1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=3)
    args = parser.parse_args(argv)
    uptime = lambda: subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    print("uptime:", uptime(), flush=True)
    print("\n| set (rows) | model | mean test accuracy | fit seconds (mean) |\n|---|---|---:|---:|")
    for name, loader in SETS.items():
        X, y = loader(return_X_y=True, as_frame=True)
        scores = {}
        for seed in range(args.splits):
            X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
            for label, model in models(list(X.columns)).items():
                start = time.perf_counter()
                model.fit(X_train, y_train)
                seconds = time.perf_counter() - start
                scores.setdefault(label, []).append((np.mean(model.predict(X_test) == y_test.to_numpy()), seconds))
        for label, runs in scores.items():
            accuracy, seconds = np.mean(runs, axis=0)
            print(f"| {name} ({len(X):,}) | {label} | {accuracy:.3f} | {seconds:.1f} |", flush=True)
    print("\nuptime:", uptime())


if __name__ == "__main__":
    main()
