"""Tell a media path that does not exist from one that cannot be read.

Only a path that truly does not exist is *missing* (with ``on_missing="mask"``
the sample then lacks the modality). A directory, a symbolic-link loop or a
dangling link, a device or FIFO (reading one can block for ever), a URL, an
empty string or any other path the system refuses is an error that says
what the path is.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from .errors import MediaError, MissingMediaError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def check_media_path(path, what):
    """Raise unless ``path`` is a regular file; MissingMediaError only if it does not exist.

    Parameters
    ----------
    path : str
    what : str
        "image", "audio", "params"..., for the message.
    """
    if not path.strip():
        raise MediaError(f"{what} path is an empty string; use None or NaN for a missing value")
    if _URL.match(path):
        raise MediaError(f"{what} path {path!r} is a URL; skmm reads local files only: download it first")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise MediaError(
                f"{what} file {path!r} is a broken symbolic link (to {os.readlink(path)!r})"
            ) from None
        raise MissingMediaError(f"{what} file {path!r} does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise MediaError(f"{what} file {path!r} is a symbolic link loop") from None
        raise MediaError(f"cannot access {what} file {path!r} ({exc.strerror or exc})") from None
    except ValueError as exc:  # an embedded NUL byte
        raise MediaError(f"{what} path {path!r} is not a valid path ({exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise MediaError(f"{what} path {path!r} is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise MediaError(f"{what} path {path!r} is not a regular file ({file_type(info.st_mode)})")


def file_type(mode):
    """What a ``st_mode`` that is not a regular file's is, for a message."""
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "neither a file nor a directory"
