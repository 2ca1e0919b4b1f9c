"""AV-Digits media synthesis: writers' digit images, speakers' clips and the samples' draw.

Pure functions of seeded ``RandomState`` streams: the same seed gives the
same arrays (and so the same file bytes) on every call. Nothing here
touches the file system except reading the shipped speech bank.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from ._av_text import render_texts

N_WRITERS = 48
IMAGE_SIZE = 28
SAMPLE_RATE = 8000
CLIP_SAMPLES = SAMPLE_RATE  # every WAV is exactly 1 s long
_BANK_PATH = Path(__file__).resolve().parent / "data" / "spoken_digits.npz"


# --------------------------------------------------------------------------
# sources: sklearn digits (images) and the spoken-digit bank (audio)
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _digit_images():
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float64)
    return images, digits.target.astype(np.int64)


@functools.lru_cache(maxsize=1)
def _speech_bank():
    with np.load(_BANK_PATH) as npz:
        bank = {k: npz[k] for k in npz.files}
    if int(bank["sample_rate"]) != SAMPLE_RATE:  # pragma: no cover - build error
        raise RuntimeError("spoken_digits.npz has an unexpected sample rate.")
    return bank


def _n_speakers():
    return len(_speech_bank()["speaker_voice"])


# --------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------
def _writer_partition(rng, targets):
    """Split the source images into N_WRITERS disjoint groups, stratified by digit.

    Returns ``groups[w][d]``: indices of writer ``w``'s source images of digit ``d``.
    """
    groups = [[None] * 10 for _ in range(N_WRITERS)]
    for d in range(10):
        idx = rng.permutation(np.flatnonzero(targets == d))
        for w, chunk in enumerate(np.array_split(idx, N_WRITERS)):
            groups[w][d] = chunk
    return groups


def _writer_styles(rng):
    """Per-writer handwriting style (kept at ``noise=0``: it is not corruption)."""
    return {
        "shear": rng.uniform(-0.3, 0.3, N_WRITERS),
        "rotation": np.deg2rad(rng.uniform(-10, 10, N_WRITERS)),
        "scale": rng.uniform(0.85, 1.05, N_WRITERS),
        "aspect": rng.uniform(0.9, 1.1, N_WRITERS),
        # gamma < 1 thickens strokes, > 1 thins them
        "gamma": np.exp(rng.uniform(-0.7, 0.7, N_WRITERS)),
    }


def _render_images(rng, sources, writers, styles, noise):
    """Upsample, style and corrupt the 8x8 sources; uint8 array (n, 28, 28)."""
    from scipy import ndimage

    src_images, _ = _digit_images()
    n = len(sources)
    out = np.empty((n, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float64)
    # Per-sample jitter around the writer's style (natural, not scaled by noise).
    rot = styles["rotation"][writers] + np.deg2rad(rng.uniform(-4, 4, n))
    shear = styles["shear"][writers] + rng.uniform(-0.05, 0.05, n)
    scale = styles["scale"][writers] * rng.uniform(0.97, 1.03, n)
    aspect = styles["aspect"][writers]
    shift = rng.uniform(-1.0, 1.0, (n, 2))
    c_out = (IMAGE_SIZE - 1) / 2.0
    c_in = 3.5
    base = 20.0 / 8.0  # an 8-pixel digit spans ~20 of the 28 output pixels
    for i in range(n):
        cos, sin = math.cos(rot[i]), math.sin(rot[i])
        forward = (
            base
            * scale[i]
            * np.array([[cos, -sin], [sin, cos]])
            @ np.array([[1.0, 0.0], [shear[i], 1.0]])
            @ np.diag([1.0, aspect[i]])
        )
        inv = np.linalg.inv(forward)
        offset = c_in - inv @ (np.array([c_out, c_out]) + shift[i])
        out[i] = ndimage.affine_transform(
            src_images[sources[i]],
            inv,
            offset=offset,
            output_shape=(IMAGE_SIZE, IMAGE_SIZE),
            order=1,
            mode="constant",
            cval=0.0,
        )
    np.clip(out, 0.0, 1.0, out=out)
    out **= styles["gamma"][writers][:, None, None]
    out = ndimage.gaussian_filter(out, sigma=(0, 0.6, 0.6))  # soften the 8x8 blocks
    out /= np.maximum(out.max(axis=(1, 2), keepdims=True), 1e-6)

    if noise > 0:
        # blur
        blur = rng.uniform(size=n) < min(1.0, 0.3 * noise)
        sigmas = rng.uniform(0.6, 1.4, n) * noise
        for i in np.flatnonzero(blur):
            out[i] = ndimage.gaussian_filter(out[i], sigmas[i])
        # occluding patch: erases (0) or paints over (1 / grey) part of the digit
        occl = rng.uniform(size=n) < min(1.0, 0.4 * noise)
        h = np.clip(np.round(rng.uniform(5, 10, n) * math.sqrt(noise)), 1, 20).astype(int)
        w = np.clip(np.round(rng.uniform(5, 10, n) * math.sqrt(noise)), 1, 20).astype(int)
        r0 = rng.randint(3, 25, n) - h // 2
        c0 = rng.randint(3, 25, n) - w // 2
        fill = rng.choice([0.0, 1.0, 0.5], size=n, p=[0.5, 0.3, 0.2])
        for i in np.flatnonzero(occl):
            rows = slice(max(r0[i], 0), max(r0[i] + h[i], 0))
            cols = slice(max(c0[i], 0), max(c0[i] + w[i], 0))
            out[i, rows, cols] = fill[i]
        # background offset and pixel noise
        out += rng.uniform(0, 0.15, (n, 1, 1)) * noise
        sigma = rng.uniform(0.05, 0.25, (n, 1, 1)) * noise
        out += sigma * rng.standard_normal(out.shape)
    return np.round(np.clip(out, 0.0, 1.0) * 255).astype(np.uint8)


# --------------------------------------------------------------------------
# audio
# --------------------------------------------------------------------------
def _clip_table():
    """``table[s][d]``: bank clip indices of speaker ``s`` saying digit ``d``."""
    bank = _speech_bank()
    n_spk = _n_speakers()
    table = [[None] * 10 for _ in range(n_spk)]
    for s in range(n_spk):
        for d in range(10):
            table[s][d] = np.flatnonzero((bank["speakers"] == s) & (bank["digits"] == d))
    return table


@functools.lru_cache(maxsize=1)
def _clips():
    """The bank's clips as a list of float arrays in [-1, 1)."""
    bank = _speech_bank()
    waves = bank["waves"].astype(np.float64) / 32768.0
    off = bank["offsets"]
    return [waves[off[i] : off[i + 1]][:CLIP_SAMPLES] for i in range(len(off) - 1)]


_NOISE_CHUNK = 256


def _colored_noise(rng, colors, length):
    """Unit-variance noise rows; color 0 white, 1 pink (1/f), 2 brown (1/f^2)."""
    out = np.empty((len(colors), length))
    f = np.arange(length // 2 + 1, dtype=np.float64)
    f[0] = 1.0
    for start in range(0, len(colors), _NOISE_CHUNK):
        sl = slice(start, start + _NOISE_CHUNK)
        spec = np.fft.rfft(rng.standard_normal((len(colors[sl]), length)), axis=1)
        spec /= f[None, :] ** (0.5 * colors[sl, None])
        rows = np.fft.irfft(spec, length, axis=1)
        rows -= rows.mean(axis=1, keepdims=True)
        out[sl] = rows / (rows.std(axis=1, keepdims=True) + 1e-12)
    return out


def _render_audio(rng, digits, speakers, pool, noise):
    """Pick, place and corrupt one clip per sample; int16 array (n, CLIP_SAMPLES)."""
    table = _clip_table()
    clips = _clips()
    n = len(digits)
    out = np.zeros((n, CLIP_SAMPLES), dtype=np.float64)
    take = rng.randint(0, 1 << 30, n)
    place = rng.uniform(size=n)
    gain_db = rng.uniform(-9.0, 3.0, n) * noise
    has_distractor = rng.uniform(size=n) < min(1.0, 0.3 * noise)
    distractor_spk = pool[rng.randint(0, len(pool), n)]
    distractor_digit = (digits + rng.randint(1, 10, n)) % 10
    distractor_db = rng.uniform(-18.0, -10.0, n)
    distractor_place = rng.uniform(size=n)
    snr_db = rng.uniform(4.0, 20.0, n)
    color = rng.randint(0, 3, n)
    rms = np.empty(n)
    for i in range(n):
        cands = table[speakers[i]][digits[i]]
        wave = clips[cands[take[i] % len(cands)]]
        start = int(place[i] * (CLIP_SAMPLES - len(wave)))
        out[i, start : start + len(wave)] = wave
        rms[i] = math.sqrt(float(np.dot(wave, wave)) / len(wave)) + 1e-9
        if noise > 0 and has_distractor[i]:
            cands = table[distractor_spk[i]][distractor_digit[i]]
            other = clips[cands[take[i] % len(cands)]]
            level = rms[i] / (math.sqrt(float(np.dot(other, other)) / len(other)) + 1e-9)
            level *= 10 ** (distractor_db[i] / 20) * min(noise, 2.0)
            s = int(distractor_place[i] * (CLIP_SAMPLES - len(other)))
            out[i, s : s + len(other)] += level * other
    if noise > 0:
        level = noise * rms * 10 ** (-snr_db / 20)
        out += level[:, None] * _colored_noise(rng, color, CLIP_SAMPLES)
        out *= 10 ** (gain_db[:, None] / 20)
    return np.clip(np.round(out * 32767), -32768, 32767).astype(np.int16)


# --------------------------------------------------------------------------
# generation and cache
# --------------------------------------------------------------------------
def _balanced_labels(rng, n):
    return rng.permutation(np.arange(n) % 10).astype(np.int64)


def generate(n_samples, n_test, noise, seed):
    """All sample metadata and media arrays (nothing written)."""
    master = np.random.RandomState(seed)
    sub = master.randint(0, 2**31 - 1, size=6)
    rng_split, rng_label, rng_img, rng_audio, rng_text, rng_assign = (
        np.random.RandomState(s) for s in sub
    )
    _, targets = _digit_images()
    n_spk = _n_speakers()
    n_train = n_samples - n_test

    # who is held out
    spk_perm = rng_split.permutation(n_spk)
    wri_perm = rng_split.permutation(N_WRITERS)
    if n_test:
        test_frac = n_test / n_samples
        k_spk = min(max(1, round(test_frac * n_spk)), n_spk - 1)
        k_wri = min(max(1, round(test_frac * N_WRITERS)), N_WRITERS - 1)
        spk_pools = (np.sort(spk_perm[k_spk:]), np.sort(spk_perm[:k_spk]))
        wri_pools = (np.sort(wri_perm[k_wri:]), np.sort(wri_perm[:k_wri]))
    else:
        spk_pools = (np.arange(n_spk), None)
        wri_pools = (np.arange(N_WRITERS), None)
    groups = _writer_partition(rng_split, targets)
    styles = _writer_styles(rng_split)

    subset = np.array(["train"] * n_train + ["test"] * n_test)
    digits = np.concatenate(
        [_balanced_labels(rng_label, n_train), _balanced_labels(rng_label, n_test)]
    )
    speakers = np.empty(n_samples, dtype=np.int64)
    writers = np.empty(n_samples, dtype=np.int64)
    sources = np.empty(n_samples, dtype=np.int64)
    audio_pools = []
    for part, sl in enumerate((slice(0, n_train), slice(n_train, n_samples))):
        m = sl.stop - sl.start
        if m == 0:
            continue
        spk_pool, wri_pool = spk_pools[part], wri_pools[part]
        speakers[sl] = spk_pool[rng_assign.randint(0, len(spk_pool), m)]
        writers[sl] = wri_pool[rng_assign.randint(0, len(wri_pool), m)]
        pick = rng_assign.randint(0, 1 << 30, m)
        for j, i in enumerate(range(sl.start, sl.stop)):
            cand = groups[writers[i]][digits[i]]
            sources[i] = cand[pick[j] % len(cand)]
        audio_pools.append((sl, spk_pool))

    images = _render_images(rng_img, sources, writers, styles, noise)
    audio = np.empty((n_samples, CLIP_SAMPLES), dtype=np.int16)
    for sl, pool in audio_pools:
        audio[sl] = _render_audio(
            rng_audio, digits[sl], speakers[sl], pool, noise
        )
    texts = render_texts(rng_text, digits, noise)
    meta = {
        "text": texts,
        "digit": digits.tolist(),
        "speaker": speakers.tolist(),
        "writer": writers.tolist(),
        "source_image": sources.tolist(),
        "subset": subset.tolist(),
    }
    return meta, images, audio
