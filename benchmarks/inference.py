"""Inference: predict latency for one row and throughput for many rows.

Times ``predict`` of a fitted MultimodalClassifier on already-preprocessed
arrays (the network alone) and on the raw frame (decoding the media files
too), for 1 row and for ``--rows`` rows (AV-Digits rows repeated).

A second table decodes and preprocesses the image and audio columns of
``--rows`` rows (decode cache off, so every file is read) with the
preprocessors' default ``n_jobs`` (the cores the process may use), pinning
this process to 1 core and to 2 cores in turn, ``--repeats`` times, and
reports medians: paired runs, so that load from other work on the machine
hits both alike. ``--compare-threads`` adds the same with threads only.

    python benchmarks/inference.py [--rows 10000] [--decode-only] [--compare-threads]
"""

import argparse
import json
import os
import resource
import subprocess
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


def decode_table(args):
    """Paired timings: the same process pinned to 1 core and to 2 cores in turn, ``--repeats`` pairs."""
    from skmm.preprocessing import _parallel, decode_cache

    X, _ = make_av_digits(2000, random_state=0)
    prep = ModalityTransformer([
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ]).fit(X)
    many = pd.concat([X] * -(-args.rows // len(X)), ignore_index=True).iloc[: args.rows]
    decode_cache.max_bytes = 0  # every file decoded, as in a first pass over new data
    allowed = sorted(os.sched_getaffinity(0))
    core_counts = list(range(1, min(2, len(allowed)) + 1))
    modes = {"auto (processes when long)": _parallel.PROCESS_MIN_SECONDS}
    if args.compare_threads:
        modes["threads only"] = float("inf")
    before = uptime()
    rows = []
    try:
        for mode, threshold in modes.items():
            _parallel.PROCESS_MIN_SECONDS = threshold
            times = {cores: [] for cores in core_counts}
            cpu = {cores: [] for cores in core_counts}
            for _ in range(args.repeats):  # alternate, so load from other work hits both alike
                for cores in core_counts:
                    os.sched_setaffinity(0, allowed[:cores])
                    start, start_cpu = time.perf_counter(), cpu_seconds()
                    prep.transform(many)
                    times[cores].append(time.perf_counter() - start)
                    cpu[cores].append(cpu_seconds() - start_cpu)
            rows.append((mode, {cores: float(np.median(t)) for cores, t in times.items()},
                         {cores: float(np.median(t)) for cores, t in cpu.items()}))
    finally:
        os.sched_setaffinity(0, allowed)
    print(f"Decoding + preprocessing image and audio of {args.rows:,} rows (decode cache off): "
          f"median of {args.repeats} paired runs, 1 and 2 cores alternating\n")
    print("| decoding | cores | seconds | rows per second | speed-up | CPU seconds (all processes) |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, seconds, cpu in rows:
        for cores in core_counts:
            print(f"| {mode} | {cores} | {seconds[cores]:.2f} | {args.rows / seconds[cores]:,.0f} | "
                  f"{seconds[1] / seconds[cores]:.2f}x | {cpu[cores]:.2f} |")
    print(f"\nuptime before: {before}\nuptime after:  {uptime()}")


def cpu_seconds():
    """CPU time of this process and of its finished children (the decoding workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode-only", action="store_true", help="only the decoding table")
    parser.add_argument("--compare-threads", action="store_true",
                        help="also time decoding with threads only (no worker processes)")
    args = parser.parse_args()
    if args.decode_only:
        return decode_table(args)
    clf, one, many = fit_demo(args.rows)
    arrays_one, arrays_many = clf.preprocess(one), clf.preprocess(many)

    print(f"torch CPU; best of {args.repeats}\n")
    print("| what | rows | seconds | rows per second |")
    print("|---|---:|---:|---:|")
    for label, run, rows in [
        ("network only (preprocessed arrays)", lambda: clf.predict(arrays_one), 1),
        ("network only (preprocessed arrays)", lambda: clf.predict(arrays_many), args.rows),
        ("predict on the frame (decodes media files)", lambda: clf.predict(one), 1),
        ("predict on the frame (decodes media files)", lambda: clf.predict(many), args.rows),
    ]:
        seconds = best_of(run, args.repeats if rows == 1 else 1)
        print(f"| {label} | {rows:,} | {seconds:.4f} | {rows / seconds:,.0f} |", flush=True)
    print()
    decode_table(args)


if __name__ == "__main__":
    main()
