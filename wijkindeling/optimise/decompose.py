"""A first plan for large instances with tight bounds by splitting them into a dense part and the rest.

Large instances (300-500 buurten) that join a dense city to its rural surroundings are too large for the exact
enumeration as a whole (the rural part has millions of connected districts) and too tight for the tree bisection
(the city's large buurten leave few ways to pack them). But the two parts are easy apart: the city's districts
can be listed (few units per area), so the exact model finds its plan or proves there is none in seconds, while
the rural part has enough small buurten for the heuristic. :func:`split_plan` therefore

1. splits the units into connected parts (:func:`parts_by_code`: by municipality, the first four digits of the
   buurtcode after ``BU``; the municipality with the most inhabitants per unit is the dense part);
2. tries the dense part's numbers of areas that its population allows, nearest its share of ``K`` first, and gives
   the other parts the rest, each nearest its share (:func:`allocate`);
3. solves every part on its own with the same bounds (:func:`subproblem`): the dense part with the caller's solver
   (``strategy.solve``, whose enumeration gives a plan or a proof), the others with the heuristic, and stops at the
   first count that gives a plan for every part;
4. joins the part plans into one plan of the whole and improves it with the local search across the borders.

A split is a restriction: areas that cross a part's border are not tried, so a failed split proves nothing about
the whole (:mod:`local_proof` does prove some instances infeasible). Not done: extending the dense part across its
border (tried: the village buurten that large city border buurten may need as partners; it found no plan where the
plain split found none, 62 areas at ±18 %, so it was left out).

Measured (benchmarks/RESULTS.md): the region north-west of Utrecht with Utrecht (308 buurten), 62 areas at ±20 %
and 60 areas at ±15 %: a first valid plan in 33-36 s on a busy 2-core machine, where the whole-problem heuristic
found none in 60 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np

from ..model import metrics
from ..model.problem import Problem, default_area_names
from .heuristic import HeuristicResult, heuristic, improve


def subproblem(problem: Problem, units: np.ndarray, k: int) -> Problem:
    """The problem on ``units`` alone with ``k`` areas and the same population bounds.

    Parameters
    ----------
    problem : Problem
        The whole problem.
    units : numpy.ndarray
        Sorted unit indices of the part.
    k : int
        Areas of the part.

    Returns
    -------
    Problem
        Units ``0..len(units)-1`` (in the order of ``units``) with their edges, identity groups (members inside
        the part), rules (locks dropped: area numbers belong to the whole), practices whose home lies in the part,
        and ``lo``/``hi`` of ``problem`` (not re-derived from the part's population).
    """
    units = np.asarray(units, dtype=int)
    new = np.full(problem.n, -1, dtype=int)
    new[units] = np.arange(len(units))
    inside = (new[problem.edges[:, 0]] >= 0) & (new[problem.edges[:, 1]] >= 0)
    edges = new[problem.edges[inside]]
    graph = nx.Graph()
    graph.add_nodes_from(range(len(units)))
    for (i, j), length, cost in zip(edges, problem.edge_length[inside], problem.edge_cost[inside]):
        graph.add_edge(int(i), int(j), length=float(length), cost=float(cost))
    kept = [g for g, m in enumerate(problem.group_members) if len(new[m][new[m] >= 0]) > 0]
    patients, home = None, None
    if problem.patients is not None and problem.practice_home is not None:
        own = new[np.asarray(problem.practice_home)] >= 0
        patients = problem.patients[own][:, units]
        home = new[np.asarray(problem.practice_home)[own]]
    return replace(
        problem,
        codes=[problem.codes[u] for u in units],
        names=[problem.names[u] for u in units],
        population=problem.population[units],
        graph=graph,
        edges=edges.reshape(-1, 2),
        edge_length=problem.edge_length[inside],
        edge_cost=problem.edge_cost[inside],
        groups=[problem.groups[g] for g in kept],
        group_members=[np.sort(new[m][new[m] >= 0]) for m in (problem.group_members[g] for g in kept)],
        k=int(k),
        area_names=default_area_names(int(k)),
        fixed_names=False,
        locks={},
        keep_together=[t for t in ([int(new[u]) for u in grp if new[u] >= 0] for grp in problem.keep_together)
                       if len(t) > 1],
        keep_apart=[(int(new[a]), int(new[b])) for a, b in problem.keep_apart if new[a] >= 0 and new[b] >= 0],
        patients=patients,
        practice_home=home,
        catchments=None,
        buurten=None if problem.buurten is None else problem.buurten.iloc[units].reset_index(drop=True),
        practices=None,
        barrier_lines=None,
        edge_cost_total=None,
        kernen={},
        indicator_data=None,
    )


PartSolver = Callable[[Problem, float], "np.ndarray | None"]
"""Solves the dense part: (problem, seconds) -> labels of a valid plan, or None (``strategy.solve`` with its exact
model in practice; passed in, so this module does not import the strategy that calls it)."""

DENSE_SHARE = 0.5  # share of the time left for one solve of the dense part (the exact model: a plan or a proof)
DENSE_SECONDS = 15.0  # and at most this (Utrecht's 111 buurten: a proof in 4 s, a first plan in 5-12 s)
REST_RESTARTS = 1  # constructions of the heuristic for a part that is not dense (a first plan is the aim)
IMPROVE_SHARE = 0.25  # share of the time left for the local search over the joined plan


@dataclass
class Part:
    """Units of one connected part and the numbers of areas its population allows, nearest its share first."""

    units: np.ndarray
    counts: list[int]
    dense: bool = False


@dataclass
class SplitResult:
    """A plan of the whole joined from plans of the parts (None when no count gave one), and what was tried."""

    labels: np.ndarray | None
    counts: dict[int, int] = field(default_factory=dict)  # part index -> areas, of the plan
    tried: list[tuple[int, str]] = field(default_factory=list)  # (areas of the dense part, outcome)


def municipality(code: str) -> str:
    """The municipality of a buurtcode (``BU0344...`` -> ``0344``); of a contracted block, its first buurt's."""
    return code[2:6] if code.startswith("BU") and len(code) >= 6 else ""


def fitting_counts(pop: float, lo: float, hi: float, share: float) -> list[int]:
    """Every whole ``m >= 1`` with ``m * lo <= pop <= m * hi``, the nearest to ``share`` first."""
    first, last = max(1, int(np.ceil(pop / hi - 1e-9))), int(np.floor(pop / lo + 1e-9)) if lo > 0 else 0
    return sorted(range(first, last + 1), key=lambda m: (abs(m - share), m))


def parts_by_code(problem: Problem) -> list[Part] | None:
    """The connected parts of the municipality with the most inhabitants per unit (the dense part) and of the rest.

    Returns
    -------
    list of Part or None
        The parts, dense ones first; None when all units belong to one municipality, or some part's population
        fits no whole number of areas (then this split has no plan).
    """
    town = np.array([municipality(c) for c in problem.codes])
    names = sorted(set(town.tolist()))
    if len(names) < 2:
        return None
    density = {t: problem.population[town == t].mean() for t in names}
    top = max(names, key=lambda t: (density[t], t))
    out = []
    for dense in (True, False):
        side = np.flatnonzero((town == top) == dense)
        for comp in nx.connected_components(problem.graph.subgraph(side.tolist())):
            units = np.array(sorted(comp))
            pop = float(problem.population[units].sum())
            counts = fitting_counts(pop, problem.lo, problem.hi, pop / problem.target)
            if not counts:
                return None
            out.append(Part(units, counts, dense))
    return out


def allocate(parts: list[Part], k: int, dense_counts: list[int]) -> list[int] | None:
    """Areas per part adding up to ``k``: ``dense_counts`` for the dense parts, the other parts nearest their
    share within their fitting counts; None when none add up."""
    out = list(dense_counts) + [p.counts[0] for p in parts[len(dense_counts):]]
    rest = list(range(len(dense_counts), len(parts)))
    for _ in range(4 * k):  # move one area at a time to or from the part that fits it best
        diff = k - sum(out)
        if diff == 0:
            return out
        step = 1 if diff > 0 else -1
        able = [i for i in rest if out[i] + step in parts[i].counts]
        if not able:
            return None
        i = min(able, key=lambda i: abs(out[i] + step - parts[i].counts[0]))
        out[i] += step
    return None


def split_plan(problem: Problem, solve_part: PartSolver, deadline: float, seed: int = 1) -> SplitResult:
    """A plan of ``problem`` from plans of its parts solved apart (see the module docstring).

    Parameters
    ----------
    problem : Problem
        The whole problem (units of several municipalities).
    solve_part : PartSolver
        Solves the dense part (the enumeration gives a plan or a proof); the other parts get the heuristic
        (:data:`REST_RESTARTS` constructions).
    deadline : float
        A ``time.perf_counter()`` value.
    seed : int
        Seed of the heuristic and of the local search over the joined plan.

    Returns
    -------
    SplitResult
        The joined plan (valid for ``problem``: every area is a valid area of a part), improved by the local
        search across the parts' borders, or None; and the counts tried. A failure proves nothing about the
        whole (areas across the parts' borders were not tried).
    """
    result = SplitResult(None)
    parts = parts_by_code(problem)
    if parts is None or sum(p.dense for p in parts) != 1:  # one connected city is the case this is for
        return result
    labels = _split_counts(problem, parts, solve_part, deadline, seed, result)
    if labels is not None:
        left = deadline - time.perf_counter()
        result.labels = improve(problem, labels, time.perf_counter() + IMPROVE_SHARE * left, seed)
    return result


def _split_counts(problem: Problem, parts: list[Part], solve_part: PartSolver, deadline: float, seed: int,
                  result: SplitResult) -> np.ndarray | None:
    """The first joined plan over the dense part's counts (nearest its share first), or None; ``result`` records
    every count tried and the counts of the plan."""
    dense = parts[:1]
    plans: dict[tuple[int, int], np.ndarray | None] = {}
    for m in dense[0].counts:
        counts = allocate(parts, problem.k, [m])
        if counts is None or time.perf_counter() > deadline:
            continue
        left = deadline - time.perf_counter()
        if (0, m) not in plans:
            plans[(0, m)] = solve_part(subproblem(problem, dense[0].units, m), min(DENSE_SECONDS, DENSE_SHARE * left))
        if plans[(0, m)] is None:
            result.tried.append((m, "dense part: no plan"))
            continue
        labels = _join(problem, parts, counts, plans, deadline, seed)
        result.tried.append((m, "plan" if labels is not None else "other parts: no plan"))
        if labels is not None:
            result.counts = dict(enumerate(counts))
            return labels
    return None


def _join(problem: Problem, parts: list[Part], counts: list[int], plans: dict[tuple[int, int], np.ndarray | None],
          deadline: float, seed: int) -> np.ndarray | None:
    """Plans of every part at ``counts`` (cached in ``plans``) joined into one labelling, or None."""
    labels = np.full(problem.n, -1, dtype=int)
    offset = 0
    for i, (part, m) in enumerate(zip(parts, counts)):
        if (i, m) not in plans:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            plans[(i, m)] = heuristic(subproblem(problem, part.units, m), time_limit=left, seed=seed,
                                      restarts=REST_RESTARTS).labels
        sub = plans[(i, m)]
        if sub is None:
            return None
        labels[part.units] = np.asarray(sub) + offset
        offset += m
    if metrics.violations(problem, labels):
        return None
    return labels


def splittable(problem: Problem) -> bool:
    """Whether :func:`split_plan` applies: units of several municipalities (``BU`` buurtcodes)."""
    return len({municipality(c) for c in problem.codes}) > 1


def after_heuristic(problem: Problem, heur: HeuristicResult, solve_part: PartSolver, deadline: float, seed: int,
                    more: bool) -> tuple[HeuristicResult, str]:
    """The first phase of a large instance after a short heuristic run: (result, method).

    Without a plan from ``heur``: :func:`split_plan`, and when that finds none either, the heuristic again until
    ``deadline`` (another seed). With a plan and ``more``: the heuristic again until ``deadline``, the better of the
    two kept (the time the heuristic would have had without a split to try). Otherwise ``heur`` as it is.
    """
    if heur.labels is not None and not more:
        return heur, "heuristic"
    if heur.labels is None:
        t0 = time.perf_counter()
        res = split_plan(problem, solve_part, deadline, seed)
        if res.labels is not None:
            obj = metrics.objective(problem, res.labels)
            return HeuristicResult(res.labels, obj, [(obj, res.labels)], time.perf_counter() - t0, 1), "split"
    again = heuristic(problem, time_limit=max(0.0, deadline - time.perf_counter()), seed=seed + 1)
    pool = sorted(heur.pool + again.pool, key=lambda t: t[0])
    top = pool[0] if pool else (None, None)
    return HeuristicResult(top[1], top[0], pool, heur.seconds + again.seconds, heur.restarts + again.restarts), "heuristic"
