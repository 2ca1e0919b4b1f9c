"""A content-keyed, size-bounded cache of decoded media files.

Grid search refits the preprocessing for every candidate and fold, and
``predict`` after ``fit`` reads the same files again. Decoding (PNG/JPEG
inflation, audio reading and resampling) is the slow part of that work, and
its result depends only on the file and the decode settings. So decoded
images and waveforms are kept here, keyed by (absolute path, modification
time, size, decoder, settings), or for encoded bytes in a cell (a binary
column's PNG) by their SHA-256 instead of the path: an edited file is decoded anew, and
candidates that differ in later steps (resizing, mel bands, vocabulary)
share the decoding.

The cache is per process (``GridSearchCV(n_jobs=2)`` workers each have
theirs) and bounded by ``max_bytes`` (least recently used entries go
first). Set ``decode_cache.max_bytes = 0``, or the environment variable
``SKMM_DECODE_CACHE_MB=0``, to turn it off.

Examples
--------
>>> from skmm.preprocessing import decode_cache
>>> decode_cache.clear()
>>> decode_cache.stats()
{'decodes': 0, 'hits': 0, 'entries': 0, 'bytes': 0}
"""

from __future__ import annotations

import os

from ..utils import cache as _cache
from ._media_cells import identity

__all__ = ["DecodeCache", "decode_cache"]


class DecodeCache(_cache.DecodeCache):
    """:class:`skmm.utils.cache.DecodeCache` that knows media cells: files by path, encoded bytes by content.

    Parameters
    ----------
    max_bytes : int
        Budget for the cached arrays; 0 disables caching.
    identity : callable, optional
        What a value is keyed by; default: a file's (path, modification
        time, size), encoded bytes' (``"sha256"``, digest, size).

    Examples
    --------
    >>> from skmm.preprocessing.decode_cache import DecodeCache
    >>> cache = DecodeCache(max_bytes=10_000)
    >>> cache.key(b"not an image", len)[0]
    'sha256'
    """

    def __init__(self, max_bytes, identity=identity):
        super().__init__(max_bytes, identity=identity)


#: The process-wide cache the preprocessors use.
decode_cache = DecodeCache(int(float(os.environ.get("SKMM_DECODE_CACHE_MB", "1024")) * 2**20))
