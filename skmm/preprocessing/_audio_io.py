"""Decode one audio cell (path, encoded bytes, waveform, (waveform, rate)...) to mono float32.

Memory is bounded by what is kept, not by what a file declares: a file is
read in blocks and only up to ``max_samples`` (at the target rate, counted
back to the file's own rate) before any resampling, and a declared sample
rate outside :data:`RATES` is refused (a 1 KB file claiming 1 Hz would
otherwise resample to gigabytes).
"""

from __future__ import annotations

import math

import numpy as np
import soundfile as sf
import soxr

from ..compose._columns import MediaError, MediaTypeError
from ._audio_av import read_with_pyav
from ._media_cells import Encoded, media_cell, open_media

#: Sample rates accepted (Hz): telephony's 1 kHz-ish floor to studio 768 kHz.
RATES = (1_000, 768_000)
_MAX_CHANNELS = 64
_BLOCK = 1 << 20  # frames per read: memory follows the file's content, not its header
_PCM = {np.dtype(np.int8): 2.0**7, np.dtype(np.int16): 2.0**15, np.dtype(np.int32): 2.0**31}


def _check_rate(rate, what):
    low, high = RATES
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or not low <= rate <= high:
        raise MediaError(
            f"{what} declares a sample rate of {rate!r} Hz, outside {low}..{high} Hz; "
            "it is damaged or not audio"
        )


def _mono(wave, what):
    wave = np.asarray(wave)
    if wave.dtype.kind in "iu":
        # Integer PCM, scaled as soundfile scales files. Other integer types
        # (int64, e.g. from a Python list of ints) have no known full scale.
        if wave.dtype in _PCM:
            wave = wave.astype(np.float32) / np.float32(_PCM[wave.dtype])
        elif wave.dtype == np.uint8:  # 8-bit WAV is unsigned, centred on 128
            wave = (wave.astype(np.float32) - 128.0) / 128.0
        else:
            raise MediaTypeError(
                f"{what} holds {wave.dtype} integers, whose full scale is unknown (a Python list "
                "of ints becomes int64); pass floats in [-1, 1], or a numpy int16/int32 PCM array"
            )
    elif wave.dtype.kind != "f":
        raise MediaTypeError(f"{what} must hold numbers, got dtype {wave.dtype}")
    wave = wave.astype(np.float32, copy=False)
    if wave.ndim == 2:
        # librosa's convention: (channels, samples). Many channels and few
        # samples is a (samples, channels) array, which would average to noise.
        if wave.shape[0] > _MAX_CHANNELS and wave.shape[1] <= _MAX_CHANNELS:
            raise MediaError(
                f"{what} has shape {wave.shape}: waveforms are (channels, samples); "
                "transpose a (samples, channels) array"
            )
        # One channel is the common case: taking it is the same as its mean, bit for bit, without the reduction.
        wave = wave[0] if wave.shape[0] == 1 else wave.mean(axis=0)
    elif wave.ndim != 1:
        raise MediaError(f"{what} must be 1-D or (channels, samples), got shape {wave.shape}")
    if wave.size == 0:
        raise MediaError(f"{what} is empty (no samples)")
    if not np.isfinite(wave).all():
        raise MediaError(f"{what} holds NaN or infinite values")
    return wave


def _source_frames(max_samples, rate, sample_rate):
    """Frames at ``rate`` that cover ``max_samples`` at ``sample_rate`` (plus resampler context)."""
    if max_samples is None:
        return None
    return math.ceil(max_samples * rate / sample_rate) + 64 + rate // 100


def _read_encoded(cell, sample_rate, max_samples):
    """A file or encoded bytes, read with soundfile under the audio cap: (wave, rate)."""
    with open_media(cell, "audio") as (source, what):
        try:
            try:
                opened = sf.SoundFile(source)
            except sf.LibsndfileError:
                # A format libsndfile does not know (AAC/M4A, MP4, WebM...): FFmpeg's, through PyAV.
                found = read_with_pyav(source, what, lambda r: _source_frames(max_samples, r, sample_rate), _check_rate)
                if found is None:
                    raise
                return _mono(found[0], what), found[1]
            with opened as f:
                rate = f.samplerate
                _check_rate(rate, what)
                wanted = _source_frames(max_samples, rate, sample_rate)
                blocks, kept = [], 0
                while wanted is None or kept < wanted:
                    asked = _BLOCK if wanted is None else min(_BLOCK, wanted - kept)
                    block = f.read(asked, dtype="float32", always_2d=True)
                    if len(block):
                        blocks.append(block)
                        kept += len(block)
                    if len(block) < asked:  # a short read is the end of the file: no extra empty read
                        break
        except MediaError:
            raise
        except MemoryError:
            raise MediaError(f"{what} is too large to decode in memory") from None
        except Exception as exc:  # noqa: BLE001 - libsndfile and the OS raise many types on bad files
            raise MediaError(f"cannot read {what} ({type(exc).__name__}: {exc})") from None
        wave = blocks[0] if len(blocks) == 1 else np.concatenate(blocks) if blocks else np.zeros((0, 1), np.float32)
    return _mono(wave.T, what), rate


def decode_audio(value, sample_rate, max_samples=None):
    """Decode to a mono float32 waveform at ``sample_rate``, at most ``max_samples`` long.

    Files are read with soundfile and downmixed; other rates are resampled
    with soxr (as librosa does). A bare array is taken to be at ``sample_rate``
    already; pass ``(waveform, rate)`` otherwise. Only what ``max_samples``
    keeps is read and resampled.
    """
    value = media_cell(value, "audio")
    if isinstance(value, (str, Encoded)):
        wave, rate = _read_encoded(value, sample_rate, max_samples)
    elif isinstance(value, tuple) and len(value) == 2:
        wave, rate = value
        _check_rate(rate, "the rate of a (waveform, rate) pair")
        wave = _mono(wave, "audio (waveform, rate)")
    elif isinstance(value, (np.ndarray, list)):
        wave, rate = _mono(value, "audio waveform"), sample_rate
    else:
        raise MediaTypeError(
            "expected an audio path, a waveform array or a (waveform, rate) pair, got "
            f"{type(value).__name__} (encoded audio bytes and Hugging Face audio dicts are taken too)"
        )
    keep = _source_frames(max_samples, rate, sample_rate)
    if keep is not None:
        wave = wave[:keep]
    if rate != sample_rate:
        # soxr directly: what librosa.resample(res_type="soxr_hq") runs, without its checks (-40%).
        wave = soxr.resample(wave, int(rate), sample_rate, quality="soxr_hq")
    if max_samples is not None:
        wave = wave[:max_samples]
    return np.ascontiguousarray(wave, dtype=np.float32)
