"""Contract sets of units into single units (blocks), keeping every plan's cost.

A plan of the contracted problem is a plan of the original one in which each block's units share an area,
and both have the same objective: populations and patients add up, edges between two blocks add their
length and cost, edges inside a block are dropped (they are never cut) while the compactness term keeps the
original denominator (``Problem.edge_cost_total``), and identity groups keep their blocks. When every block
is connected in the original graph, the plans of the two problems correspond one to one (a district is
connected in one exactly when it is in the other), so an optimum or a bound of the contracted problem holds
for every original plan that keeps the blocks whole.

``solve`` contracts two kinds of blocks that every valid plan keeps whole (:func:`reduce`; the second only where
the result fits the exact enumeration, see :func:`.strategy.contracted_core`):

* connected keep-together groups (a rule of the config);
* parts that hang on one buurt (:func:`hanging_parts`). If removing buurt ``v`` cuts off a part ``C``, every
  area that meets ``C`` lies inside ``C`` or is ``v``'s area (an area reaching out of ``C`` passes through
  ``v``). So when ``C`` has fewer inhabitants than the minimum, all of ``C`` lies in ``v``'s area; and when
  ``C`` holds exactly one area of its own, every buurt of ``C`` that cannot be in ``v``'s area is in that one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import networkx as nx
import numpy as np

from ..model.problem import Problem
from .districts import block_of_unit


class ContractionConflict(ValueError):
    """The blocks break a hard rule by themselves (two locks or a keep-apart pair inside one block)."""


def connected_groups(problem: Problem) -> list[list[int]]:
    """The keep-together groups whose units form one connected piece of the adjacency graph."""
    return [list(g) for g in problem.keep_together if nx.is_connected(problem.graph.subgraph([int(u) for u in g]))]


def hanging_parts(problem: Problem) -> list[list[int]]:
    """Blocks that every valid plan keeps in one area, found at buurten ``v`` whose removal cuts off a part ``C``
    (see the module docstring):

    * ``[v] + C`` when ``C`` has fewer inhabitants than the minimum;
    * when ``C`` holds exactly one area of its own (too many inhabitants to join ``v``'s area whole, too few for
      two areas), each connected piece of the buurten of ``C`` that cannot join ``v``'s area: the cheapest path
      to them from ``v`` already takes more inhabitants from ``C`` than that area can spare.
    """
    pop = problem.population.astype(float)
    graph = problem.graph
    parts = []
    for v in sorted(nx.articulation_points(graph)):
        rest = graph.subgraph([u for u in graph if u != v])
        for piece in nx.connected_components(rest):
            inhabitants = pop[list(piece)].sum()
            if inhabitants < problem.lo:
                parts.append([int(v)] + sorted(int(u) for u in piece))
            elif inhabitants + pop[v] > problem.hi and inhabitants < 2 * problem.lo:
                spare = min(inhabitants - problem.lo, problem.hi - pop[v])  # most C can give to v's area
                inside = graph.subgraph(list(piece) + [v])
                taken = nx.single_source_dijkstra_path_length(inside, v, weight=lambda a, b, _: pop[b])
                stuck = [u for u in piece if taken[u] > spare]
                parts.extend(sorted(int(u) for u in c) for c in nx.connected_components(graph.subgraph(stuck)))
    return [part for part in parts if len(part) > 1]


def reduce(problem: Problem, hanging: bool = True) -> tuple[Problem, np.ndarray] | None:
    """(problem with every block that all valid plans keep whole contracted, block of every original unit), or
    None when there is nothing to contract; ``hanging=False`` contracts only the keep-together groups. Repeats
    until nothing changes: a contraction can make new buurten into the only link of a small part. Raises
    :class:`ContractionConflict` when a block breaks a rule."""
    small, of = problem, np.arange(problem.n)
    while True:
        parts = connected_groups(small) + (hanging_parts(small) if hanging else [])
        if not parts:
            break
        smaller, step = contract(small, parts)
        if smaller.n == small.n:  # only single-unit parts (keep-together groups already contracted)
            break
        small, of = smaller, step[of]
    return None if small.n == problem.n else (small, of)


def contract(problem: Problem, parts: Iterable[Iterable[int]]) -> tuple[Problem, np.ndarray]:
    """(contracted problem, block of every original unit); ``parts`` are lists of unit indices.

    Keep-together groups that do not become one block stay rules of the contracted problem. Raises
    :class:`ContractionConflict` when a block holds units locked to two areas or both units of a keep-apart pair."""
    p = problem
    of = block_of_unit(p.n, list(parts))
    B = int(of.max()) + 1 if p.n else 0
    members = [np.flatnonzero(of == b) for b in range(B)]
    lengths: dict[tuple[int, int], float] = {}
    costs: dict[tuple[int, int], float] = {}
    for (i, j), length, cost in zip(p.edges, p.edge_length, p.edge_cost):
        a, b = int(of[i]), int(of[j])
        if a == b:
            continue
        key = (min(a, b), max(a, b))
        lengths[key] = lengths.get(key, 0.0) + float(length)
        costs[key] = costs.get(key, 0.0) + float(cost)
    keys = sorted(lengths)
    graph = nx.Graph()
    graph.add_nodes_from(range(B))
    for key in keys:
        graph.add_edge(*key, length=lengths[key], cost=costs[key])
    locks: dict[int, int] = {}
    for unit, area in p.locks.items():
        if locks.setdefault(int(of[unit]), area) != area:
            raise ContractionConflict(f"block of {p.codes[unit]} holds units locked to two areas")
    apart = set()
    for a, b in p.keep_apart:
        if of[a] == of[b]:
            raise ContractionConflict(f"{p.codes[a]} and {p.codes[b]} must be apart but share a block")
        apart.add((int(min(of[a], of[b])), int(max(of[a], of[b]))))
    patients = None
    if p.patients is not None:
        patients = np.stack([p.patients[:, m].sum(axis=1) for m in members], axis=1)
    small = replace(
        p,
        codes=["+".join(p.codes[u] for u in m) for m in members],
        names=[" + ".join(p.names[u] for u in m) for m in members],
        population=np.array([p.population[m].sum() for m in members], dtype=p.population.dtype),
        graph=graph,
        edges=np.array(keys, dtype=int).reshape(-1, 2),
        edge_length=np.array([lengths[k] for k in keys], dtype=float),
        edge_cost=np.array([costs[k] for k in keys], dtype=float),
        group_members=[np.unique(of[m]) for m in p.group_members],
        locks=locks,
        keep_together=[g for g in (np.unique(of[list(group)]).tolist() for group in p.keep_together) if len(g) > 1],
        keep_apart=sorted(apart),
        patients=patients,
        practice_home=None if p.practice_home is None else of[np.asarray(p.practice_home)],
        catchments=None,
        buurten=None,
        barrier_lines=None,
        edge_cost_total=p.boundary_total,
    )
    return small, of


def expand(labels: np.ndarray, of_unit: np.ndarray) -> np.ndarray:
    """Labels of the original units from labels of the blocks (``of_unit``: the block of every original unit)."""
    return np.asarray(labels)[of_unit]
