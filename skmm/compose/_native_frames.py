"""Frames that are not pandas (polars, pyarrow, any Arrow or narwhals frame) as pandas, media not copied.

skmm reads columns from a pandas DataFrame. A polars DataFrame, a pyarrow
Table or RecordBatch, or any frame that exports the Arrow PyCapsule stream
(``__arrow_c_stream__``) or that narwhals (scikit-learn's own dataframe
layer) takes, is turned into one here, column by column, through Arrow:

- numbers, booleans, strings, dates, categoricals: Arrow's own conversion
  (numbers without nulls are not copied);
- binary columns (``Binary``, ``binary_view``, ``large_binary``: encoded
  images, audio, video): a ``memoryview`` per cell onto Arrow's buffer, not
  a copy;
- list and fixed-size list columns (waveforms, pixel arrays): a numpy array
  per cell, a view onto Arrow's values where they are numbers without nulls;
- struct columns (Hugging Face's ``{"bytes", "path"}``): a dict per cell, its
  fields converted by the same rules;
- polars ``Object`` columns (PIL images, arrays): the very objects.

The result has a RangeIndex: errors name rows by position, as polars does.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

__all__ = ["to_pandas"]


def _is_type(name, t):
    """``pyarrow.types.is_<name>(t)``, False where this pyarrow predates that type (views: pyarrow 16)."""
    import pyarrow as pa

    test = getattr(pa.types, f"is_{name}", None)
    return test is not None and test(t)


def _polars():
    return sys.modules.get("polars")


def _is_polars(X):
    pl = _polars()
    return pl is not None and isinstance(X, (pl.DataFrame, pl.Series))


def _is_arrow(X):
    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(X, (pa.Table, pa.RecordBatch, pa.Array, pa.ChunkedArray))


def _object_array(cells):
    out = np.empty(len(cells), dtype=object)
    out[:] = cells if not isinstance(cells, np.ndarray) or cells.dtype == object else list(cells)
    return out


# -- one Arrow array -> cells ---------------------------------------------------
def _binary_cells(arr):
    """memoryviews onto the buffers of a binary array (any layout), None for nulls."""
    import pyarrow as pa

    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    t = arr.type
    if _is_type("binary_view", t):
        _, views, *data = arr.buffers()
        raw = np.frombuffer(views, dtype=np.int32).reshape(-1, 4)[arr.offset: arr.offset + len(arr)]
        view_bytes = memoryview(views)
        buffers = [memoryview(b) if b is not None else None for b in data]
        cells = []
        for i, (length, _prefix, index, offset) in enumerate(raw.tolist()):
            if not valid[i]:
                cells.append(None)
            elif length <= 12:  # held inline, after the length
                start = (arr.offset + i) * 16 + 4
                cells.append(view_bytes[start: start + length])
            else:
                cells.append(buffers[index][offset: offset + length])
        return cells
    if pa.types.is_fixed_size_binary(t):
        data = memoryview(arr.buffers()[1])
        width = t.byte_width
        return [data[(arr.offset + i) * width: (arr.offset + i + 1) * width] if valid[i] else None
                for i in range(len(arr))]
    wide = pa.types.is_large_binary(t)
    _, offsets, data = arr.buffers()
    positions = np.frombuffer(offsets, dtype=np.int64 if wide else np.int32)[arr.offset: arr.offset + len(arr) + 1]
    data = memoryview(data) if data is not None else memoryview(b"")
    return [data[int(a): int(b)] if ok else None for a, b, ok in zip(positions[:-1], positions[1:], valid)]


def _is_binary(t):
    import pyarrow as pa

    return (pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
            or _is_type("binary_view", t))


def _numeric(t):
    import pyarrow as pa

    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


def _flat_values(values):
    """A list's child values: one numpy array for numbers (a view without nulls), else a list of cells."""
    if _numeric(values.type):
        return values.to_numpy(zero_copy_only=False)
    return _cells(values)


def _list_cells(arr):
    import pyarrow as pa

    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    t = arr.type
    if pa.types.is_fixed_size_list(t):
        dims, inner = [], arr
        while pa.types.is_fixed_size_list(inner.type) and inner.null_count == 0:
            dims.append(inner.type.list_size)
            inner = inner.flatten()
        if not pa.types.is_fixed_size_list(inner.type) and _numeric(inner.type) and arr.null_count == 0:
            return list(inner.to_numpy(zero_copy_only=False).reshape(len(arr), *dims))
        return [None if not ok else np.asarray(arr[i].as_py()) for i, ok in enumerate(valid)]
    offsets = arr.offsets.to_numpy(zero_copy_only=False)
    flat = _flat_values(arr.values)
    cells = []
    for i, ok in enumerate(valid):
        if not ok:
            cells.append(None)
            continue
        part = flat[int(offsets[i]): int(offsets[i + 1])]
        cells.append(part if isinstance(part, np.ndarray) else _stacked(part))
    return cells


def _stacked(rows):
    """A list of nested rows (arrays) as one array when they stack, else as they are."""
    try:
        return np.stack(rows) if rows else np.empty(0)
    except (ValueError, TypeError):
        return _object_array(rows)


def _struct_cells(arr):
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    names = [arr.type.field(i).name for i in range(arr.type.num_fields)]
    fields = [_cells(arr.field(i)) for i in range(len(names))]
    return [dict(zip(names, values)) if ok else None for ok, *values in zip(valid, *fields)]


def _cells(arr):
    """The cells of one Arrow array, as skmm's readers take them."""
    import pyarrow as pa

    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if _is_binary(t):
        return _binary_cells(arr)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _list_cells(arr)
    if _is_type("list_view", t) or _is_type("large_list_view", t):
        return _list_cells(arr.cast(pa.large_list(t.value_type)))
    if pa.types.is_struct(t):
        return _struct_cells(arr)
    return arr.to_pylist()


def _series(chunked, name):
    """One Arrow column (chunked) as a pandas Series."""
    import pyarrow as pa

    t = chunked.type
    if _is_binary(t) or pa.types.is_nested(t):
        cells = [cell for chunk in chunked.chunks for cell in _cells(chunk)]
        return pd.Series(_object_array(cells), name=name, copy=False)
    return pd.Series(chunked.to_pandas(), name=name, copy=False)


# -- frames -----------------------------------------------------------------------
def _polars_columns(X):
    """(name, pandas Series) of a polars DataFrame: Object columns as their objects, the rest through Arrow."""
    import pyarrow as pa

    pl = _polars()
    for series in X.iter_columns():
        if series.dtype == pl.Object:
            yield series.name, pd.Series(_object_array(series.to_list()), name=series.name, copy=False)
        else:
            yield series.name, _series(pa.chunked_array(series), series.name)


def _arrow_table(X):
    """``X`` as a pyarrow Table (Arrow stream, pyarrow data or a narwhals frame), or None."""
    import pyarrow as pa

    if isinstance(X, pa.RecordBatch):
        return pa.Table.from_batches([X])
    if isinstance(X, pa.Table):
        return X
    if hasattr(X, "__arrow_c_stream__"):
        return pa.table(X)
    try:
        import narwhals.stable.v2 as nw
    except ImportError:  # pragma: no cover - narwhals comes with scikit-learn >= 1.7
        return None
    frame = nw.from_native(X, eager_only=True, pass_through=True)
    return frame.to_arrow() if isinstance(frame, nw.DataFrame) else None


def _need_pyarrow(X):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ImportError(
            f"reading a {type(X).__module__}.{type(X).__name__} needs pyarrow: pip install pyarrow "
            "(or pass a pandas DataFrame)."
        ) from None


def to_pandas(X):
    """``X`` as a pandas DataFrame (or Series, for a one-column series) if it is another frame; else ``X``.

    pandas objects, dicts, arrays and ModalityDicts come back as they are.
    """
    if isinstance(X, (pd.DataFrame, pd.Series, dict, np.ndarray, list, tuple)) or X is None:
        return X
    pl = _polars()
    if pl is not None and isinstance(X, pl.Series):
        _need_pyarrow(X)
        return to_pandas(X.to_frame()).iloc[:, 0]
    if _is_arrow(X) and not hasattr(X, "num_columns"):  # an Array or ChunkedArray: one column
        import pyarrow as pa

        chunked = X if isinstance(X, pa.ChunkedArray) else pa.chunked_array([X])
        return _series(chunked, None)
    if pl is not None and isinstance(X, pl.DataFrame):
        _need_pyarrow(X)
        columns = list(_polars_columns(X))
    elif _is_arrow(X) or hasattr(X, "__arrow_c_stream__") or _narwhals_frame(X):
        _need_pyarrow(X)
        table = _arrow_table(X)
        if table is None:
            return X
        columns = [(name, _series(table.column(i), name)) for i, name in enumerate(table.column_names)]
    else:
        return X
    frame = pd.concat([s for _, s in columns], axis=1) if columns else pd.DataFrame()
    frame.columns = [name for name, _ in columns]  # duplicated names stay duplicated: refused later, named
    return frame


def _narwhals_frame(X):
    """Whether narwhals takes ``X`` as an eager frame (modin, cuDF...), without converting it."""
    if type(X).__module__.split(".")[0] in ("builtins", "numpy", "scipy", "torch", "skmm"):
        return False
    try:
        import narwhals.stable.v2 as nw
    except ImportError:  # pragma: no cover
        return False
    return isinstance(nw.from_native(X, eager_only=True, pass_through=True), nw.DataFrame)
