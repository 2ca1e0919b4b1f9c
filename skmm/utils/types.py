"""Names for what the public API's parameters take, read by its annotations.

Each name stands for the union the code really accepts, so a signature says
``X: ColumnLike`` once instead of repeating the union. Where that union holds
objects of optional libraries (polars, pyarrow, narwhals) or of the user's
own making (a transformer with ``fit``/``transform``), a type checker sees
``Any``: naming a narrower type would refuse input that works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias, Union

import numpy as np
import pandas as pd

#: One input column: a pandas Series, a one-column DataFrame, a 1-D array or a
#: list (None, NaN or pandas' NA marks a missing value).
ColumnLike: TypeAlias = Union[pd.Series, pd.DataFrame, np.ndarray, Sequence[Any]]

#: A table of columns: a pandas DataFrame; a polars DataFrame, pyarrow Table,
#: Arrow stream or narwhals frame (read through pyarrow); or a mapping of
#: column name -> values.
FrameLike: TypeAlias = Any

#: What an estimator's ``fit`` and ``predict`` take: with a ``preprocessor``,
#: what it takes (a :data:`FrameLike` for a ModalityTransformer); without one,
#: a ModalityDict, a dict of arrays, an array or a sparse matrix.
ModalityInput: TypeAlias = Any

#: A scikit-learn transformer or estimator: any object with ``fit`` (and
#: ``transform`` or ``predict``), as scikit-learn duck-types them.
Estimator: TypeAlias = Any

#: One number per sample (``sample_weight``): an array, a Series or a list.
SampleWeight: TypeAlias = Union[np.ndarray, pd.Series, Sequence[float]]
