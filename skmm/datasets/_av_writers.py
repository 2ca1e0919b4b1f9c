"""AV-Digits files: argument checks, the cache layout and writing a folder atomically."""

from __future__ import annotations

import hashlib
import io
import json
import math
import numbers
import os
import shutil
import uuid

import numpy as np
from sklearn.utils import check_random_state

from ..utils.bounded import read_bounded
from ._av_media import SAMPLE_RATE, generate
from ._av_motion import VIDEO_RATE, synthesise
from ._home import get_data_home

#: Bumped whenever the generated content changes; part of the cache key.
DATASET_VERSION = "av_digits-1"
_SAMPLES_FILE = "samples.json"
MODALITIES = ("text", "image", "audio", "video", "trajectory")
#: Folder of the trajectories and videos inside a dataset folder; renamed
#: whenever their content changes (the other files stay valid).
MOTION_DIR = "motion-1"


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


def check_modalities(modalities):
    """The requested columns as a tuple, in order; ValueError names a bad one."""
    if isinstance(modalities, str) or not hasattr(modalities, "__iter__"):
        raise ValueError(
            f"modalities must be a list of names from {list(MODALITIES)}, got {modalities!r}."
        )
    names = tuple(modalities)
    unknown = [m for m in names if m not in MODALITIES]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(
            f"modalities must be distinct names from {list(MODALITIES)} (at least one), "
            f"got {list(names)!r}."
        )
    if "video" in names:
        try:
            import av  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                'make_av_digits(modalities=[..., "video"]) writes videos with PyAV: '
                "pip install 'skmm[video]' (or pip install av)."
            ) from exc
    return names


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
        _publish_dir(
            folder,
            lambda tmp: _write(tmp, meta, images, audio, params),
            lambda: (folder / _SAMPLES_FILE).is_file(),
        )
    meta = json.loads(read_bounded(folder / _SAMPLES_FILE, "data"))
    return folder, meta


def _publish_dir(final, fill, is_complete):
    """Build a folder with ``fill(tmp)`` beside ``final`` and move it there in one rename."""
    tmp = final.parent / f".tmp-{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        fill(tmp)
        if final.exists():  # stale, incomplete folder from an interrupted run
            if is_complete():
                raise FileExistsError
            shutil.rmtree(final, ignore_errors=True)
        os.rename(tmp, final)
    except OSError:
        # Another process finished the same folder first: use theirs.
        if not is_complete():
            raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _encode_video(frames):
    """Lossless FFV1 Matroska bytes of grey uint8 frames (T, H, W); bit-exact per seed."""
    import av

    buf = io.BytesIO()
    # bitexact keeps the muxer from writing random ids, so a seed gives fixed bytes
    with av.open(buf, "w", format="matroska", options={"fflags": "+bitexact"}) as out:
        stream = out.add_stream("ffv1", rate=VIDEO_RATE)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "gray"
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="gray")))
        out.mux(stream.encode())
    return buf.getvalue()


def _write_videos(tmp, frames):
    tmp.mkdir()
    for i in range(len(frames)):
        (tmp / f"{i:05d}.mkv").write_bytes(_encode_video(frames[i]))


def materialise_motion(folder, meta, video):
    """Trajectories (list of (T, 3) float32) and, if ``video``, the videos' folder.

    Added to a complete dataset folder on first use, in ``MOTION_DIR`` inside
    it, so the image, audio and text files are untouched.
    """
    params = json.loads(read_bounded(folder / "params.json", "data"))
    motion = folder / MOTION_DIR
    traj_file = motion / "trajectories.npz"
    videos = motion / "videos"
    need_video = video and not videos.is_dir()
    if need_video or not traj_file.is_file():
        trajs, frames = synthesise(
            meta, params["random_state"], params["noise"], video=need_video
        )
        motion.mkdir(exist_ok=True)
        if not traj_file.is_file():
            tmp = motion / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}.npz"
            lengths = [len(t) for t in trajs]
            np.savez(tmp, points=np.concatenate(trajs),
                     offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
            os.replace(tmp, traj_file)
        if need_video:
            _publish_dir(videos, lambda tmp: _write_videos(tmp, frames), videos.is_dir)
    with np.load(io.BytesIO(read_bounded(traj_file, "data")), allow_pickle=False) as npz:
        points, offsets = npz["points"], npz["offsets"]
    trajs = [points[offsets[i] : offsets[i + 1]].copy() for i in range(len(offsets) - 1)]
    return trajs, (videos if video else None)
