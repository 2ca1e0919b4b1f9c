"""MultimodalClassifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn.base import ClassifierMixin
from skorch.callbacks import EpochScoring
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._base import BaseMultimodal


def _valid_accuracy(net, dataset, y):
    return float((net.predict_proba(dataset).argmax(1) == np.asarray(y)).mean())


class MultimodalClassifier(ClassifierMixin, BaseMultimodal):
    """Neural network classifier over several modalities, trained with skorch.

    Each modality gets its own encoder, chosen by the kind of its array
    (token ids: embedding + GRU; images: CNN; frames: LSTM; vectors: MLP);
    the encoders' vectors are fused and a head gives class scores. The
    network is sized from the data seen in ``fit``.

    Parameters
    ----------
    preprocessor : transformer or None, default=None
        A :class:`~skmm.ModalityTransformer` (or any transformer returning a
        dict of arrays). When given, ``fit`` and ``predict`` take the raw
        DataFrame and the estimator fits a clone of it; otherwise put the
        transformer before the estimator in a Pipeline.
    encoders : dict or None, default=None
        Modality name -> encoder name (``"gru"``, ``"lstm"``, ``"rnn"``,
        ``"cnn"``, ``"mlp"``) or an :mod:`skmm.encoders` object. Modalities
        not named get the default for their kind.
    fusion : str or FusionSpec, default="concat"
        How modality vectors are combined (see :mod:`skmm.fusion`).
    hidden_size : int, default=64
        Width of encoders and head (unless an encoder object sets its own).
    dropout : float, default=0.1
        Dropout in encoders and head.
    max_epochs : int, default=10
        Passes over the training data.
    batch_size : int, default=64
        Samples per gradient step (and per prediction batch).
    lr : float, default=1e-3
        Learning rate.
    optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adam"
    weight_decay : float, default=0.0
        L2 penalty passed to the optimizer.
    validation_fraction : float or None, default=None
        Hold out this stratified fraction of the training data to report
        validation loss and accuracy each epoch.
    modality_dropout : float, default=0.0
        In training, hide each modality of each sample with this
        probability (keeping at least one), so the network learns to predict
        from any subset; pair with the preprocessors' ``on_missing="mask"``
        when samples may lack a modality at predict time.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (e.g. ``EarlyStopping``).
    checkpoint_dir : str, path or None, default=None
        Save weights, optimizer state and history there after every epoch.
        If it already holds a checkpoint, ``fit`` resumes from it and trains
        the remaining epochs (the history marks the first resumed epoch with
        ``resumed_from_epoch``); delete the folder to start over.
    device : str, default="cpu"
        Torch device to train on.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation
        split. With an int, fits on the CPU repeat exactly.
    verbose : int, default=1
        0 is silent; 1 prints skorch's table of losses per epoch.

    Attributes
    ----------
    classes_ : ndarray
        Class labels.
    modalities_ : dict
        Modality name -> :class:`~skmm.nn.inputs.ModalityInfo` seen in fit.
    net_ : skorch.NeuralNet
        The trained skorch net; its ``module_`` is the torch network.
    history_ : skorch.History
        Losses per epoch.
    preprocessor_ : transformer
        The fitted clone of ``preprocessor`` (when given).

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import MultimodalClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.normal(size=(60, 3)).astype("float32"), "b": rng.normal(size=(60, 2)).astype("float32")}
    >>> y = (X["a"][:, 0] + X["b"][:, 0] > 0).astype(int)
    >>> clf = MultimodalClassifier(max_epochs=30, random_state=0, verbose=0).fit(X, y)
    >>> clf.predict_proba(X).shape
    (60, 2)
    >>> clf.score(X, y) > 0.8
    True
    """

    _stratify = True

    def _criterion(self):
        return torch.nn.CrossEntropyLoss

    def _valid_callbacks(self):
        return [("valid_acc", EpochScoring(_valid_accuracy, name="valid_acc", lower_is_better=False))]

    def _encode_target(self, y):
        if isinstance(y, pd.DataFrame) and y.shape[1] != 1:
            raise ValueError(
                f"{type(self).__name__} takes one target column; got y of shape {y.shape}."
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise ValueError(f"{type(self).__name__} takes one target column; got y of shape {y.shape}.")
        check_classification_targets(y)
        if pd.isna(y).any():
            raise ValueError(f"y holds missing labels (row {int(np.flatnonzero(pd.isna(y))[0])}).")
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has a single class ({self.classes_[0]!r}); a classifier needs at least 2 classes."
            )
        return torch.as_tensor(encoded, dtype=torch.int64), len(self.classes_)

    def _n_outputs(self):
        return len(self.classes_)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
            As in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._proba(self._input(X))

    def _proba(self, data):
        return torch.softmax(self._forward(data).double(), dim=1).numpy()

    def predict(self, X):
        """Most probable class of each sample.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        return self._predict(self._input(X))

    def _predict(self, data):
        return self.classes_[self._proba(data).argmax(axis=1)]
