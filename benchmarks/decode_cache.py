"""Media decoded once: a 3x2 grid search with and without the decode cache.

Counts decoder calls (image and audio files read and decoded) and times
``GridSearchCV.fit`` over ``net__hidden_size`` x ``prep__image__size`` on
AV-Digits, with ``skmm.preprocessing.decode_cache`` on and off, and with
scikit-learn's ``Pipeline(memory=...)`` (which caches a fitted preprocessor
for candidates whose preprocessing parameters are equal).

    python benchmarks/decode_cache.py [--n-samples 1000] [--max-epochs 2]
"""

import argparse
import shutil
import tempfile
import time

from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.datasets import make_av_digits
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer, decode_cache


def search(X, y, max_epochs, memory=None):
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])
    pipe = Pipeline(
        [("prep", prep), ("net", MultimodalClassifier(max_epochs=max_epochs, random_state=0, verbose=0))],
        memory=memory,
    )
    grid = {"net__hidden_size": [16, 32, 64], "prep__image__size": [(28, 28), (32, 32)]}
    return GridSearchCV(pipe, grid, cv=3).fit(X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--max-epochs", type=int, default=2)
    args = parser.parse_args()
    X, y = make_av_digits(args.n_samples, random_state=0)
    budget = decode_cache.max_bytes
    print(f"{args.n_samples} rows x 2 media files, 6 candidates x 3 folds + refit, "
          f"max_epochs={args.max_epochs}\n")
    print("| decode cache | decoder calls | cache hits | fit seconds |")
    print("|---|---:|---:|---:|")
    for label, max_bytes, memory in [
        ("off", 0, False), ("on", budget, False),
        ("off, Pipeline(memory=...)", 0, True), ("on, Pipeline(memory=...)", budget, True),
    ]:
        decode_cache.max_bytes = max_bytes
        decode_cache.clear()
        folder = tempfile.mkdtemp() if memory else None
        start = time.perf_counter()
        search(X, y, args.max_epochs, folder)
        seconds = time.perf_counter() - start
        stats = decode_cache.stats()
        print(f"| {label} | {stats['decodes']:,} | {stats['hits']:,} | {seconds:.1f} |", flush=True)
        if folder:
            shutil.rmtree(folder)
    decode_cache.max_bytes = budget


if __name__ == "__main__":
    main()
