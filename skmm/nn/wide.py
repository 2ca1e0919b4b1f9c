"""The wide part: sparse classical features (TF-IDF, one-hot) into the net, never densified."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn


def as_csr(value, what):
    """A scipy sparse matrix or array of any format -> float32 CSR, checked for NaN/inf."""
    csr = sp.csr_matrix(value, dtype=np.float32)
    if not np.isfinite(csr.data).all():
        row = int(np.searchsorted(csr.indptr, np.flatnonzero(~np.isfinite(csr.data))[0], side="right") - 1)
        raise ValueError(f"{what}, row {row}: holds NaN or infinite values.")
    return csr


class SparseRows:
    """Rows of a CSR matrix, indexed a batch at a time into a torch sparse COO tensor.

    Stands in a :class:`~skmm.nn.inputs.ModalityDataset` where the other
    modalities hold tensors: ``rows[index]`` takes the batch's rows, so only
    a batch's non-zeros are ever copied, and nothing is densified.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> import torch
    >>> from skmm.nn.wide import SparseRows
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


class SparseLinearEncoder(nn.Module):
    """A linear layer over sparse features: ``x @ W + b`` with ``x`` a torch sparse tensor.

    Holds what a linear model on the same features holds (the head on top
    can reproduce a logistic regression's scores), and costs time per
    non-zero, not per feature.

    Parameters
    ----------
    in_features, out_features : int
    input_dropout : float, default=0.0
        In training, zero each non-zero input with this probability (and
        scale the rest up).
    lr, momentum : float, default=1.0, 0.9
        Of the SGD that trains this layer (the estimator's optimizer trains
        the rest of the network).

    Attributes
    ----------
    output_dim, step_dim : int
        ``out_features``; ``encode_steps`` gives the output as one step.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn.wide import SparseLinearEncoder
    >>> x = torch.sparse_coo_tensor(torch.tensor([[0, 1], [3, 0]]), torch.tensor([1.0, 2.0]), (2, 5))
    >>> encoder = SparseLinearEncoder(5, 4)
    >>> encoder(x).shape
    torch.Size([2, 4])
    """

    def __init__(self, in_features, out_features, *, input_dropout=0.0, lr=1.0, momentum=0.9):
        super().__init__()
        self.input_dropout = input_dropout
        # Read by ModalityNet, which trains these weights with SGD (see Wide).
        self.lr = lr
        self.momentum = momentum
        # Zeros, as a linear model starts: random weights on thousands of
        # rare features would add noise that training rarely removes.
        self.weight = nn.Parameter(torch.zeros(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.output_dim = out_features
        self.step_dim = out_features

    def forward(self, x, lengths=None):
        if not x.is_sparse:
            raise TypeError("SparseLinearEncoder takes a torch sparse COO tensor.")
        if self.training and self.input_dropout:
            # Dropout on the non-zeros: for a linear model, an adaptive L2
            # penalty (Wager et al., 2013) that keeps it from memorising rare features.
            x = x.coalesce()
            keep = torch.rand(x.values().shape, device=x.device) >= self.input_dropout
            x = torch.sparse_coo_tensor(
                x.indices(), x.values() * keep / (1 - self.input_dropout), x.shape,
                is_coalesced=True, check_invariants=False,
            )
        return torch.sparse.mm(x, self.weight) + self.bias

    def encode_steps(self, x, lengths=None):
        """The output as one step: ``(n, 1, step_dim)``, all real."""
        states = self.forward(x).unsqueeze(1)
        return states, torch.ones(states.shape[:2], dtype=torch.bool, device=states.device)
