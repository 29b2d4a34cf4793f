"""The architecture holds: compare/'s imports point one way, from the command line down to the problem, and no
module imports another that imports it back, directly or through others."""
import ast
from pathlib import Path

import pytest

COMPARE = Path(__file__).resolve().parent.parent / "compare"
# Bottom to top; the rooms of one layer are independent of each other (compare/__init__.py says what each is for).
LAYERS = [
    {"compare.errors"},
    {"compare.frameworks"},
    {"compare.problem"},
    {"compare.check", "compare.timing", "compare.own"},
    {"compare.run"},
    {"compare.report"},
    {"compare.commands"},
    {"compare.cli", "compare.testing"},
    {"compare.__main__", "compare.docsdata"},  # python -m compare: the command line; the docs' generator drives it
]


def room(module):
    """The room a module belongs to: its subpackage, or the top-level module itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def layer(module):
    return next(i for i, rooms in enumerate(LAYERS) if room(module) in rooms)


def modules():
    """Every module under compare/ by its dotted name."""
    return {".".join(path.relative_to(COMPARE.parent).with_suffix("").parts).removesuffix(".__init__"): path
            for path in COMPARE.rglob("*.py")}


def imports(path, name):
    """The compare modules a module imports, at its top or inside a function: (imported module, line)."""
    found = []
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.startswith("compare")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package up node.level − 1 levels
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("compare"):
                known = modules()
                found += [(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base, node.lineno)
                          for alias in node.names]
    return found


def upward(graph_modules):
    """Each import that runs up a layer, or across to another room of the same layer: 'a line N imports b'."""
    wrong = []
    for name, path in graph_modules.items():
        for target, line in imports(path, name):
            if room(target) == room(name) or target == "compare":
                continue
            if layer(target) >= layer(name):
                wrong.append(f"{name} line {line} imports {target}")
    return wrong


def cycles(graph_modules):
    """Each import cycle among modules, as a list of its members."""
    graph = {name: {t for t, _ in imports(path, name) if t in graph_modules and t != name}
             for name, path in graph_modules.items()}
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_every_module_sits_in_a_room_of_a_layer_and_the_top_level_stays_small():
    found = modules()
    assert all(any(room(name) in rooms for rooms in LAYERS) for name in found if name != "compare"), sorted(found)
    top = [path for path in COMPARE.glob("*.py")]
    assert len(top) <= 8, sorted(p.name for p in top)
    for package in COMPARE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(package.read_text()))
        assert docstring and "\n" not in docstring.strip(), package  # one line: what it is for, what it may import


def test_imports_point_down_and_never_in_a_circle():
    found = modules()
    assert upward(found) == []
    assert cycles(found) == []


def test_the_check_catches_an_import_up_a_layer_and_a_circle(tmp_path):
    """The layering test can fail: an upward import and a circle written into copies of two modules are found."""
    found = modules()
    parity = tmp_path / "parity.py"
    parity.write_text(found["compare.check.parity"].read_text() + "\nfrom compare.run import runner  # upward\n")
    results = tmp_path / "results.py"
    results.write_text(found["compare.run.results"].read_text() + "\nfrom compare.run import runner\n")
    changed = {**found, "compare.check.parity": parity, "compare.run.results": results}
    assert upward(changed) == [f"compare.check.parity line {len(parity.read_text().splitlines())} imports "
                               f"compare.run.runner"]
    assert any({"compare.run.results", "compare.run.runner"} <= set(cycle) for cycle in cycles(changed))


@pytest.mark.parametrize("command", ["compare.run.worker", "compare.docsdata"])
def test_the_modules_started_with_python_m_exist(command):
    assert command in modules()


def test_the_project_root_that_workers_and_the_generator_use_is_the_projects():
    from compare import docsdata
    from compare.run import runner

    assert (runner.ROOT / "pyproject.toml").is_file() and docsdata.README == runner.ROOT / "README.md"
