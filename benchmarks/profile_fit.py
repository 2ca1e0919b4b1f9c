"""Where a default fit's time goes: per encoder, fusion, heads, loss, backward, optimizer step, batches, validation.

Fits ``MultimodalClassifier(prep, random_state=0)`` (every default:
``balance="staged"``, so stage one trains each modality's member and stage
two the fusion) on Wesnoth units (``fetch_wesnoth_units(split="train")``,
``benchmarks/real.py``'s preprocessor: text ``max_len=96``, 32x32 sprites,
40 mel bands) or AV-Digits (the README's recipe: ``make_av_digits(2000,
split="unseen", random_state=0)``, text ``max_len=16``, 28x28 images, 40 mel
bands), and prints Markdown tables of each part's mean milliseconds per
training batch, seconds per epoch, total seconds and share of the fit,
stage by stage and for the whole fit, with the machine, ``uptime`` and
torch's threads.

The library is not changed: the timers are hooks and per-instance wrappers
that :class:`fit_profiler.FitProfiler` (a skorch callback passed in
``callbacks=``) puts on at the start of training and takes off at its end;
``skmm.estimators.data.fit_dataset`` (preprocessing: the preprocessor's fit
and transform, and the tensors) is wrapped for the fit's duration. Each
part's time excludes the timed parts inside it, so the rows add up to the
fit. The hooks themselves cost a few microseconds per call.

    OMP_NUM_THREADS=1 python benchmarks/profile_fit.py --set wesnoth [--quick] [--max-epochs N]
        [--n-threads 1] [--modalities audio] [--out profile.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import skmm.estimators.base as estimator_base
import skmm.estimators.data as estimator_data
from skmm import ModalityTransformer, MultimodalClassifier
from skmm.estimators.skorch_net import ModalityNet
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

sys.path.insert(0, os.path.dirname(__file__))
from bench_env import machine, uptime  # noqa: E402
from fit_profiler import FitProfiler  # noqa: E402
from real import make_prep as wesnoth_prep  # noqa: E402
from real import subsample  # noqa: E402

SETS = {"wesnoth": ("text", "image", "audio"), "av_digits": ("text", "image", "audio")}


def av_digits_prep(modalities):
    steps = {
        "text": ("text", TextSequencer(max_len=16), "text"),
        "image": ("image", ImageLoader(size=(28, 28)), "image"),
        "audio": ("audio", AudioFeaturizer(n_mels=40), "audio"),
    }
    return ModalityTransformer([steps[m] for m in modalities])


def load(name, quick):
    """(X_train, y_train, X_test, y_test, preprocessor factory) of a set."""
    if name == "wesnoth":
        from skmm.datasets import fetch_wesnoth_units

        X_train, y_train = fetch_wesnoth_units(split="train", verbose=0)
        X_test, y_test = fetch_wesnoth_units(split="test", verbose=0)
        if quick:  # two languages per unit
            X_train, y_train = subsample(X_train, y_train, 2)
            X_test, y_test = subsample(X_test, y_test, 2)
        return X_train, y_train, X_test, y_test, lambda modalities: wesnoth_prep(modalities, 96)
    from skmm.datasets import make_av_digits

    X_train, X_test, y_train, y_test = make_av_digits(n_samples=400 if quick else 2000, split="unseen", random_state=0)
    return X_train, y_train, X_test, y_test, av_digits_prep


def profile_fit(clf, X, y):
    """Fit ``clf`` with a :class:`FitProfiler`; (profiler, wall s, CPU s, {before-training part: s})."""
    profiler = FitProfiler()
    clf.set_params(callbacks=[("profile", profiler)])
    before = {}

    def timed(label, original):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                before[label] = before.get(label, 0.0) + time.perf_counter() - start
        return wrapper

    # Wrapped for this fit only (a class's or module's attribute, put back after).
    patches = [
        (estimator_data, "fit_dataset", "preprocessing (fit_dataset: prep fit + transform, tensors)"),
        (estimator_base, "build_network", "network build"),
        (ModalityNet, "initialize", "skorch initialize (module, criterion, optimizer, callbacks)"),
    ]
    originals = [(obj, name, vars(obj).get(name)) for obj, name, _ in patches]
    for obj, name, label in patches:
        setattr(obj, name, timed(label, getattr(obj, name)))
    try:
        start, cpu = time.perf_counter(), time.process_time()
        clf.fit(X, y)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        for obj, name, original in originals:
            if original is None:
                delattr(obj, name)  # inherited: the base class's again
            else:
                setattr(obj, name, original)
    # skorch may have initialised a copy of the callback: read the one the fitted net holds.
    used = dict(clf.net_.callbacks_)["profile"]
    used.fit_start_ = start
    return used, wall, cpu, before


#: Part -> the row it is shown in (in this order); parts not named fall into the last row of their phase.
TRAIN_ORDER = ("batch assembly", "encoder:", "fusion", "head (fused)", "head:", "wide:", "forward: other", "loss",
               "backward", "optimizer step", "train step: other", "callbacks", "pass:")


def phase_parts(totals, phase, stage):
    """Part -> seconds in ``phase``, summed over the stages (``stage=None``) or of one stage."""
    parts = {}
    for (st, ph, part), seconds in totals.items():
        if ph == phase and stage in (None, st):
            parts[part] = parts.get(part, 0.0) + seconds
    return parts


def train_rows(totals, stage):
    parts = phase_parts(totals, "train", stage)
    merged = {}
    for part, seconds in parts.items():
        label = {"callbacks": "batch callbacks (on_batch_*, on_grad_computed)"}.get(part, part)
        merged[label] = merged.get(label, 0.0) + seconds

    def key(label):
        return next((i for i, prefix in enumerate(TRAIN_ORDER) if label.startswith(prefix)), len(TRAIN_ORDER) - 2), label

    return [(label, merged[label]) for label in sorted(merged, key=key)]


def valid_rows(totals, stage):
    parts = phase_parts(totals, "valid", stage)
    groups = {"batch assembly": 0.0, "forward (encoders, fusion, heads)": 0.0, "loss and member scores": 0.0,
              "other (batch callbacks, history)": 0.0}
    for part, seconds in parts.items():
        if part.startswith("batch assembly"):
            groups["batch assembly"] += seconds
        elif part.startswith(("encoder:", "fusion", "head", "wide:", "forward:")):
            groups["forward (encoders, fusion, heads)"] += seconds
        elif part == "loss":
            groups["loss and member scores"] += seconds
        else:
            groups["other (batch callbacks, history)"] += seconds
    return sum(parts.values()), groups


def epoch_seconds(totals, stage):
    return sum(s for (st, phase, _), s in totals.items() if phase == "epoch" and (stage is None or st == stage))


def table(profiler, wall, stage, before=None):
    """Markdown lines of one stage (``stage=None``: the whole fit)."""
    totals = profiler.totals_
    n_train = sum(n for (st, phase), n in profiler.batches_.items() if phase == "train" and stage in (None, st))
    n_valid = sum(n for (st, phase), n in profiler.batches_.items() if phase == "valid" and stage in (None, st))
    n_epochs = sum(n for st, n in profiler.epochs_.items() if stage in (None, st))
    lines = ["| part | per batch (ms) | per epoch (s) | total (s) | share of fit |", "|---|---:|---:|---:|---:|"]

    def row(label, seconds, per=n_train, bold=False, per_epoch=True):
        ms = f"{1000 * seconds / per:.2f}" if per else ""
        epoch = f"{seconds / n_epochs:.3f}" if n_epochs and per_epoch else ""
        cells = [label, ms, epoch, f"{seconds:.2f}", f"{100 * seconds / wall:.1f}%"]
        if bold:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")

    train = train_rows(totals, stage)
    for label, seconds in train:
        row(f"train: {label}", seconds)
    row("training passes", sum(s for _, s in train), bold=True)
    valid_total, groups = valid_rows(totals, stage)
    row("validation passes (whole, per valid batch)", valid_total, per=n_valid, bold=True)
    for label, seconds in groups.items():
        row(f"valid: {label} (per valid batch)", seconds, per=n_valid)
    epoch = epoch_seconds(totals, stage)
    row("epoch callbacks (stopping, snapshots, log, threads)", epoch)
    stage_total = sum(s for _, s in train) + valid_total + epoch
    if stage is not None:
        row("stage total", stage_total, bold=True)
        return lines, n_train, n_valid, n_epochs
    until_training = profiler.train_begin_ - profiler.fit_start_
    for label, seconds in before.items():
        row(f"before training: {label}", seconds, per=0, per_epoch=False)
    row("before training: other (checks, target, on_train_begin callbacks)", until_training - sum(before.values()),
        per=0, per_epoch=False)
    inside = sum(s for (_, phase, _), s in totals.items() if phase in ("setup", "end"))
    row("on_train_end callbacks", inside, per=0, per_epoch=False)
    row("unaccounted (split, skorch loop glue, hook overhead)", wall - until_training - stage_total - inside,
        per=0, per_epoch=False)
    row("fit (wall)", wall, per=0, bold=True)
    return lines, n_train, n_valid, n_epochs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), default="wesnoth")
    parser.add_argument("--modalities", nargs="+", choices=("text", "image", "audio"), default=None,
                        help="a subset of the set's modalities (default: all three)")
    parser.add_argument("--max-epochs", type=int, default=None, help="default: the estimator's (60); --quick: 4")
    parser.add_argument("--quick", action="store_true", help="fewer rows (Wesnoth: 2 languages per unit; "
                        "AV-Digits: 400 samples) and 4 epochs unless --max-epochs")
    parser.add_argument("--n-threads", type=int, default=None, help="the estimator's n_threads (default None: skmm's)")
    parser.add_argument("--verbose", type=int, default=0, help="the estimator's verbose (default 0: no epoch table)")
    parser.add_argument("--out", default=None, help="append a JSON row of the totals to this file")
    args = parser.parse_args(argv)

    load_before = uptime()
    print(f"machine: {machine()}", flush=True)
    print(f"uptime before: {load_before}", flush=True)
    X_train, y_train, X_test, y_test, make_prep = load(args.set, args.quick)
    modalities = tuple(args.modalities or SETS[args.set])
    kwargs = {"n_threads": args.n_threads, "verbose": args.verbose}
    max_epochs = args.max_epochs if args.max_epochs is not None else (4 if args.quick else None)
    if max_epochs is not None:
        kwargs["max_epochs"] = max_epochs
    clf = MultimodalClassifier(make_prep(modalities), random_state=0, **kwargs)
    print(f"{args.set}: {len(X_train)} training rows, {len(X_test)} test rows, modalities {'+'.join(modalities)}; "
          f"MultimodalClassifier(prep, random_state=0{''.join(f', {k}={v!r}' for k, v in kwargs.items())})",
          flush=True)
    profiler, wall, cpu, before = profile_fit(clf, X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    load_after = uptime()
    stages = [s for s in profiler.epochs_]
    print()
    print(f"fit: {wall:.1f} s wall, {cpu:.1f} s CPU; test accuracy {accuracy:.3f}; torch threads in the fit: "
          f"{sorted(profiler.threads_)}; epochs per stage: {dict(profiler.epochs_)}")
    print(f"uptime after: {load_after}")
    # One stage (a single modality, a joint balance): its table would be the whole fit's training rows again.
    for stage in (stages if len(stages) > 1 else []) + [None]:
        lines, n_train, n_valid, n_epochs = table(profiler, wall, stage, before)
        title = stage or "whole fit"
        print(f"\n{args.set}, {'+'.join(modalities)}: {title} ({n_epochs} epochs, {n_train} training batches, "
              f"{n_valid} validation batches)\n")
        print("\n".join(lines))
    if args.out:
        row = {"script": "profile_fit", "set": args.set, "modalities": modalities, "rows": len(X_train),
               "kwargs": kwargs, "wall_s": wall, "cpu_s": cpu, "accuracy": accuracy, "before_training": before,
               "before_training_s": profiler.train_begin_ - profiler.fit_start_, "epochs": dict(profiler.epochs_),
               "batches": {"/".join(k): v for k, v in profiler.batches_.items()},
               "totals": {"/".join(k): v for k, v in profiler.totals_.items()}, "threads": sorted(profiler.threads_),
               "uptime_before": load_before, "uptime_after": load_after, "machine": machine()}
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
