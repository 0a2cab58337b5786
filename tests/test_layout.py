"""The layout shows the architecture (docs/architecture.md): rooms whose imports point one way, a pure run model,
Lambda handlers reached only by the asset definition, functions that ship only what they import."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import healthomics_run
from healthomics_run import handlers
from healthomics_run.construct_helpers import lambda_assets

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "constructs" / "healthomics_run"
LAMBDA = ROOT / "lambda"
HANDLERS = sorted(path.name for path in LAMBDA.iterdir() if (path / "__init__.py").exists())
SHARED = {"run_model", "service_calls"}
CONSTRUCT_ROOMS = {"runs", "workflows", "infrastructure", "after_run", "construct_helpers", "chains"}
# Which rooms a room may import. The run model imports nothing of ours; the calls to AWS only the run model;
# handlers and commands the shared rooms; constructs never a command, a handler or the calls to AWS.
MAY_IMPORT = {
    "run_model": set(),
    "service_calls": {"run_model"},
    "handlers": {"run_model", "service_calls"},
    "commands": {"run_model", "service_calls", "commands"},
    "construct_helpers": {"run_model", "package", "handlers"},  # handlers: the asset definition alone (below)
    "infrastructure": {"run_model", "construct_helpers", "package"},
    "workflows": {"run_model", "construct_helpers", "infrastructure", "package"},
    "after_run": {"run_model", "construct_helpers", "package"},
    "runs": {"run_model", "construct_helpers", "infrastructure", "workflows", "after_run", "package"},
    "chains": {"run_model", "construct_helpers", "after_run", "runs", "workflows", "package"},
}


def _module_name(path: Path) -> str:
    if path.is_relative_to(LAMBDA):
        parts = ("healthomics_run", "handlers", *path.relative_to(LAMBDA).with_suffix("").parts)
    else:
        parts = ("healthomics_run", *path.relative_to(LIBRARY).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in [*LIBRARY.rglob("*.py"), *LAMBDA.rglob("*.py")]}


SOURCES = _sources()


def _imports(name: str, path: Path) -> set[str]:
    """Our modules that ``name`` imports (anywhere in the file, type-checking imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]
            if any(target not in SOURCES for target in targets):  # names defined in ``base``, not its modules
                targets.append(base)
        else:
            continue
        found.update(target for target in targets if target in SOURCES and target != name)
    return found


GRAPH = {name: _imports(name, path) for name, path in SOURCES.items()}


def _room(name: str) -> str:
    parts = name.split(".")
    if len(parts) < 2 or parts[1] not in {*SHARED, *CONSTRUCT_ROOMS, "handlers", "commands"}:
        return "package"  # the package's own modules: its public names, errors, enums, the 0.2.0 plan path
    return parts[1]


def test_no_module_imports_itself_through_a_circle():
    """A circle of imports, however long, makes a reader hold every module of it at once (Tarjan's algorithm)."""
    index, low, stack, on_stack, circles, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                circles.append(sorted(members))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert circles == []


def test_the_circle_finder_finds_a_circle():
    """The check above can fail: two modules that import each other are a circle."""
    GRAPH["healthomics_run.run_model.fields"].add("healthomics_run.run_model.rules")
    try:
        with pytest.raises(AssertionError):
            test_no_module_imports_itself_through_a_circle()
    finally:
        GRAPH["healthomics_run.run_model.fields"].discard("healthomics_run.run_model.rules")


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_module_imports_only_the_rooms_its_room_may(name):
    room = _room(name)
    if room == "package":
        return
    allowed = MAY_IMPORT[room] | {room}
    wrong = sorted(target for target in GRAPH[name] if _room(target) not in allowed)
    assert wrong == [], f"{name} ({room}) may import only {sorted(allowed)}"


def test_only_the_asset_definition_reaches_into_a_lambda_folder():
    reaching = sorted(name for name, targets in GRAPH.items() if _room(name) != "handlers"
                      and any(_room(target) == "handlers" for target in targets))
    assert reaching == ["healthomics_run.construct_helpers.lambda_assets"]


@pytest.mark.parametrize("room", sorted(SHARED))
def test_the_shared_rooms_import_nothing_of_aws_cdk_lib(room):
    for path in (LIBRARY / room).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {module for module in modules if module.split(".")[0] in {"aws_cdk", "constructs", "jsii"}}, path


def test_the_run_model_calls_no_aws():
    """Pure: no boto3, no botocore, no network."""
    for path in (LIBRARY / "run_model").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        roots = {module.split(".")[0] for module in modules}
        assert not roots & {"boto3", "botocore", "http", "socket", "requests"} and "urllib.request" not in modules, path


def test_git_tracks_no_symlink():
    listing = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert [line for line in listing.splitlines() if line.startswith("120000")] == []


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_functions_code_is_its_handler_and_the_shared_rooms_only(handler):
    folder = lambda_assets.staged(handler)
    tops = sorted(path.name for path in folder.iterdir())
    assert tops == sorted([handler, "healthomics_run"])
    assert sorted(path.name for path in (folder / "healthomics_run").iterdir()) == sorted(SHARED)
    assert not (folder / "healthomics_run" / "__init__.py").exists()  # a namespace: no constructs, no aws-cdk-lib
    shipped = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
    expected = sorted([f"{handler}/{path.relative_to(LAMBDA / handler)}" for path in (LAMBDA / handler).rglob("*")
                       if path.is_file() and "__pycache__" not in path.parts]
                      + [f"healthomics_run/{path.relative_to(LIBRARY)}" for room in SHARED
                         for path in (LIBRARY / room).rglob("*") if path.is_file() and "__pycache__" not in path.parts])
    assert shipped == expected


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_functions_code_imports_as_lambda_imports_it_without_the_construct_library(handler):
    """Lambda puts the code's root first on ``sys.path`` and imports ``<package>.<module>`` (Lambda developer
    guide, "Define Lambda function handler in Python": the handler is ``file_name.function_name``, relative to
    the deployment package's root)."""
    folder = lambda_assets.staged(handler)
    modules = sorted(path.stem for path in (LAMBDA / handler).glob("*.py") if path.stem != "__init__")
    code = (f"import sys; sys.path.insert(0, {str(folder)!r}); import importlib, json; "
            f"[importlib.import_module('{handler}.' + m) for m in {modules!r}]; "
            "import healthomics_run; "
            "print(json.dumps({'cdk': sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', "
            "'constructs')), 'file': getattr(healthomics_run, '__file__', None), "
            "'path': list(healthomics_run.__path__)}))")
    answer = json.loads(subprocess.run([sys.executable, "-c", code], cwd=folder.parent, capture_output=True, text=True,
                                       check=True).stdout)
    assert answer == {"cdk": [], "file": None, "path": [str(folder / "healthomics_run")]}


def test_the_wheel_maps_the_handlers_where_the_asset_definition_finds_them():
    assert Path(handlers.__file__).resolve().parent == LAMBDA
    assert Path(healthomics_run.__file__).resolve().parent == LIBRARY
