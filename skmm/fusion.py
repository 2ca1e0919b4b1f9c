"""Fusion choices: names and parameter objects for ``fusion=``."""

from __future__ import annotations

from sklearn.base import BaseEstimator

from .nn.fusion import ConcatFusion


class FusionSpec(BaseEstimator):
    """Base of fusion choices: parameters plus ``build``.

    ``build(dims, *, hidden_size, dropout, n_outputs)`` gets each modality's
    encoder size by name and returns an ``nn.Module`` with ``output_dim``.
    """


class Concat(FusionSpec):
    """Concatenate the modality vectors (early, feature-level fusion)."""

    def build(self, dims, *, hidden_size, dropout, n_outputs):
        return ConcatFusion(dims)


FUSIONS = {"concat": Concat}


def resolve_fusion(choice):
    """A FusionSpec from a name or a spec."""
    if isinstance(choice, str):
        if choice not in FUSIONS:
            raise ValueError(f"unknown fusion {choice!r}; choose one of {sorted(FUSIONS)}.")
        return FUSIONS[choice]()
    if not isinstance(choice, FusionSpec):
        raise TypeError(
            f"fusion must be a fusion name or an skmm.fusion object, got {type(choice).__name__}."
        )
    return choice
