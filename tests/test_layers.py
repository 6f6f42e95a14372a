"""The layers import downward only (read from the source with `ast`, nothing imported).

```
app.py                                    wiring
console · portal · bulletins              blueprints: never import each other
survey.respondent                         the respondent's blueprint
survey.web · survey.cli · survey.demo     shared web plumbing, commands, the demo district
survey.ops                                operations: a session in, rows out
survey.model · survey.db · survey.clock   tables, engine, the one clock, keys
instruments · analysis · reports          pure: no Flask, no SQLAlchemy, no survey
```
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("instruments", "analysis", "reports", "survey", "console", "portal", "bulletins")
PURE = ("instruments", "analysis", "reports")
BLUEPRINTS = ("console", "portal", "bulletins")
MAX_LINES = 400

# Layer of each part of `survey`: a module may import only its own layer and lower ones.
SURVEY_LAYERS = {
    "survey.clock": 0, "survey.keys": 0, "survey.db": 0, "survey.rawsql": 0, "survey.model": 0,
    "survey.ops": 1,
    "survey.web": 2, "survey.cli": 2, "survey.demo": 2,
    "survey.respondent": 3,
}
# Names from flask that belong to a request; operations and below never use them.
REQUEST_NAMES = {"request", "session", "g", "flash", "render_template", "redirect", "url_for",
                 "abort", "make_response"}
# survey.db keeps the one session of a request on `g` (and closes it on teardown).
REQUEST_NAMES_ALLOWED = {"survey.db": {"g"}}


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(), str(path))
    skipped = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
               and _type_checking(block) for stmt in block.body for n in ast.walk(stmt)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def _targets(module: str, names: list[str]) -> set[str]:
    """The project modules an import statement reaches (``from pkg import mod`` included)."""
    reached = set()
    for name in names:
        if f"{module}.{name}" in MODULES:
            reached.add(f"{module}.{name}")
    if module in MODULES or not reached:
        reached.add(module)
    return {m for m in reached if m.split(".")[0] in PACKAGES or m == "app"}


GRAPH = {name: set().union(*[_targets(m, n) for m, n in _imports(path)] or [set()])
         for name, path in MODULES.items()}


def _top(module: str) -> str:
    return module.split(".")[0]


def _survey_layer(module: str) -> int | None:
    for prefix, layer in SURVEY_LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def test_every_survey_module_has_a_layer():
    missing = [m for m in MODULES if _top(m) == "survey" and m != "survey"
               and _survey_layer(m) is None]
    assert not missing


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_import_no_web_database_or_survey_code(package):
    banned = {"flask", "flask_wtf", "flask_login", "flask_babel", "werkzeug", "sqlalchemy",
              "survey", "console", "portal", "bulletins", "app"}
    bad = [(m, imported) for m, path in MODULES.items() if _top(m) == package
           for imported, _names in _imports(path) if imported.split(".")[0] in banned]
    assert not bad


def test_survey_imports_no_blueprint_package():
    bad = [(m, t) for m, targets in GRAPH.items() if _top(m) == "survey"
           for t in targets if _top(t) in BLUEPRINTS or t == "app"]
    assert not bad


def test_survey_layers_import_downward_only():
    bad = []
    for module, targets in GRAPH.items():
        layer = _survey_layer(module)
        if layer is None:
            continue
        for target in targets:
            other = _survey_layer(target)
            if other is not None and other > layer:
                bad.append((module, target))
            # Siblings of the upper layers (web, cli, demo) do not lean on each other.
            same_level = other == layer and layer == 2
            if same_level and target.split(".")[1] != module.split(".")[1]:
                bad.append((module, target))
    assert not bad


def test_operations_and_below_use_no_request_state():
    bad = []
    for module, path in MODULES.items():
        layer = _survey_layer(module)
        if layer is None or layer > 1:
            continue
        for imported, names in _imports(path):
            used = REQUEST_NAMES & set(names) - REQUEST_NAMES_ALLOWED.get(module, set())
            if imported == "flask" and used:
                bad.append((module, sorted(used)))
            if imported.startswith("flask_login"):
                bad.append((module, imported))
    assert not bad


def test_blueprints_never_import_each_other():
    bad = [(m, t) for m, targets in GRAPH.items() if _top(m) in BLUEPRINTS
           for t in targets if _top(t) in BLUEPRINTS and _top(t) != _top(m)]
    assert not bad


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_no_circle_between_top_level_packages():
    edges = defaultdict(set)
    for module, targets in GRAPH.items():
        edges[_top(module)] |= {_top(t) for t in targets if _top(t) != _top(module)}
    assert not _cycles(edges)


def test_no_circle_of_modules_inside_a_package():
    # A package's __init__ gathering its own modules is not a circle of the modules.
    edges = {m: {t for t in targets if t != m and not m.startswith(t + ".")}
             for m, targets in GRAPH.items()}
    assert not _cycles(edges)


def test_no_module_is_over_the_size_limit():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long


def test_the_time_zone_is_built_in_one_module():
    builders = [m for m, path in MODULES.items()
                for imported, names in _imports(path)
                if (imported == "zoneinfo" and "ZoneInfo" in names) or imported == "pytz"]
    assert builders == ["survey.clock"]


def test_the_graph_sees_known_edges():
    """The checks above are only as good as the graph: it must see real imports."""
    assert "survey.ops.compute" in GRAPH["bulletins.cli"]
    assert "survey.model" in GRAPH["survey.ops.quarantine"]
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
