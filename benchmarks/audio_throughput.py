"""Log-mel throughput: AudioFeaturizer (batched torch.stft) vs librosa clip by clip.

Both compute the same log-mel frames (the test suite checks they agree) from
waveforms already in memory, so only featurisation is timed.

    python benchmarks/audio_throughput.py [--clips 2000] [--seconds 1.0]
"""

import argparse
import time

import librosa
import numpy as np

from skmm.preprocessing import AudioFeaturizer
from skmm.preprocessing.logmel import LOG_FLOOR


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=1.0, help="mean clip length")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rate, n_mels, n_fft, hop = 16000, 40, 400, 160
    rng = np.random.RandomState(0)
    lengths = rng.randint(int(0.5 * args.seconds * rate), int(1.5 * args.seconds * rate), args.clips)
    clips = [rng.normal(0, 0.1, n).astype(np.float32) for n in lengths]
    frames = sum(1 + n // hop for n in lengths)

    def skmm_run():
        AudioFeaturizer(rate, n_mels, n_fft=n_fft, hop_length=hop, normalize=False).fit_transform(clips)

    def librosa_run():
        for clip in clips:
            mel = librosa.feature.melspectrogram(
                y=clip, sr=rate, n_fft=n_fft, hop_length=hop, n_mels=n_mels, center=True, pad_mode="constant")
            np.log(mel + LOG_FLOOR)

    print(f"{args.clips} clips of {args.seconds:.1f} s on average at {rate} Hz, {frames} frames, best of {args.repeats}\n")
    print("| featuriser | seconds | frames per second | speed-up |")
    print("|---|---:|---:|---:|")
    times = {}
    for name, run in [("librosa, clip by clip", librosa_run), ("skmm AudioFeaturizer (batched torch.stft)", skmm_run)]:
        best = min(_timed(run) for _ in range(args.repeats))
        times[name] = best
        base = times["librosa, clip by clip"]
        print(f"| {name} | {best:.2f} | {frames / best:,.0f} | {base / best:.1f}x |", flush=True)


def _timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
