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

from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..model.metrics import LinearObjective, objective_coefficients
from ..model.problem import Problem


@dataclass
class MethodResult:
    """What one exact method (set partitioning, flow MIP) returns, before :func:`optimise.solve` judges it.

    ``status`` is the method's own word: ``optimal``, ``feasible``, ``infeasible`` or ``no_solution``.
    """

    labels: np.ndarray | None
    status: str
    objective: float | None
    bound: float | None
    seconds: float
    gap: float | None = None  # relative gap (objective - bound) / objective, where the solver reports it
    backend: str = "highs"
    n_columns: int = 0  # districts in the set-partitioning model


# ---------------------------------------------------------------- the district cost model


def plan_constant(problem: Problem) -> float:
    """The part of the objective that no district carries: minus the identity weight per group."""
    return -problem.weights.identity * len(problem.group_members)


def weighted_cost(problem: Problem, coef: LinearObjective, population, boundary, catchment, touched):
    """The cost of districts from their parts (scalars or arrays of equal length).

    Parameters
    ----------
    problem : Problem
        Gives the weights and the target size.
    coef : LinearObjective
        :func:`~wijkindeling.model.metrics.objective_coefficients` of ``problem``.
    population, boundary, catchment, touched
        Inhabitants, boundary cost to units outside, patients of its practices living outside,
        and the number of identity groups it touches.

    Returns
    -------
    float or numpy.ndarray
        ``balance + catchment + identity + compactness`` in objective points.
    """
    w = problem.weights
    return (w.balance * coef.balance_scale * np.abs(population - problem.target) + w.catchment * catchment
            + w.identity * touched + w.compactness * 0.5 * boundary)


def district_parts(problem: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-unit data for district costs: edge-cost matrix W, catchment matrix A, its row sums, group matrix G."""
    n = problem.n
    coef = objective_coefficients(problem)
    W = np.zeros((n, n))
    for e, (i, j) in enumerate(problem.edges):
        W[i, j] += coef.edge_coef[e]
        W[j, i] += coef.edge_coef[e]
    A = np.zeros((n, n))
    if problem.patients is not None and problem.patients.sum() > 0:
        scale = 100.0 / problem.patients.sum()
        for p, home in enumerate(problem.practice_home):
            A[home] += scale * problem.patients[p]
    return W, A, A.sum(axis=1), group_matrix(problem).astype(float)


def group_matrix(problem: Problem, groups=None) -> np.ndarray:
    """(groups, n) bool: the members of each identity group (of the listed ``groups``; all by default)."""
    groups = range(len(problem.group_members)) if groups is None else groups
    out = np.zeros((len(groups), problem.n), dtype=bool)
    for row, g in enumerate(groups):
        out[row, problem.group_members[int(g)]] = True
    return out


def district_costs(problem: Problem, member: np.ndarray, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray, float]:
    """(population, weighted cost) of every column, and the plan-level constant."""
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
    """The objective of a plan computed from its districts' costs (must equal metrics.objective)."""
    member = np.stack([labels == k for k in range(problem.k)])
    _, cost, const = district_costs(problem, member)
    return float(cost.sum() + const)

class AreaCost:
    """Cost of one district (its additive share of the objective), for the heuristic's local search."""

    def __init__(self, problem: Problem):
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
    """Relabel unlocked areas so they are ordered by lowest unit (the model's symmetry rule)."""
    locked = set(problem.locks.values())
    free = [k for k in range(problem.k) if k not in locked]
    firsts = sorted((int(np.flatnonzero(labels == k)[0]), k) for k in free if (labels == k).any())
    mapping = {old: new for (_, old), new in zip(firsts, free)}
    return np.array([mapping.get(int(a), int(a)) for a in labels])


def rule_filter(problem: Problem, member: np.ndarray) -> np.ndarray:
    """Columns compatible with locks, keep-together and keep-apart rules."""
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


class UnionFind:
    """Disjoint sets over hashable items, with path halving; ``union(a, b)`` hangs a's root under b's."""

    def __init__(self, items) -> None:
        self.parent: dict[Hashable, Hashable] = {u: u for u in items}

    def find(self, a: Hashable) -> Hashable:
        """The root of ``a``'s set."""
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: Hashable, b: Hashable) -> bool:
        """Merge the sets of ``a`` and ``b``; False when they were one set already."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def block_of_unit(n: int, parts: list) -> np.ndarray:
    """Block index (``0..B-1``, in the order of the blocks' union-find roots) of every unit; overlapping parts
    merge. Used for keep-together blocks by the heuristic and by contraction alike."""
    uf = UnionFind(range(n))
    for part in parts:
        part = [int(u) for u in part]
        for u in part[1:]:
            uf.union(u, part[0])
    index = {r: i for i, r in enumerate(sorted({uf.find(u) for u in range(n)}))}
    return np.array([index[uf.find(u)] for u in range(n)], dtype=int)


def random_tree(g: nx.Graph, nodes: list[int], rng: np.random.Generator) -> dict[int, list[int]] | None:
    """Adjacency of a random spanning tree of ``g[nodes]`` (Kruskal on random weights), None if disconnected."""
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


def subtree_sums(order: list[int], parent: dict[int, int], values) -> dict[int, float]:
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
