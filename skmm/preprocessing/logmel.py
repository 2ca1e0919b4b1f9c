"""Batched log-mel spectrograms: librosa's mel filter bank with ``torch.stft``."""

from __future__ import annotations

import librosa
import numpy as np
import torch

from ._parallel import parallel_map

# Floor added before the log: silence maps to log(1e-6) ~ -13.8, not -inf.
LOG_FLOOR = 1e-6


class LogMel:
    """Compute log-mel frames of many waveforms at once.

    Equal to ``log(librosa.feature.melspectrogram(y, sr=..., n_fft=...,
    hop_length=..., n_mels=..., center=True, pad_mode="constant") + 1e-6).T``
    clip by clip, but computed in padded batches with ``torch.stft``, which is
    several times faster. Zero padding after a clip does not change its own
    frames because librosa's ``center`` padding is zeros too.

    Parameters
    ----------
    sample_rate, n_fft, hop_length, n_mels, fmin, fmax
        As in :func:`librosa.feature.melspectrogram`.
    batch_size : int
        Waveforms per ``torch.stft`` call (clips are sorted by length first,
        so little padding is computed).
    """

    def __init__(self, sample_rate, n_fft, hop_length, n_mels, fmin=0.0, fmax=None, batch_size=64):
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.batch_size = batch_size
        self.filters = torch.from_numpy(
            librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
        )
        self.window = torch.hann_window(n_fft, periodic=True)

    def n_frames(self, n_samples):
        return 1 + n_samples // self.hop_length

    def __call__(self, waves, n_jobs=1):
        """List of 1-D float32 waveforms -> list of (frames, n_mels) float32.

        Batches run on ``n_jobs`` threads (None: the cores skmm may use);
        they are the same whatever ``n_jobs``, so the output is too.
        """
        out = [None] * len(waves)
        order = np.argsort([len(w) for w in waves], kind="stable")
        chunks = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def run(chunk):
            with torch.no_grad():
                longest = max(len(waves[i]) for i in chunk)
                padded = np.zeros((len(chunk), longest), dtype=np.float32)
                for row, i in enumerate(chunk):
                    padded[row, : len(waves[i])] = waves[i]
                batch = torch.from_numpy(padded)
                spec = torch.stft(
                    batch, self.n_fft, hop_length=self.hop_length, window=self.window,
                    center=True, pad_mode="constant", return_complex=True,
                )
                power = spec.real.square() + spec.imag.square()
                mel = torch.log(torch.matmul(self.filters, power) + LOG_FLOOR)
                frames = mel.transpose(1, 2).numpy()
            for row, i in enumerate(chunk):
                out[i] = frames[row, : self.n_frames(len(waves[i]))].copy()

        parallel_map(run, chunks, n_jobs)
        return out
