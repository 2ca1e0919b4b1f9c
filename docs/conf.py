"""Sphinx configuration of the skmm documentation (offline; warnings are errors in `make docs`)."""

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import skmm  # noqa: E402
from skmm.utils.public import PUBLIC_MODULES  # noqa: E402

project = "skmm"
author = "skmm developers"
copyright = "skmm developers, BSD-3-Clause"
version = release = skmm.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "skmm_docs",
]

exclude_patterns = ["_build", "_ext", "**/README.md", "sg_execution_times.rst"]
templates_path = ["_templates"]
default_role = "py:obj"
nitpicky = False

# -- API reference -----------------------------------------------------------
# One page per public module (skmm.utils.public, the list the docstring tests
# read too), listing what its ``__all__`` exports (so a class added to a module
# shows up by itself); written to generated/ by skmm_docs.
skmm_api_modules = list(PUBLIC_MODULES)
autosummary_generate = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False  # autosummary lists members; avoid duplicate stubs
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Gallery -------------------------------------------------------------------
# ``plot_*.py`` run during the build with the small sizes written in them.
# Any other example is shown (code, text, download) but not run: those need
# data a fresh machine lacks (``real_*.py``: the Wesnoth units, built from a
# ~150 MB Debian package) or take minutes (``demo.py`` is left out entirely).
os.environ.setdefault("SKMM_DOCS_FAST", "1")
warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"demo\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = "skmm"
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False
