"""Inference: predict latency for one row and throughput for many rows.

Times ``predict`` of a fitted MultimodalClassifier on already-preprocessed
arrays (the network alone) and on the raw frame (decoding the media files
too), for 1 row and for ``--rows`` rows (AV-Digits rows repeated).

    python benchmarks/inference.py [--rows 10000]
"""

import argparse
import time

import numpy as np
import pandas as pd

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer


def best_of(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def demo(description):
    """Parse --rows/--repeats, fit the demo's fusion net; (args, clf, X, one row, many rows)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, y = make_av_digits(2000, random_state=0)
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])
    clf = MultimodalClassifier(prep, max_epochs=3, random_state=0, verbose=0).fit(X, y)
    many = pd.concat([X] * -(-args.rows // len(X)), ignore_index=True).iloc[: args.rows]
    return args, clf, X.iloc[:1], many


def main():
    args, clf, one, many = demo(__doc__)
    arrays_one, arrays_many = clf._input(one), clf._input(many)

    print(f"torch CPU; best of {args.repeats}\n")
    print("| what | rows | seconds | rows per second |")
    print("|---|---:|---:|---:|")
    for label, run, rows in [
        ("network only (preprocessed arrays)", lambda: clf._predict(arrays_one), 1),
        ("network only (preprocessed arrays)", lambda: clf._predict(arrays_many), args.rows),
        ("predict on the frame (decodes media files)", lambda: clf.predict(one), 1),
        ("predict on the frame (decodes media files)", lambda: clf.predict(many), args.rows),
    ]:
        seconds = best_of(run, args.repeats if rows == 1 else 1)
        print(f"| {label} | {rows:,} | {seconds:.4f} | {rows / seconds:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
