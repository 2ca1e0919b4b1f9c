"""The package's layout: no import circle, dependencies one way, a public root, small modules.

The import graph is read from the source (:mod:`import_graph`): every import
statement counts, also one inside a function (which would hide a circle
from the interpreter) or under ``TYPE_CHECKING``.
"""

import ast
import subprocess
import sys

import pytest
from import_graph import cycles, graph, modules, package_graph, package_of

#: The layers of skmm from the bottom up: a package may import only from layers below its own.
LAYERS = [
    {"skmm.utils"},
    {"skmm.compose", "skmm.pretrained", "skmm.datasets", "skmm.plotting", "skmm.dask", "skmm.metrics"},
    {"skmm.preprocessing"},
    {"skmm.data"},
    {"skmm.encoders", "skmm.fusion", "skmm.augment"},
    {"skmm.balance"},
    {"skmm.nn"},
    {"skmm.persistence"},
    {"skmm.estimators"},
    {"skmm.accelerate", "skmm.export", "skmm.inspection", "skmm.baselines"},
]
LAYER = {package: level for level, packages in enumerate(LAYERS) for package in packages}


def test_no_import_circle_between_modules():
    assert cycles(graph()) == []


def test_no_import_circle_between_packages():
    assert cycles(package_graph()) == []


def test_every_package_has_a_layer():
    assert set(package_graph()) - {"skmm"} == set(LAYER)


def test_dependencies_point_down_the_layers():
    upward = sorted(
        (package, target)
        for package, targets in package_graph().items() if package != "skmm"
        for target in targets if LAYER[target] >= LAYER[package]
    )
    assert upward == []


def test_the_root_holds_only_what_users_import():
    root = {name.split(".")[1] for name in modules() if name != "skmm"}
    public = {"compose", "encoders", "fusion", "preprocessing", "estimators", "augment", "inspection", "plotting",
              "export", "baselines", "datasets", "dask", "accelerate", "nn", "balance", "metrics"}
    private_packages = {"utils", "persistence", "pretrained", "data"}  # each says so in its docstring
    assert root <= public | private_packages
    assert not any(name.startswith("_") for name in root)
    for name in private_packages:
        assert "Private" in __import__(f"skmm.{name}", fromlist=["_"]).__doc__


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_every_module_imports_in_a_fresh_interpreter(order):
    names = sorted(modules(), reverse=order == "reversed")
    code = "import importlib\nfor name in %r:\n    importlib.import_module(name)\n" % names
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_package_of():
    assert package_of("skmm.encoders.conv") == "skmm.encoders"
    assert package_of("skmm.inspection") == "skmm.inspection"


def test_no_module_is_longer_than_350_lines():
    long = {name: n for name, path in modules().items() if (n := len(path.read_text().splitlines())) > 350}
    assert long == {}


def _sklearn_private_imports(path):
    """``module.name`` of each private scikit-learn name ``path`` imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sklearn":
            found += [f"{node.module}.{a.name}" for a in node.names
                      if any(part.startswith("_") for part in [*node.module.split("."), a.name])]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names
                      if a.name.split(".")[0] == "sklearn" and any(p.startswith("_") for p in a.name.split("."))]
    return found


def test_only_the_compat_module_imports_private_sklearn_names():
    importers = {name for name, path in modules().items() if _sklearn_private_imports(path)}
    assert importers == {"skmm.utils.sklearn_compat"}
