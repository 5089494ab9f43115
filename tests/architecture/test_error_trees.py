"""Each layer's error tree is drawn once, in its `errors.py` docstring, and the drawing is true.

The drawing format (see any `src/timb/**/errors.py`)::

    Error tree::

        Root                       the first line: a class of this layer or one it builds on
         ├── Child                 a node: a branch mark, then the class name, then any text
         │    └── Grandchild       depth is the column where the name starts
         │                         a line without a branch mark continues the text above it
         └── OtherChild
    ValueError                 another line at the root column starts another root
     └── Other

Checked against the classes themselves (`__bases__`, after importing every module outside
`timb.ui`): every drawn edge is a real direct subclass; every public exception class of
`timb` is drawn exactly once, in the `errors.py` of the nearest package above its module;
no other module draws a tree of errors. To add an error, add its class and one line to the drawing.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

import timb

SRC = Path(timb.__file__).resolve().parent
MARKER = "Error tree::"
_BRANCH = re.compile(r"[├└]── ")
_NAME = re.compile(r"[A-Za-z_]\w*")
# The UI layer has no tree: its exceptions never leave it (the JSON-RPC reply error, the
# crash wrapper); everything it shows comes from the core's tree.
UNTREED_PACKAGES = ("timb.ui",)


@dataclass(frozen=True)
class Edge:
    parent: str
    child: str


def parse_drawing(docstring: str) -> tuple[list[str], list[Edge]]:
    """The roots and the (parent, child) edges of the one drawing in `docstring`.

    A line at the first line's column, without a branch mark, starts another root.

    Raises:
        ValueError: no drawing, or a malformed one.
    """
    lines = docstring.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == MARKER]
    if len(starts) != 1:
        raise ValueError(f"expected one {MARKER!r} block, found {len(starts)}")
    block = _block_after(lines, starts[0])
    root_column = len(block[0]) - len(block[0].lstrip())
    roots: list[str] = []
    stack: list[tuple[int, str]] = []
    edges = []
    for line in block:
        branch = _BRANCH.search(line)
        if branch is None and len(line) - len(line.lstrip()) == root_column:
            root = _NAME.match(line, root_column)
            if root is None:
                raise ValueError(f"a root line names no class: {line!r}")
            roots.append(root.group())
            stack = [(root_column, root.group())]
            continue
        if branch is None:
            continue  # the text of the node above, continued
        name = _NAME.match(line, branch.end())
        if name is None:
            raise ValueError(f"a branch without a class name: {line!r}")
        column = branch.end()
        while len(stack) > 1 and stack[-1][0] >= column:
            stack.pop()
        edges.append(Edge(stack[-1][1], name.group()))
        stack.append((column, name.group()))
    if not edges:  # a node left of the root ends the block before it: that is no tree either
        raise ValueError("a drawing with no class under its root")
    return roots, edges


def _block_after(lines: list[str], start: int) -> list[str]:
    block: list[str] = []
    indent = None
    for line in lines[start + 1 :]:
        if not line.strip():
            if block:
                break
            continue
        width = len(line) - len(line.lstrip())
        indent = width if indent is None else indent
        if width < indent:
            break
        block.append(line)
    if not block:
        raise ValueError("an empty drawing")
    return block


def _import_all() -> list[ModuleType]:
    modules = [timb]
    for info in pkgutil.walk_packages([str(SRC)], prefix="timb."):
        if not info.name.startswith(UNTREED_PACKAGES):
            modules.append(importlib.import_module(info.name))
    return modules


def _error_classes(modules: list[ModuleType]) -> dict[str, type[BaseException]]:
    """Every public exception class defined in `timb` (outside the UI), by qualified name."""
    found = {}
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not value.__name__.startswith("_")
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def _errors_modules(modules: list[ModuleType]) -> dict[str, ModuleType]:
    return {m.__name__: m for m in modules if m.__name__.endswith(".errors")}


def _home(cls: type[BaseException], errors_modules: dict[str, ModuleType]) -> str | None:
    """The errors module of the nearest package above the class's module."""
    parts = cls.__module__.split(".")
    for depth in range(len(parts), 0, -1):
        candidate = ".".join(parts[:depth]) + ".errors"
        if candidate in errors_modules:
            return candidate
    return None


def _resolve(name: str, errors_module: ModuleType, classes: dict[str, type[BaseException]]) -> type:
    """A drawn name: as the errors module sees it, a builtin, or a class of the same layer."""
    value = getattr(errors_module, name, None) or getattr(builtins, name, None)
    if isinstance(value, type):
        return value
    package = errors_module.__name__.rsplit(".", 1)[0] + "."
    matches = [c for q, c in classes.items() if q.startswith(package) and c.__name__ == name]
    if len(matches) != 1:
        raise AssertionError(f"{errors_module.__name__} draws {name}, which names {len(matches)} classes")
    return matches[0]


World = tuple[dict[str, ModuleType], dict[str, type[BaseException]]]


@pytest.fixture(scope="module")
def world() -> World:
    modules = _import_all()
    return _errors_modules(modules), _error_classes(modules)


Classes = dict[str, type[BaseException]]


def _drawn(errors_module: ModuleType, classes: Classes) -> list[tuple[type | None, type]]:
    """(parent, class) for every class drawn; a root has no parent."""
    roots, edges = parse_drawing(errors_module.__doc__ or "")

    def resolve(name: str) -> type:
        return _resolve(name, errors_module, classes)

    drawn: list[tuple[type | None, type]] = [(None, resolve(r)) for r in roots]
    return drawn + [(resolve(e.parent), resolve(e.child)) for e in edges]


def test_each_errors_module_draws_a_tree_whose_edges_are_real(world: World) -> None:
    errors_modules, classes = world
    assert {
        "timb.common.errors",
        "timb.core.errors",
        "timb.core.storage.errors",
        "timb.net.errors",
        "timb.otr.errors",
        "timb.tor.errors",
    } <= set(errors_modules)
    for name, module in errors_modules.items():
        for parent, child in _drawn(module, classes):
            if parent is not None:
                assert parent in child.__bases__, f"{name}: {child.__name__} is drawn under {parent.__name__}"


def test_every_error_class_is_drawn_once_in_its_layers_errors_module(world: World) -> None:
    errors_modules, classes = world
    drawn_in: dict[type, list[str]] = {}
    for name, module in errors_modules.items():
        for parent, child in _drawn(module, classes):
            # A root is this layer's class only when the layer defines it (not Exception, and
            # not another layer's base that an adapter adds a leaf to).
            if parent is not None or _home(child, errors_modules) == name:
                drawn_in.setdefault(child, []).append(name)
    for qualified, cls in classes.items():
        home = _home(cls, errors_modules)
        assert home is not None, f"{qualified}: no errors module above it to draw it"
        assert drawn_in.get(cls) == [home], f"{qualified} must be drawn once, in {home}: {drawn_in.get(cls)}"


def test_no_other_module_draws_an_error_tree(world: World) -> None:
    _errors_modules, classes = world
    names = {cls.__name__ for cls in classes.values()} | {"Exception", "ValueError"}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py":
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        drawn = [
            name.group()
            for line in docstring.splitlines()
            if (branch := _BRANCH.search(line)) and (name := _NAME.match(line, branch.end()))
        ]
        where = path.relative_to(SRC)
        assert MARKER not in docstring, f"{where} draws an error tree: draw it in its layer's errors.py"
        assert not names & set(drawn), f"{where} draws errors {sorted(names & set(drawn))}: see errors.py"


def test_the_parser_reads_depth_from_the_column_and_skips_continued_text() -> None:
    doc = """Errors.

    Error tree::

        Exception
         └── A              text
              │             more text ├ not a branch
              ├── B
              │    └── C    text
              └── D
        ValueError
         └── E

    After the drawing.
    """
    roots, edges = parse_drawing(doc)
    assert roots == ["Exception", "ValueError"]
    assert edges == [
        Edge("Exception", "A"),
        Edge("A", "B"),
        Edge("B", "C"),
        Edge("A", "D"),
        Edge("ValueError", "E"),
    ]


@pytest.mark.parametrize(
    "doc",
    [
        "no drawing here",
        "Error tree::\n\n    A\n     └── B\n\nError tree::\n\n    C\n     └── D\n",
        "Error tree::\n\n    A\n  └── B\n",
    ],
)
def test_the_parser_refuses_missing_duplicate_or_misplaced_drawings(doc: str) -> None:
    with pytest.raises(ValueError):
        parse_drawing(doc)
