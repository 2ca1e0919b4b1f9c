"""save_params / load_params: a fitted estimator to a file that runs no code on load, and back."""

from __future__ import annotations

import copy
import os
from typing import IO, Any, Callable, TypeVar

import torch
from sklearn.utils.validation import check_is_fitted

from ..persistence import params_file as persistence
from ..persistence.config import NETWORK, first_difference, short
from .seeding import drawing_from

_Self = TypeVar("_Self", bound="SavingMixin")


class SavingMixin:
    """Saving and all-or-nothing loading; part of :class:`BaseMultimodal`.

    Reads the subclass contract (``_n_outputs``, ``_check_loaded``, ``_build_module``) declared
    in :mod:`skmm.estimators.base`.
    """

    # Read from BaseMultimodal (declared here for the type checker).
    device: str | torch.device
    _configuration: Callable[..., dict[str, Any]]

    def save_params(self, f_params: str | os.PathLike | IO[bytes]) -> None:
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

    def load_params(
        self: _Self, f_params: str | os.PathLike | IO[bytes], map_location: str | torch.device | None = None
    ) -> _Self:
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
        self.__dict__.update({key: getattr(staged, key) for key in self._fitted_names(staged)})
        return self

    def _fitted_names(self, estimator=None):
        """Names of the learned attributes (``name_``) of ``estimator`` (this one by default)."""
        estimator = self if estimator is None else estimator
        params = estimator.get_params(deep=False)
        return [k for k in vars(estimator) if k.endswith("_") and not k.startswith("_") and k not in params]

    def _staged_load(self, fitted, module_state, source):
        """A copy of this estimator with the loaded state; this one is not touched."""
        staged = copy.copy(self)
        staged.__dict__ = {k: v for k, v in vars(self).items() if k not in self._fitted_names()}
        staged.__dict__.update(fitted)
        try:
            if (self.preprocessor is None) != ("preprocessor_" not in fitted):
                raise ValueError("preprocessor_ in the file does not match this estimator's preprocessor")
            staged._restore_net(module_state)  # the same class: a method of this file
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError) as exc:
            raise ValueError(f"{source!r} cannot be loaded: {exc}; nothing was loaded.") from None
        return staged

    def _restore_net(self, module_state):
        """``net_`` with the file's weights, after checking they fit the network this estimator builds."""
        self._check_loaded()
        n_outputs = self._n_outputs()
        # Sized on the meta device first (no memory): a file claiming a huge
        # vocabulary or output size is refused before anything is allocated.
        with torch.device("meta"):
            skeleton = self._build_module(n_outputs)
        expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
        got = {k: tuple(v.shape) for k, v in module_state.items()}
        if expected != got:
            key = sorted(set(expected) ^ set(got)) or [k for k in sorted(expected) if expected[k] != got[k]]
            raise ValueError(
                f"its weights do not fit the network this estimator builds ({key[0]}: "
                f"{got.get(key[0], 'absent')} in the file, {expected.get(key[0], 'absent')} here)"
            )
        with drawing_from(torch.Generator()):  # leave the global stream alone
            module = self._build_module(n_outputs)
        module.load_state_dict(module_state)
        self.net_ = self._make_net(module, seed=0)
        self.net_.initialize()
        self.net_.module_.load_state_dict(module_state)
