"""No import cycle among timb's modules, imports under ``TYPE_CHECKING`` included (issue 10).

A cycle hides the layering inside a package: neither module can be read, tested or moved
without the other. grimp reads every import statement, conditional or not, so a
``TYPE_CHECKING`` import that points back up counts; break such a cycle by moving the shared
type down (as `timb.tor.errors` does for `Stall`) or by a `typing.Protocol` the lower module owns.

The test reports every cycle it finds (each strongly connected component, with its edges).
`KNOWN` lists the imports that still close a cycle and are being removed: only inside the GUI
(timb.ui.gui, where another change is breaking window.py's circle right now). The list may only
shrink: an entry whose import is gone, or no longer closes a cycle, fails the test until it is
deleted, so the list stays true.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp
import pytest

# (importer, imported): each helper of the GUI's main window imports `MainWindow` back under
# TYPE_CHECKING. Being replaced by a protocol the helpers own (issue 10 §3); delete the lines.
KNOWN: frozenset[tuple[str, str]] = frozenset(
    {
        ("timb.ui.gui.bridges", "timb.ui.gui.window"),
        ("timb.ui.gui.commands", "timb.ui.gui.window"),
        ("timb.ui.gui.events", "timb.ui.gui.window"),
        ("timb.ui.gui.held", "timb.ui.gui.window"),
        ("timb.ui.gui.onion_flow", "timb.ui.gui.window"),
    }
)
# The one package where a known cycle may be left, for now.
KNOWN_ALLOWED_IN = "timb.ui.gui"

Graph = Mapping[str, frozenset[str]]


@pytest.fixture(scope="module")
def imports() -> Graph:
    graph = grimp.build_graph("timb", include_external_packages=False, cache_dir=None)
    return {m: frozenset(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with a cycle (more than one module, or a self-import),
    each sorted, in sorted order (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(iter(children), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return sorted(found)


def describe(graph: Graph, component: list[str]) -> str:
    members = set(component)
    edges = [f"    {a} -> {b}" for a in component for b in sorted(graph[a] & members)]
    return "\n".join([f"  {len(component)} modules:", *edges])


def without(graph: Graph, edges: Iterable[tuple[str, str]]) -> Graph:
    cut: dict[str, set[str]] = {m: set(targets) for m, targets in graph.items()}
    for importer, imported in edges:
        cut.get(importer, set()).discard(imported)
    return {m: frozenset(targets) for m, targets in cut.items()}


def reaches(graph: Graph, start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph[todo.pop()]:
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def test_the_cycle_finder_finds_cycles_and_only_cycles() -> None:
    graph: Graph = {
        "a": frozenset({"b"}),
        "b": frozenset({"c"}),
        "c": frozenset({"a", "d"}),
        "d": frozenset(),
        "e": frozenset({"e"}),
        "f": frozenset({"d"}),
    }
    assert cycles(graph) == [["a", "b", "c"], ["e"]]
    assert cycles(without(graph, [("c", "a"), ("e", "e")])) == []


def test_no_import_cycle_but_the_known_ones(imports: Graph) -> None:
    found = cycles(without(imports, KNOWN))
    report = "\n".join(describe(imports, component) for component in found)
    assert not found, f"import cycles among timb's modules (TYPE_CHECKING imports count):\n{report}"


@pytest.mark.parametrize("edge", sorted(KNOWN), ids=" -> ".join)
def test_each_known_cycle_is_real_and_in_the_gui(imports: Graph, edge: tuple[str, str]) -> None:
    importer, imported = edge
    assert importer.startswith(KNOWN_ALLOWED_IN + ".") and imported.startswith(KNOWN_ALLOWED_IN + ".")
    still_imported = imported in imports.get(importer, frozenset())
    assert still_imported, f"{importer} no longer imports {imported}: delete it from KNOWN"
    closes_a_cycle = reaches(imports, imported, importer)
    assert closes_a_cycle, f"{importer} -> {imported} no longer closes a cycle: delete it from KNOWN"
