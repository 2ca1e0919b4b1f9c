"""Training overhead: MultimodalClassifier.fit versus a hand-written torch loop.

Both train the same network (built by the estimator) on the same
already-preprocessed tensors, with the same batch size, epochs, optimizer and
threads; the table shows seconds and their ratio (skmm / plain torch).

    python benchmarks/overhead.py [--n-samples 2000] [--epochs 5] [--repeats 3] [--threads 1]
"""

import argparse
import subprocess
import time

import numpy as np
import torch

from skmm import ModalityTransformer, MultimodalClassifier
from skmm.data.batches import ModalityDataset
from skmm.data.inputs import as_modalities
from skmm.data.kinds import describe
from skmm.data.tensors import to_tensors
from skmm.datasets import make_av_digits
from skmm.estimators.network import build_network
from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer


def plain_loop(module, dataset, y, epochs, batch_size, lr, seed):
    """The loop a user would write by hand: shuffle, slice, forward, backward, step."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    criterion = torch.nn.CrossEntropyLoss()
    module.train()
    n = len(dataset)
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            X, yb = dataset.__getitems__(index)
            optimizer.zero_grad()
            loss = criterion(module(X), yb)
            loss.backward()
            optimizer.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--threads", type=int, default=None, help="torch threads for both (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    X, y = make_av_digits(args.n_samples, random_state=0)
    prep = ModalityTransformer([
        ("text", TextSequencer(max_len=16), "text"),
        ("image", ImageLoader(size=(28, 28)), "image"),
        ("audio", AudioFeaturizer(n_mels=40), "audio"),
    ])
    data = prep.fit_transform(X)
    y = y.to_numpy()
    print(f"{args.n_samples} samples, {args.epochs} epochs, torch threads: {torch.get_num_threads()}, "
          f"best of {args.repeats}\n")
    print("| batch size | skmm fit (s) | plain torch loop (s) | ratio |")
    print("|---:|---:|---:|---:|")
    for batch_size in args.batch_sizes:
        # The same thread count for both (skmm would otherwise choose its own).
        params = dict(max_epochs=args.epochs, batch_size=batch_size, random_state=0, verbose=0,
                      n_threads=torch.get_num_threads())
        skmm_times, plain_times = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            clf = MultimodalClassifier(**params).fit(data, y)
            skmm_times.append(time.perf_counter() - start)

            arrays = as_modalities(data)
            infos = describe(arrays)
            target = torch.as_tensor(np.unique(y, return_inverse=True)[1])
            start = time.perf_counter()
            dataset = ModalityDataset(to_tensors(arrays, infos), target)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                module = build_network(infos, None, clf.fusion, clf.hidden_size, clf.dropout, len(clf.classes_))
                plain_loop(module, dataset, target, args.epochs, batch_size, clf.lr, 0)
            plain_times.append(time.perf_counter() - start)
        a, b = min(skmm_times), min(plain_times)
        print(f"| {batch_size} | {a:.2f} | {b:.2f} | {a / b:.3f} |", flush=True)
    print(f"\nuptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
