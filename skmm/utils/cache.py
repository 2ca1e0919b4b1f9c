"""The least-recently-used store of decoded arrays, bounded in bytes (one class, two caches).

The media decoders keep decoded files in :data:`skmm.preprocessing.decode_cache`;
frozen pretrained networks keep their outputs per input row in
``skmm.pretrained.feature_cache``. Both are instances of :class:`DecodeCache`,
which lives here, below both of them.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from contextlib import contextmanager


class DecodeCache:
    """Least-recently-used cache of decoded media files, bounded in bytes.

    Parameters
    ----------
    max_bytes : int
        Budget for the cached arrays; 0 disables caching.
    identity : callable, optional
        ``identity(value)`` -> a hashable tuple naming what ``value`` holds,
        or None when it is not kept. Default: a file path's (absolute path,
        modification time, size).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.preprocessing.decode_cache import DecodeCache
    >>> cache = DecodeCache(max_bytes=10_000)
    >>> cache.get(np.zeros(3), lambda v: v + 1).tolist()  # not a path: decoded, not kept
    [1.0, 1.0, 1.0]
    >>> cache.stats()["entries"]
    0
    """

    def __init__(self, max_bytes, identity=None):
        self.max_bytes = max_bytes
        # What a value is keyed by; the media layer passes one that also knows encoded bytes in a cell.
        self.identity = identity if identity is not None else path_identity
        # Pausing is per thread: a fit pausing it in one thread must not
        # turn it off (or back on) for a fit in another.
        self._local = threading.local()
        # Preprocessors decode rows in threads: guard the store, not the decoding.
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        """Drop every entry and reset the counters."""
        self._store = OrderedDict()
        self._bytes = 0
        self.decodes = 0
        self.hits = 0

    @contextmanager
    def paused(self):
        """Decode without reading or filling the cache inside this block."""
        depth = getattr(self._local, "paused", 0)
        self._local.paused = depth + 1
        try:
            yield
        finally:
            self._local.paused = depth

    def is_paused(self):
        """Whether this thread is inside a :meth:`paused` block."""
        return bool(getattr(self._local, "paused", 0))

    def stats(self):
        """Counters: decoder calls, cache hits, entries kept, bytes kept."""
        return {"decodes": self.decodes, "hits": self.hits, "entries": len(self._store), "bytes": self._bytes}

    def get(self, value, decode, *settings):
        """``decode(value, *settings)``, from the cache when ``value`` is a file path.

        Cached arrays are shared and read-only: callers copy before writing.
        """
        key = self.key(value, decode, settings)
        cached = self.lookup(key)
        if cached is not None:
            return cached
        return self.store(key, decode(value, *settings))

    def lookup(self, key, hit=False, count_miss=True):
        """The array cached under ``key``, or None: a decode to :meth:`store`.

        ``key`` comes from :meth:`key`, or is any other content key sharing
        the store (e.g. a frozen network's outputs keyed by its input rows,
        ``skmm.pretrained.feature_cache``). ``hit=True`` counts a value decoded once
        for several rows as a hit; ``count_miss=False`` leaves the counting
        of a miss to :meth:`count_decodes`.
        """
        with self._lock:
            cached = None if key is None else self._store.get(key)
            if cached is not None or hit:
                if cached is not None:
                    self._store.move_to_end(key)
                self.hits += 1
                return cached
            if count_miss:
                self.decodes += 1
        return None

    def store(self, key, decoded):
        """Keep ``decoded`` under ``key`` (from :meth:`lookup`) if it fits; return what callers should use."""
        if key is not None and decoded.nbytes <= self.max_bytes:
            decoded.flags.writeable = False
            with self._lock:
                if key not in self._store:  # another thread may have decoded it meanwhile
                    self._store[key] = decoded
                    self._bytes += decoded.nbytes
                while self._bytes > self.max_bytes:
                    _, old = self._store.popitem(last=False)
                    self._bytes -= old.nbytes
        return decoded

    def count_decodes(self, n):
        """Count ``n`` values decoded (or computed) for :meth:`stats`."""
        with self._lock:
            self.decodes += n

    def key(self, value, decode, settings=()):
        """Cache key of ``decode(value, *settings)``; None when it is not kept (decoded data, cache off or paused)."""
        if self.max_bytes <= 0 or self.is_paused():
            return None
        found = self.identity(value)
        if found is None:
            return None  # decoded data, or a file the decoder will report
        return (*found, decode.__module__, decode.__qualname__, settings)


def path_identity(value):
    """(absolute path, modification time, size) of a file path; None for anything else or a file not there."""
    if not isinstance(value, (str, os.PathLike)):
        return None
    path = os.path.abspath(os.fspath(value))
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None  # let the decoder report the missing file
    return (path, stat.st_mtime_ns, stat.st_size)
