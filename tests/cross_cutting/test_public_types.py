"""Every public callable carries full type hints.

Public callables are the functions of each public module's ``__all__`` (see
:func:`skmm.utils.public.public_objects`) and, for its classes, ``__init__``,
the public methods and the properties that the class or one of its skmm bases
defines (what a user reaches on an instance; methods inherited from scikit-learn,
skorch or torch are theirs to type). Fully annotated means every parameter but a
method's ``self``/``cls`` has an annotation, ``*args``/``**kwargs`` included, and
so has the return, except ``__init__``'s.
"""

import inspect

from skmm.utils.public import PUBLIC_MODULES, public_objects


def _members(cls):
    """``(qualified name, function, is_method)`` of what ``cls`` and its skmm bases define:
    ``__init__``, public methods, and the getters of public properties. The first
    definition along the MRO wins, as on an instance."""
    seen = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("skmm"):
            continue
        for name, value in vars(base).items():
            if name in seen or (name.startswith("_") and name != "__init__"):
                continue
            seen.add(name)
            qualname = f"{base.__module__}.{base.__qualname__}.{name}"
            if isinstance(value, staticmethod):
                yield qualname, value.__func__, False
            elif isinstance(value, classmethod):
                yield qualname, value.__func__, True
            elif isinstance(value, property) and value.fget is not None:
                yield qualname, value.fget, True
            elif inspect.isfunction(value):
                yield qualname, value, True


def _public_callables():
    """``{qualified name: (function, is_method)}``, each function once (a class
    re-exported by several modules, or a base shared by several classes, counts once)."""
    found, seen = {}, set()
    for module in PUBLIC_MODULES:
        for qualname, obj in public_objects(module):
            if inspect.isclass(obj):
                members = list(_members(obj))
            elif inspect.isfunction(obj):
                members = [(qualname, obj, False)]
            else:  # an instance such as skmm.preprocessing.decode_cache: typed by its class
                members = [(f"{qualname}.__call__", type(obj).__call__, True)]
            for name, function, is_method in members:
                if function not in seen:
                    seen.add(function)
                    found[name] = (function, is_method)
    return found


PUBLIC_CALLABLES = _public_callables()


def _missing_annotations(function, is_method):
    signature = inspect.signature(function)
    missing = [
        name for position, (name, parameter) in enumerate(signature.parameters.items())
        if parameter.annotation is inspect.Parameter.empty
        and not (is_method and position == 0)
    ]
    if function.__name__ != "__init__" and signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_the_walk_finds_the_public_callables():
    # Spot checks that the collection reaches classes, their inherited skmm
    # methods, the spec interfaces and the module functions.
    names = set(PUBLIC_CALLABLES)
    assert {
        "skmm.compose.modality_transformer.ModalityTransformer.fit",
        "skmm.estimators.classifier.MultimodalClassifier.__init__",
        "skmm.estimators.base.BaseMultimodal.fit",
        "skmm.estimators.classifier.MultimodalClassifier.predict_proba",
        "skmm.preprocessing.text.TextSequencer.transform",
        "skmm.encoders.recurrent._Recurrent.build_module",
        "skmm.fusion.base.FusionSpec.build",
        "skmm.balance.staged.Staged.build_module",
        "skmm.datasets.make_av_digits",
        "skmm.export.export_onnx",
    } <= names, sorted(names)
    assert len(PUBLIC_CALLABLES) > 150


def test_public_callables_are_fully_annotated():
    missing = {
        name: gaps for name, (function, is_method) in sorted(PUBLIC_CALLABLES.items())
        if (gaps := _missing_annotations(function, is_method))
    }
    assert not missing, (
        f"{len(missing)} of {len(PUBLIC_CALLABLES)} public callables lack annotations "
        "(parameter names, 'return'):\n" + "\n".join(f"  {name}: {gaps}" for name, gaps in missing.items())
    )
