"""Every file skmm opens itself is read here: regular files only, never more than a cap.

A path can name something that never ends (``/dev/zero``, ``/dev/urandom``,
a symbolic link to either), something that blocks for ever (a FIFO with no
writer) or a file far larger than anything skmm should hold. So before a
byte is read the path is resolved (symbolic links followed) and must be a
regular file whose size is within the cap for its kind; the file is opened
without blocking and checked again on the open descriptor (a path swapped
between the check and the open is caught); and the reader hands out at
most the cap's worth of bytes, so a file that grows after the check is
refused too (one byte past the cap is read, to tell).

The caps, per kind of file, are in :data:`file_limits` (bytes); each can be
set there, in a ``with file_limits.override(image=...)`` block, or before
skmm is imported with the environment variable ``SKMM_MAX_<KIND>_MB``
(e.g. ``SKMM_MAX_IMAGE_MB=1024``).

Encoded bytes handed over in a cell (a PNG from a parquet column) are held
to the same caps by :func:`check_size`.
"""

from __future__ import annotations

import io
import os
import stat
from contextlib import contextmanager

from .errors import MediaError
from .paths import check_media_path, file_type

__all__ = ["FileLimits", "FileTooLargeError", "check_size", "file_limits", "open_bounded", "read_bounded"]

_MB = 2**20
#: Default cap per kind of file, in MiB.
DEFAULT_MB = {
    "params": 4096,      # save_params files: weights and fitted preprocessors
    "checkpoint": 8192,  # checkpoint_dir: weights, optimizer state (2x weights for Adam), history
    "weights": 8192,     # pretrained weights files (safetensors or torch) skmm reads itself
    "model": 4096,       # ONNX models read by skmm.export.OnnxModel
    "image": 256,        # one image file (a 20000 x 20000 RGB TIFF is 1.1 GiB: raise it for such)
    "audio": 2048,       # one audio file (3.4 h of 16-bit 44.1 kHz stereo WAV)
    "video": 8192,       # one video file
    "data": 16384,       # skmm's own files: dataset caches, decoded-media spool files
}
_WHAT = {
    "params": "params", "checkpoint": "checkpoint", "weights": "weights", "model": "ONNX model",
    "image": "image", "audio": "audio", "video": "video", "data": "data",
}


class FileTooLargeError(MediaError):
    """A file (or encoded cell) larger than the cap for its kind."""


def _from_env(kind, default_mb):
    raw = os.environ.get(f"SKMM_MAX_{kind.upper()}_MB")
    if raw is None or not raw.strip():
        return default_mb * _MB
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"SKMM_MAX_{kind.upper()}_MB must be a number of MiB, got {raw!r}.") from None
    if not value > 0:
        raise ValueError(f"SKMM_MAX_{kind.upper()}_MB must be positive, got {raw!r}.")
    return int(value * _MB)


class FileLimits:
    """The largest file skmm reads, in bytes, per kind of file.

    Attributes ``params``, ``checkpoint``, ``weights``, ``model``, ``image``,
    ``audio``, ``video`` and ``data`` (skmm's own dataset caches and spool
    files) hold the caps; defaults are in :data:`DEFAULT_MB` (MiB), read at
    import from ``SKMM_MAX_<KIND>_MB`` where set.

    Examples
    --------
    >>> from skmm.preprocessing import file_limits
    >>> file_limits.image // 2**20
    256
    >>> with file_limits.override(image=1000):
    ...     file_limits.image
    1000
    """

    def __init__(self):
        for kind, mb in DEFAULT_MB.items():
            setattr(self, kind, _from_env(kind, mb))

    def cap(self, kind):
        """The cap (bytes) of ``kind``."""
        return getattr(self, kind)

    @contextmanager
    def override(self, **caps):
        """Set some caps (bytes) inside a ``with`` block; the old ones come back after it."""
        unknown = sorted(set(caps) - set(DEFAULT_MB))
        if unknown:
            raise ValueError(f"unknown kinds of file {unknown}; the kinds are {sorted(DEFAULT_MB)}.")
        old = {kind: self.cap(kind) for kind in caps}
        for kind, value in caps.items():
            setattr(self, kind, int(value))
        try:
            yield self
        finally:
            for kind, value in old.items():
                setattr(self, kind, value)

    def __repr__(self):
        caps = ", ".join(f"{kind}={self.cap(kind) / _MB:g} MiB" for kind in DEFAULT_MB)
        return f"FileLimits({caps})"


#: The caps every reader of skmm uses.
file_limits = FileLimits()


def _advice(kind):
    return (
        f"raise skmm.preprocessing.file_limits.{kind} (or SKMM_MAX_{kind.upper()}_MB) if you trust it"
    )


def check_size(nbytes, kind, what):
    """Raise :class:`FileTooLargeError` if ``nbytes`` is over the cap of ``kind``; ``what`` names it."""
    cap = file_limits.cap(kind)
    if nbytes > cap:
        raise FileTooLargeError(
            f"{what} is {nbytes:,} bytes, over the {cap:,}-byte cap for {_WHAT[kind]} files; {_advice(kind)}"
        )


class _Capped(io.RawIOBase):
    """A binary reader that hands out at most ``cap`` bytes of ``f``, and notes a file that has more."""

    def __init__(self, f, cap, kind, what, close):
        self._f, self._cap, self._kind, self._what, self._close = f, cap, kind, what, close
        self.exceeded = False

    def error(self):
        return FileTooLargeError(
            f"{self._what} holds more than the {self._cap:,}-byte cap for {_WHAT[self._kind]} files "
            f"(it grew while read, or never ends); {_advice(self._kind)}"
        )

    def readable(self):
        return True

    def seekable(self):
        return self._f.seekable()

    def seek(self, offset, whence=os.SEEK_SET):
        return self._f.seek(offset, whence)

    def tell(self):
        return self._f.tell()

    def fileno(self):
        return self._f.fileno()

    def readinto(self, buffer):
        left = self._cap - self._f.tell()
        if left <= 0:
            if self._f.read(1):  # one byte past the cap: the file is longer than allowed
                self.exceeded = True
                raise self.error()
            return 0
        view = memoryview(buffer).cast("B")[:left]
        if hasattr(self._f, "readinto"):
            return self._f.readinto(view)
        data = self._f.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self):
        if self._close and not self.closed:
            self._f.close()
        super().close()


def _open_path(path, kind, what):
    """An open :class:`io.FileIO` of the regular file ``path``, its size checked."""
    check_media_path(path, what)  # names a missing file, a directory, a link loop, a device...
    label = f"{what} file {path!r}"
    try:
        # O_NONBLOCK: a path swapped for a FIFO after the check must not block the open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise MediaError(f"cannot open {label} ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MediaError(f"{what} path {path!r} is not a regular file ({file_type(info.st_mode)})")
        check_size(info.st_size, kind, label)
        return io.FileIO(fd, "rb", closefd=True), label
    except BaseException:
        os.close(fd)
        raise


def _check_stream(f, kind, what):
    """A file object the caller opened: refused if it is a device, FIFO or socket, or too large."""
    try:
        fileno = f.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return
    info = os.fstat(fileno)
    if not stat.S_ISREG(info.st_mode):
        raise MediaError(f"the {what} file object is not a regular file ({file_type(info.st_mode)})")
    check_size(info.st_size, kind, f"the {what} file object")


@contextmanager
def open_bounded(source, kind, what=None):
    """Open ``source`` for reading at most the cap of ``kind``: a binary file object.

    Parameters
    ----------
    source : str, path or binary file object
        A path (resolved, then refused unless a regular file within the cap)
        or a file object the caller opened (read from where it stands; a
        device, FIFO or socket behind it is refused).
    kind : str
        A key of :data:`DEFAULT_MB`.
    what : str or None
        How messages name the file (``"image"`` -> "image file '...'");
        None: the kind's own name.

    Raises
    ------
    MediaError
        Naming the file; :class:`~skmm._columns.MissingMediaError` if the path
        does not exist, :class:`FileTooLargeError` if it is over the cap or
        grows past it while read (also when a decoder swallowed the error).
    """
    what = what or _WHAT[kind]
    if isinstance(source, (str, os.PathLike)):
        raw, label = _open_path(os.fspath(source), kind, what)
        close = True
    else:
        _check_stream(source, kind, what)
        raw, label, close = source, f"the {what} file object", False
    capped = _Capped(raw, file_limits.cap(kind), kind, label, close)
    reader = io.BufferedReader(capped, buffer_size=1 << 16)
    try:
        yield reader
    except BaseException:
        if capped.exceeded:
            raise capped.error() from None
        raise
    else:
        if capped.exceeded:  # a decoder that took the error for the end of the file
            raise capped.error()
    finally:
        if close:
            reader.close()
        else:
            reader.detach()  # leave the caller's file object open


def read_bounded(source, kind, what=None):
    """The whole content of ``source`` (see :func:`open_bounded`), at most the cap of ``kind``."""
    with open_bounded(source, kind, what) as f:
        return f.read()
