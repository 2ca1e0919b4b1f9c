"""Benchmark of skmm's fusion methods on AV-Digits (a script, not a test).

Preprocesses ``make_av_digits(2000, split="unseen", random_state=0)`` once
with the demo's ModalityTransformer (TextSequencer(max_len=16),
ImageLoader(size=(28, 28)), AudioFeaturizer(n_mels=40)), then trains a
MultimodalClassifier with each fusion (default encoders: bag of words and
subwords for text, CNN for images, conv1d for audio; default training, early
stopping on a 10% validation split) over several seeds, and fits the classical baselines
(:func:`skmm.baselines.make_baseline`) on each modality and on all three.
With the video column (``modalities`` adds it; VideoLoader(n_frames=12,
size=(28, 28)) reads it) it also trains the default concat fusion on video +
audio + text (CNN + GRU for the video): the same digits with the drawing
film in place of the still image. ``--no-video`` skips that row (the slowest).
Prints a Markdown table: test accuracy (mean ± std over seeds), fit seconds
(mean) and parameter count. Test rows come from unseen writers and speakers.

    OMP_NUM_THREADS=1 python benchmarks/fusion.py [--seeds 3] [--max-epochs N]
        [--fusions concat,late,...] [--no-baselines] [--no-video]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from skmm import ModalityDict, ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import make_av_digits
from skmm.fusion import FUSIONS, Condition
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer, VideoLoader

#: fusion name -> the object benchmarked (defaults unless the fusion needs choices)
FUSION_CHOICES = {name: name for name in FUSIONS}
FUSION_CHOICES["condition"] = Condition(source="image", target="text")


PREPROCESSORS = {
    "text": lambda: TextSequencer(max_len=16),
    "image": lambda: ImageLoader(size=(28, 28)),
    "audio": lambda: AudioFeaturizer(n_mels=40),
    "video": lambda: VideoLoader(n_frames=12, size=(28, 28)),
}


def preprocess(X_train, X_test):
    prep = ModalityTransformer([(name, PREPROCESSORS[name](), name) for name in X_train.columns])
    return prep.fit_transform(X_train), prep.transform(X_test)


def only(data, names):
    """The modalities ``names`` of a ModalityDict."""
    return ModalityDict({name: data[name] for name in names})


def run_fusion(fusion, train, test, y_train, y_test, seeds, max_epochs):
    scores, seconds, epochs_run, n_params = [], [], [], None
    for seed in seeds:
        epochs = {} if max_epochs is None else {"max_epochs": max_epochs}
        clf = MultimodalClassifier(fusion=fusion, random_state=seed, verbose=0, **epochs)
        start = time.perf_counter()
        clf.fit(train, y_train)
        seconds.append(time.perf_counter() - start)
        scores.append(clf.score(test, y_test))
        epochs_run.append(len(clf.history_))
        n_params = sum(p.numel() for p in clf.net_.module_.parameters())
    return scores, seconds, epochs_run, n_params


def run_baseline(columns, X_train, X_test, y_train, y_test):
    model = make_baseline(**{column: column for column in columns})
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    linear = model.named_steps["model"]
    return [model.score(X_test, y_test)], [seconds], [], linear.coef_.size + linear.intercept_.size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per fusion (0, 1, ...)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="cap on the epochs (default: the estimator's, 60 with early stopping)")
    parser.add_argument("--fusions", default=",".join(FUSIONS),
                        help=f"comma-separated, from {','.join(FUSIONS)}")
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--no-video", action="store_true",
                        help="skip the video + audio + text row")
    args = parser.parse_args(argv)
    fusions = [f.strip() for f in args.fusions.split(",") if f.strip()]
    unknown = sorted(set(fusions) - set(FUSIONS))
    if unknown:
        parser.error(f"unknown fusions {unknown}; choose from {sorted(FUSIONS)}")

    modalities = ["text", "image", "audio"] + ([] if args.no_video else ["video"])
    X_train, X_test, y_train, y_test = make_av_digits(
        args.n_samples, split="unseen", random_state=0, modalities=modalities)
    start = time.perf_counter()
    train, test = preprocess(X_train, X_test)
    still = ["text", "image", "audio"]
    print(f"AV-Digits: {len(X_train)} train / {len(X_test)} test rows (unseen writers and speakers); "
          f"preprocessed once in {time.perf_counter() - start:.1f}s", flush=True)

    seeds = list(range(args.seeds))
    rows = []
    if not args.no_baselines:
        for columns in (["text"], ["image"], ["audio"], ["text", "image", "audio"]):
            label = f"baseline: {'+'.join(columns)} (logistic)"
            rows.append((label, *run_baseline(columns, X_train, X_test, y_train, y_test)))
            print(f"  {label}: {rows[-1][1][0]:.3f}", flush=True)
    for name in fusions:
        choice = FUSION_CHOICES[name]
        label = f"skmm: {name}" + ("" if isinstance(choice, str) else f" ({choice!r})")
        rows.append((label, *run_fusion(choice, only(train, still), only(test, still),
                                        y_train, y_test, seeds, args.max_epochs)))
        print(f"  {label}: {np.mean(rows[-1][1]):.3f}", flush=True)
    if not args.no_video:
        moving = ["video", "audio", "text"]
        label = "skmm: concat, video+audio+text (video in place of the image)"
        rows.append((label, *run_fusion("concat", only(train, moving), only(test, moving),
                                        y_train, y_test, seeds, args.max_epochs)))
        print(f"  {label}: {np.mean(rows[-1][1]):.3f}", flush=True)

    print()
    print(f"max_epochs={args.max_epochs}, seeds={seeds}; baselines are deterministic (one fit); "
          "fit seconds exclude preprocessing for the nets, include feature extraction for baselines.\n")
    print("| model | test accuracy | epochs (mean) | fit seconds | parameters |")
    print("|---|---:|---:|---:|---:|")
    for label, scores, seconds, epochs_run, n_params in rows:
        accuracy = f"{np.mean(scores):.3f}" + (f" ± {np.std(scores):.3f}" if len(scores) > 1 else "")
        epochs = f"{np.mean(epochs_run):.0f}" if epochs_run else "-"
        print(f"| {label} | {accuracy} | {epochs} | {np.mean(seconds):.1f} | {n_params:,} |")


if __name__ == "__main__":
    main()
