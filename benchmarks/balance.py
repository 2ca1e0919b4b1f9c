"""Balanced fusion on real sets: single nets, their product, every fusion x every ``balance``.

For each set the media are preprocessed once (one ModalityTransformer fitted
on the training rows); then, for each seed,

* one skmm net per modality (defaults, ``balance`` irrelevant with one modality);
* the product of those single nets' probabilities (the floor a fusion must clear);
* ``MultimodalClassifier(fusion=f, balance=b)`` for every fusion f and balance b asked for,
  with the drop in test accuracy when each modality is shuffled across rows;
* the classical baseline :func:`skmm.baselines.make_baseline` over the same columns (once).

Every fit is appended as one JSON line to ``--out`` as soon as it ends, and a
rerun skips the fits already there, so a long run can be interrupted and
resumed; the table is printed from that file (``--table`` prints it alone).
Nets run on one thread (``n_threads=1``) so that rows compare; fit seconds
exclude the shared preprocessing. ``uptime`` is recorded with every row.

    OMP_NUM_THREADS=1 python benchmarks/balance.py --sets av_digits,wesnoth,debian \
        [--fusions concat,late,...] [--balances none,heads,...] [--seeds 0,1,2] [--out balance.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from skmm import ModalityDict, ModalityTransformer, MultimodalClassifier
from skmm.balance import BALANCES
from skmm.baselines import make_baseline
from skmm.fusion import FUSIONS, Condition

sys.path.insert(0, os.path.dirname(__file__))


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip().split("load average:")[-1].strip()


# -- the sets: (X_train, X_test, y_train, y_test, steps, baseline columns) -------------------------
def av_digits():
    from skmm.datasets import make_av_digits
    from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

    X_train, X_test, y_train, y_test = make_av_digits(n_samples=2000, split="unseen", random_state=0)
    steps = [("text", TextSequencer(max_len=16), "text"), ("image", ImageLoader(size=(28, 28)), "image"),
             ("audio", AudioFeaturizer(n_mels=40), "audio")]
    return X_train, X_test, y_train, y_test, steps, {"text": "text", "image": "image", "audio": "audio"}


def wesnoth():
    from skmm.datasets import fetch_wesnoth_units
    from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

    X_train, y_train = fetch_wesnoth_units(split="train", verbose=0)
    X_test, y_test = fetch_wesnoth_units(split="test", verbose=0)
    steps = [("text", TextSequencer(max_len=96), "text"), ("image", ImageLoader(size=(32, 32)), "image"),
             ("audio", AudioFeaturizer(n_mels=40), "audio")]
    return X_train, X_test, y_train, y_test, steps, {"text": "text", "image": "image", "audio": "audio"}


def debian():
    from debian_packages import NUMBERS, load_frame, split
    from sklearn.preprocessing import StandardScaler

    from skmm.preprocessing import TextSequencer

    train, test = split(load_frame(20), 8000, 4000)
    steps = [("text", TextSequencer(), "description"), ("numbers", StandardScaler(), NUMBERS)]
    return (train, test, train["section"], test["section"], steps,
            {"text": "description", "numeric": NUMBERS})


def emoji():
    from skmm.datasets import fetch_emoji
    from skmm.preprocessing import ImageLoader, TextSequencer

    X_train, y_train = fetch_emoji(split="train", verbose=0)
    X_test, y_test = fetch_emoji(split="test", verbose=0)
    steps = [("text", TextSequencer(), "text"), ("image", ImageLoader(size=(32, 32)), "image")]
    return X_train, X_test, y_train, y_test, steps, {"text": "text", "image": "image"}


SETS = {"av_digits": av_digits, "wesnoth": wesnoth, "debian": debian, "emoji": emoji}
FUSION_CHOICES = {name: name for name in FUSIONS}


def fusion_choice(name, modalities):
    if name == "condition":  # a source and a target the set has
        return Condition(source=modalities[-1], target=modalities[0])
    return FUSION_CHOICES[name]


def _subset(data, names):
    out = ModalityDict({name: data[name] for name in names})
    out.present = {n: m for n, m in data.present.items() if n in names}
    out.kinds = {n: k for n, k in data.kinds.items() if n in names}
    return out


def shuffled(data, name, seed):
    """``data`` with modality ``name`` permuted across rows (its presence mask with it)."""
    order = np.random.default_rng(seed).permutation(len(next(iter(data.values()))))
    out = _subset(data, list(data))
    out[name] = data[name][order]
    if name in data.present:
        out.present[name] = np.asarray(data.present[name])[order]
    if name in data.kinds:
        out.kinds[name] = data.kinds[name]
    return out


def members_of(clf, test, y_test):
    """Test accuracy of each member of a balanced net, and of their plain products (what-if rows)."""
    import torch

    from skmm.balance.heads import product
    from skmm.data.tensors import to_tensors

    network = clf.net_.module_.eval()
    if getattr(network, "balance", None) is None:
        return {}
    with torch.no_grad():
        parts = network.parts(to_tensors(test, clf.modalities_))
    hit = lambda out: float(np.mean(clf.classes_[out.argmax(1).numpy()] == y_test))  # noqa: E731
    out = {name: hit(v) for name, v in parts.unimodal.items()}
    if parts.fused is not None:
        out["<fused>"] = hit(parts.fused)
        out["product with fused"] = hit(product({"f": parts.fused, **parts.unimodal}, parts.present,
                                                network.balance.task_sizes))
    out["product of modalities"] = hit(product(parts.unimodal, parts.present, network.balance.task_sizes))
    return out


def fit_net(train, y_train, seed, **params):
    # Nested parameters (``balance__fusion_loss``) go through set_params, as a grid's would.
    nested = {key: params.pop(key) for key in list(params) if "__" in key}
    clf = MultimodalClassifier(random_state=seed, verbose=0, n_threads=1, **params).set_params(**nested)
    start, cpu = time.perf_counter(), time.process_time()
    clf.fit(train, y_train)
    return clf, time.perf_counter() - start, time.process_time() - cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="av_digits,wesnoth,debian")
    parser.add_argument("--fusions", default="concat")
    parser.add_argument("--balances", default=",".join(BALANCES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="balance.jsonl")
    parser.add_argument("--no-singles", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-fusions", action="store_true", help="only the single nets and their product")
    parser.add_argument("--table", action="store_true", help="print the table from --out and stop")
    parser.add_argument("--extra", default="", help="JSON of more estimator parameters, e.g. '{\"max_epochs\": 5}'")
    args = parser.parse_args(argv)
    if not args.table:
        run(args)
    print_table(args.out)


def run(args):
    done = set()
    if os.path.exists(args.out):
        with open(args.out) as f:
            done = {json.loads(line)["key"] for line in f if line.strip()}
    extra = json.loads(args.extra) if args.extra else {}
    seeds = [int(s) for s in args.seeds.split(",")]
    for set_name in args.sets.split(","):
        X_train, X_test, y_train, y_test, steps, columns = SETS[set_name]()
        prep = ModalityTransformer(steps)
        start = time.perf_counter()
        train, test = prep.fit_transform(X_train), prep.transform(X_test)
        names = [name for name, _, _ in steps]
        print(f"{set_name}: {len(X_train)} train / {len(X_test)} test rows, {names}; "
              f"preprocessed in {time.perf_counter() - start:.1f}s; load {uptime()}", flush=True)
        y_test = np.asarray(y_test)

        def record(key, set_name=set_name, **row):
            row.update(key=key, set=set_name, load=uptime())
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")
            done.add(key)
            print(f"  {key}: acc {row.get('acc', float('nan')):.3f} ({row.get('seconds', 0):.0f}s) "
                  f"{ {k: round(v, 3) for k, v in row.get('shuffle', {}).items()} } load {row['load']}", flush=True)

        if not args.no_baseline and f"{set_name}|baseline" not in done:
            model = make_baseline(**columns)
            t = time.perf_counter()
            model.fit(X_train, y_train)
            record(f"{set_name}|baseline", model="baseline", acc=float(model.score(X_test, y_test)),
                   seconds=time.perf_counter() - t)
        for seed in seeds:
            if not args.no_singles:
                logp = 0.0
                for name in names:
                    key = f"{set_name}|single:{name}|{seed}|{args.extra}"
                    clf, seconds, cpu = fit_net(_subset(train, [name]), y_train, seed, **extra)
                    proba = clf.predict_proba(_subset(test, [name]))
                    logp = logp + np.log(np.clip(proba, 1e-12, None))
                    classes = clf.classes_
                    if key not in done:
                        record(key, model=f"single:{name}", seed=seed, acc=float(np.mean(clf.predict(_subset(test, [name])) == y_test)),
                               seconds=seconds, cpu=cpu, epochs=len(clf.history_))
                key = f"{set_name}|product|{seed}|{args.extra}"
                if key not in done:
                    record(key, model="product", seed=seed, acc=float(np.mean(classes[logp.argmax(1)] == y_test)))
            for fusion in [] if args.no_fusions else args.fusions.split(","):
                for balance in args.balances.split(","):
                    key = f"{set_name}|{fusion}|{balance}|{seed}|{args.extra}"
                    if key in done:
                        continue
                    clf, seconds, cpu = fit_net(train, y_train, seed, fusion=fusion_choice(fusion, names),
                                                balance=balance, **extra)
                    acc = float(clf.score(test, y_test))
                    drops = {name: acc - float(clf.score(shuffled(test, name, seed), y_test)) for name in names}
                    record(key, model=f"{fusion}/{balance}", seed=seed, acc=acc, seconds=seconds, cpu=cpu,
                           epochs=len(clf.history_), shuffle=drops, members=members_of(clf, test, y_test))


def read_jsonl(path) -> list[dict]:
    """The rows of a benchmark's JSON-lines file (none when it does not exist)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def print_table(path):
    rows = {}
    for row in read_jsonl(path):
        rows.setdefault((row["set"], row["model"], row["key"].split("|")[-1] if "seed" in row else ""), []).append(row)
    if not rows:
        return
    print("\n| set | model | seeds | test accuracy: median [min, max] | mean | fit s (median) | epochs | "
          "accuracy drop, each modality shuffled (median) | load (1, 5, 15 min) |")
    print("|---|---|---:|---|---:|---:|---:|---|---|")
    for (set_name, model, extra), group in sorted(rows.items()):
        accs = [r["acc"] for r in group]
        secs = [r.get("seconds") for r in group if r.get("seconds") is not None]
        epochs = [r["epochs"] for r in group if "epochs" in r]
        drops = {}
        for r in group:
            for k, v in r.get("shuffle", {}).items():
                drops.setdefault(k, []).append(v)
        drop_text = ", ".join(f"{k} {np.median(v):+.3f}" for k, v in sorted(drops.items())) or "-"
        label = model + (f" {extra}" if extra else "")
        print(f"| {set_name} | {label} | {len(accs)} | {np.median(accs):.3f} [{min(accs):.3f}, {max(accs):.3f}] | "
              f"{np.mean(accs):.3f} | {np.median(secs) if secs else float('nan'):.1f} | "
              f"{np.median(epochs) if epochs else '-'} | {drop_text} | {group[-1]['load']} |")


if __name__ == "__main__":
    main()
