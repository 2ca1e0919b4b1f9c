"""AV-Digits files: argument checks, the cache layout and writing a folder atomically."""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import shutil
import uuid
from pathlib import Path

from sklearn.utils import check_random_state

from ._av_media import SAMPLE_RATE, generate
from ._home import get_data_home

#: Bumped whenever the generated content changes; part of the cache key.
DATASET_VERSION = "av_digits-1"
_SAMPLES_FILE = "samples.json"


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


def materialise(n_samples, split, test_size, noise, random_state, data_home):
    """Generate (or reuse) the files; return the folder and the sample metadata."""
    n_samples, n_test = _check_params(n_samples, split, test_size, noise)
    seed = _resolve_seed(random_state)
    key, params = _cache_key(n_samples, split, test_size, noise, seed)
    root = get_data_home(data_home) / "av_digits"
    folder = root / key
    if not (folder / _SAMPLES_FILE).is_file():
        meta, images, audio = generate(n_samples, n_test, float(noise), seed)
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
