"""Decode one video cell (path, encoded bytes, frames array, (frames, rate)...) to sampled frames.

Files are read with PyAV (FFmpeg's demuxers and decoders). Only the frames
that are kept are converted to arrays, so a long video costs one pass of
decoding, not its size in memory.
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Real

import numpy as np

from ..compose._columns import MediaError, MediaTypeError
from ._image_io import decode_image
from ._media_cells import Encoded, media_cell, open_media


def sample_indices(times, end, n_frames, fps):
    """Which frames to keep: at most ``n_frames`` indices into ``times``.

    Parameters
    ----------
    times : ndarray of float
        Presentation time of each frame in seconds, increasing, from 0.
    end : float
        Time at which the last frame stops being shown.
    n_frames : int
        Frames wanted.
    fps : float or None
        None: ``n_frames`` frames spread evenly over the video (the middle
        frame of ``n_frames`` equal segments), or every frame of a video
        that has fewer. A rate: the frame shown at ``0, 1/fps, 2/fps, ...``,
        for as long as the video lasts.

    Returns
    -------
    indices : ndarray of int
        Fewer than ``n_frames`` when the video is short: the caller pads.
    """
    count = len(times)
    if fps is None:
        if count <= n_frames:
            return np.arange(count)
        return ((np.arange(n_frames) + 0.5) * count / n_frames).astype(np.int64)
    targets = np.arange(n_frames) / float(fps)
    targets = targets[targets < end - 1e-9]
    # The frame on screen at each target time: the last one that started by then.
    return np.searchsorted(times, targets + 1e-9, side="right") - 1


def _check_frames(frames, what):
    if frames.dtype == object or not (
        np.issubdtype(frames.dtype, np.number) or frames.dtype == np.bool_
    ):
        raise MediaTypeError(f"{what} must hold numbers, got dtype {frames.dtype}")
    if frames.ndim not in (3, 4) or (frames.ndim == 4 and frames.shape[-1] not in (1, 3, 4)):
        raise MediaError(
            f"{what} must have shape (frames, H, W) or (frames, H, W, C) with C "
            f"in 1, 3, 4; got shape {frames.shape}"
        )
    if 0 in frames.shape:
        raise MediaError(f"{what} is empty (shape {frames.shape})")


def _from_array(frames, rate, n_frames, fps, what):
    frames = np.asarray(frames)
    _check_frames(frames, what)
    count = len(frames)
    if rate is None:  # a bare array is at the wanted rate already
        rate = fps or 1.0
    rate = float(rate)
    times = np.arange(count) / rate
    return frames[sample_indices(times, count / rate, n_frames, fps)]


def _read_encoded(cell, n_frames, fps):
    """A video file or encoded bytes, read with PyAV under the video cap: the kept frames."""
    try:
        import av
    except ImportError:  # pragma: no cover - the "video" extra is not installed
        raise ImportError(
            "reading video files needs PyAV: pip install 'skmm[video]' (or pass "
            "frames as arrays)."
        ) from None
    with open_media(cell, "video") as (source, what):
        try:
            frames = _two_passes(av, source, what, n_frames, fps)
        except MediaError:
            raise
        except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
            raise MediaError(f"cannot read {what} ({exc})") from None
    # A container may promise more frames than its decoder gives: keep what came.
    frames = [f for f in frames if f is not None]
    if not frames:
        raise MediaError(f"{what}: no frame could be decoded")
    return np.stack(frames)


def _two_passes(av, source, what, n_frames, fps):
    """Demux for the frames' times, choose, then decode up to the last one chosen."""
    with av.open(source) as container:
        if not container.streams.video:
            raise MediaError(f"{what} has no video stream")
        stream = container.streams.video[0]
        # Demuxing (no decoding) gives every frame's time: enough to choose.
        pts = [packet.pts for packet in container.demux(stream) if packet.size > 0]
        times, end = _frame_times(pts, stream)
    if not len(times):
        raise MediaError(f"{what} holds no frames")
    keep = sample_indices(times, end, n_frames, fps)
    wanted = {}
    for position, index in enumerate(keep):
        wanted.setdefault(int(index), []).append(position)
    frames = [None] * len(keep)
    source.seek(0)
    with av.open(source) as container:
        stream = container.streams.video[0]
        gray = (stream.codec_context.pix_fmt or "").startswith("gray")
        last = max(wanted)
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                array = frame.to_ndarray(format="gray" if gray else "rgb24")
                for position in wanted[index]:
                    frames[position] = array
            if index >= last:
                break
    return frames


def _frame_times(pts, stream):
    """(start times from 0 in presentation order, end time) of a stream's frames.

    ``pts`` are the packets' timestamps in decoding order; without them
    (raw streams) the frames are taken to be evenly spaced at the stream's rate.
    """
    rate = stream.guessed_rate or stream.average_rate or Fraction(25)
    if not pts or any(t is None for t in pts) or stream.time_base is None:
        times = np.arange(len(pts)) / float(rate)
    else:
        times = np.sort(np.asarray(pts, dtype=np.float64)) * float(stream.time_base)
        times -= times[0]
    end = (times[-1] + 1.0 / float(rate)) if len(times) else 0.0
    return times, end


def decode_video(value, n_frames, fps=None):
    """Decode a path, a frames array or ``(frames, rate)`` to sampled frames.

    Parameters
    ----------
    value : str, path, bytes, dict, ndarray or tuple
        A video file or its encoded bytes (read with PyAV; see
        :mod:`._media_cells` for every cell form), frames ``(T, H, W)`` or
        ``(T, H, W, C)``, or a ``(frames, rate)`` pair. A bare array is
        taken to be at ``fps`` frames per second already.
    n_frames : int
        Frames wanted.
    fps : float or None
        See :func:`sample_indices`.

    Returns
    -------
    frames : ndarray of shape (k, H, W[, C])
        ``k <= n_frames`` frames as stored (uint8 from files).

    Raises
    ------
    MediaError, MissingMediaError, MediaTypeError
        With a message that names the file or the problem.
    """
    value = media_cell(value, "video")
    if isinstance(value, (str, Encoded)):
        return _read_encoded(value, n_frames, fps)
    if isinstance(value, tuple) and len(value) == 2:
        frames, rate = value
        if not isinstance(rate, Real) or isinstance(rate, bool) or not rate > 0:
            raise MediaError(f"the rate of a (frames, rate) pair must be a positive number, got {rate!r}")
        return _from_array(frames, rate, n_frames, fps, "video (frames, rate)")
    if isinstance(value, (np.ndarray, list)):
        return _from_array(value, None, n_frames, fps, "video frames")
    raise MediaTypeError(
        f"expected a video path, a frames array or a (frames, rate) pair, got {type(value).__name__} "
        "(encoded video bytes and {'bytes', 'path'} dicts are taken too)"
    )


def frames_to_float(frames):
    """Sampled frames -> list of float32 (H, W, C) images in [0, 1]."""
    out = []
    for i, frame in enumerate(frames):
        try:
            out.append(decode_image(np.asarray(frame)))
        except MediaError as exc:
            raise MediaError(f"video frame {i}: {exc}") from None
    return out
