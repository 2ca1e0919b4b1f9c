"""Reading a file ``torch.save`` wrote, as data only."""

from __future__ import annotations

import zipfile

import torch

from ..utils.bounded import open_bounded


def load_archive(f, map_location="cpu", kind="params"):
    """``torch.load(f, weights_only=True)`` for a file that is the zip archive ``torch.save`` writes.

    The file is read through :func:`skmm.utils.bounded.open_bounded`
    under the cap of ``kind`` ("params", "checkpoint", "weights"): a device, a
    FIFO or a file over the cap is refused before torch reads a byte.
    Anything but a zip archive (a bare pickle, garbage) is refused before
    torch reads it too: torch's weights-only reader would refuse it, but
    would first warn about the pickle's protocol, which tells a user nothing.

    Raises
    ------
    ValueError
        If ``f`` (a path or a binary file object) is not a zip archive;
        :class:`~skmm._columns.MediaError` (a ValueError) naming the file if
        it is not a regular file or is over the cap.
    """
    with open_bounded(f, kind) as stream:
        start = stream.tell()
        archive = zipfile.is_zipfile(stream)
        stream.seek(start)
        if not archive:
            raise ValueError("not the zip archive torch.save writes")
        return torch.load(stream, map_location=map_location, weights_only=True)
