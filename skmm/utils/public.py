"""The public modules: one list, read by the API reference (``docs/conf.py``)
and by the docstring and type-hint checks (``tests/cross_cutting/``)."""

from __future__ import annotations

import importlib
import inspect

PUBLIC_MODULES = (
    "skmm",
    "skmm.preprocessing",
    "skmm.encoders",
    "skmm.augment",
    "skmm.fusion",
    "skmm.balance",
    "skmm.nn",
    "skmm.nn.optim",
    "skmm.baselines",
    "skmm.metrics",
    "skmm.datasets",
    "skmm.inspection",
    "skmm.plotting",
    "skmm.dask",
    "skmm.accelerate",
    "skmm.export",
)


def public_objects(name: str) -> list[tuple[str, object]]:
    """``(qualified name, object)`` of a module's ``__all__`` (callables only) or,
    without ``__all__``, of the public classes and functions defined in it."""
    module = importlib.import_module(name)
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:
        names = [
            n for n, obj in vars(module).items()
            if not n.startswith("_")
            and (inspect.isclass(obj) or inspect.isfunction(obj))
            and getattr(obj, "__module__", None) == name
        ]
    objects = [(f"{name}.{n}", getattr(module, n)) for n in names]
    # Registries such as ENCODERS / FUSIONS (dicts) are data, not API objects.
    return [(qualname, obj) for qualname, obj in objects if inspect.isclass(obj) or callable(obj)]
