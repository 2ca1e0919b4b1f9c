"""Threads: skmm's default thread count against 1 thread and all cores, idle and busy.

For each machine state -- "idle" (nothing started by this script; other
users' jobs may still run: the load average is printed) and "busy" (one
CPU-burning process per usable core started beside the fit and stopped
after) -- fits a MultimodalClassifier on preprocessed AV-Digits arrays and
predicts on them, with ``n_threads=None`` (skmm's choice), 1, and all usable
cores (what torch does by default). Each measurement runs in a fresh process
with a time limit on the measured work, so a collapsed run cannot hold the
table up (it shows as "> limit").

    python benchmarks/threads.py [--quick] [--rows 2000] [--epochs 3] [--repeats 2] [--limit 150]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def child(args):
    """Measure one configuration; print a JSON line."""
    import numpy as np
    import torch
    from skorch.callbacks import Callback

    from skmm import ModalityDict, MultimodalClassifier

    class SeenThreads(Callback):
        def on_epoch_begin(self, net, **kwargs):
            seen.add(torch.get_num_threads())

    with np.load(args.data) as saved:
        arrays = dict(saved)
    y = arrays.pop("__y__")
    data = ModalityDict(arrays)
    n_threads = None if args.child == "default" else int(args.child)
    # First fit in a process pays one-off costs (lazy imports, allocator): not timed.
    MultimodalClassifier(max_epochs=1, n_threads=n_threads, verbose=0).fit(data[:128], y[:128])
    fits, predicts, seen = [], [], set()

    def too_long(signum, frame):
        print(json.dumps(None), flush=True)
        os._exit(0)

    # The limit counts the measured work only, not starting Python (slow on a loaded machine).
    signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, args.limit)
    for _ in range(args.repeats):
        clf = MultimodalClassifier(
            max_epochs=args.epochs, n_threads=n_threads, callbacks=[SeenThreads()], random_state=0, verbose=0
        )
        start = time.perf_counter()
        clf.fit(data, y)
        fits.append(time.perf_counter() - start)
        start = time.perf_counter()
        clf.predict_proba(data)
        predicts.append(time.perf_counter() - start)
    print(json.dumps({"fit": min(fits), "predict": min(predicts), "seen": sorted(seen)}))


def prepare(args, folder):
    """Preprocess AV-Digits once; the measuring processes load the arrays."""
    import numpy as np

    from skmm import ModalityTransformer
    from skmm.datasets import make_av_digits
    from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

    X, y = make_av_digits(args.rows, random_state=0)
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])
    path = os.path.join(folder, "data.npz")
    np.savez(path, __y__=y.to_numpy(), **prep.fit_transform(X))
    return path


def measure(config, args):
    command = [sys.executable, __file__, "--child", config, "--data", args.data,
               "--rows", str(args.rows), "--epochs", str(args.epochs), "--repeats", str(args.repeats),
               "--limit", str(args.limit)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="600 rows, 2 epochs, 1 repeat")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=float, default=150.0, help="seconds allowed per configuration")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rows, args.epochs, args.repeats = 600, 2, 1
    if args.child:
        return child(args)

    from skmm.utils.threads import usable_cores

    cores = usable_cores()
    folder = tempfile.mkdtemp(prefix="skmm_threads_")
    args.data = prepare(args, folder)
    configs = [("default", "skmm default (n_threads=None)"), ("1", "1 thread"), (str(cores), f"all {cores} cores")]
    print(f"AV-Digits, {args.rows} rows, {args.epochs} epochs, batch 64; fit and predict_proba on preprocessed "
          f"arrays; best of {args.repeats}; {cores} usable cores; time limit {args.limit:.0f} s per configuration\n")
    rows = []
    for state in ("idle", "busy"):
        burners = []
        if state == "busy":
            burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
            time.sleep(1.0)
        try:
            load = os.getloadavg()
            results = {config: measure(config, args) for config, _ in configs}
        finally:
            for burner in burners:
                burner.kill()
                burner.wait()
        for config, label in configs:
            r = results[config]
            if r is None:
                rows.append(f"| {state} | {label} | > {args.limit:.0f} | - | - | {load[0]:.2f} |")
            else:
                seen = ", ".join(map(str, r["seen"]))
                rows.append(f"| {state} | {label} | {r['fit']:.2f} | {r['predict']:.3f} | {seen} | {load[0]:.2f} |")
        fit = {c: (results[c] or {"fit": float("inf")})["fit"] for c, _ in configs}
        best = min(fit["1"], fit[str(cores)])
        rows.append(f"| {state} | default / {'1 thread' if state == 'busy' else 'best of 1 and all'} "
                    f"| {fit['default'] / (fit['1'] if state == 'busy' else best):.2f}x | | | |")
    print("| machine | threads | fit (s) | predict (s) | threads used in fit | load avg (1 min) |")
    print("|---|---|---:|---:|---|---:|")
    print("\n".join(rows))
    shutil.rmtree(folder)
    print(f"\nuptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
