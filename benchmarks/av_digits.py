"""Generation time of make_av_digits per set of columns (a script, not a test).

Each row makes a fresh data home, so every call writes its files except the
"cached" row, which repeats the previous call. Prints a Markdown table.

    OMP_NUM_THREADS=1 python benchmarks/av_digits.py [--n-samples 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from skmm.datasets import make_av_digits

ROWS = [
    ("text, image, audio (default)", ["text", "image", "audio"]),
    ("+ trajectory", ["text", "image", "audio", "trajectory"]),
    ("+ video", ["text", "image", "audio", "video"]),
    ("+ video + trajectory", ["text", "image", "audio", "video", "trajectory"]),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2000)
    args = parser.parse_args(argv)
    print(f"make_av_digits({args.n_samples}, random_state=0); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start\n")
    print("| columns | seconds |")
    print("|---|---:|")
    for label, modalities in ROWS:
        with tempfile.TemporaryDirectory() as home:
            for suffix in ("", " (cached)"):
                start = time.perf_counter()
                make_av_digits(args.n_samples, random_state=0, data_home=home,
                               modalities=modalities)
                print(f"| {label}{suffix} | {time.perf_counter() - start:.2f} |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
