"""Any torch module as a modality's encoder (e.g. a pretrained network)."""

from __future__ import annotations

import copy
import inspect
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ..utils.spec_params import POSITIVE_INT
from .base import EncoderModule, EncoderSpec


class Custom(EncoderSpec):
    """Any torch module as a modality's encoder (e.g. a pretrained network).

    Parameters
    ----------
    module : torch.nn.Module
        Maps a batch ``x`` of the modality (token ids, frames, images or
        vectors, as tensors) to ``(n, output_dim)``; called as
        ``module(x, lengths)`` when its ``forward`` takes a ``lengths``
        argument (or a second positional one), else ``module(x)``. Each fit
        trains a deep copy, so clones and refits never share weights and the
        object given here is never modified. For cross-attention, the
        module's own ``encode_steps`` (and ``step_dim``) are used when it
        has them, else its output vector is one step.
    output_dim : int
        Size of the module's output.
    freeze : bool, default=False
        Keep the module's weights fixed (no gradients) and the module in
        eval mode (batchnorm statistics, dropout off) during training.
    kinds : tuple of str, default=("tokens", "frames", "image", "video", "vector")
        The data kinds it may encode.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skmm import MultimodalClassifier
    >>> from skmm.encoders import Custom
    >>> pretrained = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
    >>> clf = MultimodalClassifier(
    ...     encoders={"x": Custom(pretrained, output_dim=8, freeze=True)},
    ...     max_epochs=2, verbose=0, random_state=0)
    >>> X, y = np.random.RandomState(0).rand(20, 4), np.arange(20) % 2
    >>> clf.fit(X, y).predict(X).shape
    (20,)
    >>> bool((clf.net_.module_.encoders["x"].module[0].weight == pretrained[0].weight).all())
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        # Checked in build_module, with a message that names torch.nn.Module.
        "module": "no_validation",
        "output_dim": [POSITIVE_INT],
        "freeze": ["boolean"],
        "kinds": [tuple, list],
    }

    def __init__(
        self, module: nn.Module, output_dim: int, *, freeze: bool = False,
        kinds: tuple[str, ...] = ("tokens", "frames", "image", "video", "vector"),
    ) -> None:
        self.module = module
        self.output_dim = output_dim
        self.freeze = freeze
        self.kinds = kinds

    def build_module(self, info: Any, *, hidden_size: int, dropout: float) -> CustomEncoder:
        if not isinstance(self.module, nn.Module):
            raise TypeError(f"Custom: module must be a torch.nn.Module, got {type(self.module).__name__}.")
        return CustomEncoder(copy.deepcopy(self.module), self.output_dim, freeze=self.freeze)


def _takes_lengths(module: nn.Module) -> bool:
    try:
        parameters = inspect.signature(module.forward).parameters
    except (TypeError, ValueError):
        return False
    if "lengths" in parameters:
        return True
    positional = [
        p for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters.values())


class CustomEncoder(EncoderModule):
    """The module of :class:`Custom` (see there).

    Parameters
    ----------
    module : nn.Module
    output_dim : int
    freeze : bool
        As :class:`Custom`'s; a frozen module's parameters do not require
        gradients and it stays in eval mode even while the network trains.

    Examples
    --------
    >>> import torch
    >>> from skmm.encoders import CustomEncoder
    >>> pretrained = torch.nn.Sequential(torch.nn.Linear(10, 8), torch.nn.ReLU())
    >>> encoder = CustomEncoder(pretrained, 8, freeze=True)
    >>> encoder(torch.zeros(4, 10)).shape
    torch.Size([4, 8])
    >>> any(p.requires_grad for p in encoder.parameters())
    False
    >>> encoder.train().module.training  # a frozen module stays in eval mode
    False
    """

    takes_trimmed_steps = False  # a user's module may read the padded length (a flatten, a fixed kernel)

    def __init__(self, module: nn.Module, output_dim: int, *, freeze: bool = False) -> None:
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}.")
        self.module = module
        self.output_dim = int(output_dim)
        self.freeze = bool(freeze)
        self.step_dim = self.output_dim
        if hasattr(module, "encode_steps"):
            self.step_dim = getattr(module, "step_dim", self.output_dim)
        self._pass_lengths = _takes_lengths(module)
        if self.freeze:
            for parameter in self.module.parameters():
                parameter.requires_grad_(False)
            self.module.eval()

    def train(self, mode: bool = True) -> CustomEncoder:
        super().train(mode)
        if self.freeze:
            self.module.eval()
        return self

    def _grad(self) -> AbstractContextManager:
        return torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        with self._grad():
            out = self.module(x, lengths) if self._pass_lengths else self.module(x)
        if out.ndim != 2 or out.shape[1] != self.output_dim:
            raise ValueError(
                f"the custom encoder's module returned shape {tuple(out.shape)}; "
                f"expected (n_samples, output_dim={self.output_dim})."
            )
        return out

    def encode_steps(self, x: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if hasattr(self.module, "encode_steps"):
            with self._grad():
                # A method of the user's module, which nn.Module's __getattr__ stub types as Tensor | Module.
                return self.module.encode_steps(x, lengths)  # type: ignore[operator]
        return super().encode_steps(x, lengths)
