"""BaseMultimodal: the parameters, ``fit``, and the contract a classifier or regressor fills in.

The work is done in small modules, each holding one responsibility:
:mod:`.params` (constraints, nested ``set_params``), :mod:`.data` (X/y
checks, eager or lazy datasets), :mod:`.network` (encoders, fusion, head),
:mod:`.training` (skorch assembly, checkpoint, resume), :mod:`.inference`
(the public inference path) and :mod:`.saving` (params files).
"""

from __future__ import annotations

import os
from abc import ABCMeta, abstractmethod
from collections.abc import Sequence
from numbers import Integral
from typing import Any, Literal, TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ..balance import resolve_balance
from ..balance.base import BalanceSpec
from ..compose._native_frames import to_pandas
from ..encoders.base import EncoderSpec
from ..fusion import resolve_fusion
from ..fusion.base import FusionSpec
from ..persistence import checkpoint
from ..utils.sklearn_compat import _fit_context
from ..utils.threads import n_rows, scoped
from ..utils.types import Estimator, ModalityInput, SampleWeight
from . import data, params
from .embedding import EmbeddingMixin
from .inference import InferenceMixin
from .network import build_network
from .saving import SavingMixin
from .seeding import drawing_from, fit_generator
from .skorch_net import ModalityNet
from .training import TrainingMixin
from .warm_start import warm_start
from .weights import check_sample_weight, combine, with_weight

#: ``self``'s class, for the methods that return ``self`` to a classifier and a regressor alike.
_Self = TypeVar("_Self", bound="BaseMultimodal")


class BaseMultimodal(
    EmbeddingMixin, InferenceMixin, TrainingMixin, SavingMixin, BaseEstimator, metaclass=ABCMeta
):
    """Shared parameters and fit/predict machinery; see MultimodalClassifier.

    A subclass (the classifier, the regressor) declares what depends on the
    task: :meth:`_encode_target`, :meth:`_criterion`, :meth:`_n_outputs`,
    :attr:`_stratify`, and optionally :meth:`_n_targets`,
    :meth:`_valid_callbacks`, :meth:`_class_weights`, :meth:`_check_loaded`,
    :meth:`_net_class`.
    """

    _parameter_constraints: dict = params.PARAMETER_CONSTRAINTS

    def __init__(
        self,
        preprocessor: Estimator | None = None,
        *,
        encoders: dict[str, str | EncoderSpec] | None = None,
        fusion: str | FusionSpec = "concat",
        balance: str | BalanceSpec = "staged",
        hidden_size: int = 64,
        dropout: float = 0.1,
        max_epochs: int = 60,
        batch_size: int = 64,
        lr: float = 1e-3,
        optimizer: str | type[torch.optim.Optimizer] = "adamw",
        weight_decay: float = 0.01,
        validation_fraction: float | None = None,
        early_stopping: bool = True,
        n_iter_no_change: int = 5,
        lr_schedule: Literal["cosine", "plateau"] | None = "plateau",
        modality_dropout: float = 0.0,
        augment: Literal["auto"] | dict[str, Any] | None = None,
        task_weights: dict[str, float] | ArrayLike | None = None,
        lazy: bool = False,
        lazy_fit_rows: int = 2000,
        num_workers: int = 0,
        length_aware_batching: bool = True,
        callbacks: Sequence[Any] | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        warm_start: bool = False,
        warm_start_from: BaseMultimodal | str | os.PathLike | None = None,
        device: str | torch.device = "cpu",
        n_threads: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 1,
    ) -> None:
        self.preprocessor = preprocessor
        self.encoders = encoders
        self.fusion = fusion
        self.balance = balance
        self.hidden_size = hidden_size
        self.dropout = dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.lr_schedule = lr_schedule
        self.modality_dropout = modality_dropout
        self.augment = augment
        self.task_weights = task_weights
        self.lazy = lazy
        self.lazy_fit_rows = lazy_fit_rows
        self.num_workers = num_workers
        self.length_aware_batching = length_aware_batching
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir
        self.warm_start = warm_start
        self.warm_start_from = warm_start_from
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # -- the subclass contract ------------------------------------------
    @property
    @abstractmethod
    def _stratify(self) -> bool:
        """Whether a validation split is stratified by the (single) target."""

    @abstractmethod
    def _encode_target(self, y, refit=True, classes=None):
        """Check ``y``, record what predict needs (``classes_``, scales, ...) and encode it.

        ``refit`` learns that state (from ``classes``, partial_fit's, when
        given); otherwise ``y`` is encoded with the fitted state (a fit
        continuing a fitted estimator).

        Returns
        -------
        target : Tensor
            What the criterion compares the network's output with.
        n_outputs : int
            Width of the network's output.
        """

    @abstractmethod
    def _criterion(self):
        """``(loss class, its keyword arguments)``, after :meth:`_encode_target`."""

    @abstractmethod
    def _n_outputs(self) -> int:
        """Width of the network's output, from the fitted (or loaded) attributes."""

    def _n_targets(self) -> int:
        """Number of target columns (``task_weights`` has one weight each)."""
        return 1

    def _valid_callbacks(self) -> list:
        """skorch callbacks that score the validation split (besides its loss)."""
        return []

    def _class_weights(self, target):
        """Per-sample weights that the target's classes carry (``class_weight``), or None."""
        return None

    def _check_loaded(self) -> None:
        """Check the fitted attributes read from a params file agree with each other."""

    def _net_class(self):
        """The skorch net class and extra arguments (:mod:`skmm.accelerate` swaps them)."""
        return ModalityNet, {}

    def _fit_dataset(self, X, target, seed):
        """Fit the preprocessor, learn ``modalities_``; the training dataset (:mod:`.data`)."""
        return data.fit_dataset(self, X, target, seed)

    def _predict_dataset(self, X, target=None):
        """X through the fitted preprocessor as a dataset (:mod:`.data`)."""
        return data.predict_dataset(self, X, target)

    def _warm_start(self, module):
        """Copy ``warm_start_from``'s matching encoders into the new ``module``; the report."""
        return warm_start(module, self.warm_start_from, BaseMultimodal, self.verbose)

    # -- parameters -----------------------------------------------------
    def set_params(self: _Self, **parameters: Any) -> _Self:
        """Set parameters; ``fusion__<p>`` and ``encoders__<name>__<p>`` reach choices given by name.

        ``fusion="low_rank", fusion__rank=4`` first turns the name into its
        object (:mod:`skmm.fusion`), then sets ``rank`` on it, so a grid can
        search a fusion's parameters without building objects by hand.
        """
        nested_fusion, nested_encoders, plain = params.split_nested(parameters)
        nested_balance = {k[len("balance__"):]: plain.pop(k) for k in list(plain) if k.startswith("balance__")}
        super().set_params(**plain)
        if nested_balance:
            self.balance = resolve_balance(self.balance)
            self.balance.set_params(**nested_balance)
        if nested_fusion:
            self.fusion = resolve_fusion(self.fusion)  # a name becomes its object, then gets the params
            self.fusion.set_params(**nested_fusion)
        if nested_encoders:
            self.encoders = params.with_encoder_params(self.encoders, nested_encoders)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # a sparse modality (the wide part), never densified
        tags.input_tags.dict = True  # ModalityTransformer's output
        # Raw text and media paths go through the preprocessor, when there is one.
        tags.input_tags.string = self.preprocessor is not None
        # Seeded CPU runs repeat bit for bit; GPU kernels may not.
        tags.non_deterministic = str(self.device) != "cpu"
        return tags

    def _seed(self):
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _configuration(self, names=None):
        """Plain-data configuration recorded in checkpoints and params files."""
        return params.configuration_of(self, names)

    def _task_sizes(self):
        """Classes of each target (classifiers), None (regressors): how per-modality outputs combine."""
        return None

    def _build_module(self, n_outputs):
        return build_network(
            self.modalities_, self.encoders, self.fusion, self.hidden_size, self.dropout, n_outputs,
            balance=self.balance, task_sizes=self._task_sizes(),
        )

    def __setstate__(self, state):
        # Estimators pickled before ``balance`` existed trained without it.
        state.setdefault("balance", "none")
        # ... and before length-aware batches: in random ones.
        state.setdefault("length_aware_batching", False)
        super().__setstate__(state)

    # -- fit --------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)  # the preprocessor validates its own
    @scoped
    def fit(self: _Self, X: ModalityInput, y: ArrayLike, sample_weight: SampleWeight | None = None) -> _Self:
        """Fit the preprocessor (if any) and train the network.

        With ``warm_start=True`` and a fitted estimator, keep the fitted
        preprocessor and network and train ``max_epochs`` more epochs on
        ``X`` (see :meth:`partial_fit` for the rules that then apply).

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
            A DataFrame when the estimator has a ``preprocessor``; otherwise
            the output of a ModalityTransformer (dict of modality arrays) or
            a 2-D numeric array (one vector modality).
        y : array-like of shape (n_samples,) (or (n_samples, n_targets) for
            the regressor)
            Target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Non-negative weight of each sample in the loss (the weighted mean
            of the per-sample losses of each batch, the validation loss
            included). None weighs every sample 1.

        Returns
        -------
        self
        """
        continuing = self.warm_start and hasattr(self, "net_")
        return self._fit(X, y, sample_weight, continuing=continuing)

    @_fit_context(prefer_skip_nested_validation=False)
    @scoped
    def _partial_fit(self, X, y, sample_weight, classes=None):
        """One epoch on (X, y); the first call fits the preprocessor and builds the network."""
        return self._fit(X, y, sample_weight, continuing=hasattr(self, "net_"), epochs=1, classes=classes)

    def _fit(self, X, y, sample_weight, *, continuing, epochs=None, classes=None):
        """fit / partial_fit: a new network, or ``continuing`` the fitted one."""
        X, y = to_pandas(X), to_pandas(y)  # polars and pyarrow as pandas (skmm._native_frames)
        params.check_params(self)
        resume = None
        if self.checkpoint_dir is not None and not continuing and epochs is None:
            checkpoint.check_writable(self.checkpoint_dir)
            resume = checkpoint.read(self.checkpoint_dir, self._configuration())
        data.check_X_y(self, X, y, reset=not continuing)
        sample_weight = check_sample_weight(sample_weight, n_rows(X))
        target, n_outputs = self._encode_target(y, refit=not continuing, classes=classes)
        weighted = with_weight(target, combine(sample_weight, self._class_weights(target)))
        if continuing:
            # The fitted net goes on drawing from its own generator.
            self.net_.partial_fit(self._predict_dataset(X, weighted), target, epochs=epochs or self.max_epochs)
            return self
        # A resumed fit continues the interrupted one's seed (random_state=None too).
        seed = self._seed() if resume is None else resume["seed"]
        dataset = self._fit_dataset(X, weighted, seed)
        # The fit's own random stream (skmm.estimators.seeding): seeded fits repeat
        # exactly, in threads too, and leave the user's global torch RNG alone.
        generator = fit_generator(seed)
        with drawing_from(generator):
            module = self._build_module(n_outputs)
        self.__dict__.pop("warm_start_report_", None)
        if self.warm_start_from is not None:
            self.warm_start_report_ = self._warm_start(module)
        self.net_ = self._make_net(module, seed, generator, target)
        self._train(dataset, target, resume, epochs)
        return self

    @property
    def history_(self) -> History:
        """skorch's training history (loss per epoch and batch)."""
        check_is_fitted(self, "net_")
        return self.net_.history
