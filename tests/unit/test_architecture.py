"""The house's rules that a reader cannot keep in their head, checked on every run.

- No import cycle between modules of ``crm`` (imports inside functions count: hiding a cycle there does not
  remove it).
- ``lib/`` and ``integrations/`` import nothing from the slices; ``org`` (the organisation) imports no slice.
- A slice uses another slice only through that slice's public modules below (the shared records and rules:
  accounts' users and audit log, the calendar of working days, the organisation's settings), never its pages,
  queries or jobs.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# slice → the modules other slices may import from it
PUBLIC: dict[str, set[str]] = {
    "org": {"models", "tree", "scope"},
    "accounts": {"models", "services", "audit_labels", "permissions", "schemas", "people"},  # people: the person picker
    "calendar": {"services"},
    "system": {"settings"},
    # the derived figures are shared records: plans and reports read them; period starts the period re-sync
    # (plans' "Refresh a period") the way the Integrations screen does
    "clients": {"models", "sync_models", "period"},
    # goals and tasks read the ERP clients and their monthly sales; tasks link goals; slices register alerts
    "sales": {"models"},
    "goals": {"models"},
    "alerts": {"registry", "health"},  # health: the detail of /health (system) is operations' state
}


def _module(path: Path) -> str:
    name = ".".join(path.relative_to(SRC).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in (SRC / "crm").rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for stmt in node.body
            for inner in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:  # annotations only: not an import at run time
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base]).strip(".")
                # ``from package import module`` names the module; ``from module import name`` the module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                # the longest known module the import names (a name imported from a module is that module)
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("crm"):
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _slice(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "features" else None


# A function a reader takes in at once: past this many lines (from ``def`` to its last line, docstring included),
# split it into functions whose names say what each part does.
MAX_FUNCTION_LINES = 60
# Functions allowed past it ("module:Class.function"), each with the reason it must stay whole. Keep this list
# empty or tiny: a long list of options, a long form or a long report is not a reason, its parts have names.
LONG_FUNCTIONS: dict[str, str] = {}


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method of a module with its qualified name (``Class.method``, ``outer.inner``)."""
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((prefix + node.name, node))
            found += _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            found += _functions(node, f"{prefix}{node.name}.")
        else:  # a function defined under an ``if`` or a ``try``
            found += _functions(node, prefix)
    return found


def _long_functions(path: Path) -> dict[str, int]:
    return {
        f"{_module(path)}:{name}": n
        for name, node in _functions(ast.parse(path.read_text(encoding="utf-8")))
        if (n := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    }


def test_no_function_is_longer_than_a_reader_takes_in() -> None:
    long = {name: n for path in (SRC / "crm").rglob("*.py") for name, n in _long_functions(path).items()}
    unexplained = {name: n for name, n in long.items() if name not in LONG_FUNCTIONS}
    assert not unexplained, f"functions over {MAX_FUNCTION_LINES} lines (split them by meaning): " + ", ".join(
        f"{name} ({n})" for name, n in sorted(unexplained.items(), key=lambda item: -item[1])
    )
    stale = set(LONG_FUNCTIONS) - set(long)
    assert not stale, f"no longer long, remove from LONG_FUNCTIONS: {sorted(stale)}"


def test_the_function_check_names_methods_and_nested_functions() -> None:
    source = (
        "class A:\n    async def m(self):\n        def inner():\n            pass\n"
        "if True:\n    def f():\n        pass\n"
    )
    assert [name for name, _node in _functions(ast.parse(source))] == ["A.m", "A.m.inner", "f"]


def test_no_module_imports_itself_through_a_cycle() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in cycles)


def test_the_kernel_and_the_organisation_import_no_slice() -> None:
    wrong = [
        f"{a} → {b}"
        for a, targets in _graph().items()
        for b in targets
        if (a.startswith(("crm.lib", "crm.integrations", "crm.config")) or _slice(a) == "org")
        and _slice(b) not in (None, "org")
    ]
    assert not wrong, "\n".join(sorted(wrong))


def test_a_slice_uses_another_only_through_its_public_modules() -> None:
    wrong = []
    for a, targets in _graph().items():
        for b in targets:
            mine, theirs = _slice(a), _slice(b)
            if mine and theirs and mine != theirs:
                module = b.split(".")[3] if len(b.split(".")) > 3 else ""
                if module not in PUBLIC.get(theirs, set()):
                    wrong.append(f"{a} → {b}")
    assert not wrong, "a slice reaches into another's internals:\n" + "\n".join(sorted(wrong))


# A module a reader takes in at once: past this many lines, split it into modules whose names say their role.
MAX_MODULE_LINES = 450
# Modules allowed past it, each with the reason it must stay whole (keep this list short; prefer a split).
LONG_MODULES: dict[str, str] = {}


def test_no_module_is_longer_than_a_reader_takes_in() -> None:
    long = {
        _module(path): n
        for path in (SRC / "crm").rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    unexplained = {name: n for name, n in long.items() if name not in LONG_MODULES}
    assert not unexplained, f"modules over {MAX_MODULE_LINES} lines (split them by role): " + ", ".join(
        f"{name} ({n})" for name, n in sorted(unexplained.items(), key=lambda item: -item[1])
    )
    stale = set(LONG_MODULES) - set(long)
    assert not stale, f"no longer long, remove from LONG_MODULES: {sorted(stale)}"


# Where a handler may read the submitted form other than through the recipe (crm.lib.forms: a declared form's
# ``parse(await request.form())``), each with the reason the recipe cannot serve it. Keep it empty if you can.
RAW_FORM_READERS: dict[str, str] = {}


def _raw_form_reads(tree: ast.AST) -> list[int]:
    """Lines where ``<x>.form()`` is called other than as the one argument of ``<Form>.parse(await …)``."""
    recipe: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parse":
            for arg in node.args[:1]:
                if isinstance(arg, ast.Await) and isinstance(arg.value, ast.Call):
                    recipe.add(id(arg.value))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "form"
        and not node.args
        and id(node) not in recipe
    ]


def test_every_submitted_form_is_read_through_a_declared_form() -> None:
    """``request.form()`` only inside ``SomeForm.parse(await request.form())`` (CONTRIBUTING, "Forms"): a handler
    that picks values out of the form by hand skips the messages next to fields, the typed values kept, the 422."""
    found = {
        f"{_module(path)}:{line}"
        for path in (SRC / "crm").rglob("*.py")
        if _module(path) != "crm.lib.forms"
        for line in _raw_form_reads(ast.parse(path.read_text(encoding="utf-8")))
    }
    unexplained = sorted(where for where in found if where.split(":")[0] not in RAW_FORM_READERS)
    assert not unexplained, "read the form with a declared form (crm.lib.forms), not by hand: " + ", ".join(unexplained)
    stale = set(RAW_FORM_READERS) - {where.split(":")[0] for where in found}
    assert not stale, f"no longer reads a form by hand, remove from RAW_FORM_READERS: {sorted(stale)}"


def test_the_form_check_tells_the_recipe_from_a_read_by_hand() -> None:
    recipe = "async def h(request):\n    form = MyForm.parse(await request.form())\n"
    by_hand = "async def h(request):\n    data = await request.form()\n    form = MyForm.parse(data)\n"
    assert _raw_form_reads(ast.parse(recipe)) == []
    assert _raw_form_reads(ast.parse(by_hand)) == [2]
