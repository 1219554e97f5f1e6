"""A pool of valid districts for column generation, drawn by ReCom-style spanning-tree cuts.

Starting from good plans (the heuristic's), two neighbouring areas are merged, a random spanning
tree of the merged units is drawn, and *every* tree edge whose removal leaves two sides within the
population bounds gives two districts (GerryChain's ReCom keeps one such cut; we keep them all). A
random cut then becomes the next plan of a short walk, so the pool spreads around the good plans.
Districts that break a hard rule (locks, keep-together, keep-apart) are dropped. Column generation
(``cg.py``) prices the pool cheaply at every iteration before it pays for the exact pricing MIP.
"""

from __future__ import annotations

import time

import numpy as np

from ..problem import Problem
from .columns import rule_filter


def neighbours(problem: Problem) -> list[list[int]]:
    """Adjacency lists of the units."""
    out: list[list[int]] = [[] for _ in range(problem.n)]
    for i, j in problem.edges:
        out[int(i)].append(int(j))
        out[int(j)].append(int(i))
    return out


def random_tree(units: np.ndarray, edges: np.ndarray, rng: np.random.Generator) -> list[list[int]] | None:
    """Adjacency lists (indexed like ``units``) of a random spanning tree of the units (Kruskal on random
    edge weights); None when the units are not connected. ``edges`` are index pairs into ``units``."""
    parent = list(range(len(units)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    tree: list[list[int]] = [[] for _ in units]
    joined = 0
    for e in rng.permutation(len(edges)):
        a, b = int(edges[e, 0]), int(edges[e, 1])
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
            tree[a].append(b)
            tree[b].append(a)
            joined += 1
    return tree if joined == len(units) - 1 else None


def balanced_cuts(tree: list[list[int]], pop: np.ndarray, lo: float, hi: float,
                  rng: np.random.Generator) -> list[np.ndarray]:
    """Every subtree (as a bool mask over the tree's nodes) whose population and complement's both lie in [lo, hi]."""
    m = len(tree)
    root = int(rng.integers(m))
    order, parent = [root], np.full(m, -1)
    parent[root] = root
    for u in order:
        for v in tree[u]:
            if parent[v] < 0:
                parent[v] = u
                order.append(v)
    sub = pop.astype(float).copy()
    for u in reversed(order[1:]):
        sub[parent[u]] += sub[u]
    total = sub[root]
    cuts = []
    for u in order[1:]:
        if lo <= sub[u] <= hi and lo <= total - sub[u] <= hi:
            side = np.zeros(m, dtype=bool)
            stack = [u]
            while stack:
                a = stack.pop()
                side[a] = True
                stack.extend(b for b in tree[a] if b != parent[a])
            cuts.append(side)
    return cuts


def _adjacent_pairs(problem: Problem, labels: np.ndarray) -> list[tuple[int, int]]:
    a, b = labels[problem.edges[:, 0]], labels[problem.edges[:, 1]]
    cut = a != b
    return sorted({(int(min(x, y)), int(max(x, y))) for x, y in zip(a[cut], b[cut])})


def recom_pool(problem: Problem, plans: list[np.ndarray], deadline: float, seed: int = 1,
               max_columns: int = 50_000, walk: int = 200) -> np.ndarray:
    """(C, n) bool: distinct valid districts found by tree cuts of merged neighbouring areas.

    Each start plan is walked ``walk`` ReCom steps (or until ``deadline``, a ``time.perf_counter()`` value);
    every balanced cut of every drawn tree adds its two districts.
    """
    rng = np.random.default_rng(seed)
    pop = problem.population.astype(float)
    edge_index = {}
    for i, j in problem.edges:
        edge_index.setdefault(int(i), []).append(int(j))
    seen: dict[bytes, np.ndarray] = {}
    n = problem.n
    for start in plans:
        labels = np.asarray(start, dtype=int).copy()
        for _ in range(walk):
            if time.perf_counter() > deadline or len(seen) >= max_columns:
                break
            pairs = _adjacent_pairs(problem, labels)
            if not pairs:
                break
            a, b = pairs[int(rng.integers(len(pairs)))]
            units = np.flatnonzero((labels == a) | (labels == b))
            local = {int(u): k for k, u in enumerate(units)}
            edges = np.array([(local[i], local[j]) for i in units.tolist() for j in edge_index.get(i, [])
                              if j in local], dtype=int).reshape(-1, 2)
            tree = random_tree(units, edges, rng)
            if tree is None:
                continue
            cuts = balanced_cuts(tree, pop[units], problem.lo, problem.hi, rng)
            for side in cuts:
                for part in (units[side], units[~side]):
                    mask = np.zeros(n, dtype=bool)
                    mask[part] = True
                    seen.setdefault(np.packbits(mask).tobytes(), mask)
            if cuts:
                side = cuts[int(rng.integers(len(cuts)))]
                labels[units[side]] = a
                labels[units[~side]] = b
    member = np.array(list(seen.values()), dtype=bool).reshape(-1, n)
    return member[rule_filter(problem, member)]
