"""Do the demo's seeded net rows depend on the number of CPU threads?

Fits the demo's nets (``examples/demo.py``: ``random_state=0``, concat
fusion) once per thread count, each in a fresh process with the estimator's
``n_threads`` set to that count (without it skmm chooses the count from the
machine's load at each epoch, whatever ``OMP_NUM_THREADS`` says) and
``OMP_NUM_THREADS`` too, and prints a Markdown table: test accuracy per thread
count, epochs run, the largest difference in the predicted probabilities and
the test rows whose predicted class differs.

    python benchmarks/thread_reproducibility.py [--n-samples 2000] [--max-epochs N] [--threads 1 2]

The defaults are the demo's: 2,000 samples, the estimator's training
(early stopping, at most 60 epochs); ``--max-epochs`` caps the epochs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ROWS = {"text": ["text"], "image": ["image"], "audio": ["audio"], "fusion": ["text", "image", "audio"]}

# One fit per row in a child process; writes the probabilities to an .npz file.
CHILD = """
import sys, numpy as np, torch
sys.path.insert(0, {examples!r})
from demo import skmm_net
from skmm.datasets import make_av_digits
X_train, X_test, y_train, y_test = make_av_digits({n_samples}, split="unseen", random_state=0)
out = {{}}
for name, modalities in {rows!r}.items():
    model = skmm_net(modalities, {max_epochs}, 0, n_threads={threads}).fit(X_train, y_train)
    out[name] = model.predict_proba(X_test)
    out[name + "_acc"] = np.array(model.score(X_test, y_test))
    out[name + "_epochs"] = np.array(len(model.history_))
np.savez({path!r}, **out)
"""


def run(threads, args, folder):
    path = os.path.join(folder, f"threads{threads}.npz")
    code = CHILD.format(examples=str(ROOT / "examples"), n_samples=args.n_samples, rows=ROWS,
                        max_epochs=args.max_epochs, threads=threads, path=path)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    return dict(np.load(path))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        runs = {t: run(t, args, folder) for t in args.threads}
    first = args.threads[0]
    header = " | ".join(f"accuracy, {t} thread(s)" for t in args.threads)
    print(f"| net | {header} | epochs (early stopping) | max abs. difference in probabilities vs {first} thread "
          "| test predictions that differ |")
    print("|---|" + "---:|" * len(args.threads) + "---:|---:|---:|")
    for name in ROWS:
        accs = " | ".join(f"{float(runs[t][name + '_acc']):.3f}" for t in args.threads)
        epochs = " / ".join(str(int(runs[t][name + "_epochs"])) for t in args.threads)
        diff = max(float(np.abs(runs[t][name] - runs[first][name]).max()) for t in args.threads)
        flips = max(int((runs[t][name].argmax(1) != runs[first][name].argmax(1)).sum()) for t in args.threads)
        print(f"| {name} | {accs} | {epochs} | {diff:.2e} | {flips} of {len(runs[first][name])} |")


if __name__ == "__main__":
    main()
