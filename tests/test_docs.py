"""Fast checks of the docs sources (the full build is `make docs`)."""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
    # exactly the pages written for skmm._public.PUBLIC_MODULES, in order.
    from skmm._public import PUBLIC_MODULES

    pages = re.findall(r"^   generated/(\S+)$", (ROOT / "docs" / "api.rst").read_text(), flags=re.MULTILINE)
    assert pages == list(PUBLIC_MODULES)
