"""A content-keyed, size-bounded cache of decoded media files.

Grid search refits the preprocessing for every candidate and fold, and
``predict`` after ``fit`` reads the same files again. Decoding (PNG/JPEG
inflation, audio reading and resampling) is the slow part of that work, and
its result depends only on the file and the decode settings. So decoded
images and waveforms are kept here, keyed by (absolute path, modification
time, size, decoder, settings): an edited file is decoded anew, and
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

from ..utils.cache import DecodeCache

__all__ = ["DecodeCache", "decode_cache"]


#: The process-wide cache the preprocessors use.
decode_cache = DecodeCache(int(float(os.environ.get("SKMM_DECODE_CACHE_MB", "1024")) * 2**20))
