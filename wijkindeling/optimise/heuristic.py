"""Fast feasible plans: recursive spanning-tree bisection, then local search.

* Keep-together groups are contracted into blocks (super-units); every move moves a block.
* Construction: split the blocks into K parts by cutting random spanning trees at an edge whose
  side holds a population that fits a whole number of areas (ReCom-style), recursively.
* Improvement: single-block moves between neighbouring areas that keep both areas contiguous and
  within bounds, and merge-split of two neighbouring areas (best of many random tree cuts).
* Scores come from :mod:`wijkindeling.model.metrics` through :class:`~.districts.AreaCost` (a district's
  share of the objective, see ``districts.py``); the plan's objective is always re-checked with
  ``metrics.objective``.

Deterministic for a given seed (the number of restarts is fixed; the time limit only stops early).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..model import metrics
from ..model.problem import Problem
from .districts import AreaCost, block_of_unit, canonical_labels, random_tree, root_tree, subtree, subtree_sums


@dataclass
class Blocks:
    """Keep-together groups contracted: block id per unit, members and population per block, block graph."""

    of_unit: np.ndarray  # (n,) block of every unit
    members: list[np.ndarray]  # units of every block
    pop: np.ndarray  # (B,) inhabitants of every block
    graph: nx.Graph  # nodes are blocks; an edge where two blocks' units are adjacent
    lock: dict[int, int] = field(default_factory=dict)  # block -> area


def make_blocks(problem: Problem) -> Blocks:
    """The :class:`Blocks` of ``problem``: every keep-together group one block, every other unit a block of its own."""
    of_unit = block_of_unit(problem.n, problem.keep_together)
    B = int(of_unit.max()) + 1 if problem.n else 0
    members = [np.flatnonzero(of_unit == b) for b in range(B)]
    pop = np.array([problem.population[m].sum() for m in members], dtype=float)
    g = nx.Graph()
    g.add_nodes_from(range(B))
    for i, j in problem.edges:
        if of_unit[i] != of_unit[j]:
            g.add_edge(int(of_unit[i]), int(of_unit[j]))
    lock = {}
    for u, a in problem.locks.items():
        lock[int(of_unit[u])] = a
    return Blocks(of_unit, members, pop, g, lock)


def _fits(pop: float, k: int, lo: float, hi: float) -> bool:
    return k * lo - 1e-9 <= pop <= k * hi + 1e-9


def _bisect(blocks: Blocks, nodes: list[int], k: int, lo: float, hi: float, rng: np.random.Generator,
            tries: int, deadline: float = float("inf")) -> tuple[list[int], list[int], int] | None:
    """Cut a random spanning tree of ``nodes`` into two sides fitting k1 and k - k1 areas.

    Returns ``(side, rest, k1)``: the blocks of the cut-off subtree (sorted), the other blocks (in the order
    of ``nodes``) and the number of areas for ``side``; None when ``tries`` trees gave no such cut, the blocks
    are disconnected or the deadline passed.
    """
    total = blocks.pop[nodes].sum()
    for _ in range(tries):
        if time.perf_counter() > deadline:
            return None
        tree = random_tree(blocks.graph, nodes, rng)
        if tree is None:
            return None
        order, parent = root_tree(tree, nodes[int(rng.integers(len(nodes)))])
        sub = subtree_sums(order, parent, blocks.pop)
        cands = []
        for u in order[1:]:
            s = sub[u]
            for k1 in range(1, k):
                if _fits(s, k1, lo, hi) and _fits(total - s, k - k1, lo, hi):
                    cands.append((u, k1))
        if not cands:
            continue
        u, k1 = cands[int(rng.integers(len(cands)))]
        side = set(subtree(tree, parent, u))
        rest = [v for v in nodes if v not in side]
        return sorted(side), rest, k1
    return None


def split(blocks: Blocks, nodes: list[int], k: int, lo: float, hi: float, rng: np.random.Generator,
          tries: int = 60, deadline: float = float("inf")) -> list[list[int]] | None:
    """Recursive bisection of blocks ``nodes`` into ``k`` connected parts within [lo, hi].

    Parameters
    ----------
    blocks : Blocks
        The block graph and populations.
    nodes : list of int
        The blocks to divide.
    k : int
        The number of parts.
    lo, hi : float
        Population bounds of every part.
    rng : numpy.random.Generator
        Source of the random spanning trees and cuts.
    tries : int
        Random trees drawn per bisection.
    deadline : float
        A ``time.perf_counter()`` value after which the bisection gives up.

    Returns
    -------
    list of list of int or None
        The ``k`` parts (blocks), or None if it fails.
    """
    if k == 1:
        return [nodes] if _fits(blocks.pop[nodes].sum(), 1, lo, hi) else None
    for _ in range(4):
        cut = _bisect(blocks, nodes, k, lo, hi, rng, tries, deadline)
        if cut is None:
            return None
        a, b, k1 = cut
        pa = split(blocks, a, k1, lo, hi, rng, tries, deadline)
        pb = split(blocks, b, k - k1, lo, hi, rng, tries, deadline) if pa is not None else None
        if pa is not None and pb is not None:
            return pa + pb
    return None


def assign_areas(problem: Problem, blocks: Blocks, parts: list[list[int]]) -> np.ndarray | None:
    """Unit labels from block parts, honouring locks (None when a part holds two locked areas)."""
    wanted: list[int | None] = []
    for part in parts:
        areas = {blocks.lock[b] for b in part if b in blocks.lock}
        if len(areas) > 1:
            return None
        wanted.append(areas.pop() if areas else None)
    taken = [a for a in wanted if a is not None]
    if len(set(taken)) != len(taken):
        return None
    free = iter(k for k in range(problem.k) if k not in set(taken))
    order = sorted(range(len(parts)), key=lambda i: min(min(blocks.members[b]) for b in parts[i]))
    labels = np.full(problem.n, -1, dtype=int)
    for i in order:
        area = wanted[i] if wanted[i] is not None else next(free)
        for b in parts[i]:
            labels[blocks.members[b]] = area
    return labels


class LocalSearch:
    """Improve a valid plan by block moves and merge-split, keeping it valid.

    ``cost`` prices a district; ``rng`` (shared with the construction) orders the moves and draws the trees.
    """

    def __init__(self, problem: Problem, blocks: Blocks, cost: AreaCost, rng: np.random.Generator) -> None:
        self.p, self.bl, self.cost, self.rng = problem, blocks, cost, rng
        self.apart = [(int(blocks.of_unit[a]), int(blocks.of_unit[b])) for a, b in problem.keep_apart]

    def _ok_apart(self, area_blocks: set[int]) -> bool:
        return all(not (a in area_blocks and b in area_blocks) for a, b in self.apart)

    def units(self, area_blocks: Iterable[int]) -> np.ndarray:
        """The units of the blocks ``area_blocks``."""
        return np.concatenate([self.bl.members[b] for b in area_blocks])

    def run(self, labels: np.ndarray, deadline: float, merge_tries: int = 25) -> np.ndarray:
        """A local optimum from valid plan ``labels``: block moves, then merge-split of neighbouring areas
        (``merge_tries`` trees per pair), repeated while either improves and ``deadline`` has not passed."""
        bl = self.bl
        part: dict[int, set[int]] = {k: set() for k in range(self.p.k)}
        for b, m in enumerate(bl.members):
            part[int(labels[m[0]])].add(b)
        pops = {k: bl.pop[list(s)].sum() for k, s in part.items()}
        costs = {k: self.cost(self.units(s)) for k, s in part.items()}
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = self._moves(part, pops, costs, deadline)
            if time.perf_counter() < deadline:
                improved = self._merge_split(part, pops, costs, deadline, merge_tries) or improved
        out = np.empty(self.p.n, dtype=int)
        for k, s in part.items():
            out[self.units(s)] = k
        return out

    def repair(self, labels: np.ndarray, deadline: float) -> np.ndarray | None:
        """Move blocks / re-split pairs until every area is within [lo, hi]; None if that fails."""
        bl, lo, hi = self.bl, self.p.lo, self.p.hi
        part: dict[int, set[int]] = {k: set() for k in range(self.p.k)}
        for b, m in enumerate(bl.members):
            part[int(labels[m[0]])].add(b)
        pops = {k: bl.pop[list(s)].sum() for k, s in part.items()}

        def viol(x: float) -> float:
            return max(0.0, x - hi) + max(0.0, lo - x)

        while sum(viol(p) for p in pops.values()) > 1e-9 and time.perf_counter() < deadline:
            where = {b: k for k, s in part.items() for b in s}
            moved = False
            for b in self.rng.permutation(len(bl.members)).tolist():
                a = where[b]
                if b in bl.lock or len(part[a]) == 1:
                    continue
                pb = bl.pop[b]
                for t in sorted({where[v] for v in bl.graph[b]} - {a}):
                    dv = viol(pops[a] - pb) + viol(pops[t] + pb) - viol(pops[a]) - viol(pops[t])
                    if dv < -1e-9 and self._ok_apart(part[t] | {b}) and nx.is_connected(bl.graph.subgraph(part[a] - {b})):
                        part[a].discard(b)
                        part[t].add(b)
                        pops[a] -= pb
                        pops[t] += pb
                        where[b] = t
                        moved = True
                        break
            if moved:
                continue
            pairs = sorted({tuple(sorted((where[u], where[v]))) for u, v in bl.graph.edges if where[u] != where[v]})
            for i in self.rng.permutation(len(pairs)).tolist():
                a, b = pairs[i]
                if viol(pops[a]) + viol(pops[b]) <= 0 or not _fits(pops[a] + pops[b], 2, lo, hi):
                    continue
                cut = _bisect(bl, sorted(part[a] | part[b]), 2, lo, hi, self.rng, 30, deadline)
                if cut is None:
                    continue
                s1, s2 = set(cut[0]), set(cut[1])
                if any(bl.lock.get(x, a) != a for x in s1) or any(bl.lock.get(x, b) != b for x in s2):
                    s1, s2 = s2, s1
                if any(bl.lock.get(x, a) != a for x in s1) or any(bl.lock.get(x, b) != b for x in s2):
                    continue
                if self._ok_apart(s1) and self._ok_apart(s2):
                    part[a], part[b] = s1, s2
                    pops[a], pops[b] = bl.pop[list(s1)].sum(), bl.pop[list(s2)].sum()
                    moved = True
                    break
            if not moved:
                return None
        if sum(viol(p) for p in pops.values()) > 1e-9:
            return None
        out = np.empty(self.p.n, dtype=int)
        for k, s in part.items():
            out[self.units(s)] = k
        return out

    def _moves(self, part, pops, costs, deadline) -> bool:
        bl, lo, hi = self.bl, self.p.lo, self.p.hi
        where = {b: k for k, s in part.items() for b in s}
        any_gain = False
        gain = True
        while gain and time.perf_counter() < deadline:
            gain = False
            for b in self.rng.permutation(len(bl.members)).tolist():
                a = where[b]
                if b in bl.lock or len(part[a]) == 1 or pops[a] - bl.pop[b] < lo - 1e-9:
                    continue
                targets = {where[v] for v in bl.graph[b]} - {a}
                if not targets:
                    continue
                rest = part[a] - {b}
                if not nx.is_connected(bl.graph.subgraph(rest)):
                    continue
                c_rest = self.cost(self.units(rest))
                best = None
                for t in targets:
                    if pops[t] + bl.pop[b] > hi + 1e-9 or not self._ok_apart(part[t] | {b}):
                        continue
                    c_t = self.cost(self.units(part[t] | {b}))
                    delta = c_rest + c_t - costs[a] - costs[t]
                    if delta < -1e-9 and (best is None or delta < best[0]):
                        best = (delta, t, c_t)
                if best is not None:
                    _, t, c_t = best
                    part[a].discard(b)
                    part[t].add(b)
                    pops[a] -= bl.pop[b]
                    pops[t] += bl.pop[b]
                    costs[a], costs[t] = c_rest, c_t
                    where[b] = t
                    gain = any_gain = True
        return any_gain

    def _merge_split(self, part, pops, costs, deadline, tries) -> bool:
        bl, lo, hi = self.bl, self.p.lo, self.p.hi
        where = {b: k for k, s in part.items() for b in s}
        pairs = sorted({tuple(sorted((where[u], where[v]))) for u, v in bl.graph.edges if where[u] != where[v]})
        any_gain = False
        for i in self.rng.permutation(len(pairs)).tolist():
            if time.perf_counter() > deadline:
                break
            a, b = pairs[i]
            nodes = sorted(part[a] | part[b])
            best = None
            for _ in range(tries):
                cut = _bisect(bl, nodes, 2, lo, hi, self.rng, 1)
                if cut is None:
                    continue
                s1, s2 = set(cut[0]), set(cut[1])
                # keep locks on their areas
                if any(bl.lock.get(x, a) != a for x in s1) or any(bl.lock.get(x, b) != b for x in s2):
                    s1, s2 = s2, s1
                    if any(bl.lock.get(x, a) != a for x in s1) or any(bl.lock.get(x, b) != b for x in s2):
                        continue
                if not (self._ok_apart(s1) and self._ok_apart(s2)):
                    continue
                c1, c2 = self.cost(self.units(s1)), self.cost(self.units(s2))
                if c1 + c2 < costs[a] + costs[b] - 1e-9 and (best is None or c1 + c2 < best[0]):
                    best = (c1 + c2, s1, s2, c1, c2)
            if best is not None:
                _, s1, s2, c1, c2 = best
                part[a], part[b] = s1, s2
                pops[a], pops[b] = bl.pop[list(s1)].sum(), bl.pop[list(s2)].sum()
                costs[a], costs[b] = c1, c2
                any_gain = True
        return any_gain


@dataclass
class HeuristicResult:
    """The heuristic's best plan (None when no valid plan was found), its objective and the other local optima."""

    labels: np.ndarray | None
    objective: float | None
    pool: list[tuple[float, np.ndarray]]  # distinct local optima (objective, labels), best first
    seconds: float
    restarts: int  # constructions counted against the ``restarts`` asked for


def heuristic(problem: Problem, time_limit: float = 10.0, seed: int = 1, restarts: int | None = None,
              progress: Callable[[dict], None] | None = None) -> HeuristicResult:
    """Best valid plan from ``restarts`` constructions + local search (within ``time_limit``).

    Parameters
    ----------
    problem : Problem
        The problem to solve.
    time_limit : float
        Seconds; the search stops early when they are spent.
    seed : int
        Seed of the one random generator: the result is the same for a seed unless the time limit stops it.
    restarts : int, optional
        Constructions to improve (default: 8 to 40, fewer for more units).
    progress : callable, optional
        Called with ``{"phase", "incumbent", "bound", "seconds"}`` after every local optimum.

    Returns
    -------
    HeuristicResult
        The best plan and the pool of distinct local optima.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    rng = np.random.default_rng(seed)
    blocks = make_blocks(problem)
    cost = AreaCost(problem)
    ls = LocalSearch(problem, blocks, cost, rng)
    if restarts is None:
        restarts = max(8, min(40, 1200 // max(problem.n, 1)))
    pool: dict[bytes, tuple[float, np.ndarray]] = {}
    nodes = list(range(len(blocks.members)))
    done = 0
    fails = 0
    while done < restarts and time.perf_counter() < deadline:
        labels = construct(problem, blocks, nodes, ls, rng, deadline, strict_first=fails < restarts)
        if labels is None or metrics.violations(problem, labels):
            fails += 1
            if fails >= 3 * restarts and not pool:
                break
            if fails >= 3 * restarts:
                done += 1
            continue
        done += 1
        labels = ls.run(labels, deadline)
        if metrics.violations(problem, labels):
            continue
        obj = metrics.objective(problem, labels)
        key = canonical_key(problem, labels)
        if key not in pool:
            pool[key] = (obj, labels)
        if progress is not None:
            best = min(v[0] for v in pool.values())
            progress({"phase": "heuristic", "incumbent": best, "bound": None, "seconds": time.perf_counter() - t0})
    ranked = sorted(pool.values(), key=lambda t: t[0])
    top: tuple[float | None, np.ndarray | None] = ranked[0] if ranked else (None, None)
    return HeuristicResult(top[1], top[0], ranked, time.perf_counter() - t0, done)


def construct(problem: Problem, blocks: Blocks, nodes: list[int], ls: LocalSearch, rng: np.random.Generator,
              deadline: float, strict_first: bool = True) -> np.ndarray | None:
    """A valid plan: strict tree bisection, else bisection with wider bounds followed by repair.

    The bounds are widened by 5, 15, 30 and 60 %; ``strict_first=False`` skips the strict try. Returns
    unit labels, or None when no try gave a valid plan before ``deadline``.
    """
    lo, hi = problem.lo, problem.hi
    widen = [0.0] if strict_first else []
    widen += [0.05, 0.15, 0.3, 0.6]
    for w in widen:
        parts = split(blocks, nodes, problem.k, lo * (1 - w), hi * (1 + w), rng, tries=60 if w == 0 else 20,
                      deadline=deadline)
        labels = assign_areas(problem, blocks, parts) if parts is not None else None
        if labels is None:
            continue
        if w > 0:
            labels = ls.repair(labels, deadline)
        if labels is not None and not metrics.violations(problem, labels):
            return labels
    return None


def improve(problem: Problem, labels: np.ndarray, deadline: float, seed: int) -> np.ndarray:
    """``labels`` after the local search (moves and merge-split) until ``deadline``, when that gives a valid plan
    at least as good; else ``labels`` as given. For plans made another way (an exact-cover search, joined parts)."""
    search = LocalSearch(problem, make_blocks(problem), AreaCost(problem), np.random.default_rng(seed))
    better = search.run(labels, deadline)
    if not metrics.violations(problem, better) and metrics.objective(problem, better) <= metrics.objective(problem, labels):
        return better
    return labels


def canonical_key(problem: Problem, labels: np.ndarray) -> bytes:
    """A key that is equal for plans with the same districts (area numbering ignored unless locked)."""
    return canonical_labels(problem, np.asarray(labels)).astype(np.int16).tobytes()
