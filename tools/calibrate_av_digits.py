"""Calibration check for :func:`skmm.datasets.make_av_digits`.

Trains simple scikit-learn models on each modality of
``make_av_digits(n_samples, split="unseen", random_state=seed)`` and on all
three together, and prints the test accuracies (test rows come from unseen
speakers and writers)::

    python tools/calibrate_av_digits.py [--n-samples 2000] [--seed 0]
        [--noise 1.0] [--data-home DIR] [--motion]

Models:

* image: LogisticRegression on the 28x28 pixels scaled to [0, 1];
* audio: LogisticRegression on the mean and standard deviation over time of
  20 librosa MFCCs (standardised);
* text: TfidfVectorizer (word unigrams and bigrams) + LogisticRegression;
* with ``--motion``, video: LogisticRegression on the mean frame (14x14
  pooled) and trajectory: LogisticRegression on the pen path resampled to 32
  steps (x, y, pen);
* all: LogisticRegression on the feature sets concatenated (with ``--motion``
  also some subsets).
"""

import argparse
import tempfile
import time

import numpy as np


def image_features(paths):
    from PIL import Image

    def pixels(path):
        with Image.open(path) as image:
            return np.asarray(image, dtype=np.float64).ravel() / 255.0

    return np.stack([pixels(p) for p in paths])


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


def video_features(paths):
    """The mean frame of each video, 14x14 mean-pooled, in [0, 1]."""
    import av

    def mean_frame(path):
        with av.open(str(path)) as container:
            frames = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
        return np.mean(frames, axis=0)

    means = np.stack([mean_frame(p) for p in paths]) / 255.0
    return means.reshape(len(means), 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(means), -1)


def trajectory_features(trajectories, n_points=32):
    """Each (T, 3) trajectory linearly resampled to ``n_points`` steps, flattened."""
    rows = []
    for traj in trajectories:
        t = np.linspace(0, len(traj) - 1, n_points)
        rows.append(np.concatenate([np.interp(t, np.arange(len(traj)), c) for c in traj.T]))
    rows = np.asarray(rows)
    rows[:, : 2 * n_points] /= 28.0  # canvas pixels -> about [0, 1], like the pen flag
    return rows


def calibrate(n_samples=2000, seed=0, noise=1.0, data_home=None, motion=False):
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from skmm.datasets import make_av_digits

    t0 = time.perf_counter()
    modalities = ["text", "image", "audio"] + (["video", "trajectory"] if motion else [])
    X_train, X_test, y_train, y_test = make_av_digits(
        n_samples, split="unseen", noise=noise, random_state=seed, data_home=data_home,
        modalities=modalities,
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

    feats = {"image": (img_tr, img_te), "audio": (aud_tr, aud_te), "text": (txt_tr, txt_te)}
    if motion:
        feats["video"] = (video_features(X_train["video"]), video_features(X_test["video"]))
        feats["trajectory"] = (
            trajectory_features(X_train["trajectory"]), trajectory_features(X_test["trajectory"])
        )
    rows = [(name, score(*pair)) for name, pair in feats.items()]
    groups = {"all": list(feats)}
    if motion:
        groups = {"image+audio+text": ["image", "audio", "text"],
                  "video+audio+text": ["video", "audio", "text"],
                  "video+trajectory": ["video", "trajectory"], **groups}
    for label, names in groups.items():
        tr, te = ([sparse.csr_matrix(feats[k][part]) for k in names] for part in (0, 1))
        rows.append((label, score(sparse.hstack(tr).tocsr(), sparse.hstack(te).tocsr())))
    return rows, t_make, len(X_train), len(X_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--data-home", default=None,
                        help="defaults to a temporary directory")
    parser.add_argument("--motion", action="store_true",
                        help="also the video and trajectory columns (video needs PyAV)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows, t_make, n_tr, n_te = calibrate(
            args.n_samples, args.seed, args.noise, args.data_home or tmp, args.motion
        )
    print(f"make_av_digits({args.n_samples}, split='unseen', noise={args.noise}, "
          f"random_state={args.seed}): {n_tr} train / {n_te} test rows, "
          f"made in {t_make:.1f} s")
    print(f"{'modality':<18}{'test accuracy':>14}")
    for name, acc in rows:
        print(f"{name:<18}{acc:>14.3f}")


if __name__ == "__main__":
    main()
