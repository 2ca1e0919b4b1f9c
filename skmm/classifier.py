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
from .nn.losses import MultiTaskCrossEntropy


class _ValidAccuracy:
    """Validation accuracy for skorch's EpochScoring (mean over targets)."""

    def __init__(self, sizes):
        self.sizes = sizes

    def __call__(self, net, dataset, y):
        logits = net.forward(dataset, training=False)
        y = np.asarray(y).reshape(len(logits), -1)
        parts = torch.split(logits, self.sizes, dim=1)
        return float(np.mean([(p.argmax(1).numpy() == y[:, i]).mean() for i, p in enumerate(parts)]))


class MultimodalClassifier(ClassifierMixin, BaseMultimodal):
    """Neural network classifier over several modalities, trained with skorch.

    Each modality gets its own encoder, chosen by the kind of its array
    (token ids: fastText-style bag of words and subwords; images: CNN;
    frames: convolutions over time; vectors: MLP; sparse features: a linear
    wide part);
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
        Modality name -> encoder name (``"ngram"``, ``"char_cnn"``,
        ``"rnn"``, ``"gru"``, ``"lstm"``, ``"conv1d"``, ``"cnn"``,
        ``"deconv"``, ``"mlp"``, ``"wide"``) or an :mod:`skmm.encoders` object
        (including :class:`skmm.encoders.Custom` around your own module).
        Modalities not named get the default for their kind. Their
        parameters are reachable as ``encoders__<modality>__<param>``.
    fusion : str or FusionSpec, default="concat"
        How modality vectors are combined: ``"concat"``, ``"late"``,
        ``"tensor"``, ``"low_rank"``, ``"attention"``, ``"gated"``,
        ``"cross_attention"``, ``"condition"``, or an :mod:`skmm.fusion`
        object; its parameters are reachable as ``fusion__<param>``.
    hidden_size : int, default=64
        Width of encoders and head (unless an encoder object sets its own).
    dropout : float, default=0.1
        Dropout in encoders and head.
    max_epochs : int, default=60
        Most passes over the training data (early stopping usually ends
        training sooner).
    batch_size : int, default=64
        Samples per gradient step (and per prediction batch).
    lr : float, default=1e-3
        Learning rate.
    optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adamw"
        Trains the network; a sparse modality's wide part has its own SGD
        (see :class:`skmm.encoders.Wide`).
    weight_decay : float, default=0.01
        Weight decay passed to the optimizer (decoupled with AdamW).
    validation_fraction : float or None, default=None
        Hold out this stratified fraction of the training data to report
        validation loss and accuracy each epoch (None: 10% when
        ``early_stopping``).
    early_stopping : bool, default=True
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs and keep the best epoch's weights
        (holds out ``validation_fraction``, or 10% when that is None; data
        too small for a stratified 10% stops on the training loss).
    n_iter_no_change : int, default=5
        Patience of early stopping (and of the "plateau" schedule).
    lr_schedule : {None, "cosine", "plateau"}, default="plateau"
        Learning-rate schedule: cosine annealing over ``max_epochs``, or
        divide by 10 when the (validation) loss stops improving.
    modality_dropout : float, default=0.0
        In training, hide each modality of each sample with this
        probability (keeping at least one), so the network learns to predict
        from any subset; pair with the preprocessors' ``on_missing="mask"``
        when samples may lack a modality at predict time.
    augment : None, "auto" or dict, default=None
        Augment training batches only (never validation or predict):
        ``"auto"`` gives images, frames and tokens their default
        :mod:`skmm.augment` object; a dict picks per modality (name ->
        object, "auto" or None). Draws follow ``random_state``.
    lazy : bool, default=False
        Keep only the frame in memory and preprocess each batch when it is
        fetched (in ``num_workers`` processes), so a frame of media paths
        larger than memory trains with bounded memory. The preprocessor is
        fitted on ``lazy_fit_rows`` random rows. Needs ``preprocessor``.
    lazy_fit_rows : int, default=2000
        Rows the preprocessor is fitted on when ``lazy=True``.
    num_workers : int, default=0
        DataLoader worker processes (useful with ``lazy=True``).
    task_weights : list, dict or None, default=None
        With several target columns (``y`` a DataFrame): relative weight of
        each target's loss, by position or by column name (None: equal).
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
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
    classes_ : ndarray, or list of ndarray
        Class labels; one array per target when ``y`` has several columns
        (one head per target, trained with a joint weighted loss).
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

    @property
    def _multi_task(self):
        return isinstance(self.classes_, list)

    def _criterion(self):
        if self._multi_task:
            return MultiTaskCrossEntropy, {"sizes": self.task_sizes_, "weights": self._task_weights()}
        return torch.nn.CrossEntropyLoss, {}

    def _valid_callbacks(self):
        scoring = _ValidAccuracy(self.task_sizes_)
        return [("valid_acc", EpochScoring(scoring, name="valid_acc", lower_is_better=False))]

    def _encode_column(self, y, name):
        where = "y" if name is None else f"y[{name!r}]"
        check_classification_targets(y)
        missing = pd.isna(y)
        if missing.any():
            raise ValueError(f"{where} holds missing labels (row {int(np.flatnonzero(missing)[0])}).")
        classes, encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"{where} has a single class ({classes[0]!r}); a classifier needs at least 2 classes."
            )
        return classes, encoded

    def _encode_target(self, y):
        names = [str(c) for c in y.columns] if isinstance(y, pd.DataFrame) else None
        if isinstance(y, pd.DataFrame) and y.shape[1] > 1:
            columns = [y.iloc[:, i].to_numpy() for i in range(y.shape[1])]
        else:
            y = np.asarray(y)
            if y.ndim == 2 and y.shape[1] == 1:
                y = column_or_1d(y, warn=True)
            if y.ndim not in (1, 2):
                raise ValueError(f"y must be 1-D, or 2-D for several targets; got shape {y.shape}.")
            columns = [y] if y.ndim == 1 else [y[:, i] for i in range(y.shape[1])]
        encoded = []
        classes = []
        for i, column in enumerate(columns):
            c, e = self._encode_column(column, None if len(columns) == 1 else (names or range(len(columns)))[i])
            classes.append(c)
            encoded.append(e)
        self.task_sizes_ = [len(c) for c in classes]
        self.target_names_ = names
        if len(columns) == 1:
            self.classes_ = classes[0]
            return torch.as_tensor(encoded[0], dtype=torch.int64), self.task_sizes_[0]
        # Several targets: one head slice per target, sklearn's list-of-classes convention.
        self.classes_ = classes
        return torch.as_tensor(np.stack(encoded, axis=1), dtype=torch.int64), sum(self.task_sizes_)

    def _n_outputs(self):
        return sum(self.task_sizes_)

    def _n_targets(self):
        return len(self.task_sizes_)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
            As in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or a list of such
            arrays (one per target) when fitted on several targets
            Columns follow ``classes_``.
        """
        return self._proba(self._input(X))

    def _proba(self, data):
        logits = self._forward(data).double()
        if not self._multi_task:
            return torch.softmax(logits, dim=1).numpy()
        return [torch.softmax(p, dim=1).numpy() for p in torch.split(logits, self.task_sizes_, dim=1)]

    def predict(self, X):
        """Most probable class of each sample.

        Returns
        -------
        y : ndarray of shape (n_samples,), or (n_samples, n_targets) when
            fitted on several targets
        """
        return self._predict(self._input(X))

    def _predict(self, data):
        proba = self._proba(data)
        if not self._multi_task:
            return self.classes_[proba.argmax(axis=1)]
        return np.column_stack([c[p.argmax(axis=1)] for c, p in zip(self.classes_, proba)])

    def score(self, X, y, sample_weight=None):
        """Accuracy; with several targets, the fraction of rows with every target right.

        (The subset accuracy of :class:`sklearn.multioutput.MultiOutputClassifier`.)
        """
        if not self._multi_task:
            return super().score(X, y, sample_weight=sample_weight)
        hits = np.all(self.predict(X) == np.asarray(y), axis=1)
        return float(np.average(hits, weights=sample_weight))
