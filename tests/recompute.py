"""The objective of a plan recomputed from the raw problem data, written out term by term for the tests.

It does not call ``model.metrics`` or the district cost model: a test that compares a solver's result with
this value checks the result, not the code that produced it (``solve`` sets ``Solution.objective`` from
``metrics.objective`` itself, so comparing the two proves nothing).
"""

from __future__ import annotations


def independent_objective(problem, labels) -> float:
    """balance + catchment + identity + compactness (weighted), from populations, patients, groups and edges."""
    labels = [int(a) for a in labels]
    k, w = problem.k, problem.weights
    pops = [0.0] * k
    for unit, area in enumerate(labels):
        pops[area] += float(problem.population[unit])
    target = sum(pops) / k
    balance = 100.0 * sum(abs(p - target) for p in pops) / (k * target)
    catchment = 0.0
    if problem.patients is not None and float(problem.patients.sum()) > 0:
        outside = sum(float(problem.patients[p, b])
                      for p, home in enumerate(problem.practice_home)
                      for b in range(problem.n) if labels[b] != labels[int(home)])
        catchment = 100.0 * outside / float(problem.patients.sum())
    identity = sum(len({labels[int(u)] for u in members}) - 1 for members in problem.group_members)
    cut = sum(float(cost) for (i, j), cost in zip(problem.edges, problem.edge_cost) if labels[int(i)] != labels[int(j)])
    compactness = 100.0 * cut / problem.boundary_total if problem.boundary_total > 0 else 0.0
    return w.balance * balance + w.catchment * catchment + w.identity * identity + w.compactness * compactness
