import numpy as np
import pytest
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples

from skmm import ModalityDict


def _dict():
    return ModalityDict(a=np.arange(10).reshape(5, 2), b=np.arange(5) * 10)


def test_string_key_returns_the_array():
    d = _dict()
    assert d["b"].tolist() == [0, 10, 20, 30, 40]
    assert sorted(d) == ["a", "b"]


@pytest.mark.parametrize("rows", [np.array([4, 0]), [4, 0]])
def test_row_indexing_slices_every_modality(rows):
    out = _dict()[rows]
    assert isinstance(out, ModalityDict)
    assert out["b"].tolist() == [40, 0]
    assert out["a"].tolist() == [[8, 9], [0, 1]]


def test_boolean_mask_and_slice():
    d = _dict()
    assert d[np.array([True, False, False, False, True])]["b"].tolist() == [0, 40]
    assert d[1:3]["b"].tolist() == [10, 20]


def test_sklearn_counts_and_indexes_rows():
    d = _dict()
    assert _num_samples(d) == 5
    out = _safe_indexing(d, np.array([1, 3]))
    assert out["b"].tolist() == [10, 30]
    assert out["a"].tolist() == [[2, 3], [6, 7]]


def test_mismatched_rows_are_reported():
    d = ModalityDict(a=np.zeros(3), b=np.zeros(4))
    with pytest.raises(ValueError, match="a: 3, b: 4"):
        d.shape


def test_pickles_as_modality_dict():
    import pickle

    out = pickle.loads(pickle.dumps(_dict()))
    assert isinstance(out, ModalityDict) and out.shape == (5,)
