"""A frozen pretrained encoder run once per row: grid search with and without the feature cache.

Builds a small BERT locally (no download: 4 layers of width 128, random
weights, as fast as a real model of that size), and times
``GridSearchCV.fit`` over ``net__hidden_size`` x ``net__lr`` (4 candidates,
3 folds, refit) of a classifier whose text encoder is
``Pretrained(..., freeze=True)``, with ``skmm.pretrained.feature_cache.feature_cache``
on and off. Counts the rows the backbone ran over.

    python benchmarks/pretrained_cache.py [--n-samples 600] [--max-epochs 3]
"""

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.encoders import Pretrained
from skmm.preprocessing import PretrainedTokenizer
from skmm.pretrained.feature_cache import feature_cache
from skmm.pretrained.loading import Backbone

WORDS = [f"w{i}" for i in range(200)]


def make_model(folder):
    from transformers import BertConfig, BertModel, BertTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    BertTokenizerFast(vocab=vocab).save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(vocab), hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                         intermediate_size=512, max_position_embeddings=64)).save_pretrained(folder)


def make_data(n):
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, n)
    texts = [" ".join(rng.choice(WORDS[100 * label:100 * label + 100], size=rng.randint(8, 30))) for label in y]
    return pd.DataFrame({"text": texts}), y


def search(folder, X, y, max_epochs):
    pipe = Pipeline([
        ("prep", ModalityTransformer([("text", PretrainedTokenizer(folder, max_len=32), "text")])),
        ("net", MultimodalClassifier(encoders={"text": Pretrained(folder)}, max_epochs=max_epochs,
                                     random_state=0, verbose=0)),
    ])
    grid = {"net__hidden_size": [32, 64], "net__lr": [1e-3, 3e-3]}
    return GridSearchCV(pipe, grid, cv=3).fit(X, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=600)
    parser.add_argument("--max-epochs", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    make_model(folder)
    X, y = make_data(args.n_samples)
    rows = []
    forward = Backbone.forward

    def counting(self, x):
        rows.append(len(x))
        return forward(self, x)

    Backbone.forward = counting
    budget = feature_cache.max_bytes
    print(f"{args.n_samples} rows, BERT 4 x 128 (max_len 32), 4 candidates x 3 folds + refit, "
          f"max_epochs={args.max_epochs}; load: {os.getloadavg()[0]:.2f} (1-min average)\n")
    print("| feature cache | backbone rows | cache hits | fit seconds | best score |")
    print("|---|---:|---:|---:|---:|")
    for label, max_bytes in [("off", 0), ("on", budget)]:
        feature_cache.max_bytes = max_bytes
        feature_cache.clear()
        rows.clear()
        start = time.perf_counter()
        grid = search(folder, X, y, args.max_epochs)
        seconds = time.perf_counter() - start
        print(f"| {label} | {sum(rows):,} | {feature_cache.stats()['hits']:,} | {seconds:.1f} | "
              f"{grid.best_score_:.3f} |", flush=True)
    feature_cache.max_bytes = budget
    print(f"\nload after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
