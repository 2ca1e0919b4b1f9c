"""The errors of reading a value or a file: the caller adds the column and the row (or names the file)."""

from __future__ import annotations


class MediaError(ValueError):
    """A value that cannot be decoded; the caller adds column and row."""


class MissingMediaError(MediaError):
    """A media file that does not exist: absent data under ``on_missing="mask"``."""


class MediaTypeError(TypeError):
    """A value of the wrong kind (a number in a text column); column and row are added."""
