"""A pool of valid districts for column generation, drawn by ReCom-style spanning-tree cuts.

Starting from good plans (the heuristic's), two neighbouring areas are merged, a random spanning
tree of the merged units is drawn, and *every* tree edge whose removal leaves two sides within the
population bounds gives two districts (GerryChain's ReCom keeps one such cut; we keep them all). A
random cut then becomes the next plan of a short walk, so the pool spreads around the good plans.
Districts that break a hard rule (locks, keep-together, keep-apart) are dropped. Column generation
(``colgen.py``) prices the pool cheaply at every iteration before it pays for the exact pricing MIP.
"""

from __future__ import annotations

import time

import numpy as np

from ..model.problem import Problem
from .districts import random_tree, root_tree, rule_filter, subtree, subtree_sums


def balanced_cuts(tree: dict[int, list[int]], pop: np.ndarray, lo: float, hi: float,
                  rng: np.random.Generator) -> list[list[int]]:
    """Every subtree (its units) whose population and its complement's both lie in [lo, hi].

    The tree (adjacency lists, e.g. from :func:`.districts.random_tree`) is rooted at a node drawn from
    ``rng``; ``pop`` holds every unit's population. Returns the units of each such subtree.
    """
    nodes = list(tree)
    root = nodes[int(rng.integers(len(nodes)))]
    order, parent = root_tree(tree, root)
    sub = subtree_sums(order, parent, pop.astype(float))
    total = sub[root]
    return [subtree(tree, parent, u) for u in order[1:] if lo <= sub[u] <= hi and lo <= total - sub[u] <= hi]


def _adjacent_pairs(problem: Problem, labels: np.ndarray) -> list[tuple[int, int]]:
    """The pairs of neighbouring areas of plan ``labels``, (lower, higher), sorted."""
    a, b = labels[problem.edges[:, 0]], labels[problem.edges[:, 1]]
    cut = a != b
    return sorted({(int(min(x, y)), int(max(x, y))) for x, y in zip(a[cut], b[cut])})


def recom_pool(problem: Problem, plans: list[np.ndarray], deadline: float, seed: int = 1,
               max_columns: int = 50_000, walk: int = 200) -> np.ndarray:
    """(C, n) bool: distinct valid districts found by tree cuts of merged neighbouring areas.

    Each start plan is walked ``walk`` ReCom steps (or until ``deadline``, a ``time.perf_counter()`` value);
    every balanced cut of every drawn tree adds its two districts.

    Parameters
    ----------
    problem : Problem
        The problem.
    plans : list of numpy.ndarray
        Label arrays of the plans to start from.
    deadline : float
        A ``time.perf_counter()`` value at which the walks stop.
    seed : int
        Seed of the random trees and steps.
    max_columns : int
        Stop once this many distinct districts were found.
    walk : int
        ReCom steps per start plan.

    Returns
    -------
    numpy.ndarray
        (C, n) bool: the distinct districts that break no hard rule.
    """
    rng = np.random.default_rng(seed)
    pop = problem.population.astype(float)
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
            tree = random_tree(problem.graph, units.tolist(), rng)
            if tree is None:
                continue
            cuts = balanced_cuts(tree, pop, problem.lo, problem.hi, rng)
            for side in cuts:
                mask = np.zeros(n, dtype=bool)
                mask[side] = True
                for part in (mask, np.isin(np.arange(n), units) & ~mask):
                    seen.setdefault(np.packbits(part).tobytes(), part)
            if cuts:
                side = cuts[int(rng.integers(len(cuts)))]
                labels[units] = b
                labels[side] = a
    member = np.array(list(seen.values()), dtype=bool).reshape(-1, n)
    return member[rule_filter(problem, member)]
