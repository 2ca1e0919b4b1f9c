"""Shared docstring fragments (skmm.utils.docstrings) land where they are named, and only there."""

import importlib
import inspect

import pytest

from skmm.utils.docstrings import _PLACEHOLDER, FRAGMENTS, filled
from skmm.utils.public import PUBLIC_MODULES


def test_whole_line_placeholders_are_filled_at_their_indentation():
    doc = 'Summary {"error", "mask"}.\n\n    {texts_parameters}\n    y : ignored\n'
    out = filled(doc)
    assert out.splitlines()[:2] == ['Summary {"error", "mask"}.', ""]  # inline braces untouched
    assert out.splitlines()[2:6] == [
        "    Parameters", "    ----------",
        "    X : Series, one-column DataFrame, 1-D array or list of str", "        The texts.",
    ]
    assert out.splitlines()[-1] == "    y : ignored"


def test_an_unknown_placeholder_fails_at_once():
    with pytest.raises(KeyError, match="no_such_fragment"):
        filled("Summary.\n\n    {no_such_fragment}\n")


def _documented():
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield obj
                if inspect.isclass(obj):
                    yield from (m for _, m in inspect.getmembers(obj, inspect.isfunction))


def test_no_public_docstring_keeps_a_placeholder_and_every_fragment_is_used():
    left = [obj.__qualname__ for obj in _documented() if _PLACEHOLDER.search(obj.__doc__ or "")]
    assert not left, f"docstrings with an unfilled {{fragment}} line: {left}"
    text = "\n".join(inspect.cleandoc(obj.__doc__ or "") for obj in _documented())
    unused = [name for name, fragment in FRAGMENTS.items() if fragment not in text]
    assert not unused, f"fragments no public docstring uses: {unused}"
