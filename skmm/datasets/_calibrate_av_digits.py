"""Calibration check for :func:`skmm.datasets.make_av_digits`.

Trains simple scikit-learn models on each modality of
``make_av_digits(n_samples, split="unseen", random_state=seed)`` and on all
three together, and prints the test accuracies (test rows come from unseen
speakers and writers)::

    python -m skmm.datasets._calibrate_av_digits [--n-samples 2000] [--seed 0]
        [--noise 1.0] [--data-home DIR]

Models:

* image: LogisticRegression on the 28x28 pixels scaled to [0, 1];
* audio: LogisticRegression on the mean and standard deviation over time of
  20 librosa MFCCs (standardised);
* text: TfidfVectorizer (word unigrams and bigrams) + LogisticRegression;
* all: LogisticRegression on the three feature sets concatenated.
"""

import argparse
import tempfile
import time

import numpy as np


def image_features(paths):
    from PIL import Image

    return np.stack(
        [np.asarray(Image.open(p), dtype=np.float64).ravel() / 255.0 for p in paths]
    )


def audio_features(paths, n_mfcc=20):
    """Mean and std over time of ``n_mfcc`` MFCCs (clips zero-padded to one length)."""
    import librosa
    import soundfile as sf

    waves, rates = zip(*(sf.read(p, dtype="float32") for p in paths))
    if len(set(rates)) != 1:
        raise ValueError("all clips must share one sample rate")
    batch = np.zeros((len(waves), max(len(w) for w in waves)), dtype=np.float32)
    for i, w in enumerate(waves):
        batch[i, : len(w)] = w
    mfcc = librosa.feature.mfcc(  # (n_clips, n_mfcc, n_frames), in one batched call
        y=batch, sr=rates[0], n_mfcc=n_mfcc, n_fft=512, hop_length=128, n_mels=40
    )
    return np.concatenate([mfcc.mean(axis=2), mfcc.std(axis=2)], axis=1)


def calibrate(n_samples=2000, seed=0, noise=1.0, data_home=None):
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from skmm.datasets import make_av_digits

    t0 = time.perf_counter()
    X_train, X_test, y_train, y_test = make_av_digits(
        n_samples, split="unseen", noise=noise, random_state=seed, data_home=data_home
    )
    t_make = time.perf_counter() - t0

    img_tr, img_te = image_features(X_train["image"]), image_features(X_test["image"])
    scaler = StandardScaler()
    aud_tr = scaler.fit_transform(audio_features(X_train["audio"]))
    aud_te = scaler.transform(audio_features(X_test["audio"]))
    tfidf = TfidfVectorizer(ngram_range=(1, 2))
    txt_tr = tfidf.fit_transform(X_train["text"])
    txt_te = tfidf.transform(X_test["text"])

    def score(tr, te):
        clf = LogisticRegression(max_iter=3000)
        clf.fit(tr, y_train)
        return clf.score(te, y_test)

    rows = [
        ("image", score(img_tr, img_te)),
        ("audio", score(aud_tr, aud_te)),
        ("text", score(txt_tr, txt_te)),
        (
            "all",
            score(
                sparse.hstack([img_tr, aud_tr, txt_tr]).tocsr(),
                sparse.hstack([img_te, aud_te, txt_te]).tocsr(),
            ),
        ),
    ]
    return rows, t_make, len(X_train), len(X_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--data-home", default=None,
                        help="defaults to a temporary directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows, t_make, n_tr, n_te = calibrate(
            args.n_samples, args.seed, args.noise, args.data_home or tmp
        )
    print(f"make_av_digits({args.n_samples}, split='unseen', noise={args.noise}, "
          f"random_state={args.seed}): {n_tr} train / {n_te} test rows, "
          f"made in {t_make:.1f} s")
    print(f"{'modality':<10}{'test accuracy':>14}")
    for name, acc in rows:
        print(f"{name:<10}{acc:>14.3f}")


if __name__ == "__main__":
    main()
