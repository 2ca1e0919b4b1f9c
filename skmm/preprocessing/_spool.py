"""The spool file a decoding worker process hands its chunk's results back in, and memory shared with workers.

A chunk's results (per row ``(ok, result or error)``; a result is an array or
a tuple of arrays, or None) are written by the worker to one file in memory
(``/dev/shm`` when it has room): a pickled header, then the arrays raw, in
aligned blocks; the parent maps the file and views the blocks.
"""

from __future__ import annotations

import math
import mmap
import os
import pickle
import tempfile

import numpy as np

from ..utils.bounded import open_bounded

_HEADER = 8  # bytes: length of a chunk file's pickled header
_ALIGN = 64  # bytes: each block of arrays in a chunk file starts at a multiple of this


def as_parts(out):
    """A row's result as a tuple: the result itself, or its members if it is a tuple."""
    return out if isinstance(out, tuple) else (out,)


def arrays(out):
    """The arrays a row's result holds."""
    return [a for a in as_parts(out) if isinstance(a, np.ndarray)]


def write(done, path):
    """Write a chunk's results to ``path``: a pickled header, then the arrays, raw.

    A row's result is an array or a tuple of arrays (or None). Arrays of the
    same place in the tuple, shape and dtype are written back to back as one
    block, read back as one array whose rows the results view; the header
    holds the rest of the results and, per block, (place, shape, dtype, offset,
    rows). Arrays through a pipe cost more CPU than decoding them (64 KiB at a
    time, pickled on both sides); a file in memory (/dev/shm) is written and
    read at once, and a few blocks cost the reader far less than many arrays.
    """
    groups = {}
    for i, (ok, out) in enumerate(done):
        if not ok:
            try:
                pickle.dumps(out)
            except Exception:  # noqa: BLE001 - an error that cannot travel back is sent as its text
                done[i] = (False, RuntimeError(f"{type(out).__name__}: {out}"))
            continue
        parts = list(as_parts(out))
        for slot, part in enumerate(parts):
            if isinstance(part, np.ndarray) and not part.dtype.hasobject:
                groups.setdefault((slot, part.shape, part.dtype.str), []).append((i, part))
                parts[slot] = None
        done[i] = (True, tuple(parts) if isinstance(out, tuple) else parts[0])
    blocks, offset = [], 0
    for (slot, shape, dtype), members in groups.items():
        offset += -offset % _ALIGN
        blocks.append((slot, shape, dtype, offset, [i for i, _ in members]))
        offset += sum(part.nbytes for _, part in members)
    header = pickle.dumps((done, blocks))
    header += b"\0" * (-(_HEADER + len(header)) % _ALIGN)  # blocks start aligned
    with open(path + ".part", "wb") as f:
        f.write(len(header).to_bytes(_HEADER, "little"))
        f.write(header)
        written = 0
        for (_, members), (*_, at, _) in zip(groups.items(), blocks):
            f.write(b"\0" * (at - written))
            for _, part in members:
                f.write(np.ascontiguousarray(part).data)
            written = at + sum(part.nbytes for _, part in members)
    os.replace(path + ".part", path)


def read(path):
    """A chunk's results read back from :func:`write`'s file, which is then removed.

    The blocks are mapped, not copied (private: they stay writeable), with
    their pages mapped at once rather than one fault at a time.
    """
    # Bounded as every file skmm reads: a regular file within the "data" cap, its header within it.
    with open_bounded(path, "data", "decode spool") as f:
        total = os.fstat(f.fileno()).st_size
        size = int.from_bytes(f.read(_HEADER), "little")
        if size > total - _HEADER:
            raise RuntimeError(f"the decode spool file {path!r} is damaged (a header of {size} bytes)")
        done, blocks = pickle.loads(f.read(size))  # noqa: S301 - written by our own worker just now
        base = _HEADER + size
        data = None
        if total > base:
            data = mmap.mmap(
                f.fileno(), total, flags=mmap.MAP_PRIVATE | getattr(mmap, "MAP_POPULATE", 0),
                prot=mmap.PROT_READ | mmap.PROT_WRITE,
            )
    os.unlink(path)  # the mapping keeps the data; nothing is left to clean up
    for slot, shape, dtype, offset, rows in blocks:
        count = len(rows) * math.prod(shape)
        block = (np.frombuffer(data, dtype, count, base + offset) if count else np.empty(0, dtype)).reshape(
            len(rows), *shape
        )
        for row, array in zip(rows, block):
            ok, out = done[row]
            if isinstance(out, tuple):
                parts = list(out)
                parts[slot] = array
                done[row] = (ok, tuple(parts))
            else:
                done[row] = (ok, array)
    return done


def spool_dir(nbytes):
    """A folder with room for ``nbytes`` of results, in memory if possible; None if none has."""
    for folder in ("/dev/shm", tempfile.gettempdir()):  # Docker's /dev/shm is 64 MB unless raised
        try:
            info = os.statvfs(folder)
        except OSError:
            continue
        if info.f_bavail * info.f_frsize > nbytes:
            return folder
    return None


def shared_empty(shape, dtype):
    """An uninitialised array in memory shared with processes forked later (they write rows into it)."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if not nbytes:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype).reshape(shape)
