"""A dataset that decodes its rows batch by batch, for frames larger than memory."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..preprocessing.decode_cache import decode_cache
from .batches import take_target, with_rows
from .buckets import step_axes
from .inputs import as_modalities
from .kinds import check_matches
from .tensors import to_tensors


class LazyModalityDataset(Dataset):
    """Rows of a DataFrame of media paths, preprocessed when a batch is fetched.

    Only the frame (paths and text) stays in memory; each batch is decoded,
    transformed by the fitted preprocessor and turned into tensors when the
    DataLoader asks for it (in its worker processes with ``num_workers``),
    so memory does not grow with the number of rows. The decode cache is
    bypassed: a lazily read data set is read once per epoch by design.

    Parameters
    ----------
    frame : DataFrame
        The raw rows.
    preprocessor : fitted transformer
        Returns a dict of modality arrays (a fitted ModalityTransformer).
    infos : dict
        The ModalityInfo of each modality, from ``fit``.
    y : Tensor or None
        Encoded targets.
    """

    def __init__(self, frame, preprocessor, infos, y=None):
        self.frame = frame
        self.preprocessor = preprocessor
        self.infos = infos
        self.y = y
        self.step_axes = step_axes(infos)

    def __len__(self):
        return len(self.frame)

    def __getitems__(self, indices):
        index = np.asarray(indices, dtype=np.int64)
        with decode_cache.paused():
            data = as_modalities(self.preprocessor.transform(self.frame.iloc[index]))
        check_matches(data, self.infos)
        # Indexing every row turns sparse modalities' SparseRows into tensors.
        everything = torch.arange(len(index))
        tensors = {
            name: {key: part[everything] for key, part in parts.items()}
            for name, parts in to_tensors(data, self.infos).items()
        }
        with_rows(tensors, index)
        return tensors, take_target(self.y, torch.as_tensor(index))

    def __getitem__(self, i):
        return self.__getitems__([i])
