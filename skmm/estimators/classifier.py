"""MultimodalClassifier."""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin
from skorch.callbacks import EpochScoring

from ..nn.losses import CrossEntropy, MultiTaskCrossEntropy
from ..utils.docstrings import fill_doc
from ..utils.sklearn_compat import StrOptions
from ..utils.threads import scoped
from ..utils.types import Estimator, ModalityInput, SampleWeight
from .base import BaseMultimodal
from .labels import ValidAccuracy, check_classes, encode_targets
from .params import with_keyword
from .weights import class_sample_weight, target_only


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
    balance : str or BalanceSpec, default="staged"
        How every modality is kept learning beside the fusion (joint
        training otherwise fits the easiest modality and starves the
        rest): ``"none"`` (the fused loss alone), ``"heads"`` (each encoder
        also trained through a head and loss of its own; prediction is the
        product of the fused and per-modality heads' probabilities),
        ``"ogm_ge"``, ``"mla"``, ``"ensemble"``, ``"staged"``, or an
        :mod:`skmm.balance` object; its parameters are reachable as
        ``balance__<param>``. With any option but ``"none"``, ``history_``
        records each modality's own validation scores
        (``valid_acc_<name>``, ``valid_loss_<name>``). See
        :doc:`/user_guide/balance`.
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
    length_aware_batching : bool, default=True
        Training batches of rows of similar length, each cut to its longest
        row (seeded; batch order still shuffled): fit time follows clips' total length.
        With ``lazy=True`` lengths are unknown before decoding: batches are only cut.
    task_weights : list, dict or None, default=None
        With several target columns (``y`` a DataFrame): relative weight of
        each target's loss, by position or by column name (None: equal).
    class_weight : dict, "balanced", list or None, default=None
        Weight of each class in the loss, multiplied into ``sample_weight``:
        a dict class label -> weight (classes left out weigh 1), or
        "balanced" (``n_samples / (n_classes * count(class))``). With several
        targets: "balanced" or a list with one dict per target.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
    checkpoint_dir : str, path or None, default=None
        Save weights, optimizer, schedule and random-generator state and
        history there after every epoch (atomically, in ``checkpoint.pt``);
        ``fit`` checks first that the folder is writable. If it already
        holds a checkpoint of the same configuration, ``fit`` resumes from
        it, exactly as if never interrupted (the history marks the first
        resumed epoch with ``resumed_from_epoch``); delete the folder to
        start over.
    warm_start : bool, default=False
        When True, ``fit`` on a fitted estimator keeps its fitted
        preprocessor, classes and network (weights and optimiser state) and
        trains ``max_epochs`` more epochs, as in
        :class:`~sklearn.neural_network.MLPClassifier`. Parameters that shape
        the network are those of the first fit.
    warm_start_from : fitted estimator, path or None, default=None
        Transfer learning: a fitted MultimodalClassifier or
        MultimodalRegressor (wrapped in
        :class:`sklearn.frozen.FrozenEstimator` to survive ``clone`` in
        grid search), or the path of a file its ``save_params`` wrote.
        Encoders whose modality name and weight shapes match the source's
        start from its weights, and so does the fusion when its shapes
        agree; the head is new. Parts that do not match are skipped with
        a warning, and nothing matching is an error; see
        ``warm_start_report_``.
    device : str, default="cpu"
        Torch device to train on.
    n_threads : int or None, default=None
        CPU threads for torch and BLAS during each ``fit``, ``predict``,
        ``predict_proba`` and ``score`` (the caller's settings are restored
        afterwards). None lets skmm choose: the cores this process may use
        (affinity, cgroup quota) less those other processes keep busy,
        measured again at each epoch; 1 for small inputs and inside joblib or
        Dask workers. See :doc:`/user_guide/speed`.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, dropout, modality dropout and
        the validation split, all drawn from the fit's own generator. With
        an int, fits on the CPU repeat exactly, in threads too.
    verbose : int, default=1
        0 is silent; 1 prints skorch's table of losses per epoch and, on a
        terminal or in a notebook, a progress bar over each epoch's batches
        (the table has colour codes only on a terminal).

    Attributes
    ----------
    classes_ : ndarray, or list of ndarray
        Class labels; one array per target when ``y`` has several columns
        (one head per target, trained with a joint weighted loss).
    modalities_ : dict
        Modality name -> :class:`~skmm.data.inputs.ModalityInfo` seen in fit.
    net_ : skorch.NeuralNet
        The trained skorch net; its ``module_`` is the torch network.
    history_ : skorch.History
        Losses per epoch.
    preprocessor_ : transformer
        The fitted clone of ``preprocessor`` (when given).
    warm_start_report_ : dict
        With ``warm_start_from``: ``{"loaded": [...], "skipped": {part:
        reason}}``, the parts (``"encoders.<modality>"``, ``"fusion"``)
        copied from the source and those left new.

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
    _parameter_constraints: dict = {
        **BaseMultimodal._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],  # checked against y in fit
    }

    # The classifier's parameters are the shared ones plus class_weight; its
    # signature is built from the shared one so that a parameter added there
    # reaches both estimators (and get_params) without being repeated here.
    def __init__(
        self, preprocessor: Estimator | None = None, *,
        class_weight: dict[Any, float] | Literal["balanced"] | list[dict[Any, float]] | None = None, **params: Any
    ) -> None:
        super().__init__(preprocessor, **params)
        self.class_weight = class_weight

    __init__.__signature__ = with_keyword(  # type: ignore[attr-defined]
        BaseMultimodal.__init__, "class_weight", None, "task_weights", like=__init__
    )

    @property
    def _multi_task(self):
        return isinstance(self.classes_, list)

    def _criterion(self):
        if self._multi_task:
            return MultiTaskCrossEntropy, {"sizes": self.task_sizes_, "weights": self._task_weights()}
        return CrossEntropy, {}

    def _valid_callbacks(self):
        scoring = ValidAccuracy(self.task_sizes_)
        return [("valid_acc", EpochScoring(
            scoring, name="valid_acc", lower_is_better=False, target_extractor=target_only))]

    def _class_weights(self, target):
        return class_sample_weight(self.class_weight, self.classes_, target.numpy())

    def _encode_target(self, y, refit=True, classes=None):
        """Class indices of y as a tensor, and the network's number of outputs.

        ``refit`` learns ``classes_`` (from ``classes`` when given, else from
        y); otherwise y is encoded with the fitted ``classes_``.
        """
        learned, encoded, names = encode_targets(y, classes, None if refit else self.classes_)
        if refit:
            self.task_sizes_ = [len(c) for c in learned]
            self.target_names_ = names
            # Several targets: one head slice per target, sklearn's list-of-classes convention.
            self.classes_ = learned[0] if len(learned) == 1 else learned
        if len(encoded) == 1:
            return torch.as_tensor(encoded[0], dtype=torch.int64), self.task_sizes_[0]
        return torch.as_tensor(np.stack(encoded, axis=1), dtype=torch.int64), sum(self.task_sizes_)

    def partial_fit(
        self, X: ModalityInput, y: ArrayLike, classes: ArrayLike | None = None,
        sample_weight: SampleWeight | None = None,
    ) -> MultimodalClassifier:
        """Train one epoch on (X, y), continuing from the previous call.

        The first call fits the preprocessor (its vocabulary, scaling and
        padded lengths), builds the network and trains one epoch; later calls
        run X through that fitted preprocessor (``transform`` only) and train
        one more epoch of the same network and optimiser, as
        :meth:`sklearn.neural_network.MLPClassifier.partial_fit` does.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.
        classes : array-like or None, default=None
            Every class the network must predict; needed in the first call
            when its y does not hold them all (later ones may repeat it).
            With several targets, one array per target.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from skmm import MultimodalClassifier
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(40, 3)).astype("float32")
        >>> clf = MultimodalClassifier(random_state=0, verbose=0)
        >>> clf = clf.partial_fit(X[:20], X[:20, 0] > 0, classes=[False, True])
        >>> clf = clf.partial_fit(X[20:], X[20:, 0] > 0)
        >>> len(clf.history_)
        2
        """
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def _n_outputs(self):
        return sum(self.task_sizes_)

    def _task_sizes(self):
        return self.task_sizes_

    def _check_loaded(self):
        check_classes(getattr(self, "classes_", None), getattr(self, "task_sizes_", None))

    def _n_targets(self):
        return len(self.task_sizes_)

    @scoped
    @fill_doc
    def predict_proba(self, X: ModalityInput) -> np.ndarray | list[np.ndarray]:
        """Class probabilities.

        {prediction_parameters}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), or a list of such
            arrays (one per target) when fitted on several targets
            Columns follow ``classes_``.
        """
        logits = self._forward(X).double()
        if not self._multi_task:
            return torch.softmax(logits, dim=1).numpy()
        return [torch.softmax(p, dim=1).numpy() for p in torch.split(logits, self.task_sizes_, dim=1)]

    @scoped
    @fill_doc
    def predict(self, X: ModalityInput) -> np.ndarray:
        """Most probable class of each sample.

        {prediction_parameters}

        Returns
        -------
        y : ndarray of shape (n_samples,), or (n_samples, n_targets) when
            fitted on several targets
        """
        proba = self.predict_proba(X)
        if not self._multi_task:
            return self.classes_[cast(np.ndarray, proba).argmax(axis=1)]  # one target: one array
        return np.column_stack([c[p.argmax(axis=1)] for c, p in zip(self.classes_, proba)])

    @scoped
    def score(self, X: ModalityInput, y: ArrayLike, sample_weight: SampleWeight | None = None) -> float:
        """Accuracy; with several targets, the fraction of rows with every target right.

        (The subset accuracy of :class:`sklearn.multioutput.MultiOutputClassifier`.)
        """
        if not self._multi_task:
            return super().score(X, y, sample_weight=sample_weight)
        hits = np.all(self.predict(X) == np.asarray(y), axis=1)
        return float(np.average(hits, weights=sample_weight))
