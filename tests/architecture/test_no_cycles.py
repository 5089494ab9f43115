"""No import cycle among timb's modules, imports under ``TYPE_CHECKING`` included (issue 10).

A cycle hides the layering inside a package: neither module can be read, tested or moved
without the other. grimp reads every import statement, conditional or not, so a
``TYPE_CHECKING`` import that points back up counts; break such a cycle by moving the shared
type down (as `timb.tor.errors` does for `Stall`) or by a `typing.Protocol` the lower module owns.

The test reports every cycle it finds (each strongly connected component, with its edges).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp
import pytest

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


def test_no_import_cycle(imports: Graph) -> None:
    found = cycles(imports)
    report = "\n".join(describe(imports, component) for component in found)
    assert not found, f"import cycles among timb's modules (TYPE_CHECKING imports count):\n{report}"
