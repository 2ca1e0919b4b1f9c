"""skmm demo: classical baselines versus a fusion network on AV-Digits.

Each digit is seen three ways (a handwritten image, a spoken word, a noisy
text clue), each corrupted. The test rows come from writers and speakers
never seen in training. Prints test accuracy and fit time of:

* a classical baseline on each single modality,
* the classical baseline on all modalities,
* an skmm network on each single modality,
* the skmm fusion network on all modalities.

Run with ``make demo`` (or ``python examples/demo.py``); a few minutes on
2 CPU cores.
"""

import argparse
import time

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.baselines import make_baseline
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer


PREPROCESSORS = {
    "text": lambda: TextSequencer(max_len=16),
    "image": lambda: ImageLoader(size=(28, 28)),
    "audio": lambda: AudioFeaturizer(n_mels=40),
}


def skmm_net(modalities, max_epochs, verbose):
    prep = ModalityTransformer([(name, PREPROCESSORS[name](), name) for name in modalities])
    return MultimodalClassifier(prep, fusion="concat", max_epochs=max_epochs, random_state=0, verbose=verbose)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--max-epochs", type=int, default=15)
    parser.add_argument("--verbose", type=int, default=0, help="1 prints the network's epoch log")
    args = parser.parse_args()

    t0 = time.perf_counter()
    X_train, X_test, y_train, y_test = make_av_digits(args.n_samples, split="unseen", random_state=0)
    print(f"AV-Digits: {len(X_train)} train / {len(X_test)} test rows (unseen writers and speakers), "
          f"made in {time.perf_counter() - t0:.1f}s\n")

    models = [
        ("baseline: text (TF-IDF + logistic)", "text", make_baseline(text="text")),
        ("baseline: image (pooled pixels + logistic)", "image", make_baseline(image="image")),
        ("baseline: audio (MFCC stats + logistic)", "audio", make_baseline(audio="audio")),
        ("baseline: all three (concatenated features)", "text+image+audio",
         make_baseline(text="text", image="image", audio="audio")),
        ("skmm: text net (embedding + GRU)", "text", skmm_net(["text"], args.max_epochs, args.verbose)),
        ("skmm: image net (CNN)", "image", skmm_net(["image"], args.max_epochs, args.verbose)),
        ("skmm: audio net (log-mel + LSTM)", "audio", skmm_net(["audio"], args.max_epochs, args.verbose)),
        ("skmm: fusion net (concat; GRU, CNN, LSTM)", "text+image+audio",
         skmm_net(["text", "image", "audio"], args.max_epochs, args.verbose)),
    ]
    rows = []
    for name, modalities, model in models:
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        rows.append((name, modalities, model.score(X_test, y_test), fit_seconds))
        print(f"  fitted {name} in {fit_seconds:.1f}s", flush=True)

    print()
    print(f"| {'model':<44} | {'modalities':<16} | test accuracy | fit seconds |")
    print(f"|{'-' * 46}|{'-' * 18}|--------------:|------------:|")
    for name, modalities, accuracy, seconds in rows:
        print(f"| {name:<44} | {modalities:<16} | {accuracy:>13.3f} | {seconds:>11.1f} |")


if __name__ == "__main__":
    main()
