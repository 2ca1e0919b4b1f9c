"""No code reaches into another object's private methods or attributes.

An object's underscore names are its own: ``self._x`` and ``cls._x`` inside
its methods, ``super()._x``. Anything else (``est._predict(...)``,
``encoder._run(...)``, ``getattr(obj, "_x")``) couples a module to another's
internals, so the public, documented API must serve instead. Private
*modules* and their module-level helpers (``from skmm import _threads``;
``_threads._meter``) are the package's own layout, not an object's
internals, and stay allowed; so is replacing such a module-level helper in a
test (``monkeypatch.setattr(_threads, "_affinity", ...)``), and so is a
method reaching a private name that a class of its own file defines (another
instance of the same class).

The check reads the source with ``ast``, asking importlib only whether a
name is a module; it runs none of the files it checks.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("skmm", "benchmarks", "examples", "tests")

#: Private names other libraries declare as the way to extend them.
ALLOWED = {
    # scikit-learn: subclasses declare and extend their parameters' constraints here.
    "_parameter_constraints",
}
_ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in ALLOWED


@functools.lru_cache(maxsize=None)
def _is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


class _Finder(ast.NodeVisitor):
    """Collect ``owner._name`` where owner is neither the method's own object nor a module."""

    def __init__(self, path: Path):
        self.path = path
        self.modules: dict[str, str] = {}  # local name -> dotted module name
        self.owners: list[set] = [set()]  # names standing for the method's own object or class
        self.found: list[str] = []
        self.defined: set[str] = set()

    def visit_Module(self, node):
        # Names a class of this file defines are this file's to use (another
        # instance of the same class in one of its methods, say).
        for child in ast.walk(node):
            if isinstance(child, ast.ClassDef):
                for item in ast.walk(child):
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.defined.add(item.name)
                    elif isinstance(item, ast.Name) and isinstance(item.ctx, ast.Store):
                        self.defined.add(item.id)
                    elif isinstance(item, ast.Attribute) and isinstance(item.ctx, ast.Store) \
                            and isinstance(item.value, ast.Name) and item.value.id == "self":
                        self.defined.add(item.attr)
        self.generic_visit(node)

    # -- what the file imports ----------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self.modules[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.modules[top] = top

    def visit_ImportFrom(self, node):
        base = node.module or ""
        if node.level:
            package = ".".join(self.path.relative_to(ROOT).with_suffix("").parts[:-node.level])
            base = f"{package}.{base}" if base else package
        for alias in node.names:
            dotted = f"{base}.{alias.name}"
            if _is_module(dotted):
                self.modules[alias.asname or alias.name] = dotted

    # -- whose names are whose ----------------------------------------------
    def _function(self, node):
        args = node.args.posonlyargs + node.args.args
        own = {args[0].arg} if args and args[0].arg in ("self", "cls", "mcs") else set()
        self.owners.append(self.owners[-1] | own)  # a closure in a method still speaks for its object
        self.generic_visit(node)
        self.owners.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def _module_path(self, node) -> str | None:
        """The dotted module name ``node`` stands for, or None when it is not a module."""
        if isinstance(node, ast.Name):
            return self.modules.get(node.id)
        if isinstance(node, ast.Attribute):
            parent = self._module_path(node.value)
            if parent is not None and _is_module(f"{parent}.{node.attr}"):
                return f"{parent}.{node.attr}"
        return None

    def _own(self, node) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.owners[-1] or self.modules.get(node.id) is not None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super":
            return True
        return self._module_path(node) is not None

    def _report(self, node, text):
        self.found.append(f"{self.path.relative_to(ROOT)}:{node.lineno}: {text}")

    def visit_Attribute(self, node):
        if _private(node.attr) and node.attr not in self.defined and not self._own(node.value):
            self._report(node, ast.unparse(node))
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        # getattr(obj, "_x"), and monkeypatch.setattr(obj, "_x", ...) too.
        if name in _ATTRIBUTE_FUNCTIONS and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant):
            attr = node.args[1].value
            if isinstance(attr, str) and _private(attr) and attr not in self.defined and not self._own(node.args[0]):
                self._report(node, ast.unparse(node))
        self.generic_visit(node)


def private_accesses(folders=FOLDERS) -> list[str]:
    """Every place in ``folders`` that touches another object's private name."""
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            finder = _Finder(path)
            finder.visit(ast.parse(path.read_text(), filename=str(path)))
            found.extend(finder.found)
    return found


def test_no_module_reaches_into_another_objects_private_names():
    found = private_accesses()
    assert not found, "private names used from outside their object:\n" + "\n".join(found)


@pytest.mark.parametrize("source, bad", [
    ("def f(est):\n    return est._predict(1)\n", True),
    ("def f(clf):\n    return clf.net_.module_.encoders['a']._run(1)\n", True),
    ("def f(obj):\n    return getattr(obj, '_state')\n", True),
    ("def f(est, monkeypatch):\n    monkeypatch.setattr(est, '_forward', None)\n", True),
    ("class A:\n    def f(self):\n        return self._x + super()._y()\n", False),
    ("class A:\n    @classmethod\n    def f(cls):\n        return cls._x\n", False),
    ("from skmm import _threads\nn = _threads.usable_cores\n", False),
    ("from skmm import _threads\nm = _threads._meter\n", False),  # a module-level helper
    ("from skmm import _threads\nm = _threads._meter._last\n", True),  # its object's state
    ("import os\nos._exit\n", False),
    ("def f(x):\n    return x.__class__, x._parameter_constraints\n", False),
    ("def f(other):\n    return other._x\n", True),
    # Another instance of a class this file defines: the file's own name.
    ("class A:\n    def _x(self):\n        pass\n    def f(self, other):\n        return other._x()\n", False),
    ("class A:\n    def f(self):\n        def g(rows):\n            return self._y(rows)\n        return g\n", False),
])
def test_the_check_tells_own_names_from_others(source, bad):
    path = ROOT / "tests" / "_probe.py"  # a path inside the tree, for relative imports; never written
    finder = _Finder(path)
    finder.visit(ast.parse(source))
    assert bool(finder.found) is bad, finder.found
