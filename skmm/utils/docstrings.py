"""Docstring pieces several public objects share, written once.

A docstring line that holds only ``{name}`` (a key of :data:`FRAGMENTS`) is
replaced by that fragment, indented as the line was, when the object is
decorated with :func:`fill_doc`. Only whole lines are read as placeholders,
so braces elsewhere (``{"error", "mask"}``, ``encoders={modality: name}``)
stay as they are; an unknown name fails at import, not in the rendered docs.
"""

from __future__ import annotations

import re
from typing import TypeVar

_T = TypeVar("_T")

#: Fragment name -> text (its first line at no indentation).
FRAGMENTS = {
    # What predict and predict_proba take.
    "prediction_parameters": """\
Parameters
----------
X : DataFrame, ModalityDict or array
    As in ``fit``, or what :meth:`preprocess` returned.""",
    # What the other methods that run the network take.
    "network_input_parameters": """\
Parameters
----------
X : DataFrame, ModalityDict or array
    As in ``predict`` (or what :meth:`preprocess` returned).""",
    # The encoders that end in an output layer: its size and dropout.
    "output_layer_parameters": """\
hidden_size : int or None
    Output size (None: the estimator's).
dropout : float or None
    Before the output layer (None: the estimator's).""",
    # What a fusion module is built from.
    "fusion_dims_parameters": """\
Parameters
----------
dims : dict of str -> int
    Each modality's vector size (``names`` are its sorted keys).""",
    # skmm's Adam and AdamW (skmm.nn.optim).
    "adam_parameters": """\
Parameters
----------
params : iterable
    Parameters or parameter groups.
**kwargs
    As torch's class (``lr``, ``betas``, ``eps``, ``weight_decay``); with
    ``amsgrad`` or ``maximize``, embedding tables cannot train by rows
    (``step`` raises): pass torch's class as ``optimizer=`` instead.""",
    # What the text preprocessors' fit and transform take (fit adds y).
    "texts_parameters": """\
Parameters
----------
X : Series, one-column DataFrame, 1-D array or list of str
    The texts.""",
}

_PLACEHOLDER = re.compile(r"^([ \t]*)\{(\w+)\}[ \t]*$", flags=re.MULTILINE)


def filled(doc: str, fragments: dict | None = None) -> str:
    """``doc`` with every whole-line ``{name}`` replaced by its fragment, indented like the line."""
    fragments = FRAGMENTS if fragments is None else fragments

    def replace(match):
        indent, name = match.groups()
        if name not in fragments:
            raise KeyError(f"docstring placeholder {{{name}}} names no fragment; known: {sorted(fragments)}")
        return "\n".join(indent + line if line else line for line in fragments[name].splitlines())

    return _PLACEHOLDER.sub(replace, doc)


def fill_doc(obj: _T) -> _T:
    """Decorator: fill the ``{name}`` lines of a function's or class's docstring (see :func:`filled`)."""
    obj.__doc__ = filled(obj.__doc__ or "")
    return obj

