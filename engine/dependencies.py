"""The dependency graph of a form: which items read which, in which order to evaluate.

An item depends on the items its `calculate`, `visible_when`, `required_when` and
`constraints` expressions name, and on its parent (a hidden group hides its children).
Naming a group, repeating group or grid depends on the group and everything inside it.
Values flow along `calculate` and `visible_when` (a hidden item may be cleared); a cycle
among those is a definition error with the cycle's path. `required_when` and constraints
only read values, so they never create cycles but do take part in incremental updates.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.compiler import Builder
from engine.model import Item


@dataclass(frozen=True, slots=True)
class Graph:
    order: tuple[str, ...]
    dependents: dict[str, frozenset[str]]


_NOTHING: frozenset[str] = frozenset()


def _descendants(item: Item) -> set[str]:
    found: set[str] = set()
    for child in item.children:
        found.add(child.id)
        found |= _descendants(child)
    return found


def build_graph(b: Builder, index: dict[str, Item]) -> Graph | None:
    """Order items dependencies-first; report cycles (EXPR006). None when cyclic."""
    reach = {item_id: {item_id} | _descendants(item) if item.children else {item_id} for item_id, item in index.items()}
    # `score.x` depends on every scored choice item (coarse, but never misses one)
    reach["score"] = {item_id for item_id, item in index.items() if any(o.score is not None for o in item.options)}

    def resolve(names: frozenset[str]) -> set[str]:
        found: set[str] = set()
        for name in names:
            found |= reach.get(name, _NOTHING)
        return found

    value_deps: dict[str, set[str]] = {}
    read_deps: dict[str, set[str]] = {}
    for item_id, item in index.items():
        flowing = set()
        for expr in (item.calculate, item.visible_when):
            if expr is not None:
                flowing |= resolve(expr.names)
        if item.parent:
            flowing.add(item.parent)
        reading = set(flowing)
        for expr in (item.required_when, *(c.check for c in item.constraints)):
            if expr is not None:
                reading |= resolve(expr.names)
        value_deps[item_id] = flowing - {item_id} if item_id in flowing and item_id not in _self_refs(item) else flowing
        read_deps[item_id] = reading - {item_id}

    order = _toposort(b, index, value_deps)
    if order is None:
        return None
    readers: dict[str, set[str]] = {item_id: set() for item_id in index}
    for item_id, deps in read_deps.items():
        for dep in deps:
            readers[dep].add(item_id)
    dependents: dict[str, frozenset[str]] = {}
    for item_id in index:
        if not readers[item_id]:
            dependents[item_id] = _NOTHING
            continue
        seen: set[str] = set()
        stack = list(readers[item_id])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(readers[current])
        seen.discard(item_id)
        dependents[item_id] = frozenset(seen)
    return Graph(tuple(order), dependents)


def _self_refs(item: Item) -> set[str]:
    """An item whose calculate or visible_when names itself is a cycle of length one."""
    names: set[str] = set()
    for expr in (item.calculate, item.visible_when):
        if expr is not None and item.id in expr.names:
            names.add(item.id)
    return names


def _toposort(b: Builder, index: dict[str, Item], deps: dict[str, set[str]]) -> list[str] | None:
    position = {item_id: i for i, item_id in enumerate(index)}
    state: dict[str, int] = {}
    order: list[str] = []
    for start in index:
        if start in state:
            continue
        # iterative DFS keeping the path, so a cycle can be printed
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(start, sorted(deps[start], key=position.__getitem__))]
        state[start] = 1
        path.append(start)
        while stack:
            node, pending = stack[-1]
            if pending:
                nxt = pending.pop(0)
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt):], nxt]
                    _report_cycle(b, index, cycle)
                    return None
                if nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, sorted(deps[nxt], key=position.__getitem__)))
            else:
                stack.pop()
                path.pop()
                state[node] = 2
                order.append(node)
    return order


def _report_cycle(b: Builder, index: dict[str, Item], cycle: list[str]) -> None:
    first = index[cycle[0]]
    key = "calculate" if first.calculate is not None else "visible_when" if first.visible_when is not None else "id"
    b.report(
        "EXPR006",
        "dependency cycle: " + " -> ".join(cycle),
        f"{first.pointer}/{key}",
        "break the loop: one of these items must not depend on the others",
    )
