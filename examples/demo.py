"""skmm demo: classical baselines versus a fusion network on AV-Digits.

Each digit is seen three ways (a handwritten image, a spoken word, a noisy
text clue), each corrupted. The test rows come from writers and speakers
never seen in training. Prints test accuracy and fit time of:

* a classical baseline on each single modality,
* the classical baseline on all modalities,
* an skmm network on each single modality,
* the skmm fusion network on all modalities,
* with ``--video``, the fusion network on video + audio + text (the digit's
  drawing film in place of its image; needs PyAV, adds several minutes).

Each network is fitted once per seed of ``--seeds`` (default 0, 1, 2): its
row gives the median test accuracy with the range, the median epochs and
the summed seconds; a net's accuracy moves by a point or two with the
seed, so one seed's figure says little.

It then writes PNG plots of the fusion network into ``--plots DIR``
(default ``demo_plots/``): its training curve, its modality importance on
the test set and its confusion matrix.

Run with ``make demo`` (or ``python examples/demo.py``): about 370
CPU-seconds with three seeds (measured 2026-12-08 on 2 cores shared with
two other jobs: about 9 minutes of wall time at a load average of 1.2 to
2.9). The
networks train with the estimator's defaults: early stopping on a 10%
validation split, at most 60 epochs, ``balance="staged"``.
"""

import argparse
import os
import time

import numpy as np

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer, VideoLoader

PREPROCESSORS = {
    "text": lambda: TextSequencer(max_len=16),
    "image": lambda: ImageLoader(size=(28, 28)),
    "audio": lambda: AudioFeaturizer(n_mels=40),
    "video": lambda: VideoLoader(n_frames=12, size=(28, 28)),
}


def skmm_net(modalities, max_epochs, verbose, n_threads=1, seed=0):
    """The estimator's defaults (early stopping on a 10% validation split, at most 60 epochs).

    ``n_threads`` is fixed because the default (None) lets skmm choose the
    thread count from the machine's cores and load at each epoch, and
    another count sums in another order: seeded rows would then differ by
    rounding, which training carries forward (README, "What reproduces").
    """
    prep = ModalityTransformer([(name, PREPROCESSORS[name](), name) for name in modalities])
    epochs = {} if max_epochs is None else {"max_epochs": max_epochs}
    return MultimodalClassifier(prep, fusion="concat", random_state=seed, verbose=verbose, n_threads=n_threads,
                                **epochs)


def cpu_time():
    """CPU seconds of this process's threads and of its finished children (decoding workers).

    On a machine shared with other jobs they measure the work where wall
    seconds measure the wait for a core too.
    """
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def write_plots(model, X_test, y_test, folder):
    """Training curve, modality importance and confusion matrix of ``model`` as PNGs."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\nNo plots: matplotlib is not installed (pip install skmm[plot]).")
        return
    from skmm.inspection import modality_importance
    from skmm.plotting import plot_confusion_matrix, plot_history, plot_modality_importance

    os.makedirs(folder, exist_ok=True)
    importance = modality_importance(model, X_test, y_test, n_repeats=5, random_state=0)
    figures = {
        "fusion_training_curve.png": plot_history(model),
        "fusion_modality_importance.png": plot_modality_importance(importance),
        "fusion_confusion_matrix.png": plot_confusion_matrix(
            model, X_test, y_test, normalize="true", values_format=".2f", colorbar=False),
    }
    figures["fusion_confusion_matrix.png"].set_size_inches(7, 6)
    figures["fusion_training_curve.png"].axes[0].set_title("Fusion net: training loss per epoch")
    figures["fusion_modality_importance.png"].axes[0].set_title(
        "Fusion net: drop in test accuracy, modality shuffled / removed")
    figures["fusion_confusion_matrix.png"].axes[0].set_title("Fusion net: confusion matrix (test, row-normalised)")
    print("\nFusion net, drop in test accuracy when a modality is shuffled (mean ± std of 5): "
          + ", ".join(f"{name} {mean:.3f} ± {std:.3f}" for name, mean, std in zip(
              importance.modalities, importance.importances_mean, importance.importances_std)))
    print(f"Plots written to {folder}:")
    for name, figure in figures.items():
        path = os.path.join(folder, name)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)
        print(f"  {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="cap on the networks' epochs (default: the estimator's, 60 with early stopping)")
    parser.add_argument("--verbose", type=int, default=0, help="1 prints the network's epoch log")
    parser.add_argument("--n-threads", type=int, default=1,
                        help="torch threads per network (default 1: the same rows on any machine's load; "
                             "0 lets skmm choose, faster on idle cores, not reproducible)")
    parser.add_argument("--plots", default="demo_plots", metavar="DIR",
                        help="folder for the fusion net's PNG plots (default: demo_plots/)")
    parser.add_argument("--seeds", default="0,1,2",
                        help="comma-separated seeds: each network is fitted once per seed (default 0,1,2)")
    parser.add_argument("--video", action="store_true",
                        help="also a fusion net on video + audio + text (slower)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    X_train, X_test, y_train, y_test = make_av_digits(
        args.n_samples, split="unseen", random_state=0,
        modalities=["text", "image", "audio"] + (["video"] if args.video else []))
    print(f"AV-Digits: {len(X_train)} train / {len(X_test)} test rows (unseen writers and speakers), "
          f"made in {time.perf_counter() - t0:.1f}s\n")

    seeds = [int(seed) for seed in args.seeds.split(",")]
    nets = lambda modalities: [  # noqa: E731 - one net per seed
        skmm_net(modalities, args.max_epochs, args.verbose, args.n_threads or None, seed) for seed in seeds]
    models = [
        ("baseline: text (TF-IDF + logistic)", "text", [make_baseline(text="text")]),
        ("baseline: image (pooled pixels + logistic)", "image", [make_baseline(image="image")]),
        ("baseline: audio (MFCC stats + logistic)", "audio", [make_baseline(audio="audio")]),
        ("baseline: all three (concatenated features)", "text+image+audio",
         [make_baseline(text="text", image="image", audio="audio")]),
        ("skmm: text net (bag of words + subwords)", "text", nets(["text"])),
        ("skmm: image net (CNN)", "image", nets(["image"])),
        ("skmm: audio net (log-mel + conv1d)", "audio", nets(["audio"])),
        ("skmm: fusion net (concat; n-grams, CNN, conv1d)", "text+image+audio", nets(["text", "image", "audio"])),
    ]
    if args.video:
        models.append(("skmm: fusion net (concat; CNN+GRU video)", "video+audio+text",
                       nets(["video", "audio", "text"])))
    rows = []
    for name, modalities, fits in models:
        scores, epochs, fit_seconds, cpu_seconds = [], [], 0.0, 0.0
        for model in fits:
            start, cpu_start = time.perf_counter(), cpu_time()
            model.fit(X_train, y_train)
            fit_seconds += time.perf_counter() - start
            cpu_seconds += cpu_time() - cpu_start
            scores.append(model.score(X_test, y_test))
            # Networks stop early: how many epochs they trained says what the seconds bought.
            if hasattr(model, "history_"):
                epochs.append(len(model.history_))
        rows.append((name, modalities, scores, epochs, fit_seconds, cpu_seconds))
        print(f"  fitted {name} ({len(fits)}x) in {fit_seconds:.1f}s ({cpu_seconds:.1f} CPU-seconds)", flush=True)

    print()
    print(f"| {'model':<48} | {'modalities':<16} | test accuracy: median [min, max] | epochs (median) "
          f"| fit seconds (all seeds) | fit CPU-seconds |")
    print(f"|{'-' * 50}|{'-' * 18}|--------------------------------:|----------------:|"
          f"------------------------:|----------------:|")
    for name, modalities, scores, epochs, seconds, cpu_seconds in rows:
        accuracy = f"{np.median(scores):.3f}" + (f" [{min(scores):.3f}, {max(scores):.3f}]" if len(scores) > 1 else "")
        median_epochs = f"{np.median(epochs):g}" if epochs else "-"
        print(f"| {name:<48} | {modalities:<16} | {accuracy:>31} | {median_epochs:>15} | {seconds:>23.1f} "
              f"| {cpu_seconds:>15.1f} |")

    fusion_net = models[7][2][0]  # the first seed's
    write_plots(fusion_net, X_test, y_test, args.plots)


if __name__ == "__main__":
    main()
