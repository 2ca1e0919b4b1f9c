"""The output of ModalityTransformer: one array per modality, sliced by row."""

from __future__ import annotations

import numpy as np


class ModalityDict(dict):
    """A dict of modality name -> array whose rows can be indexed together.

    Indexing with a string returns that modality's array, as a dict does.
    Indexing with rows (an int array, a boolean mask, a slice or a list)
    returns a new ``ModalityDict`` with those rows of every array, so
    scikit-learn's cross-validation and skorch can split it like one array.
    ``shape`` is ``(n_samples,)`` for ``sklearn.utils._num_samples``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDict
    >>> d = ModalityDict(a=np.zeros((4, 2)), b=np.arange(4))
    >>> d.shape, d[[0, 3]]["b"]
    ((4,), array([0, 3]))
    """

    @property
    def shape(self):
        lengths = {value.shape[0] if hasattr(value, 'shape') else len(value) for value in self.values()}
        if len(lengths) > 1:
            raise ValueError(
                "modalities have different numbers of rows: "
                + ", ".join(f"{name}: {getattr(value, 'shape', [len(value)])[0]}" for name, value in self.items())
            )
        return (lengths.pop() if lengths else 0,)

    def __getitem__(self, key):
        if isinstance(key, str):
            return dict.__getitem__(self, key)
        if isinstance(key, tuple):
            # sklearn's _safe_indexing asks for X[rows, ...].
            rows = key[0]
        else:
            rows = key
        if isinstance(rows, list):
            rows = np.asarray(rows)
        return ModalityDict({name: value[rows] for name, value in self.items()})

    def __repr__(self):
        parts = ", ".join(
            f"{name}: {getattr(value, 'dtype', type(value).__name__)}{tuple(getattr(value, 'shape', ()))}"
            for name, value in self.items()
        )
        return f"ModalityDict({parts})"

    def __reduce__(self):
        return (ModalityDict, (dict(self),))
