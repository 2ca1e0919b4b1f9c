"""The import graph of skmm read from its source (every import statement, in functions too)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "skmm"


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules():
    """{module name: source path} for every module of skmm."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path, known):
    """The skmm modules ``path`` imports (a name imported from a package counts as its submodule if it is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "skmm")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "skmm":
                continue
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            found.update(subs)
            if len(subs) < len(node.names):
                found.add(target)
    return found


def graph():
    """{module: set of skmm modules it imports}."""
    known = modules()
    return {name: {m for m in imports(path, known) if m != name} for name, path in known.items()}


def package_of(module):
    """The unit of the package level: ``skmm.encoders.conv`` -> ``skmm.encoders``; root modules are their own."""
    parts = module.split(".")
    return ".".join(parts[:2])


def package_graph():
    edges = {}
    for module, targets in graph().items():
        edges.setdefault(package_of(module), set()).update(
            package_of(t) for t in targets if package_of(t) != package_of(module)
        )
    return edges


def cycles(edges):
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found
