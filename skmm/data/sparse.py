"""Sparse modalities as data: float32 CSR checked for NaN, batched as torch sparse tensors."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch


def as_csr(value, what):
    """A scipy sparse matrix or array of any format -> float32 CSR, checked for NaN/inf."""
    csr = sp.csr_matrix(value, dtype=np.float32)
    if not np.isfinite(csr.data).all():
        row = int(np.searchsorted(csr.indptr, np.flatnonzero(~np.isfinite(csr.data))[0], side="right") - 1)
        raise ValueError(f"{what}, row {row}: holds NaN or infinite values.")
    return csr


class SparseRows:
    """Rows of a CSR matrix, indexed a batch at a time into a torch sparse COO tensor.

    Stands in a :class:`~skmm.data.inputs.ModalityDataset` where the other
    modalities hold tensors: ``rows[index]`` takes the batch's rows, so only
    a batch's non-zeros are ever copied, and nothing is densified.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from skmm.data.sparse import SparseRows
    >>> rows = SparseRows(sp.csr_matrix([[0, 2.0], [1.0, 0], [0, 0]]))
    >>> len(rows), rows.shape
    (3, (3, 2))
    >>> batch = rows[torch.tensor([1, 0])]
    >>> batch.is_sparse, batch.to_dense().tolist()
    (True, [[1.0, 0.0], [0.0, 2.0]])
    """

    def __init__(self, csr):
        self.csr = csr
        self.shape = csr.shape

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, torch.Tensor):
            index = index.numpy()
        coo = self.csr[index].tocoo()
        indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
        return torch.sparse_coo_tensor(
            indices, torch.from_numpy(coo.data), coo.shape, is_coalesced=True, check_invariants=False
        )
