"""Real-size speed (issue #21): default fit seconds and accuracy on Wesnoth, its long-tailed version, the README's grid.

Three tasks, each timed in wall seconds and CPU seconds (``time.process_time``,
all threads of the process) with the test accuracy:

* ``fit``: ``MultimodalClassifier(prep, random_state=seed)`` (every default)
  on ``fetch_wesnoth_units(split="train")``, scored on ``split="test"``;
  ``prep`` is ``benchmarks/real.py``'s (text ``max_len=96``, 32x32 sprites,
  40 mel bands).
* ``longtail``: the same on a long-tailed version of the set: 1% of the rows
  with a sound (of each split) get a clip of 10-20 s (the length drawn
  uniformly, seeded) made of REAL audio -- the row's own clip, then other
  sound files of the set drawn at random, cut to the length -- never
  silence. The clips are written once under
  ``~/skmm_data/wesnoth_units-longtail-1/`` (``$SKMM_DATA`` is honoured) and
  reused.
* ``grid``: the README's grid search ("A first fit") on Wesnoth:
  ``GridSearchCV(Pipeline([("prep", prep), ("net",
  MultimodalClassifier(max_epochs=10, random_state=seed, verbose=0))]),
  {"net__hidden_size": [32, 64], "prep__text__max_len": [8, 16]}, cv=3)``
  with its refit (13 fits), scored on the test split.

``--compare-to REF`` runs the same again on an older commit: a throwaway
``git worktree`` of REF, this script in a subprocess with ``PYTHONPATH`` set
to it (the subprocess checks that it imports that copy of skmm), so
"today's numbers" sit beside the new ones in one table. Rows are appended
to ``--out`` (JSON lines) as they come.

    OMP_NUM_THREADS=1 python benchmarks/real_size.py [--only fit longtail grid] [--seeds 0 1]
        [--compare-to REF] [--quick] [--out real_size.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_env import load1, machine, uptime  # noqa: E402
from real import MODALITIES, make_prep, subsample  # noqa: E402

TASKS = ("fit", "longtail", "grid")
README_GRID = {"net__hidden_size": [32, 64], "prep__text__max_len": [8, 16]}
LONGTAIL = {"version": 1, "fraction": 0.01, "min_s": 10.0, "max_s": 20.0}
REPO = Path(__file__).resolve().parent.parent


# -- the data -------------------------------------------------------------------
def wesnoth(quick):
    from skmm.datasets import fetch_wesnoth_units

    X_train, y_train = fetch_wesnoth_units(split="train", verbose=0)
    X_test, y_test = fetch_wesnoth_units(split="test", verbose=0)
    if quick:  # two languages per unit
        X_train, y_train = subsample(X_train, y_train, 2)
        X_test, y_test = subsample(X_test, y_test, 2)
    return X_train, y_train, X_test, y_test


def longtail_folder(seed=0):
    home = Path(os.environ.get("SKMM_DATA", Path.home() / "skmm_data"))
    return home / (f"wesnoth_units-longtail-{LONGTAIL['version']}" + (f"-s{seed}" if seed else ""))


def build_longtail(seed=0):
    """Write the long clips once (full splits, so ``--quick`` subsets reuse them); the folder."""
    import soundfile as sf

    folder = longtail_folder(seed)
    if (folder / "rows.json").is_file():
        return folder
    X_train, _, X_test, _ = wesnoth(quick=False)
    sources = sorted(set(X_train["audio"].dropna()) | set(X_test["audio"].dropna()))
    waves, rate = {}, None
    for path in sources:
        wave, sr = sf.read(path, dtype="float32", always_2d=True)
        if rate is not None and sr != rate:
            raise ValueError(f"{path}: {sr} Hz, the other sounds {rate} Hz; the long clips need one rate.")
        rate, waves[path] = sr, wave.mean(axis=1)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    (tmp / "audio").mkdir()
    rows, clips = {}, []
    for split_id, (split, X) in enumerate((("train", X_train), ("test", X_test))):
        rng = np.random.default_rng([seed, split_id])
        candidates = np.flatnonzero(X["audio"].notna().to_numpy())
        n = max(1, round(LONGTAIL["fraction"] * len(candidates)))
        rows[split] = {}
        for row in sorted(rng.choice(candidates, n, replace=False).tolist()):
            seconds = float(rng.uniform(LONGTAIL["min_s"], LONGTAIL["max_s"]))
            own = X["audio"].iat[row]
            parts, used = [waves[own]], [Path(own).name]
            while sum(len(p) for p in parts) < seconds * rate:
                other = sources[int(rng.integers(len(sources)))]
                parts.append(waves[other])
                used.append(Path(other).name)
            wave = np.concatenate(parts)[: int(seconds * rate)]
            name = f"audio/{split}-{row:05d}.wav"
            sf.write(tmp / name, wave, rate, subtype="PCM_16")
            rows[split][str(row)] = name
            clips.append({"split": split, "row": row, "seconds": round(seconds, 3), "made_of": used})
    meta = {**LONGTAIL, "seed": seed, "rate": rate, "source_rows": {"train": len(X_train), "test": len(X_test)},
            "clips": clips}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    (tmp / "rows.json").write_text(json.dumps(rows, indent=1))  # last: its presence marks a complete folder
    try:
        tmp.rename(folder)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def longtail(quick, seed=0):
    """Wesnoth with the long clips in place of their rows' sounds (full splits first, then --quick's subset)."""
    from skmm.datasets import fetch_wesnoth_units

    folder = build_longtail(seed)
    rows = json.loads((folder / "rows.json").read_text())
    out = []
    for split in ("train", "test"):
        X, y = fetch_wesnoth_units(split=split, verbose=0)
        X = X.copy()
        for row, name in rows[split].items():
            X.iat[int(row), X.columns.get_loc("audio")] = str(folder / name)
        if quick:
            X, y = subsample(X, y, 2)
        out += [X, y]
    return out


def clip_seconds(paths):
    import soundfile as sf

    known = {}
    for path in paths.dropna():
        if path not in known:
            info = sf.info(path)
            known[path] = info.frames / info.samplerate
    return np.array([known[p] for p in paths.dropna()])


def describe_audio(label, X):
    s = clip_seconds(X["audio"])
    return (f"{label}: {len(s)} clips, median {np.median(s):.2f} s, 99th percentile {np.percentile(s, 99):.2f} s, "
            f"max {s.max():.2f} s, total {s.sum() / 60:.1f} min")


# -- the tasks ------------------------------------------------------------------
def timed_fit(model, X_train, y_train, X_test, y_test, **fit_params):
    before, load_before = uptime(), load1()
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(X_train, y_train, **fit_params)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    accuracy = float(model.score(X_test, y_test))
    return {"wall_s": wall, "cpu_s": cpu, "accuracy": accuracy, "load1_before": load_before, "load1_after": load1(),
            "uptime_before": before, "uptime_after": uptime()}


def run_task(task, seed, args):
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    from skmm import MultimodalClassifier

    kwargs = {"n_threads": args.n_threads} if args.n_threads is not None else {}
    if args.quick:
        kwargs["max_epochs"] = 2
    data = longtail(args.quick) if task == "longtail" else wesnoth(args.quick)
    if task in ("fit", "longtail"):
        model = MultimodalClassifier(make_prep(MODALITIES, 96), random_state=seed, verbose=0, **kwargs)
        row = timed_fit(model, *data)
        row["epochs"] = len(model.history_)
    else:
        net_kwargs = {"max_epochs": args.grid_max_epochs, **kwargs}
        pipe = Pipeline([("prep", make_prep(MODALITIES, 96)),
                         ("net", MultimodalClassifier(random_state=seed, verbose=0, **net_kwargs))])
        model = GridSearchCV(pipe, README_GRID, cv=3)
        row = timed_fit(model, *data)
        row.update(best_params=model.best_params_, cv_score=float(model.best_score_),
                   epochs=len(model.best_estimator_["net"].history_), net_kwargs=net_kwargs)
    import skmm

    return {"task": task, "seed": seed, "quick": args.quick, "rows_train": len(data[0]), "rows_test": len(data[2]),
            **row, "skmm": str(Path(skmm.__file__).parent)}


def code_label(path):
    def git(*cmd):
        return subprocess.run(["git", "-C", str(path), *cmd], capture_output=True, text=True).stdout.strip()

    dirty = "+changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return git("rev-parse", "--short", "HEAD") + dirty, git("log", "-1", "--format=%cI")


def run_here(args, label=None):
    """Every task and seed in this process; the rows."""
    import skmm

    here = Path(skmm.__file__).resolve().parent.parent
    if args.expect_skmm and not str(here).startswith(str(Path(args.expect_skmm).resolve())):
        raise SystemExit(f"imported skmm from {here}, not from {args.expect_skmm}: is PYTHONPATH set?")
    code, date = code_label(here)
    rows = []
    for task in args.only:
        for seed in args.seeds:
            print(f"[{label or code}] {task}, seed {seed} ...", flush=True)
            row = {"code": label or code, "commit": code, "commit_date": date, **run_task(task, seed, args),
                   "n_threads": args.n_threads, "machine": machine()}
            print(f"  {row['wall_s']:.1f} s wall, {row['cpu_s']:.1f} s CPU, test accuracy {row['accuracy']:.3f}, "
                  f"{row['epochs']} epochs; load {row['load1_before']:.2f} -> {row['load1_after']:.2f}", flush=True)
            rows.append(row)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
    return rows


def run_ref(args, ref):
    """The same tasks on commit ``ref``: a throwaway worktree, this script in a subprocess; its rows."""
    tmp = Path(tempfile.mkdtemp(prefix="skmm-compare-"))
    tree, out = tmp / "tree", tmp / "rows.jsonl"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), ref], check=True,
                   capture_output=True)
    try:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--only", *args.only, "--seeds",
               *map(str, args.seeds), "--grid-max-epochs", str(args.grid_max_epochs), "--out", str(out),
               "--expect-skmm", str(tree), "--label", ref]
        cmd += ["--quick"] if args.quick else []
        cmd += ["--n-threads", str(args.n_threads)] if args.n_threads is not None else []
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(cmd, check=True, env=env, cwd=tree)
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        with open(args.out, "a") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)
    return rows


def print_table(rows):
    print("\n| task | code | seed | train rows | fit wall (s) | fit CPU (s) | test accuracy | epochs | load (1 min) before -> after |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['task']} | {r['code']} | {r['seed']} | {r['rows_train']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} "
              f"| {r['accuracy']:.3f} | {r['epochs']} | {r['load1_before']:.2f} -> {r['load1_after']:.2f} |")
    for r in rows:
        if r["task"] == "grid":
            print(f"\ngrid ({r['code']}, seed {r['seed']}, net {r['net_kwargs']}): best {r['best_params']}, "
                  f"cross-validated accuracy {r['cv_score']:.3f}; epochs is the refit's")
    for task in ("longtail",):
        for code in dict.fromkeys(r["code"] for r in rows):
            plain = [r["wall_s"] for r in rows if r["task"] == "fit" and r["code"] == code]
            tail = [r["wall_s"] for r in rows if r["task"] == task and r["code"] == code]
            if plain and tail:
                print(f"{code}: long-tailed fit / plain fit = {np.mean(tail) / np.mean(plain):.2f}x (target <= 1.3x)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--quick", action="store_true", help="smoke: 2 languages per unit, max_epochs 2")
    parser.add_argument("--compare-to", default=None, metavar="REF", help="also run on this git commit")
    parser.add_argument("--grid-max-epochs", type=int, default=10, help="the grid's net (the README's: 10)")
    parser.add_argument("--n-threads", type=int, default=None, help="the estimators' n_threads (default: skmm's)")
    parser.add_argument("--out", default=None, help="append each row to this JSON-lines file")
    parser.add_argument("--expect-skmm", default=None, help=argparse.SUPPRESS)  # the --compare-to subprocess
    parser.add_argument("--label", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.grid_max_epochs = min(args.grid_max_epochs, 2)

    print(f"machine: {machine()}\nuptime: {uptime()}", flush=True)
    if args.label is None:  # not the --compare-to subprocess: describe the data once
        X_train, _, _, _ = wesnoth(args.quick)
        print(describe_audio("Wesnoth train sounds", X_train), flush=True)
        if "longtail" in args.only:
            X_long, _, _, _ = longtail(args.quick)
            print(describe_audio("long-tailed train sounds", X_long) + f" (clips in {longtail_folder()})",
                  flush=True)
    rows = run_here(args, args.label)
    if args.label is not None:
        return
    if args.compare_to:
        rows += run_ref(args, args.compare_to)
    print(f"\nuptime: {uptime()}")
    print_table(rows)


if __name__ == "__main__":
    main()
