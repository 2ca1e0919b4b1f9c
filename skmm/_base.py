"""What the classifier and the regressor share: preprocessing, building, training."""

from __future__ import annotations

import copy
import os
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples, check_is_fitted
from skorch.callbacks import EarlyStopping, LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau
from skorch.dataset import ValidSplit

from . import _checkpoint as checkpoint
from . import _persistence as persistence
from ._config import NETWORK, configuration, first_difference, short
from ._config import describe as describe_config
from ._embedding import EmbeddingMixin
from ._seeding import cuda_generator, drawing_from, fit_generator
from ._params import check_positive_int
from ._skorch_net import ModalityNet
from ._weights import check_sample_weight, combine, with_weight
from ._threads import RetuneThreads, check_n_threads, scoped
from ._threads import n_rows as _n_rows
from ._warm_start import warm_start
from .nn.condition_choice import choose_condition
from .nn.training import can_hold_out
from .augment import resolve_augment
from .encoders import resolve_encoder, resolve_encoder_choice
from .fusion import resolve_fusion
from .fusion.head import make_head
from .nn.inputs import (
    ModalityDataset, as_modalities, batch_loader, check_matches, describe, to_tensors, without,
)
from .nn.lazy import LazyModalityDataset
from .nn.model import MultimodalNetwork
from .preprocessing.decode_cache import decode_cache

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}
_SCHEDULES = (None, "cosine", "plateau")


def _n_features(X):
    """Columns of a DataFrame or 2-D array, modalities of a dict, else None."""
    if isinstance(X, dict) and not sp.issparse(X):  # a DOK matrix is a dict
        return len(X)
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        return shape[1]
    return None


def _check_lazy_frame(X):
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"lazy=True takes a DataFrame of paths and text, got {type(X).__name__}.")


class BaseMultimodal(EmbeddingMixin, BaseEstimator):
    """Shared parameters and fit/predict machinery; see MultimodalClassifier."""

    def __init__(
        self,
        preprocessor=None,
        *,
        encoders=None,
        fusion="concat",
        hidden_size=64,
        dropout=0.1,
        max_epochs=60,
        batch_size=64,
        lr=1e-3,
        optimizer="adamw",
        weight_decay=0.01,
        validation_fraction=None,
        early_stopping=True,
        n_iter_no_change=5,
        lr_schedule="plateau",
        modality_dropout=0.0,
        augment=None,
        task_weights=None,
        lazy=False,
        lazy_fit_rows=2000,
        num_workers=0,
        callbacks=None,
        checkpoint_dir=None,
        warm_start=False,
        warm_start_from=None,
        device="cpu",
        n_threads=None,
        random_state=None,
        verbose=1,
    ):
        self.preprocessor = preprocessor
        self.encoders = encoders
        self.fusion = fusion
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
        self.callbacks = callbacks
        self.checkpoint_dir = checkpoint_dir
        self.warm_start = warm_start
        self.warm_start_from = warm_start_from
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    # -- parameters -----------------------------------------------------
    def _check_params(self):
        check_positive_int(self, "hidden_size", "max_epochs", "batch_size", "n_iter_no_change", "lazy_fit_rows")
        check_n_threads(self.n_threads)
        if not isinstance(self.num_workers, Integral) or self.num_workers < 0:
            raise ValueError(f"num_workers must be an integer >= 0, got {self.num_workers!r}.")
        if self.lazy and self.preprocessor is None:
            raise ValueError(
                "lazy=True needs the preprocessor inside the estimator "
                "(MultimodalClassifier(ModalityTransformer([...]), lazy=True)): it "
                "preprocesses each batch when the batch is fetched."
            )
        if self.lr_schedule not in _SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {list(_SCHEDULES)}, got {self.lr_schedule!r}.")
        if not isinstance(self.dropout, Real) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}.")
        if not isinstance(self.lr, Real) or self.lr <= 0:
            raise ValueError(f"lr must be a positive number, got {self.lr!r}.")
        if not isinstance(self.weight_decay, Real) or self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}.")
        if self.optimizer not in _OPTIMIZERS and not (
            isinstance(self.optimizer, type) and issubclass(self.optimizer, torch.optim.Optimizer)
        ):
            raise ValueError(
                f"optimizer must be one of {sorted(_OPTIMIZERS)} or a torch.optim.Optimizer "
                f"class, got {self.optimizer!r}."
            )
        if self.validation_fraction is not None and not (
            isinstance(self.validation_fraction, Real) and 0 < self.validation_fraction < 1
        ):
            raise ValueError(
                f"validation_fraction must be None or in (0, 1), got {self.validation_fraction!r}."
            )
        if not isinstance(self.modality_dropout, Real) or not 0 <= self.modality_dropout < 1:
            raise ValueError(f"modality_dropout must be in [0, 1), got {self.modality_dropout!r}.")
        if self.encoders is not None and not isinstance(self.encoders, dict):
            raise TypeError(
                f"encoders must be a dict of modality name -> encoder, got {type(self.encoders).__name__}."
            )
        if self.preprocessor is not None and not hasattr(self.preprocessor, "fit_transform"):
            raise TypeError(
                f"preprocessor must be a transformer such as ModalityTransformer, got {self.preprocessor!r}."
            )

    def set_params(self, **params):
        """Set parameters; ``fusion__<p>`` and ``encoders__<name>__<p>`` reach choices given by name.

        ``fusion="low_rank", fusion__rank=4`` first turns the name into its
        object (:mod:`skmm.fusion`), then sets ``rank`` on it, so a grid can
        search a fusion's parameters without building objects by hand.
        """
        nested_fusion, nested_encoders, plain = {}, {}, {}
        for key, value in params.items():
            if key.startswith("fusion__"):
                nested_fusion[key[len("fusion__"):]] = value
            elif key.startswith("encoders__"):
                name, _, param = key[len("encoders__"):].partition("__")
                if not param:
                    raise ValueError(f"{key!r}: use encoders__<modality>__<parameter>.")
                nested_encoders.setdefault(name, {})[param] = value
            else:
                plain[key] = value
        super().set_params(**plain)
        if nested_fusion:
            self.fusion = resolve_fusion(self.fusion)
            self.fusion.set_params(**nested_fusion)
        if nested_encoders:
            encoders = dict(self.encoders or {})
            for name, sub_params in nested_encoders.items():
                choice = encoders.get(name)
                if choice is None:
                    raise ValueError(
                        f"encoders__{name}__...: choose modality {name!r}'s encoder first "
                        f"(e.g. encoders={{{name!r}: 'gru'}})."
                    )
                encoders[name] = resolve_encoder_choice(choice, name)
                encoders[name].set_params(**sub_params)
            self.encoders = encoders
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

    # -- data -----------------------------------------------------------
    def _check_X_y(self, X, y, reset=True):
        """Check X and y; ``reset`` records X's features, else checks them against fit's."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if reset:
            for attr in ("feature_names_in_", "n_features_in_"):
                self.__dict__.pop(attr, None)
            if isinstance(X, pd.DataFrame):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            width = _n_features(X)
            if width is not None:
                self.n_features_in_ = width
        else:
            self._check_n_features(X)
        n, n_y = _n_rows(X), _num_samples(y)
        if n == 0:
            raise ValueError("X has 0 samples; at least one is needed.")
        if n == 1:
            raise ValueError("n_samples=1: fitting needs at least 2 samples.")
        if n_y != n:
            raise ValueError(f"X has {n} samples but y has {n_y}.")

    def _check_n_features(self, X):
        """sklearn's check that predict gets as many features as fit did."""
        if self.preprocessor is not None or (isinstance(X, dict) and not sp.issparse(X)):
            # The preprocessor picks columns by name (extra ones are ignored),
            # and check_matches names missing modalities: both say more.
            return
        width = _n_features(X)
        if width is not None and hasattr(self, "n_features_in_") and width != self.n_features_in_:
            raise ValueError(
                f"X has {width} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )

    def _modalities(self, X, fitting=False):
        """Preprocess X (if the estimator owns a preprocessor) into a dict of arrays."""
        if self.preprocessor is not None:
            if fitting:
                self.preprocessor_ = clone(self.preprocessor)
                X = self.preprocessor_.fit_transform(X)
            else:
                X = self.preprocessor_.transform(X)
        return as_modalities(X)

    def _lazy_fit_dataset(self, X, target, seed):
        """Fit the preprocessor on a sample of rows; batches are preprocessed later."""
        _check_lazy_frame(X)
        rng = np.random.RandomState(seed)
        rows = np.sort(rng.permutation(len(X))[: self.lazy_fit_rows])
        # Vocabulary, image and audio statistics and padded lengths come from
        # this sample, so memory does not depend on the number of rows.
        self.preprocessor_ = clone(self.preprocessor)
        with decode_cache.paused():
            sample = self.preprocessor_.fit_transform(X.iloc[rows])
        self.modalities_ = describe(as_modalities(sample))
        return LazyModalityDataset(X, self.preprocessor_, self.modalities_, target)

    def _dataset(self, data, y=None, fitting=False):
        if fitting:
            self.modalities_ = describe(data)
        else:
            check_matches(data, self.modalities_)
        return ModalityDataset(to_tensors(data, self.modalities_), y)

    # -- network --------------------------------------------------------
    def _build_module(self, n_outputs, modalities=None):
        modalities = self.modalities_ if modalities is None else modalities
        encoders, wide = {}, {}
        choices = self.encoders or {}
        unknown = sorted(set(choices) - set(modalities))
        if unknown:
            raise ValueError(f"encoders names modalities {unknown} that X does not have; it has {sorted(modalities)}.")
        fusion_spec = resolve_fusion(self.fusion)
        if getattr(fusion_spec, "picks_modalities", False):
            # fusion="condition" by name: a source and a target from the data.
            source, target, choices = choose_condition(
                modalities, choices, fusion_spec.source, fusion_spec.target)
            fusion_spec = clone(fusion_spec).set_params(source=source, target=target)
        for name, info in modalities.items():
            spec = resolve_encoder(choices.get(name), name, info)
            if getattr(spec, "wide", False):
                # Linear straight to the outputs, beside the deep part (wide & deep).
                wide[name] = spec.build(info, hidden_size=n_outputs, dropout=self.dropout)
            else:
                encoders[name] = spec.build(info, hidden_size=self.hidden_size, dropout=self.dropout)
        if not encoders:
            return MultimodalNetwork({}, None, None, wide=wide)
        fusion = fusion_spec.build(
            {name: enc.output_dim for name, enc in encoders.items()},
            hidden_size=self.hidden_size, dropout=self.dropout, n_outputs=n_outputs,
        )
        if getattr(fusion, "is_output", False):
            # Late fusion already ends in per-modality heads.
            head = torch.nn.Identity()
        else:
            head = make_head(fusion.output_dim, self.hidden_size, n_outputs, self.dropout)
        return MultimodalNetwork(encoders, fusion, head, wide=wide)

    def _make_net(self, module, seed, generator=None, target=None):
        optimizer = _OPTIMIZERS.get(self.optimizer, self.optimizer)
        callbacks = []
        if self.n_threads is None:
            callbacks.append(("threads", RetuneThreads()))
        train_split = None
        fraction = self.validation_fraction
        # Stratify by the single target; several targets split at random.
        stratified = self._stratify and len(getattr(self, "task_sizes_", [None])) == 1
        if fraction is None and self.early_stopping and (
            target is None or can_hold_out(target, 0.1, stratified)
        ):
            # As MLPClassifier: early stopping holds out 10%. Data too small
            # to hold out a stratified 10% stops on the training loss instead.
            fraction = 0.1
        if fraction is not None:
            train_split = ValidSplit(fraction, stratified=stratified, random_state=seed)
            callbacks += self._valid_callbacks()
        monitor = "valid_loss" if fraction is not None else "train_loss"
        if self.early_stopping:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor=monitor, patience=self.n_iter_no_change, load_best=True)))
        if self.lr_schedule == "cosine":
            callbacks.append(("lr_schedule", LRScheduler(CosineAnnealingLR, T_max=self.max_epochs)))
        elif self.lr_schedule == "plateau":
            callbacks.append(("lr_schedule", LRScheduler(
                ReduceLROnPlateau, monitor=monitor, patience=max(1, self.n_iter_no_change // 2))))
        if self.checkpoint_dir is not None and generator is not None:
            # After skmm's own callbacks (the saved schedule has stepped) and
            # before the user's, so an epoch is saved before one of those can fail.
            callbacks.append(("checkpoint", checkpoint.EpochCheckpoint(
                self.checkpoint_dir, self._configuration(), seed)))
        callbacks += list(self.callbacks or [])
        criterion, criterion_params = self._criterion()
        on_gpu = str(self.device).startswith("cuda")
        net_class, net_params = self._net_class()
        return net_class(
            module,
            criterion=criterion,
            **{f"criterion__{k}": v for k, v in criterion_params.items()},
            optimizer=optimizer,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=batch_loader,
            iterator_train__shuffle=True,
            # The fit's own stream (skmm._seeding): shuffling, dropout, modality dropout.
            iterator_train__generator=generator,
            random_generator=generator,
            cuda_generator=cuda_generator(self.device, seed) if generator is not None else None,
            # Batches are built on the CPU; pinned pages make the copy to a GPU asynchronous.
            iterator_train__pin_memory=on_gpu,
            iterator_train__num_workers=self.num_workers,
            iterator_valid=batch_loader,
            iterator_valid__pin_memory=on_gpu,
            iterator_valid__num_workers=self.num_workers,
            train_split=train_split,
            callbacks=callbacks or None,
            verbose=self.verbose,
            modality_dropout=self.modality_dropout,
            augment=resolve_augment(self.augment, self.modalities_),
            **{"device": self.device, **net_params},
        )

    def _net_class(self):
        """The skorch net class and extra arguments (skmm.accelerate swaps them)."""
        return ModalityNet, {}

    def _valid_callbacks(self):
        return []

    def _task_weights(self):
        """``task_weights`` as a list in target order (None: equal)."""
        weights = self.task_weights
        if weights is None:
            return None
        names = getattr(self, "target_names_", None)
        if isinstance(weights, dict):
            if names is None or set(weights) != set(names):
                raise ValueError(
                    f"task_weights names {sorted(weights)} but the targets are "
                    f"{names if names is not None else 'unnamed (pass y as a DataFrame)'}."
                )
            weights = [weights[name] for name in names]
        weights = [float(w) for w in weights]
        if len(weights) != self._n_targets() or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(
                f"task_weights must give {self._n_targets()} non-negative weights, got {self.task_weights!r}."
            )
        return weights

    def _configuration(self, names=None):
        """Plain-data configuration recorded in checkpoints and params files.

        Fusion and encoders are described as resolved objects, so
        ``fusion="low_rank"`` and ``fusion=LowRank()`` agree.
        """
        config = configuration(self, names)
        if "fusion" in config:
            config["fusion"] = describe_config(resolve_fusion(self.fusion))
        if "encoders" in config and isinstance(self.encoders, dict):
            config["encoders"] = describe_config(
                {name: resolve_encoder_choice(choice, name) for name, choice in self.encoders.items()}
            )
        return config

    def _train(self, dataset, target, state=None, epochs=None):
        """Train ``net_``, resuming from ``state`` (a read checkpoint) when given.

        ``epochs`` (partial_fit) trains that many epochs, with no resuming.
        """
        saver = next((
            cb for cb in (self.net_.callbacks or []) if isinstance(cb, tuple) and cb[0] == "checkpoint"
        ), (None, None))[1]
        if epochs is not None:
            self.net_.fit(dataset, target, epochs=epochs)
        elif state is None:
            self.net_.fit(dataset, target)
        else:
            self.net_.initialize()
            checkpoint.restore(self.net_, state, saver)
            done = state["epochs"]
            if done < self.max_epochs and not state["finished"]:
                if self.verbose:
                    print(f"Resuming from the checkpoint in {self.checkpoint_dir} after epoch {done}.")
                self.net_.partial_fit(dataset, target, epochs=self.max_epochs - done)
                # History's own indexing returns copies; mark the stored epoch dict.
                list.__getitem__(self.net_.history, done)["resumed_from_epoch"] = done
        stopped_early = any(
            isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience
            for _, cb in self.net_.callbacks_
        )
        if saver is not None and (len(self.net_.history) >= self.max_epochs or stopped_early):
            # The final state (best weights after early stopping): a refit returns it
            # as is. skorch ends a fit quietly on Ctrl-C (KeyboardInterrupt); then the
            # last epoch's checkpoint stays, and the next fit resumes from it.
            saver.save(self.net_, finished=True)

    # -- fit / predict --------------------------------------------------
    @scoped
    def fit(self, X, y, sample_weight=None):
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

    def _fit(self, X, y, sample_weight, *, continuing, epochs=None, classes=None):
        """fit / partial_fit: a new network, or ``continuing`` the fitted one."""
        self._check_params()
        resume = None
        if self.checkpoint_dir is not None and not continuing and epochs is None:
            checkpoint.check_writable(self.checkpoint_dir)
            resume = checkpoint.read(self.checkpoint_dir, self._configuration())
        self._check_X_y(X, y, reset=not continuing)
        sample_weight = check_sample_weight(sample_weight, _n_rows(X))
        target, n_outputs = self._encode_target(y, refit=not continuing, classes=classes)
        weighted = with_weight(target, combine(sample_weight, self._class_weights(target)))
        if continuing:
            # The fitted net goes on drawing from its own generator.
            self.net_.partial_fit(self._continued_dataset(X, weighted), target, epochs=epochs or self.max_epochs)
            return self
        # A resumed fit continues the interrupted one's seed (random_state=None too).
        seed = self._seed() if resume is None else resume["seed"]
        if self.lazy:
            dataset = self._lazy_fit_dataset(X, weighted, seed)
        else:
            dataset = self._dataset(self._modalities(X, fitting=True), weighted, fitting=True)
        # The fit's own random stream (skmm._seeding): seeded fits repeat
        # exactly, in threads too, and leave the user's global torch RNG alone.
        generator = fit_generator(seed)
        with drawing_from(generator):
            module = self._build_module(n_outputs)
        self.__dict__.pop("warm_start_report_", None)
        if self.warm_start_from is not None:
            self.warm_start_report_ = warm_start(module, self.warm_start_from, self.verbose)
        self.net_ = self._make_net(module, seed, generator, target)
        self._train(dataset, target, resume, epochs)
        return self

    def _continued_dataset(self, X, target):
        """X through the fitted preprocessor (no refit), checked against fit's modalities."""
        if self.lazy:
            _check_lazy_frame(X)
            return LazyModalityDataset(X, self.preprocessor_, self.modalities_, target)
        return self._dataset(self._modalities(X), target)

    @scoped
    def _partial_fit(self, X, y, sample_weight, classes=None):
        """One epoch on (X, y); the first call fits the preprocessor and builds the network."""
        return self._fit(X, y, sample_weight, continuing=hasattr(self, "net_"), epochs=1, classes=classes)

    def _class_weights(self, target):
        """Per-sample weights from ``class_weight`` (the classifier's; None here)."""
        return None

    def save_params(self, f_params):
        """Save weights, fitted state and configuration in a format that runs no code on load.

        The file holds only plain data and tensors (``torch.save``), and the
        fitted preprocessing as allow-listed classes with plain parameters
        (see the user guide's "Saving and loading" page). Training history
        is not kept.

        Parameters
        ----------
        f_params : str, path or file object
        """
        check_is_fitted(self, "net_")
        persistence.save(self, f_params, self._configuration(NETWORK))

    def load_params(self, f_params, map_location=None):
        """Load what :meth:`save_params` wrote into this estimator, all or nothing.

        Construct the estimator with the same ``preprocessor``, ``encoders``,
        ``fusion``, ``hidden_size`` and ``dropout`` as the saved one, then
        call this instead of ``fit``; it predicts identically. The file is
        decoded and checked completely (allow-listed classes, plain data,
        the recorded configuration, every weight's shape) before anything
        is assigned: on any error this estimator is left as it was.

        Parameters
        ----------
        f_params : str, path or file object
        map_location : str or torch.device, default=None
            Where tensors are loaded; None uses this estimator's ``device``,
            so weights saved from a GPU load on a CPU-only machine.

        Returns
        -------
        self
        """
        source = os.fspath(f_params) if isinstance(f_params, (str, os.PathLike)) else "the params file"
        name, config, fitted, module_state = persistence.load(
            f_params, type(self), self.device if map_location is None else map_location
        )
        if name != type(self).__name__:
            raise ValueError(f"{source!r} holds a {name}, not a {type(self).__name__}.")
        difference = first_difference(config, self._configuration(NETWORK))
        if difference is not None:
            where, saved, current = difference
            raise ValueError(
                f"{source!r} was saved from an estimator with {where}={short(saved)}, but this one "
                f"has {where}={short(current)}; construct it with the saved parameters."
            )
        staged = self._staged_load(fitted, module_state, source)
        # Everything decoded and checked: only now does this estimator change.
        for key in self._fitted_names():
            delattr(self, key)
        self.__dict__.update({key: getattr(staged, key) for key in staged._fitted_names()})
        return self

    def _fitted_names(self):
        params = self.get_params(deep=False)
        return [k for k in vars(self) if k.endswith("_") and not k.startswith("_") and k not in params]

    def _staged_load(self, fitted, module_state, source):
        """A copy of this estimator with the loaded state; this one is not touched."""
        staged = copy.copy(self)
        staged.__dict__ = {k: v for k, v in vars(self).items() if k not in self._fitted_names()}
        staged.__dict__.update(fitted)
        try:
            if (self.preprocessor is None) != ("preprocessor_" not in fitted):
                raise ValueError("preprocessor_ in the file does not match this estimator's preprocessor")
            staged._check_loaded()
            n_outputs = staged._n_outputs()
            # Sized on the meta device first (no memory): a file claiming a huge
            # vocabulary or output size is refused before anything is allocated.
            with torch.device("meta"):
                skeleton = staged._build_module(n_outputs)
            expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
            got = {k: tuple(v.shape) for k, v in module_state.items()}
            if expected != got:
                key = sorted(set(expected) ^ set(got)) or [k for k in sorted(expected) if expected[k] != got[k]]
                raise ValueError(
                    f"its weights do not fit the network this estimator builds ({key[0]}: "
                    f"{got.get(key[0], 'absent')} in the file, {expected.get(key[0], 'absent')} here)"
                )
            with drawing_from(torch.Generator()):  # leave the global stream alone
                module = staged._build_module(n_outputs)
            module.load_state_dict(module_state)
            staged.net_ = staged._make_net(module, seed=0)
            staged.net_.initialize()
            staged.net_.module_.load_state_dict(module_state)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError) as exc:
            raise ValueError(f"{source!r} cannot be loaded: {exc}; nothing was loaded.") from None
        return staged

    def _check_loaded(self):
        """Check the fitted attributes read from a params file agree with each other."""

    def _input(self, X):
        """X as predict takes it -> dict of modality arrays (after the preprocessor).

        Inspection tools perturb this dict and call ``_predict``/``_proba``
        on it, so media are decoded once rather than once per perturbation.
        """
        check_is_fitted(self, "net_")
        self._check_n_features(X)
        if self.lazy:
            _check_lazy_frame(X)
            return LazyModalityDataset(X, self.preprocessor_, self.modalities_)
        return self._modalities(X)

    def _without(self, data, name):
        """``data`` with modality ``name`` absent from every sample (for inspection)."""
        return without(data, name)

    def _forward(self, data):
        """Network outputs (logits or scaled values) for a dict of modality arrays."""
        dataset = data if isinstance(data, LazyModalityDataset) else self._dataset(data)
        with torch.no_grad():
            return self.net_.forward(dataset, training=False, device="cpu")

    @scoped
    def modality_weights(self, X):
        """The weight the fusion gives each modality, sample by sample.

        For fusions that weigh modalities: ``"attention"`` (softmax weights),
        ``"gated"`` (mean gate), ``Late(weights="learned")``; absent
        modalities get 0.

        Parameters
        ----------
        X : DataFrame, ModalityDict or array
            As in ``predict``.

        Returns
        -------
        weights : DataFrame of shape (n_samples, n_modalities)
            Columns are the modality names (sorted); the index is X's when
            X is a DataFrame.
        """
        parts = self._per_batch(self._input(X), lambda module, batch: module.modality_weights(batch).cpu())
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(torch.cat(parts).numpy(), columns=sorted(self.modalities_), index=index)

    @property
    def history_(self):
        """skorch's training history (loss per epoch and batch)."""
        check_is_fitted(self, "net_")
        return self.net_.history
