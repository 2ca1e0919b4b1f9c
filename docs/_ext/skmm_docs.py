"""skmm's Sphinx helpers.

* API pages: on ``config-inited``, one page per module of
  ``skmm_api_modules`` is written to ``generated/``, listing that module's
  ``__all__`` (or, without one, its public classes and functions; classes, then functions) in autosummary tables whose stubs
  autosummary then generates.
* Docstring hygiene: sklearn's generated ``set_*_request`` /
  ``get_metadata_routing`` methods are left out, ``:ref:``/``:term:`` links
  in docstrings inherited from sklearn's mixins (which point into sklearn's
  own docs) become plain text, and a name ending in ``_`` before ``)`` or ``,`` in a
  docstring line without backquotes (``(n_samples, n_outputs_)``) is escaped,
  so docutils does not read it as a link target.
* The directive ``.. skmm-choices:: fusion`` (or ``encoders``), which renders the table of names accepted by ``fusion=`` / ``encoders=`` straight
from the registry in the code (``skmm.fusion.FUSIONS``,
``skmm.encoders.ENCODERS``), with each class's one-line summary, so a choice
added to the code appears in the user guide as a new row without editing
the page.
"""

import importlib
import inspect
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


def _summary(cls):
    doc = inspect.getdoc(cls) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _rows(which):
    if which == "fusion":
        from skmm.fusion import FUSIONS

        return [(name, cls, ", ".join(_params(cls)) or "—") for name, cls in FUSIONS.items()]
    if which == "balance":
        from skmm.balance import BALANCES

        return [(name, cls, ", ".join(_params(cls)) or "—") for name, cls in BALANCES.items()]
    if which == "encoders":
        from skmm.encoders import DEFAULT_ENCODERS, ENCODERS

        defaults = {}
        for kind, name in DEFAULT_ENCODERS.items():
            defaults.setdefault(name, []).append(kind)
        return [
            (name, cls, ", ".join(cls.kinds) + (f" (default for {', '.join(defaults[name])})" if name in defaults else ""))
            for name, cls in ENCODERS.items()
        ]
    raise ValueError(f"skmm-choices takes 'fusion', 'balance' or 'encoders', got {which!r}")


def _params(cls):
    return [
        f"``{p.name}``" for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]


class ChoicesDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        which = self.arguments[0]
        third = "data kinds" if which == "encoders" else "parameters"
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 15 20 45 20",
            "",
            "   * - name",
            "     - object",
            "     - what it does",
            f"     - {third}",
        ]
        for name, cls, extra in _rows(which):
            lines += [
                f'   * - ``"{name}"``',
                f"     - :class:`~{cls.__module__}.{cls.__name__}`",
                f"     - {_summary(cls) or '—'}",
                f"     - {extra}",
            ]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="skmm-choices"), self.content_offset, container)
        return container.children


def _module_page(name):
    module = importlib.import_module(name)
    if hasattr(module, "__all__"):
        exported = list(module.__all__)
    else:  # public classes and functions defined in the module, in source order
        exported = [n for n, obj in vars(module).items() if not n.startswith("_")
                    and (inspect.isclass(obj) or inspect.isfunction(obj))
                    and getattr(obj, "__module__", None) == name]
    classes = [n for n in exported if inspect.isclass(getattr(module, n))]
    functions = [n for n in exported if n not in classes and callable(getattr(module, n))]
    lines = [name, "=" * len(name), "", f".. automodule:: {name}", "   :no-members:", "",
             f".. currentmodule:: {name}", ""]
    for title, names, template in [("Classes", classes, "skmm_class.rst"),
                                   ("Functions", functions, "skmm_function.rst")]:
        if names:
            lines += [title, "-" * len(title), "", ".. autosummary::", "   :toctree: .",
                      f"   :template: {template}", "   :nosignatures:", ""]
            lines += [f"   {n}" for n in names] + [""]
    return "\n".join(lines)


def write_api_pages(app, config):
    folder = Path(app.srcdir) / "generated"
    folder.mkdir(exist_ok=True)
    for name in config.skmm_api_modules:
        path = folder / f"{name}.rst"
        text = _module_page(name)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


_METADATA_METHODS = re.compile(r"^(set_\w+_request|get_metadata_routing)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\w`\\])([A-Za-z]\w*)_(?=[),])")


def skip_metadata_methods(app, what, name, obj, skip, options):
    if _METADATA_METHODS.match(name):
        return True
    return None


_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<([^>`]+)>)?`")


def _plain_role(match):
    return match.group(1) or match.group(2)


def clean_docstring(app, what, name, obj, options, lines):
    # Methods inherited from scikit-learn's mixins (score, set_output, ...)
    # point into scikit-learn's own user guide: keep their words, drop the links.
    from_sklearn = (getattr(obj, "__module__", None) or "").startswith("sklearn")
    for i, line in enumerate(lines):
        if from_sklearn:
            line = _SKLEARN_ROLE.sub(_plain_role, line)
        if "`" not in line:
            line = _TRAILING_UNDERSCORE.sub(r"\1\\_", line)
        lines[i] = line


def setup(app):
    app.add_config_value("skmm_api_modules", [], "env")
    app.connect("config-inited", write_api_pages)
    app.connect("autodoc-skip-member", skip_metadata_methods)
    app.connect("autodoc-process-docstring", clean_docstring, priority=100)
    app.add_directive("skmm-choices", ChoicesDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
