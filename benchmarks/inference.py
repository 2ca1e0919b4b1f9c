"""Inference: predict latency for one row and throughput for many rows.

Times ``predict`` of a fitted MultimodalClassifier on already-preprocessed
arrays (the network alone) and on the raw frame (decoding the media files
too), for 1 row and for ``--rows`` rows (AV-Digits rows repeated).

A second table decodes and preprocesses the image and audio columns of
``--rows`` rows (decode cache off, so every file is read) in a fresh process
pinned to 1 core and to 2 cores, with the preprocessors' default ``n_jobs``
(the cores the process may use).

    python benchmarks/inference.py [--rows 10000] [--decode-only]
"""

import argparse
import json
import os
import subprocess
import sys
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


def fit_demo(rows):
    """The demo's fusion net (3 epochs) fitted on AV-Digits; (clf, one row, ``rows`` rows)."""
    X, y = make_av_digits(2000, random_state=0)
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])
    clf = MultimodalClassifier(prep, max_epochs=3, random_state=0, verbose=0).fit(X, y)
    many = pd.concat([X] * -(-rows // len(X)), ignore_index=True).iloc[:rows]
    return clf, X.iloc[:1], many


def decode_child(args):
    """In a process pinned to ``args.cores`` cores: seconds to preprocess the media of ``args.rows`` rows."""
    os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    from skmm.preprocessing import decode_cache

    X, _ = make_av_digits(2000, random_state=0)
    prep = ModalityTransformer([
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ]).fit(X)
    many = pd.concat([X] * -(-args.rows // len(X)), ignore_index=True).iloc[: args.rows]
    decode_cache.max_bytes = 0  # every file decoded, as in a first pass over new data
    seconds = best_of(lambda: prep.transform(many), args.repeats)
    print(json.dumps({"seconds": seconds}))


def decode_table(args):
    print(f"Decoding + preprocessing image and audio of {args.rows:,} rows (decode cache off), "
          f"best of {args.repeats}\n")
    print("| cores | seconds | rows per second | speed-up |")
    print("|---:|---:|---:|---:|")
    base = None
    for cores in range(1, min(2, len(os.sched_getaffinity(0))) + 1):
        out = subprocess.run(
            [sys.executable, __file__, "--decode-child", "--cores", str(cores), "--rows", str(args.rows),
             "--repeats", str(args.repeats)], capture_output=True, text=True, check=True,
        )
        seconds = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
        base = base or seconds
        print(f"| {cores} | {seconds:.2f} | {args.rows / seconds:,.0f} | {base / seconds:.2f}x |", flush=True)
    print(f"\nuptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode-only", action="store_true", help="only the decoding table")
    parser.add_argument("--decode-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cores", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.decode_child:
        return decode_child(args)
    if args.decode_only:
        return decode_table(args)
    clf, one, many = fit_demo(args.rows)
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
    print()
    decode_table(args)


if __name__ == "__main__":
    main()
