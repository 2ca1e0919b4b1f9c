"""Inference: predict latency for one row and throughput for many rows.

Times ``predict`` of a fitted MultimodalClassifier on already-preprocessed
arrays (the network alone) and on the raw frame (decoding the media files
too), for 1 row and for ``--rows`` rows (AV-Digits rows repeated).

A second table decodes and preprocesses the image and audio columns of
``--rows`` rows (decode cache off, so every file is read) with the
preprocessors' default ``n_jobs`` (the cores the process may use), in a
fresh process pinned to 1 core and to 2 cores in turn, ``--repeats`` times,
and reports medians: paired runs, so that load from other work on the
machine hits both alike. ``--compare-threads`` adds the same with threads
only. Beside the seconds: CPU seconds (a busy machine stretches seconds far
more than CPU seconds) and the serial part, the main thread's CPU outside
the worker pools.

    python benchmarks/inference.py [--rows 10000] [--decode-only] [--compare-threads]
"""

import argparse
import json
import multiprocessing
import os
import pickle
import resource
import subprocess
import sys
import tempfile
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
    """Paired timings: a fresh process pinned to 1 core and to 2 cores in turn, ``--repeats`` pairs.

    Each run is a new Python process whose CPU affinity is set before it starts, so every
    thread it makes (torch's OpenMP pool included) stays on those cores; pinning a running
    process's main thread alone would leave threads made earlier on every core.
    """
    X, _ = make_av_digits(2000, random_state=0)
    prep = ModalityTransformer([
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ]).fit(X)
    many = pd.concat([X] * -(-args.rows // len(X)), ignore_index=True).iloc[: args.rows]
    allowed = sorted(os.sched_getaffinity(0))
    core_counts = list(range(1, min(2, len(allowed)) + 1))
    modes = {"auto (processes when long)": "auto"}
    if args.compare_threads:
        modes["threads only"] = "threads"
    before = uptime()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        job = os.path.join(folder, "job.pkl")
        with open(job, "wb") as f:
            pickle.dump((prep, many), f)
        for mode, how in modes.items():
            runs = {cores: [] for cores in core_counts}
            for _ in range(args.repeats):  # alternate, so load from other work hits both alike
                for cores in core_counts:
                    runs[cores].append(run_pinned(job, how, allowed[:cores]))
            rows.append((mode, {cores: {key: float(np.median([r[key] for r in done])) for key in done[0]}
                                for cores, done in runs.items()}))
    print(f"Decoding + preprocessing image and audio of {args.rows:,} rows (decode cache off): "
          f"median of {args.repeats} paired runs, 1 and 2 cores alternating, each a fresh pinned process\n")
    print("| decoding | cores | seconds | rows per second | speed-up | CPU seconds (all processes) "
          "| of which in worker processes | serial CPU seconds | serial fraction |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for mode, medians in rows:
        for cores in core_counts:
            m = medians[cores]
            print(f"| {mode} | {cores} | {m['seconds']:.2f} | {args.rows / m['seconds']:,.0f} | "
                  f"{medians[1]['seconds'] / m['seconds']:.2f}x | {m['cpu']:.2f} | {m['worker_cpu']:.2f} | "
                  f"{m['serial_cpu']:.2f} | {m['serial_cpu'] / medians[1]['cpu']:.0%} |")
    print("\nserial CPU seconds: the main thread's CPU outside the worker pools (with 1 core, all of it); "
          "serial fraction: that over the 1-core run's CPU seconds (Amdahl: 1.6x on 2 cores needs < 25%).")
    if len(core_counts) == 2:
        ceiling = [spin_pinned(allowed[:1]) / spin_pinned(allowed[:2]) for _ in range(args.repeats)]
        print(f"\nmachine check: a perfectly parallel busy loop (2 forked processes) ran {np.median(ceiling):.2f}x "
              "faster on 2 cores than on 1 (about 2x when the cores are free; near 1x when other work takes them)")
    print(f"\nuptime before: {before}\nuptime after:  {uptime()}")


def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


def spin_pinned(cores, n=4_000_000):
    """Seconds for 2 x ``n`` steps of a Python loop in a new process allowed ``cores`` (forking one per core)."""
    done = subprocess.run(
        [sys.executable, __file__, "--spin-child", str(n)],
        capture_output=True, text=True, check=True, preexec_fn=lambda: os.sched_setaffinity(0, cores),
    )
    return float(done.stdout.strip().splitlines()[-1])


def spin_child(n):
    start = time.perf_counter()
    if len(os.sched_getaffinity(0)) == 1:
        spin(2 * n)
    else:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pool.map(spin, [n, n])
    print(time.perf_counter() - start)


def run_pinned(job, how, cores):
    """Time ``prep.transform(many)`` from ``job`` in a new process allowed only ``cores``."""
    done = subprocess.run(
        [sys.executable, __file__, "--decode-child", job, "--decoding", how],
        capture_output=True, text=True, check=True, preexec_fn=lambda: os.sched_setaffinity(0, cores),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def decode_child(job, how):
    """One timed run inside the pinned process: prints seconds and CPU seconds as JSON."""
    from skmm.preprocessing import _parallel, decode_cache

    with open(job, "rb") as f:
        prep, many = pickle.load(f)  # noqa: S301 - written by this script's parent just now
    decode_cache.max_bytes = 0  # every file decoded, as in a first pass over new data
    if how == "threads":
        _parallel.PROCESS_MIN_SECONDS = float("inf")
    in_pools = [0.0]  # main-thread CPU while workers run: what the rest is, is serial
    for name in ("_process_map", "parallel_map"):
        setattr(_parallel, name, timed_in(getattr(_parallel, name), in_pools))
    prep.transform(many.iloc[:64])  # imports and first-call set-up out of the timing
    in_pools[0] = 0.0
    start, start_cpu, start_main = time.perf_counter(), cpu_seconds(), time.thread_time()
    prep.transform(many)
    seconds, cpu, main = time.perf_counter() - start, cpu_seconds(), time.thread_time() - start_main
    print(json.dumps({"seconds": seconds, "cpu": sum(cpu) - sum(start_cpu), "worker_cpu": cpu[1] - start_cpu[1],
                      "serial_cpu": main - in_pools[0]}))


def timed_in(func, total):
    """``func`` adding the calling thread's CPU time in it to ``total[0]``."""
    def timed(*args, **kwargs):
        start = time.thread_time()
        try:
            return func(*args, **kwargs)
        finally:
            total[0] += time.thread_time() - start
    return timed


def cpu_seconds():
    """CPU time of this process and of its finished children (the decoding workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--decode-only", action="store_true", help="only the decoding table")
    parser.add_argument("--compare-threads", action="store_true",
                        help="also time decoding with threads only (no worker processes)")
    parser.add_argument("--decode-child", help=argparse.SUPPRESS)  # internal: one pinned run
    parser.add_argument("--decoding", default="auto", help=argparse.SUPPRESS)
    parser.add_argument("--spin-child", type=int, help=argparse.SUPPRESS)  # internal: the machine check
    args = parser.parse_args()
    if args.decode_child:
        return decode_child(args.decode_child, args.decoding)
    if args.spin_child:
        return spin_child(args.spin_child)
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
