"""Peak memory of a fit in the number of rows: lazy=True against eager.

Each fit runs in a fresh process (``--child``) so that its peak resident set
size (ru_maxrss, including worker processes) is its own. One epoch on
AV-Digits frames of media paths; the decode cache is off, as for a data set
larger than memory.

    python benchmarks/memory.py [--sizes 1000 4000 16000]
"""

import argparse
import os
import resource
import subprocess
import sys
import time


def child(n, lazy, workers):
    from skmm import ModalityTransformer, MultimodalClassifier
    from skmm.datasets import make_av_digits
    from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

    X, y = make_av_digits(n, random_state=0)
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])
    start = time.perf_counter()
    MultimodalClassifier(prep, lazy=lazy, num_workers=workers, max_epochs=1, batch_size=64,
                         random_state=0, verbose=0).fit(X, y)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{seconds:.1f} {peak / 1024:.0f} {peak_workers / 1024:.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], bool(args.child[1]), args.child[2])
        return
    # Make the data sets first, outside the measured processes.
    from skmm.datasets import make_av_digits

    for n in args.sizes:
        make_av_digits(n, random_state=0)
    env = dict(os.environ, SKMM_DECODE_CACHE_MB="0")
    print("| rows | mode | fit seconds (1 epoch) | peak RSS, main process (MiB) | peak RSS, largest worker (MiB) |")
    print("|---:|---|---:|---:|---:|")
    for n in args.sizes:
        for label, lazy, workers in [("eager", 0, 0), ("lazy=True", 1, 0), ("lazy=True, num_workers=2", 1, 2)]:
            out = subprocess.run([sys.executable, __file__, "--child", str(n), str(lazy), str(workers)],
                                 capture_output=True, text=True, env=env, check=True).stdout.split()
            seconds, main_mib, worker_mib = out[-3:]
            print(f"| {n:,} | {label} | {seconds} | {main_mib} | {worker_mib if workers else '-'} |", flush=True)


if __name__ == "__main__":
    main()
