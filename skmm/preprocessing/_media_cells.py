"""One media cell, in any form the ecosystem hands out, as a path, encoded bytes or decoded data.

:class:`~skmm.preprocessing.ImageLoader`, :class:`~skmm.preprocessing.AudioFeaturizer`
and :class:`~skmm.preprocessing.VideoLoader` read their cells through
:func:`media_cell`, so they take the same forms:

- a path (``str`` or :class:`os.PathLike`): a file, read through
  :func:`~skmm.utils.bounded.open_bounded`;
- encoded bytes (``bytes``, ``bytearray``, ``memoryview``: a PNG, JPEG, WAV,
  FLAC, MP4... as held by an Arrow/parquet binary column), decoded as the
  file with those bytes would be, under the same cap;
- a Hugging Face ``datasets`` cell: ``{"bytes": ..., "path": ...}`` (images,
  audio and video not decoded; the bytes when present, else the path; both
  None is a missing value) or, for audio, ``{"array": ..., "sampling_rate":
  ...}`` (a ``(waveform, rate)`` pair) and torchcodec's ``AudioDecoder``
  (anything with ``get_all_samples()``);
- decoded data: numpy arrays, anything numpy can take (``torch.Tensor``,
  objects with ``__array__``), PIL images, ``(array, rate)`` pairs, which the
  decoders check themselves.

The decode cache keys a file by path, modification time and size, and
encoded bytes by a hash of their content (:func:`identity`).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np

from ..compose._columns import MediaTypeError, MissingMediaError
from ..utils.bounded import check_size, open_bounded

_BYTES = (bytes, bytearray, memoryview)


class Encoded:
    """Encoded media bytes from a cell, with the path the cell named (if any) for messages."""

    __slots__ = ("data", "name")

    def __init__(self, data, name=None):
        self.data = data
        self.name = name

    def describe(self, what):
        size = memoryview(self.data).nbytes
        named = f" of {os.fspath(self.name)!r}" if self.name is not None else ""
        return f"{what} bytes{named} ({size:,} bytes)"


def _from_mapping(value, what):
    if "array" in value and value.get("array") is not None:
        if "sampling_rate" not in value:
            raise MediaTypeError(f"a dict {what} cell with 'array' needs 'sampling_rate' (Hugging Face audio)")
        return (value["array"], value["sampling_rate"])
    if "bytes" in value or "path" in value:
        data, path = value.get("bytes"), value.get("path")
        if data is not None:
            if not isinstance(data, _BYTES):
                raise MediaTypeError(f"the 'bytes' of a dict {what} cell must be bytes, got {type(data).__name__}")
            return Encoded(data, path if isinstance(path, (str, os.PathLike)) else None)
        if path is not None:
            if not isinstance(path, (str, os.PathLike)):
                raise MediaTypeError(f"the 'path' of a dict {what} cell must be a string, got {type(path).__name__}")
            return os.fspath(path)
        raise MissingMediaError(f"the dict {what} cell holds neither bytes nor a path (both None)")
    article = "an" if what[0] in "aeiou" else "a"
    raise MediaTypeError(
        f"expected {article} {what} path, encoded bytes or a Hugging Face cell, got a dict with the keys "
        f"{sorted(map(str, value))}: a dict cell holds 'bytes' and/or 'path'"
        + (", or 'array' and 'sampling_rate'" if what == "audio" else "")
    )


def media_cell(value, what):
    """``value`` as a path (str), :class:`Encoded` bytes, or data for the decoder (array, PIL image, pair).

    Raises
    ------
    MediaTypeError, MissingMediaError
        For a dict that is not one of the forms above, or that holds nothing.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        return path if isinstance(path, str) else os.fsdecode(path)
    if isinstance(value, _BYTES):
        return Encoded(value)
    if isinstance(value, Mapping):
        return _from_mapping(value, what)
    if isinstance(value, (np.ndarray, tuple, list)):
        return value
    if what == "audio" and callable(getattr(value, "get_all_samples", None)):  # torchcodec's AudioDecoder
        samples = value.get_all_samples()
        return (_as_array(samples.data), int(samples.sample_rate))
    return _as_array(value) if hasattr(value, "__array__") and not _is_pil(value) else value


def _is_pil(value):
    return type(value).__module__.startswith("PIL.")


def _as_array(value):
    """A tensor (detached, on the CPU) or an array-like as a numpy array."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor, without importing torch
        value = value.detach().cpu()
    try:
        return np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - an object's __array__ may raise anything
        raise MediaTypeError(f"cannot take a {type(value).__name__} as an array ({exc})") from None


@contextmanager
def open_media(cell, kind):
    """``(binary file object, description)`` of a path or :class:`Encoded` cell, bounded by the cap of ``kind``."""
    if isinstance(cell, Encoded):
        what = cell.describe(kind)
        check_size(memoryview(cell.data).nbytes, kind, what)
        data = cell.data if isinstance(cell.data, bytes) else memoryview(cell.data).cast("B")
        yield io.BytesIO(data), what
    else:
        with open_bounded(cell, kind) as f:
            yield f, f"{kind} file {cell!r}"


def identity(value):
    """What the decode cache keys ``value`` by: (path, mtime, size), ("sha256", digest, size), or None.

    None for decoded data (not cached) and for a path that cannot be
    stat'ed (the decoder reports it).
    """
    if not isinstance(value, (str, os.PathLike, Mapping) + _BYTES):
        return None
    try:
        cell = media_cell(value, "media")
    except (MediaTypeError, MissingMediaError):
        return None
    if isinstance(cell, Encoded):
        view = memoryview(cell.data).cast("B")
        return ("sha256", hashlib.sha256(view).hexdigest(), view.nbytes)
    if isinstance(cell, str):
        path = os.path.abspath(cell)
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            return None
        return (path, info.st_mtime_ns, info.st_size)
    return None
