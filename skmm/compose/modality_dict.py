"""The output of ModalityTransformer: one array per modality, sliced by row, with what each array is."""

from __future__ import annotations

from typing import Any

import numpy as np


class ModalityDict(dict):
    """A dict of modality name -> array whose rows can be indexed together.

    Indexing with a string returns that modality's array, as a dict does.
    Indexing with rows (an int array, a boolean mask, a slice or a list)
    returns a new ``ModalityDict`` with those rows of every array, so
    scikit-learn's cross-validation and skorch can split it like one array.
    ``shape`` is ``(n_samples,)`` for ``sklearn.utils._num_samples``.

    Parameters
    ----------
    *args : mapping or iterable of (name, array) pairs
        As for ``dict``. A ``ModalityDict`` given as the one positional
        argument passes on its ``present`` and ``kinds``.
    **kwargs : array
        Modalities by name, as for ``dict``.

    Attributes
    ----------
    present : dict of str -> ndarray of bool, shape (n_samples,)
        Which samples have the modality: the one definition of absence
        (see :ref:`absence`), filled by :class:`~skmm.ModalityTransformer`
        from what its transformers report. A name not in ``present`` has
        its absence read off its array (an all-NaN row, a row without
        tokens), as for a plain dict of arrays.
    kinds : dict of str -> str
        How the network reads each array (``"tokens"``, ``"tokenized"``,
        ``"frames"``, ``"image"``, ``"video"``, ``"vector"``, ``"sparse"``),
        as its transformer declared it. A name not in ``kinds`` has its kind
        read off the array's dtype and shape.

    Row indexing, copying (``ModalityDict(other)``) and pickling keep both.
    Assigning a new array to a name forgets that name's ``present`` entry
    (its rows may have changed); set it again after the array.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import ModalityDict
    >>> d = ModalityDict(a=np.zeros((4, 2)), b=np.arange(4))
    >>> d.shape, d[[0, 3]]["b"]
    ((4,), array([0, 3]))
    >>> d.present["a"] = np.array([True, False, True, True])
    >>> d[[1, 2]].present["a"]
    array([False,  True])
    """

    present: dict[str, np.ndarray]
    kinds: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        source = args[0] if len(args) == 1 and isinstance(args[0], ModalityDict) else None
        self.present = {} if source is None else dict(source.present)
        self.kinds = {} if source is None else dict(source.kinds)

    @property
    def shape(self) -> tuple[int]:
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
        out = ModalityDict({name: value[rows] for name, value in self.items()})
        out.present = {name: np.asarray(mask)[rows] for name, mask in self.present.items() if name in self}
        out.kinds = dict(self.kinds)
        return out

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        # The old mask described the old rows.
        self.present.pop(key, None)

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        self.present.pop(key, None)
        self.kinds.pop(key, None)

    def __repr__(self):
        parts = ", ".join(
            f"{name}: {getattr(value, 'dtype', type(value).__name__)}{tuple(getattr(value, 'shape', ()))}"
            for name, value in self.items()
        )
        return f"ModalityDict({parts})"

    def __reduce__(self):
        return (ModalityDict, (dict(self),), {"present": self.present, "kinds": self.kinds})
