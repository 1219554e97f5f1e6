"""What every optimisation method shares: the district cost model, rule checks, trees and union-find.

**The district cost model.** Every objective term of :mod:`wijkindeling.model.metrics` is additive
over districts (the areas of a plan):

* balance: ``scale * |P_S - T|`` per district;
* catchment: patients of the practices located in S who live outside S;
* identity: the number of groups S touches (the plan's term is the sum minus the number of groups);
* compactness: half of S's boundary cost to units outside S (every cut edge borders two districts).

So a plan's objective is ``sum_S cost(S) + plan_constant``. :func:`weighted_cost` is the one place
that formula is written; :func:`district_costs` (many districts at once, as a matrix) and
:class:`AreaCost` (one district, for local search) compute its parts.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import networkx as nx
import numpy as np

from ..model.metrics import LinearObjective, objective_coefficients
from ..model.problem import Problem

H = TypeVar("H", bound=Hashable)


@dataclass
class MethodResult:
    """What one exact method (set partitioning, flow MIP) returns, before :func:`~wijkindeling.optimise.solve`
    judges it.

    ``status`` is the method's own word: ``optimal``, ``feasible``, ``infeasible`` or ``no_solution``.
    ``labels`` is the plan found (area index per unit) or None; ``objective`` its value as the method
    computed it and ``bound`` the method's lower bound on every plan, each None when unknown.
    """

    labels: np.ndarray | None
    status: str
    objective: float | None
    bound: float | None
    seconds: float  # wall-clock time the method took
    gap: float | None = None  # relative gap (objective - bound) / objective, where the solver reports it
    backend: str = "highs"
    n_columns: int = 0  # districts in the set-partitioning model


# ---------------------------------------------------------------- the district cost model


def plan_constant(problem: Problem) -> float:
    """The part of the objective that no district carries: minus the identity weight per identity group."""
    return -problem.weights.identity * len(problem.group_members)


def weighted_cost(problem: Problem, coef: LinearObjective, population: float | np.ndarray,
                  boundary: float | np.ndarray, catchment: float | np.ndarray,
                  touched: float | np.ndarray) -> float | np.ndarray:
    """The cost of districts from their parts (scalars or arrays of equal length).

    Parameters
    ----------
    problem : Problem
        Gives the weights and the target size.
    coef : LinearObjective
        :func:`~wijkindeling.model.metrics.objective_coefficients` of ``problem``.
    population, boundary, catchment, touched : float or numpy.ndarray
        Per district: its inhabitants, its boundary cost to units outside, the patients of its practices
        living outside it, and the number of identity groups it touches.

    Returns
    -------
    float or numpy.ndarray
        ``balance + catchment + identity + compactness`` in objective points, per district.
    """
    w = problem.weights
    return (w.balance * coef.balance_scale * np.abs(population - problem.target) + w.catchment * catchment
            + w.identity * touched + w.compactness * 0.5 * boundary)


def district_parts(problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-unit data for district costs.

    Parameters
    ----------
    problem : Problem
        The units, edges, patients and identity groups.

    Returns
    -------
    W : numpy.ndarray
        (n, n) symmetric: the compactness coefficient of the edge between two units (0 when not adjacent).
    A : numpy.ndarray
        (n, n): ``A[h, u]``, the patients of the practices located in unit ``h`` who live in unit ``u``,
        scaled so that all patients together count 100; all zero without patients.
    tot : numpy.ndarray
        (n,): the row sums of ``A``, all patients of the practices located in each unit.
    G : numpy.ndarray
        (groups, n) float 0/1: the members of each identity group (:func:`group_matrix`).
    """
    n = problem.n
    coef = objective_coefficients(problem)
    W = np.zeros((n, n))
    for e, (i, j) in enumerate(problem.edges):
        W[i, j] += coef.edge_coef[e]
        W[j, i] += coef.edge_coef[e]
    A = np.zeros((n, n))
    if problem.patients is not None and problem.patients.sum() > 0:
        scale = 100.0 / problem.patients.sum()
        assert problem.practice_home is not None  # patients come with their practices' home units
        for p, home in enumerate(problem.practice_home):
            A[home] += scale * problem.patients[p]
    return W, A, A.sum(axis=1), group_matrix(problem).astype(float)


def group_matrix(problem: Problem, groups: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """(groups, n) bool: row ``r`` marks the members of identity group ``groups[r]`` (all groups by default)."""
    groups = range(len(problem.group_members)) if groups is None else groups
    out = np.zeros((len(groups), problem.n), dtype=bool)
    for row, g in enumerate(groups):
        out[row, problem.group_members[int(g)]] = True
    return out


def district_costs(problem: Problem, member: np.ndarray, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray, float]:
    """The population and cost of many districts at once (:func:`weighted_cost` of each).

    Parameters
    ----------
    problem : Problem
        The problem the districts belong to.
    member : numpy.ndarray
        (C, n) bool: row ``c`` marks the units of district ``c``.
    chunk : int
        Districts per matrix product (bounds the memory used).

    Returns
    -------
    population : numpy.ndarray
        (C,) inhabitants of every district.
    cost : numpy.ndarray
        (C,) every district's share of the objective.
    constant : float
        :func:`plan_constant`: a plan's objective is the sum of its districts' costs plus this.
    """
    coef = objective_coefficients(problem)
    W, A, tot, G = district_parts(problem)
    pop = problem.population.astype(float)
    pops = np.empty(len(member))
    cost = np.empty(len(member))
    for s in range(0, len(member), chunk):
        M = member[s:s + chunk].astype(float)
        P = M @ pop
        boundary = ((M @ W) * (1.0 - M)).sum(axis=1)
        catch = M @ tot - ((M @ A) * M).sum(axis=1)
        touched = (M @ G.T > 0).sum(axis=1)
        pops[s:s + chunk] = P
        cost[s:s + chunk] = weighted_cost(problem, coef, P, boundary, catch, touched)
    return pops, cost, plan_constant(problem)


def plan_cost(problem: Problem, labels: np.ndarray) -> float:
    """The objective of plan ``labels`` (area index per unit) from its districts' costs; it must equal
    :func:`~wijkindeling.model.metrics.objective`."""
    member = np.stack([labels == k for k in range(problem.k)])
    _, cost, const = district_costs(problem, member)
    return float(cost.sum() + const)


class AreaCost:
    """Cost of one district (its additive share of the objective), for the heuristic's local search.

    Built once per problem (it holds :func:`district_parts`); calling it with a district's units gives
    that district's cost, the same number :func:`district_costs` gives.
    """

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.W, self.A, self.tot, self.G = district_parts(problem)
        self.pop = problem.population.astype(float)
        self.coef = objective_coefficients(problem)
        self.w = problem.weights
        self.constant = plan_constant(problem)

    def __call__(self, units: np.ndarray) -> float:
        """The cost of the district made of ``units`` (indices or a boolean mask)."""
        m = np.zeros(self.p.n, dtype=bool)
        m[units] = True
        P = self.pop[m].sum()
        boundary = self.W[m][:, ~m].sum()
        catch = self.tot[m].sum() - self.A[np.ix_(m, m)].sum() if self.w.catchment else 0.0
        touched = self.G[:, m].any(axis=1).sum() if len(self.G) else 0
        return float(weighted_cost(self.p, self.coef, P, boundary, catch, touched))


# ---------------------------------------------------------------- hard rules and plan numbering


def canonical_labels(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """The same plan with unlocked areas renumbered in the order of their lowest unit (the models' symmetry rule).

    Locked areas keep their numbers; returns a new array of area indices, one per unit.
    """
    locked = set(problem.locks.values())
    free = [k for k in range(problem.k) if k not in locked]
    firsts = sorted((int(np.flatnonzero(labels == k)[0]), k) for k in free if (labels == k).any())
    mapping = {old: new for (_, old), new in zip(firsts, free)}
    return np.array([mapping.get(int(a), int(a)) for a in labels])


def rule_filter(problem: Problem, member: np.ndarray) -> np.ndarray:
    """Which districts (rows of the (C, n) bool ``member``) the hard rules allow in some plan: (C,) bool.

    A district must hold all or none of each keep-together group and of each locked area's units, units
    locked to at most one area, and never both units of a keep-apart pair.
    """
    keep = np.ones(len(member), dtype=bool)
    for group in problem.keep_together:
        inside = member[:, group].sum(axis=1)
        keep &= (inside == 0) | (inside == len(group))
    for a, b in problem.keep_apart:
        keep &= ~(member[:, a] & member[:, b])
    by_area: dict[int, list[int]] = {}
    for unit, area in problem.locks.items():
        by_area.setdefault(area, []).append(unit)
    areas_in = np.zeros(len(member), dtype=int)
    for units in by_area.values():
        inside = member[:, units].sum(axis=1)
        keep &= (inside == 0) | (inside == len(units))
        areas_in += inside > 0
    keep &= areas_in <= 1
    return keep


# ---------------------------------------------------------------- union-find and spanning trees


class UnionFind(Generic[H]):
    """Disjoint sets over hashable items, with path halving; ``union(a, b)`` hangs a's root under b's."""

    def __init__(self, items: Iterable[H]) -> None:
        """Every one of ``items`` starts in a set of its own."""
        self.parent: dict[H, H] = {u: u for u in items}

    def find(self, a: H) -> H:
        """The root of ``a``'s set."""
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: H, b: H) -> bool:
        """Merge the sets of ``a`` and ``b``; False when they were one set already."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def block_of_unit(n: int, parts: Iterable[Iterable[int]]) -> np.ndarray:
    """The block of every unit when each of ``parts`` (unit indices) becomes one block.

    Overlapping parts merge; units in no part are blocks of their own. Used for keep-together blocks by
    the heuristic and by contraction alike.

    Parameters
    ----------
    n : int
        The number of units.
    parts : iterable of iterables of int
        Sets of units that must end up in one block.

    Returns
    -------
    numpy.ndarray
        (n,) int: block index ``0..B-1`` of every unit, blocks numbered in the order of their union-find roots.
    """
    uf = UnionFind(range(n))
    for part in parts:
        part = [int(u) for u in part]
        for u in part[1:]:
            uf.union(u, part[0])
    index = {r: i for i, r in enumerate(sorted({uf.find(u) for u in range(n)}))}
    return np.array([index[uf.find(u)] for u in range(n)], dtype=int)


def random_tree(g: nx.Graph, nodes: list[int], rng: np.random.Generator) -> dict[int, list[int]] | None:
    """A random spanning tree of the subgraph of ``g`` on ``nodes`` (Kruskal on a random edge order).

    Returns the tree as adjacency lists (node -> tree neighbours), or None when that subgraph is
    disconnected. Draws one permutation from ``rng``.
    """
    node_set = set(nodes)
    edges = [(u, v) for u in nodes for v in g[u] if v in node_set and u < v]
    order = rng.permutation(len(edges))
    uf = UnionFind(nodes)
    tree: dict[int, list[int]] = {u: [] for u in nodes}
    count = 0
    for e in order:
        u, v = edges[e]
        if uf.union(u, v):
            tree[u].append(v)
            tree[v].append(u)
            count += 1
    return tree if count == len(nodes) - 1 else None


def root_tree(tree: dict[int, list[int]], root: int) -> tuple[list[int], dict[int, int]]:
    """Breadth-first order from ``root`` and each node's parent (the root's parent is -1)."""
    order, parent = [root], {root: -1}
    for u in order:
        for v in tree[u]:
            if v not in parent:
                parent[v] = u
                order.append(v)
    return order, parent


def subtree_sums(order: list[int], parent: dict[int, int], values: Sequence[float] | np.ndarray) -> dict[int, float]:
    """Per node, the sum of ``values`` over its subtree (``order`` and ``parent`` from :func:`root_tree`)."""
    sub = {u: values[u] for u in order}
    for u in reversed(order[1:]):
        sub[parent[u]] += sub[u]
    return sub


def subtree(tree: dict[int, list[int]], parent: dict[int, int], u: int) -> list[int]:
    """The nodes of ``u``'s subtree (depth first from ``u``)."""
    side, stack = [], [u]
    while stack:
        a = stack.pop()
        side.append(a)
        stack.extend(b for b in tree[a] if b != parent[a])
    return side
