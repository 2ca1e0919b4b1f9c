"""Registering a parameter-object class under a name: one mechanism for encoders and fusions.

``register_encoder`` (:mod:`skmm.encoders.base`) and ``register_fusion``
(:mod:`skmm.fusion.base`) are this decorator over their own registry; their
docstrings are :data:`REGISTER_DOC` filled for each.
"""

from __future__ import annotations

from typing import Callable, TypeVar

Spec = TypeVar("Spec", bound=type)

REGISTER_DOC = """Class decorator: make a :class:`{base}` subclass choosable by name.

Parameters
----------
name : str
    The name {picked_by} picks it by (a key of :data:`{registry}`).

Returns
-------
decorator : callable
    Registers the class and returns it unchanged.

Examples
--------
>>> from {package} import {registry}, {parent}, {function}
>>> @{function}("my_{key}")
... class My{parent}({parent}):
...     pass
>>> {registry}["my_{key}"] is My{parent}
True
>>> del {registry}["my_{key}"]
"""


def registrar(registry: dict, name: str) -> Callable[[Spec], Spec]:
    """The class decorator that puts a class in ``registry`` under ``name`` and returns it unchanged."""

    def register(cls: Spec) -> Spec:
        registry[name] = cls
        return cls

    return register
