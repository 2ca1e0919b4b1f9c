"""One seeded tiny multimodal DataFrame, with media written to files."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image

N_ROWS = 90
WORDS = ["apple", "river", "stone"]


def _make_frame(folder, n_rows=N_ROWS, seed=0):
    """Three classes, each visible (noisily) in every modality."""
    rng = np.random.RandomState(seed)
    y = np.arange(n_rows) % 3
    rng.shuffle(y)
    rows = []
    for i, label in enumerate(y):
        # Text: the class word, often hidden among random words.
        word = WORDS[label] if rng.rand() < 0.8 else WORDS[rng.randint(3)]
        text = " ".join(rng.permutation([word, "the", "a", "maybe", "seen"])[: rng.randint(2, 6)])
        if word not in text:
            text += " " + word
        # Image: a bright bar whose position gives the class.
        pixels = rng.randint(0, 60, size=(14, 14)).astype(np.uint8)
        pixels[:, 2 + 4 * label : 5 + 4 * label] = 220
        image_path = folder / f"img_{i}.png"
        Image.fromarray(pixels, mode="L").save(image_path)
        # Audio: a tone whose pitch gives the class, of random length.
        n = rng.randint(1600, 4000)
        tone = 0.5 * np.sin(2 * np.pi * (300 + 400 * label) * np.arange(n) / 8000)
        audio_path = folder / f"audio_{i}.wav"
        sf.write(audio_path, (tone + rng.normal(0, 0.05, n)).astype(np.float32), 8000)
        rows.append((text, str(image_path), str(audio_path), label + rng.normal(0, 0.3)))
    X = pd.DataFrame(rows, columns=["text", "image", "audio", "number"])
    return X, pd.Series(y, name="label")


@pytest.fixture(scope="session")
def media_frame(tmp_path_factory):
    """(X, y): columns text, image (PNG path), audio (WAV path, 8 kHz), number."""
    return _make_frame(tmp_path_factory.mktemp("media"))


@pytest.fixture
def frame(media_frame):
    """A fresh copy per test, so a test that breaks it harms no other."""
    X, y = media_frame
    return X.copy(), y.copy()


@pytest.fixture
def make_prep():
    """Factory of the ModalityTransformer used across the estimator tests."""
    from sklearn.preprocessing import StandardScaler

    from skmm import ModalityTransformer
    from skmm.preprocessing import AudioFeaturizer, ImageLoader, TextSequencer

    def make(number=True):
        steps = [
            ("text", TextSequencer(max_len=6), "text"),
            ("image", ImageLoader(size=(14, 14)), "image"),
            ("audio", AudioFeaturizer(sample_rate=8000, n_mels=16, n_fft=256, hop_length=128), "audio"),
        ]
        if number:
            steps.append(("number", StandardScaler(), ["number"]))
        return ModalityTransformer(steps)

    return make


class Pools(list):
    """Process pools started (one entry each); ``kind`` is what the test forces."""


@pytest.fixture(params=["threads", "processes"])
def workers(request, monkeypatch):
    """Force threads or worker processes for every multi-chunk decode; many small chunks."""
    from skmm.preprocessing import _parallel

    monkeypatch.setattr(_parallel, "CHUNK", 4)  # many chunks, so workers interleave
    pools = Pools()
    pools.kind = request.param
    if request.param == "processes":
        if not _parallel.can_fork():
            pytest.skip("worker processes are forked on Linux only")
        real = _parallel._process_map
        monkeypatch.setattr(_parallel, "_process_map", lambda *args: pools.append(len(args[1])) or real(*args))
    monkeypatch.setattr(_parallel, "PROCESS_MIN_SECONDS", 0.0 if request.param == "processes" else float("inf"))
    return pools
