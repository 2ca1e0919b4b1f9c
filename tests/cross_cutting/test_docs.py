"""Fast checks of the docs sources (the full build is `make docs`)."""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))


def test_gallery_has_the_promised_examples():
    names = {path.stem for path in EXAMPLES}
    assert {"plot_first_fit", "plot_modality_importance", "plot_grid_search"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_gallery_example_starts_with_an_rst_title(path):
    # sphinx-gallery takes the page title from the docstring's first lines.
    docstring = ast.get_docstring(ast.parse(path.read_text()), clean=True)
    assert docstring, f"{path.name} needs a module docstring"
    title, underline = docstring.splitlines()[:2]
    assert title.strip() and set(underline) == {"="} and len(underline) >= len(title), path.name
    assert "SKMM_DOCS_FAST" in path.read_text(), f"{path.name} must have a fast mode for the docs build"


@pytest.fixture
def skmm_docs():
    pytest.importorskip("sphinx")
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import skmm_docs

        yield skmm_docs
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))


def test_api_pages_list_every_export(skmm_docs):
    import skmm.fusion
    import skmm.inspection

    page = skmm_docs._module_page("skmm.fusion")
    for cls in skmm.fusion.FUSIONS.values():
        assert f"   {cls.__name__}\n" in page
    assert "   modality_importance\n" in skmm_docs._module_page("skmm.inspection")
    assert skmm.inspection.__all__ == ["modality_importance"]


def test_choice_tables_cover_the_registries(skmm_docs):
    from skmm.encoders import ENCODERS
    from skmm.fusion import FUSIONS

    assert [name for name, _, _ in skmm_docs._rows("fusion")] == list(FUSIONS)
    assert [name for name, _, _ in skmm_docs._rows("encoders")] == list(ENCODERS)
    assert all(skmm_docs._summary(cls) for cls in FUSIONS.values())


def test_docstring_cleaning(skmm_docs):
    lines = ["y : ndarray of shape (n_samples, n_outputs_)", "See :ref:`User Guide <accuracy_score>`."]
    skmm_docs.clean_docstring(None, "method", "score", type("X", (), {"__module__": "sklearn.base"}), {}, lines)
    assert lines == ["y : ndarray of shape (n_samples, n_outputs\\_)", "See User Guide."]


def test_api_toctree_lists_the_public_modules():
    # The third copy of the module list: the API page's toctree must name
    # exactly the pages written for skmm.utils.public.PUBLIC_MODULES, in order.
    from skmm.utils.public import PUBLIC_MODULES

    pages = re.findall(r"^   generated/(\S+)$", (ROOT / "docs" / "api.rst").read_text(), flags=re.MULTILINE)
    assert pages == list(PUBLIC_MODULES)


def _gallery_conf(monkeypatch):
    """docs/conf.py's sphinx_gallery_conf, read without leaving its side effects behind."""
    import runpy
    import warnings

    monkeypatch.setenv("SKMM_DOCS_FAST", "1")  # conf.py sets it; monkeypatch restores it
    monkeypatch.setattr(sys, "path", list(sys.path))
    with warnings.catch_warnings():
        return runpy.run_path(str(ROOT / "docs" / "conf.py"))["sphinx_gallery_conf"]


def test_gallery_conf_has_no_deprecated_options(monkeypatch):
    # sphinx-gallery >= 0.20 ignores reference_url and logs that it is deprecated.
    assert "reference_url" not in _gallery_conf(monkeypatch)


def test_gallery_runs_the_plot_examples_and_shows_the_real_data_one_unrun(monkeypatch):
    conf = _gallery_conf(monkeypatch)
    ran, shown = set(), set()
    for path in (ROOT / "examples").glob("*.py"):
        # sphinx-gallery matches both patterns against the full path of the file.
        if re.search(conf["ignore_pattern"], str(path)):
            continue
        shown.add(path.name)
        if re.search(conf["filename_pattern"], str(path)):
            ran.add(path.name)
    assert ran == {path.name for path in EXAMPLES}
    assert shown - ran == {"real_wesnoth_units.py"}


def test_real_data_example_compiles_and_says_it_is_not_run():
    import py_compile

    path = ROOT / "examples" / "real_wesnoth_units.py"
    py_compile.compile(str(path), doraise=True)
    docstring = ast.get_docstring(ast.parse(path.read_text()), clean=True)
    title, underline = docstring.splitlines()[:2]
    assert set(underline) == {"="} and len(underline) >= len(title)
    assert "Not executed by the documentation build" in docstring
    # What the issue asks the example to show.
    code = path.read_text()
    for piece in ("GridSearchCV(", "make_baseline(", 'class_weight="balanced"', "modality_importance(",
                  "plot_modality_importance(", "fetch_wesnoth_units("):
        assert piece in code, piece


@pytest.mark.slow
def test_real_data_example_runs_in_its_quick_mode(monkeypatch, tmp_path):
    import os
    import runpy

    data_home = Path(os.environ.get("SKMM_DATA") or Path.home() / "skmm_data")
    if not list(data_home.glob("wesnoth_units-*/index.csv")):
        pytest.skip(f"no Wesnoth units cache under {data_home} (built by fetch_wesnoth_units)")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("SKMM_DOCS_FAST", "1")
    namespace = runpy.run_path(str(ROOT / "examples" / "real_wesnoth_units.py"))
    assert len(namespace["results"]) == 3  # two fusions and the baseline
    assert 0 <= namespace["importance"].baseline_score <= 1
