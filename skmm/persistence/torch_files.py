"""Reading a file ``torch.save`` wrote, as data only."""

from __future__ import annotations

import zipfile

import torch


def load_archive(f, map_location="cpu"):
    """``torch.load(f, weights_only=True)`` for a file that is the zip archive ``torch.save`` writes.

    Anything else (a bare pickle, garbage) is refused before torch reads it:
    torch's weights-only reader would refuse it too, but would first warn
    about the pickle's protocol, which tells a user nothing.

    Raises
    ------
    ValueError
        If ``f`` (a path or a binary file object) is not a zip archive.
    """
    if hasattr(f, "read"):
        start = f.tell()
        archive = zipfile.is_zipfile(f)
        f.seek(start)
    else:
        archive = zipfile.is_zipfile(f)
    if not archive:
        raise ValueError("not the zip archive torch.save writes")
    return torch.load(f, map_location=map_location, weights_only=True)
