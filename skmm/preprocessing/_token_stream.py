"""A text's tokens one at a time, as scikit-learn's analyzer would list them.

``transform`` keeps only a row's first ``max_len`` tokens, so it need not
list the three million tokens of an 18 MB text (seconds and hundreds of MiB)
to keep 32: it draws them from this stream and stops. The stream yields what
:class:`~sklearn.feature_extraction.text.CountVectorizer`'s analyzer returns
for TextSequencer's settings (lower-casing, ``token_pattern`` words or
single characters with runs of white space made one space), in order; fit
still counts every token, with the analyzer itself.
"""

from __future__ import annotations

import re

_WHITE_SPACES = re.compile(r"\s\s+")  # CountVectorizer's, for its character analyzers


def token_stream(lowercase, analyzer, token_pattern):
    """``tokens(text)``: an iterator over the analyzer's tokens of ``text``."""
    if analyzer == "char":
        def characters(text):
            return iter(_WHITE_SPACES.sub(" ", text.lower() if lowercase else text))

        return characters
    pattern = re.compile(token_pattern)
    group = 1 if pattern.groups == 1 else 0  # findall returns the one group's text, as sklearn uses it

    def words(text):
        return (m.group(group) for m in pattern.finditer(text.lower() if lowercase else text))

    return words
