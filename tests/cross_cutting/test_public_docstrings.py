"""Every public class and function has a numpydoc docstring with runnable Examples.

The examples themselves run as doctests (``--doctest-modules`` on ``skmm/``);
this test only checks that the sections exist, so an object added without them
is caught by name.
"""

import inspect
import re

import pytest

from skmm.utils.public import PUBLIC_MODULES, public_objects

MODULES = PUBLIC_MODULES


PUBLIC = [item for name in MODULES for item in public_objects(name)]


def _sections(obj):
    """Titles of the numpydoc sections (a line underlined with dashes) of the
    object's own docstring (a class's docstring is not inherited)."""
    doc = inspect.cleandoc(obj.__doc__ or "")
    return set(re.findall(r"^(\w[\w ]*)\n-{3,}\s*$", doc, flags=re.MULTILINE))


def _takes_arguments(obj):
    """Whether calling the object (constructing it, for a class) takes arguments."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # no introspectable signature: object() without __init__
        return False
    return bool(signature.parameters)


def test_public_objects_are_found():
    names = {qualname for qualname, _ in PUBLIC}
    # Spot checks that the collection is not silently empty or skipping modules.
    assert {"skmm.MultimodalClassifier", "skmm.encoders.GRU", "skmm.fusion.LowRank",
            "skmm.baselines.make_baseline", "skmm.nn.MultimodalNetwork",
            "skmm.plotting.plot_confusion_matrix"} <= names
    assert not any(qualname.endswith((".ENCODERS", ".FUSIONS")) for qualname in names)


def test_every_public_object_has_examples():
    missing = sorted(qualname for qualname, obj in PUBLIC if "Examples" not in _sections(obj))
    assert not missing, f"public objects without an 'Examples' section: {missing}"


# "Parameters are those of :class:`MultimodalClassifier`." (MultimodalRegressor)
_DELEGATION = re.compile(r"Parameters are those of\s+:class:`~?([\w.]+)`", re.IGNORECASE)


def _parameter_names(obj):
    try:
        return list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return []


def _documents_arguments(obj):
    """A 'Parameters' or 'Returns' section, or a class whose docstring refers its
    parameters to another public class that documents them and takes exactly
    the same ones (so the reference is true, not a way around the rule)."""
    if {"Parameters", "Returns"} & _sections(obj):
        return True
    match = _DELEGATION.search(obj.__doc__ or "")
    if match is None or not inspect.isclass(obj):
        return False
    target_name = match.group(1).rsplit(".", 1)[-1]
    targets = [other for _, other in PUBLIC if getattr(other, "__name__", None) == target_name]
    return any(
        "Parameters" in _sections(target) and _parameter_names(target) == _parameter_names(obj)
        for target in targets
    )


def test_public_objects_with_arguments_document_them():
    missing = sorted(
        qualname for qualname, obj in PUBLIC
        if _takes_arguments(obj) and not _documents_arguments(obj)
    )
    assert not missing, (
        f"public objects that take arguments but have no 'Parameters' or 'Returns' section: {missing}"
    )


@pytest.mark.parametrize("qualname, obj", PUBLIC, ids=[qualname for qualname, _ in PUBLIC])
def test_examples_section_has_a_doctest(qualname, obj):
    doc = inspect.cleandoc(obj.__doc__ or "")
    match = re.search(r"^Examples\n-{3,}\s*$(.*)", doc, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        pytest.skip("no Examples section (reported by test_every_public_object_has_examples)")
    assert ">>> " in match.group(1), f"{qualname}: the Examples section has no doctest (>>>)"
