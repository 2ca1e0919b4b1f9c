"""AV-Digits: an offline, AV-MNIST-style image + speech + text (+ video + pen) benchmark.

Each sample is one digit 0-9 seen three ways (five on request):

* **image** -- a real handwritten digit from :func:`sklearn.datasets.load_digits`
  (8x8, shipped with scikit-learn), upsampled to 28x28, drawn in the style of a
  simulated "writer" and corrupted by pixel noise, blur and an occluding patch;
* **audio** -- the digit's English word spoken by one of 48 synthetic speakers
  (eSpeak NG voices, shipped pre-rendered in ``data/spoken_digits.npz``; see
  ``tools/make_spoken_digits.py`` in the repository), corrupted by background noise, a
  random gain, a random time shift and sometimes a quieter distractor word;
* **text** -- a short, noisy English phrase with partial clues (parity,
  magnitude, primality, sometimes the word itself with typos or a rhyme);
  with a small probability a clue is wrong;
* **video** and **trajectory** (on request) -- the digit drawn stroke by
  stroke on a moving canvas, and the pen's path as a tablet records it
  (see :mod:`skmm.datasets._av_motion`).

No single modality is near-perfect; fusing them is clearly better (see
``tools/calibrate_av_digits.py`` in the repository).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal, overload

import numpy as np
import pandas as pd

from ._av_writers import check_modalities, materialise, materialise_motion

__all__ = ["make_av_digits"]


def _load_av_digits(
    n_samples=2000,
    *,
    split=None,
    test_size=0.25,
    data_home=None,
    noise=1.0,
    random_state=None,
    modalities=("text", "image", "audio"),
):
    """Like :func:`make_av_digits` but one frame with extra metadata columns.

    Columns: the ``modalities`` (as in the public frame) plus
    ``digit``, ``speaker``, ``writer``, ``source_image`` (row of
    :func:`sklearn.datasets.load_digits`) and ``subset`` (``"train"`` or
    ``"test"``; always ``"train"`` without a split).
    """
    modalities = check_modalities(modalities)
    folder, meta = materialise(n_samples, split, test_size, noise, random_state, data_home)
    n = len(meta["digit"])
    columns = {
        "text": lambda: meta["text"],
        "image": lambda: [str(folder / "images" / f"{i:05d}.png") for i in range(n)],
        "audio": lambda: [str(folder / "audio" / f"{i:05d}.wav") for i in range(n)],
    }
    if {"video", "trajectory"} & set(modalities):
        trajs, videos = materialise_motion(folder, meta, video="video" in modalities)
        columns["trajectory"] = lambda: pd.Series(trajs, dtype=object)
        columns["video"] = lambda: [str(videos / f"{i:05d}.mkv") for i in range(n)]
    frame = pd.DataFrame(
        {
            **{name: columns[name]() for name in modalities},
            "digit": np.asarray(meta["digit"], dtype=np.int64),
            "speaker": np.asarray(meta["speaker"], dtype=np.int64),
            "writer": np.asarray(meta["writer"], dtype=np.int64),
            "source_image": np.asarray(meta["source_image"], dtype=np.int64),
            "subset": meta["subset"],
        }
    )
    return frame


@overload
def make_av_digits(
    n_samples: int = ..., *, split: None = ..., test_size: float = ..., data_home: str | os.PathLike | None = ...,
    noise: float = ..., random_state: int | np.random.RandomState | None = ..., modalities: Sequence[str] = ...,
) -> tuple[pd.DataFrame, pd.Series]: ...


@overload
def make_av_digits(
    n_samples: int = ..., *, split: Literal["unseen"], test_size: float = ...,
    data_home: str | os.PathLike | None = ..., noise: float = ...,
    random_state: int | np.random.RandomState | None = ..., modalities: Sequence[str] = ...,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]: ...


def make_av_digits(
    n_samples: int = 2000,
    *,
    split: Literal["unseen"] | None = None,
    test_size: float = 0.25,
    data_home: str | os.PathLike | None = None,
    noise: float = 1.0,
    random_state: int | np.random.RandomState | None = None,
    modalities: Sequence[str] = ("text", "image", "audio"),
) -> tuple[pd.DataFrame, pd.Series] | tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Make the AV-Digits multimodal benchmark (image, speech, text, video and pen of a digit).

    Each sample is one digit 0-9 seen three ways by default (five with
    ``modalities``), each corrupted so that no single modality is
    near-perfect and fusing them wins (an offline, AV-MNIST-style benchmark;
    nothing is downloaded):

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
    - ``"video"`` (only if asked for in ``modalities``): path to a 1 s,
      12 frames per second, 28x28 grey, lossless (FFV1 in Matroska, ``.mkv``)
      video of the digit being drawn stroke by stroke while the canvas
      drifts; with pixel noise, flicker, frozen frames and a moving
      occluder. Needs PyAV (``pip install 'skmm[video]'``).
    - ``"trajectory"`` (only if asked for): the pen's path as a float32
      array of shape ``(T, 3)`` per row -- ``x`` and ``y`` in pixels of the
      28x28 canvas (``y`` down) and pen down (1) or up (0) -- with ``T``
      from 4 to 96, about 30 on average (writers draw at different speeds,
      and the tablet loses some points); with drift,
      jitter, lost chunks, a late start or early stop and flipped pen
      flags.

    The video and the trajectory follow the strokes of the same source
    digit as the image (visited from the top in a fixed nearest-neighbour
    order) in a per-writer pen style (start side, speed, slant, tremor),
    but are corrupted independently of it and of each other. They come from
    their own random streams: asking for them leaves the other columns
    exactly as without them.

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
    modalities : sequence of str, default=("text", "image", "audio")
        The columns of ``X``, in this order: distinct names from ``"text"``,
        ``"image"``, ``"audio"``, ``"video"`` and ``"trajectory"``. The
        image, audio and text files are always written; the trajectories
        (and the videos, only when asked for) are added to the same folder
        on first request. Videos roughly double the generation time.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, len(modalities))
        Columns ``"text"`` (the phrase), ``"image"``, ``"audio"`` and
        ``"video"`` (absolute paths as str) and ``"trajectory"`` (arrays),
        as selected by ``modalities``, with a RangeIndex. Only with
        ``split=None``.
    y : pandas.Series of int64, named ``"digit"``
        The digit labels, with a RangeIndex. Only with ``split=None``.
    X_train, X_test, y_train, y_test : DataFrame, DataFrame, Series, Series
        Only with ``split="unseen"``; each with its own RangeIndex.

    Raises
    ------
    ValueError
        If ``n_samples < 1``, ``split`` is not None or ``"unseen"``,
        ``test_size`` is not strictly between 0 and 1, ``noise < 0``, a
        split would leave the train or test set empty, or ``modalities``
        holds an unknown or repeated name (or none).
    ImportError
        If ``"video"`` is asked for and PyAV is not installed.

    Notes
    -----
    With the defaults, ``make_av_digits(2000, split="unseen", random_state=0)``
    gives roughly these test accuracies for logistic regression (see
    ``python tools/calibrate_av_digits.py``): image pixels ~0.7,
    speech MFCC statistics ~0.65-0.75, text TF-IDF ~0.5 and all three
    concatenated ~0.9. With ``noise=0`` the same models reach about 0.83,
    0.85, 0.62 and 0.95 (writers, speakers and the vagueness of the clues
    remain). With ``--motion`` the script also scores the new columns:
    video mean frame ~0.43, trajectory resampled to 32 steps ~0.38, and
    video, audio and text concatenated ~0.79.

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
    ...     with Image.open(X.loc[0, "image"]) as image:
    ...         print(image.size, sf.info(X.loc[0, "audio"]).samplerate)
    ...     X_train, X_test, y_train, y_test = make_av_digits(
    ...         20, split="unseen", data_home=tmp, random_state=0)
    ...     print(len(X_train), len(X_test))
    ...     X, y = make_av_digits(20, data_home=tmp, random_state=0,
    ...                           modalities=["image", "trajectory"])
    ...     print(list(X.columns), X.loc[0, "trajectory"].shape[1], X.loc[0, "trajectory"].dtype)
    (20, 3) ['text', 'image', 'audio'] digit int64
    (28, 28) 8000
    15 5
    ['image', 'trajectory'] 3 float32
    """
    frame = _load_av_digits(
        n_samples,
        split=split,
        test_size=test_size,
        data_home=data_home,
        noise=noise,
        random_state=random_state,
        modalities=modalities,
    )
    modalities = list(check_modalities(modalities))

    def xy(part):
        part = part.reset_index(drop=True)
        X = part[modalities].copy()
        y = part["digit"].astype(np.int64).rename("digit")
        return X, y

    if split is None:
        return xy(frame)
    X_train, y_train = xy(frame[frame["subset"] == "train"])
    X_test, y_test = xy(frame[frame["subset"] == "test"])
    return X_train, X_test, y_train, y_test
