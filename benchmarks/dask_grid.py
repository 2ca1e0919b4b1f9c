"""Wall time of a small grid search: a 2-worker Dask LocalCluster vs n_jobs=1.

    python benchmarks/dask_grid.py [--n-samples 600] [--max-epochs 5]
"""

import argparse
import time

import joblib
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=600)
    parser.add_argument("--max-epochs", type=int, default=5)
    args = parser.parse_args()
    X, y = make_av_digits(args.n_samples, random_state=0)
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])
    pipe = Pipeline([("prep", prep), ("net", MultimodalClassifier(max_epochs=args.max_epochs, random_state=0, verbose=0))])
    grid = {"net__fusion": ["concat", "gated"], "prep__text__max_len": [8, 16]}
    print(f"{args.n_samples} rows, 4 candidates x 3 folds + refit, max_epochs={args.max_epochs}\n")
    print("| engine | wall seconds |")
    print("|---|---:|")
    start = time.perf_counter()
    GridSearchCV(pipe, grid, cv=3, n_jobs=1).fit(X, y)
    print(f"| n_jobs=1 (one process, torch on 2 threads) | {time.perf_counter() - start:.1f} |", flush=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster):
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            GridSearchCV(pipe, grid, cv=3).fit(X, y)
        print(f"| Dask LocalCluster, 2 worker processes x 1 thread | {time.perf_counter() - start:.1f} |")


if __name__ == "__main__":
    main()
