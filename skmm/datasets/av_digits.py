"""AV-Digits: an offline, AV-MNIST-style image + speech + text benchmark.

Each sample is one digit 0-9 seen three ways:

* **image** -- a real handwritten digit from :func:`sklearn.datasets.load_digits`
  (8x8, shipped with scikit-learn), upsampled to 28x28, drawn in the style of a
  simulated "writer" and corrupted by pixel noise, blur and an occluding patch;
* **audio** -- the digit's English word spoken by one of 48 synthetic speakers
  (eSpeak NG voices, shipped pre-rendered in ``data/spoken_digits.npz``; see
  :mod:`skmm.datasets._make_spoken_digits`), corrupted by background noise, a
  random gain, a random time shift and sometimes a quieter distractor word;
* **text** -- a short, noisy English phrase with partial clues (parity,
  magnitude, primality, sometimes the word itself with typos or a rhyme);
  with a small probability a clue is wrong.

No single modality is near-perfect; fusing them is clearly better (see
:mod:`skmm.datasets._calibrate_av_digits`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import numbers
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

__all__ = ["make_av_digits"]

#: Bumped whenever the generated content changes; part of the cache key.
DATASET_VERSION = "av_digits-1"

N_WRITERS = 48
IMAGE_SIZE = 28
SAMPLE_RATE = 8000
CLIP_SAMPLES = SAMPLE_RATE  # every WAV is exactly 1 s long
_BANK_PATH = Path(__file__).resolve().parent / "data" / "spoken_digits.npz"
_SAMPLES_FILE = "samples.json"

_WORDS = (
    "zero", "one", "two", "three", "four",
    "five", "six", "seven", "eight", "nine", "ten",
)


# --------------------------------------------------------------------------
# argument handling and cache layout
# --------------------------------------------------------------------------
def _check_params(n_samples, split, test_size, noise):
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")
    if split not in (None, "unseen"):
        raise ValueError(f'split must be None or "unseen", got {split!r}.')
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, numbers.Real)
        or not 0 < test_size < 1
    ):
        raise ValueError(
            f"test_size must be a float strictly between 0 and 1, got {test_size!r}."
        )
    if (
        isinstance(noise, bool)
        or not isinstance(noise, numbers.Real)
        or not math.isfinite(noise)
        or noise < 0
    ):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")
    n_test = 0
    if split == "unseen":
        n_test = int(math.ceil(test_size * n_samples))
        if n_test < 1 or n_samples - n_test < 1:
            raise ValueError(
                f"n_samples={n_samples} with test_size={test_size} leaves an empty "
                "train or test set; use more samples."
            )
    return int(n_samples), n_test


def _resolve_seed(random_state):
    """An int seed: ``random_state`` itself if it is an int, else drawn from it."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        check_random_state(random_state)  # validates the range
        return int(random_state)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


def _data_home(data_home):
    if data_home is None:
        data_home = os.environ.get("SKMM_DATA") or os.path.join("~", "skmm_data")
    return Path(data_home).expanduser().resolve()


def _cache_key(n_samples, split, test_size, noise, seed):
    params = {
        "version": DATASET_VERSION,
        "n_samples": int(n_samples),
        "split": split,
        # test_size plays no role without a split.
        "test_size": None if split is None else float(test_size),
        "noise": float(noise),
        "random_state": int(seed),
    }
    blob = json.dumps(params, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:20], params


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
# text
# --------------------------------------------------------------------------
_RHYMES = (
    ("hero", "nero"), ("sun", "fun", "run"), ("shoe", "blue", "zoo"),
    ("tree", "free", "sea"), ("door", "floor", "more"), ("hive", "dive", "drive"),
    ("sticks", "bricks", "kicks"), ("heaven", "devon"), ("gate", "late", "plate"),
    ("line", "wine", "mine"),
)
_PREFIXES = (
    "", "", "", "hmm", "i think", "pretty sure", "the number is", "it is", "ok so",
    "well", "guess:", "my digit is", "clue:", "so", "honestly", "i'd say",
)
_SUFFIXES = ("", "", "", "", "lol", "i guess", "maybe", "!", "...", "right?", "probably")
_JOINERS = (", ", " and ", ", also ", " but ", "; ", " - ")


def _clue(rng, d, kind):
    """One English clue of the given kind that is true for digit ``d``."""
    pick = lambda options: options[rng.randint(len(options))]  # noqa: E731
    if kind == "parity":
        if d % 2 == 0:
            return pick(("even", "an even number", "it's even", "an even digit",
                         "divisible by two", "not odd"))
        return pick(("odd", "an odd number", "it's odd", "an odd digit",
                     "not divisible by two", "not even"))
    if kind == "magnitude":
        if (rng.uniform() < 0.5 and d < 9) or d == 0:
            k = min(d + 1 + rng.randint(0, 4), 10)
            return f"{pick(('less than', 'smaller than', 'below', 'under'))} {_WORDS[k]}"
        k = max(d - 1 - rng.randint(0, 4), 0)
        return f"{pick(('more than', 'greater than', 'bigger than', 'above', 'over'))} {_WORDS[k]}"
    if kind == "size":
        if d < 5:
            return pick(("small", "a small number", "a low digit", "on the small side"))
        return pick(("big", "a big number", "a high digit", "on the large side"))
    if kind == "prime":
        if d in (2, 3, 5, 7):
            return pick(("prime", "a prime", "a prime number"))
        return pick(("not prime", "not a prime", "not a prime number"))
    if kind == "word":
        return pick(("it's {}", "{}", "looks like {}", "sounds like {}", "maybe {}")).format(
            _WORDS[d]
        )
    if kind == "rhyme":
        return f"{pick(('rhymes with', 'sounds a bit like'))} {pick(_RHYMES[d])}"
    raise AssertionError(kind)


def _typo(rng, word):
    if len(word) < 3:
        return word
    i = rng.randint(0, len(word) - 1)
    op = rng.randint(4)
    if op == 0:  # delete
        return word[:i] + word[i + 1 :]
    if op == 1:  # duplicate
        return word[:i] + word[i] + word[i:]
    if op == 2:  # swap
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + "abcdefghijklmnopqrstuvwxyz"[rng.randint(26)] + word[i + 1 :]


_WEAK_KINDS = ("parity", "magnitude", "size", "prime")
_WEAK_P = (0.3, 0.35, 0.15, 0.2)


def _render_texts(rng, digits, noise):
    p_wrong = min(0.5, 0.05 * noise)
    p_typo = min(0.5, 0.04 * noise)
    texts = []
    for d in digits:
        d = int(d)
        n_weak = 1 + int(rng.uniform() < 0.8) + int(rng.uniform() < 0.45)
        kinds = list(rng.choice(_WEAK_KINDS, size=n_weak, replace=False, p=_WEAK_P))
        r = rng.uniform()
        if r < 0.22:
            kinds.append("word")
        elif r < 0.34:
            kinds.append("rhyme")
        rng.shuffle(kinds)
        clues = []
        for kind in kinds:
            truth = d
            if rng.uniform() < p_wrong:
                truth = (d + rng.randint(1, 10)) % 10
            clues.append(_clue(rng, truth, kind))
        text = clues[0]
        for c in clues[1:]:
            text += _JOINERS[rng.randint(len(_JOINERS))] + c
        if noise > 0:
            prefix = _PREFIXES[rng.randint(len(_PREFIXES))]
            suffix = _SUFFIXES[rng.randint(len(_SUFFIXES))]
            text = " ".join(t for t in (prefix, text, suffix) if t)
            words = text.split(" ")
            words = [_typo(rng, w) if rng.uniform() < p_typo else w for w in words]
            text = " ".join(words)
        texts.append(text)
    return texts


# --------------------------------------------------------------------------
# generation and cache
# --------------------------------------------------------------------------
def _balanced_labels(rng, n):
    return rng.permutation(np.arange(n) % 10).astype(np.int64)


def _generate(n_samples, n_test, noise, seed):
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
    texts = _render_texts(rng_text, digits, noise)
    meta = {
        "text": texts,
        "digit": digits.tolist(),
        "speaker": speakers.tolist(),
        "writer": writers.tolist(),
        "source_image": sources.tolist(),
        "subset": subset.tolist(),
    }
    return meta, images, audio


def _write(folder, meta, images, audio, params):
    import io

    import soundfile as sf
    from PIL import Image

    (folder / "images").mkdir(parents=True)
    (folder / "audio").mkdir()
    # Encode in memory and write each file in one go (much faster than letting
    # PIL / libsndfile write small chunks to disk).
    for i in range(len(images)):
        buf = io.BytesIO()
        Image.fromarray(images[i]).save(buf, format="PNG")
        (folder / "images" / f"{i:05d}.png").write_bytes(buf.getvalue())
        buf = io.BytesIO()
        sf.write(buf, audio[i], SAMPLE_RATE, subtype="PCM_16", format="WAV")
        (folder / "audio" / f"{i:05d}.wav").write_bytes(buf.getvalue())
    with open(folder / "params.json", "w") as fh:
        json.dump(params, fh, sort_keys=True, indent=1)
    # samples.json is written last: its presence marks a complete folder.
    with open(folder / _SAMPLES_FILE, "w") as fh:
        json.dump(meta, fh)


def _materialise(n_samples, split, test_size, noise, random_state, data_home):
    """Generate (or reuse) the files; return the folder and the sample metadata."""
    n_samples, n_test = _check_params(n_samples, split, test_size, noise)
    seed = _resolve_seed(random_state)
    key, params = _cache_key(n_samples, split, test_size, noise, seed)
    root = _data_home(data_home) / "av_digits"
    folder = root / key
    if not (folder / _SAMPLES_FILE).is_file():
        meta, images, audio = _generate(n_samples, n_test, float(noise), seed)
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".tmp-{key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            _write(tmp, meta, images, audio, params)
            if folder.exists():  # stale, incomplete folder from an interrupted run
                if (folder / _SAMPLES_FILE).is_file():
                    raise FileExistsError
                shutil.rmtree(folder, ignore_errors=True)
            os.rename(tmp, folder)
        except OSError:
            # Another process finished the same folder first: use theirs.
            if not (folder / _SAMPLES_FILE).is_file():
                raise
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    with open(folder / _SAMPLES_FILE) as fh:
        meta = json.load(fh)
    return folder, meta


def _load_av_digits(
    n_samples=2000,
    *,
    split=None,
    test_size=0.25,
    data_home=None,
    noise=1.0,
    random_state=None,
):
    """Like :func:`make_av_digits` but one frame with extra metadata columns.

    Columns: ``text``, ``image``, ``audio`` (as in the public frame) plus
    ``digit``, ``speaker``, ``writer``, ``source_image`` (row of
    :func:`sklearn.datasets.load_digits`) and ``subset`` (``"train"`` or
    ``"test"``; always ``"train"`` without a split).
    """
    folder, meta = _materialise(n_samples, split, test_size, noise, random_state, data_home)
    n = len(meta["digit"])
    frame = pd.DataFrame(
        {
            "text": meta["text"],
            "image": [str(folder / "images" / f"{i:05d}.png") for i in range(n)],
            "audio": [str(folder / "audio" / f"{i:05d}.wav") for i in range(n)],
            "digit": np.asarray(meta["digit"], dtype=np.int64),
            "speaker": np.asarray(meta["speaker"], dtype=np.int64),
            "writer": np.asarray(meta["writer"], dtype=np.int64),
            "source_image": np.asarray(meta["source_image"], dtype=np.int64),
            "subset": meta["subset"],
        }
    )
    return frame


def make_av_digits(
    n_samples=2000,
    *,
    split=None,
    test_size=0.25,
    data_home=None,
    noise=1.0,
    random_state=None,
):
    """Make the AV-Digits multimodal benchmark (image, speech and text of a digit).

    Each sample is one digit 0-9 seen three ways, each corrupted so that no
    single modality is near-perfect and fusing them wins (an offline,
    AV-MNIST-style benchmark; nothing is downloaded):

    - ``"image"``: path to a 28x28 8-bit grayscale PNG of a real handwritten
      digit from :func:`sklearn.datasets.load_digits` (8x8, upsampled).
      scikit-learn's digits do not record who wrote them, so *writers* are
      simulated: the 1797 source images are split into 48 disjoint groups
      (stratified by digit) and each group gets its own style (slant/shear,
      rotation, scale, aspect and stroke thickness). Each image is then
      corrupted with pixel noise, a background offset, sometimes blur and
      an occluding patch.
    - ``"audio"``: path to a 1 s, 8000 Hz, mono, 16-bit PCM WAV of the
      digit's English word, spoken by one of 48 synthetic speakers
      (eSpeak NG voice, variant, pitch, rate and loudness; pre-rendered and
      shipped with skmm), placed at a random time, with background noise
      (white, pink or brown) at a random SNR, a random gain and sometimes a
      quieter distractor word.
    - ``"text"``: a short noisy English phrase with partial clues (parity,
      magnitude, primality, size, sometimes the word itself or a rhyme),
      filler words and typos; a clue is occasionally wrong.

    Files are written once under ``data_home`` in a folder named by a hash of
    all the parameters and the dataset version; a later call with the same
    parameters reuses them without rewriting.

    Parameters
    ----------
    n_samples : int, default=2000
        Total number of samples (train plus test when ``split="unseen"``).
        Labels are balanced: each digit appears ``n_samples // 10`` or one
        more times (per subset).
    split : {None, "unseen"}, default=None
        ``None`` returns ``X, y`` drawn from all speakers and writers.
        ``"unseen"`` returns ``X_train, X_test, y_train, y_test`` where the
        test rows come from speakers and writers never used in training
        (about ``test_size`` of the 48 speakers and of the 48 writers are
        held out).
    test_size : float, default=0.25
        Fraction of samples in the test set with ``split="unseen"``
        (``ceil(test_size * n_samples)`` rows). Ignored otherwise.
    data_home : str or path-like, default=None
        Where the media files go. Defaults to the ``SKMM_DATA`` environment
        variable if set, else ``~/skmm_data``. Files are under
        ``data_home/av_digits/<hash>/``.
    noise : float, default=1.0
        Scales every corruption: 0 gives clean images (still in the writer's
        style), clean speech (still at a random time in the 1 s clip) and
        texts without typos, fillers or wrong clues;
        1 is the calibrated default; larger values are harder.
    random_state : int, RandomState instance or None, default=None
        Controls everything. An int gives identical frames and identical
        file bytes on every call. ``None`` (or a RandomState) draws a fresh
        seed, so each such call makes a new dataset and a new folder.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, 3)
        Columns ``"text"`` (the phrase), ``"image"`` and ``"audio"``
        (absolute paths as str), with a RangeIndex. Only with ``split=None``.
    y : pandas.Series of int64, named ``"digit"``
        The digit labels, with a RangeIndex. Only with ``split=None``.
    X_train, X_test, y_train, y_test : DataFrame, DataFrame, Series, Series
        Only with ``split="unseen"``; each with its own RangeIndex.

    Raises
    ------
    ValueError
        If ``n_samples < 1``, ``split`` is not None or ``"unseen"``,
        ``test_size`` is not strictly between 0 and 1, ``noise < 0``, or a
        split would leave the train or test set empty.

    Notes
    -----
    With the defaults, ``make_av_digits(2000, split="unseen", random_state=0)``
    gives roughly these test accuracies for logistic regression (see
    ``python -m skmm.datasets._calibrate_av_digits``): image pixels ~0.7,
    speech MFCC statistics ~0.65-0.75, text TF-IDF ~0.5 and all three
    concatenated ~0.9. With ``noise=0`` the same models reach about 0.83,
    0.85, 0.62 and 0.95 (writers, speakers and the vagueness of the clues
    remain).

    Generated folders are never deleted by skmm; remove
    ``data_home/av_digits`` to free the space.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> import soundfile as sf
    >>> from skmm.datasets import make_av_digits
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     X, y = make_av_digits(20, data_home=tmp, random_state=0)
    ...     print(X.shape, list(X.columns), y.name, y.dtype)
    ...     print(Image.open(X.loc[0, "image"]).size, sf.info(X.loc[0, "audio"]).samplerate)
    ...     X_train, X_test, y_train, y_test = make_av_digits(
    ...         20, split="unseen", data_home=tmp, random_state=0)
    ...     print(len(X_train), len(X_test))
    (20, 3) ['text', 'image', 'audio'] digit int64
    (28, 28) 8000
    15 5
    """
    frame = _load_av_digits(
        n_samples,
        split=split,
        test_size=test_size,
        data_home=data_home,
        noise=noise,
        random_state=random_state,
    )

    def xy(part):
        part = part.reset_index(drop=True)
        X = part[["text", "image", "audio"]].copy()
        y = part["digit"].astype(np.int64).rename("digit")
        return X, y

    if split is None:
        return xy(frame)
    X_train, y_train = xy(frame[frame["subset"] == "train"])
    X_test, y_test = xy(frame[frame["subset"] == "test"])
    return X_train, X_test, y_train, y_test
