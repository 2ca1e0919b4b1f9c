"""Audio that soundfile does not read (AAC/M4A, MP4 sound tracks, WebM/Opus...), read with PyAV.

:func:`skmm.preprocessing._audio_io.decode_audio` reads files and encoded
bytes with soundfile (libsndfile: WAV, FLAC, OGG, MP3...) and comes here only
when libsndfile does not recognise the format, with the same bounded file
object. As there, only the frames that ``max_samples`` keeps are decoded,
and the channels are averaged by the caller.
"""

from __future__ import annotations

import numpy as np

from ..compose._columns import MediaError


def read_with_pyav(source, what, frames_wanted, check_rate):
    """``(wave of shape (channels, samples), rate)`` of the first audio stream, or None without PyAV.

    Parameters
    ----------
    source : binary file object
        Positioned anywhere; read from its start.
    what : str
        Names the file or bytes in messages.
    frames_wanted : callable
        ``frames_wanted(rate)`` -> frames to keep at the file's rate, or None for all.
    check_rate : callable
        ``check_rate(rate, what)`` raises for a rate outside what skmm accepts.
    """
    try:
        import av
    except ImportError:  # pragma: no cover - the "video" extra brings PyAV
        return None
    source.seek(0)
    try:
        with av.open(source) as container:
            if not container.streams.audio:
                raise MediaError(f"{what} has no audio stream")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or stream.rate
            check_rate(rate, what)
            wanted = frames_wanted(rate)
            # Planar float at the stream's own rate and layout: the caller averages channels, as for soundfile's.
            resampler = av.AudioResampler(format="fltp", layout=stream.codec_context.layout, rate=rate)
            blocks, kept = [], 0
            for frame in container.decode(stream):
                for converted in resampler.resample(frame):
                    blocks.append(converted.to_ndarray())
                    kept += blocks[-1].shape[1]
                if wanted is not None and kept >= wanted:
                    break
            else:
                for converted in resampler.resample(None):  # what the resampler still holds
                    blocks.append(converted.to_ndarray())
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"cannot read {what} ({type(exc).__name__}: {exc})") from None
    channels = blocks[0].shape[0] if blocks else 1
    wave = np.concatenate(blocks, axis=1) if blocks else np.zeros((channels, 0), np.float32)
    return wave.astype(np.float32, copy=False), int(rate)
