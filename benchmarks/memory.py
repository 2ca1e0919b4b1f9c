"""Peak memory of a fit in the number of rows: lazy=True against eager.

Each fit runs in a fresh process (``--child``) and reports its own peak
resident set size (VmHWM; ``ru_maxrss`` would also count the parent's peak,
which Linux carries across exec). The data sets are written by yet another
process, so the parent stays small. One epoch on
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
    status = open("/proc/self/status").read().split("\n")
    peak_kib = int(next(line for line in status if line.startswith("VmHWM")).split()[1])
    # Workers are forked from this process: their peak includes pages shared with it.
    peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{seconds:.1f} {peak_kib / 1024:.0f} {peak_workers / 1024:.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], bool(args.child[1]), args.child[2])
        return
    # Make the data sets first, in another process (see the module docstring).
    code = "import sys; from skmm.datasets import make_av_digits; [make_av_digits(int(n), random_state=0) for n in sys.argv[1:]]"
    subprocess.run([sys.executable, "-c", code, *map(str, args.sizes)], check=True)
    env = dict(os.environ, SKMM_DECODE_CACHE_MB="0")
    print("| rows | mode | fit seconds (1 epoch) | peak RSS, main process (MiB) | peak RSS, largest worker (MiB, incl. shared pages) |")
    print("|---:|---|---:|---:|---:|")
    for n in args.sizes:
        for label, lazy, workers in [("eager", 0, 0), ("lazy=True", 1, 0), ("lazy=True, num_workers=2", 1, 2)]:
            out = subprocess.run([sys.executable, __file__, "--child", str(n), str(lazy), str(workers)],
                                 capture_output=True, text=True, env=env, check=True).stdout.split()
            seconds, main_mib, worker_mib = out[-3:]
            print(f"| {n:,} | {label} | {seconds} | {main_mib} | {worker_mib if workers else '-'} |", flush=True)


if __name__ == "__main__":
    main()
