"""One text cell as a string every tokenizer, file format and terminal takes.

Any Python ``str`` is valid text. What can reach a tokenizer from a badly
decoded file, and what skmm does with it:

- lone UTF-16 surrogates (``"bad \\ud800 text"``, from ``surrogateescape``
  or a JSON ``"\\ud800"``) cannot be encoded as UTF-8, so a Rust tokenizer,
  a pyarrow-backed column, an ONNX or JSON file or a UTF-8 terminal would
  refuse them: a valid surrogate *pair* is joined into the character it
  encodes, and a lone one becomes U+FFFD (the replacement character), as a
  UTF-8 decoder with ``errors="replace"`` gives. Nothing else changes;
- NUL bytes, control characters, byte-order marks, right-to-left marks,
  combining characters, any script: kept as they are, for the tokenizer
  (a word pattern skips what is not a word character);
- ``bytes``, ``bytearray``, ``memoryview`` (an Arrow binary column): decoded
  as UTF-8 (a leading byte-order mark dropped); bytes that are not UTF-8 (an
  image, Latin-1 text) are refused, as the encoding cannot be guessed safely;
- anything else (numbers, lists): refused, naming the type.
"""

from __future__ import annotations

import re

from ..compose._columns import Column, MediaTypeError, is_missing

_SURROGATE = re.compile("[\ud800-\udfff]")
_BYTES = (bytes, bytearray, memoryview)


def valid_text(text: str) -> str:
    """``text`` with surrogates repaired: pairs joined, lone ones replaced by U+FFFD."""
    if _SURROGATE.search(text) is None:
        return text
    # UTF-16 with surrogatepass turns a pair into the 4 bytes of its character; "replace" handles the rest.
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_text(value) -> str:
    """A text cell as a str (see the module's rules).

    Raises
    ------
    MediaTypeError
        For a value that is not text, or bytes that are not UTF-8.
    """
    if isinstance(value, str):
        return valid_text(str.__str__(value))  # a str subclass as a plain str, its own __str__ not run
    if isinstance(value, _BYTES):
        try:
            return valid_text(bytes(value).decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise MediaTypeError(
                f"expected a string, got {len(bytes(value)):,} bytes that are not UTF-8 text ({exc.reason} at "
                f"byte {exc.start}; an image or another encoding?): decode them first, e.g. "
                "value.decode('latin-1')"
            ) from None
    raise MediaTypeError(f"expected a string, got {type(value).__name__} {_short(value)}")


def column_texts(X, owner: str) -> list:
    """Every cell of the text column ``X`` as a str (:func:`as_text`); a missing or non-text cell is an error.

    For readers with no way to mark a row absent (the baselines' TF-IDF).

    Raises
    ------
    ValueError, TypeError
        Naming the column and the row.
    """
    column = Column(X, owner)
    texts = []
    for i, value in enumerate(column.values):
        if is_missing(value):
            raise ValueError(f"{column.where(i)}: text is missing (None/NaN); fill it (e.g. with '') or drop the row.")
        try:
            texts.append(as_text(value))
        except MediaTypeError as exc:
            raise TypeError(f"{column.where(i)}: {exc}") from None
    return texts
