"""Why no plan exists, in one or two sentences, and the nearest relaxations that do work.

:func:`quick_causes` finds cheap sufficient reasons (each one is a proof): the areas cannot hold the
population, a buurt or keep-together group is above the maximum, rules contradict each other, a
disconnected part or a part hanging on one buurt (a choke point) cannot be divided into areas within
the bounds. :func:`diagnose` adds suggestions (another tolerance, another number of areas, dropping a
conflicting rule) and verifies every one by solving it: a suggestion is only made when a valid plan
for it was found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np

from ..problem import Problem


@dataclass
class Suggestion:
    """A relaxation and the verified plan that shows it works."""

    text: str
    k: int
    tolerance: float | None
    objective: float | None
    status: str
    verified: bool
    problem: Problem | None = field(default=None, repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)  # the plan that verifies it
    kind: str = ""  # "rule" (a rule dropped), "tolerance" or "count"


@dataclass
class Diagnosis:
    """The verdict: ``feasible`` (None: unknown), a message, the causes and verified suggestions."""

    feasible: bool | None
    message: str
    causes: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _names(problem: Problem, units, limit: int = 3) -> str:
    units = sorted(units, key=lambda u: -problem.population[u])
    shown = [f"{problem.names[u]} ({_n(problem.population[u])})" for u in units[:limit]]
    more = len(units) - limit
    return ", ".join(shown) + (f" and {more} more buurten" if more > 0 else "")


def _fits_some(pop: float, lo: float, hi: float, extra: float = 0.0) -> bool:
    """Is there a whole m >= 0 with m * lo <= pop <= m * hi + extra?"""
    m_max = int(pop // lo) + 1 if lo > 0 else int(pop // max(hi, 1.0)) + 1
    return any(m * lo - 1e-9 <= pop <= m * hi + extra + 1e-9 for m in range(0, m_max + 1))


def count_causes(problem: Problem) -> list[str]:
    k, lo, hi, total = problem.k, problem.lo, problem.hi, problem.total
    out = []
    if k > problem.n:
        out.append(f"there are only {problem.n} buurten for {k} areas")
    if k * hi < total - 1e-9:
        out.append(f"{k} areas of at most {_n(hi)} inhabitants hold at most {_n(k * hi)}, less than the {_n(total)} inhabitants")
    if k * lo > total + 1e-9:
        out.append(f"{k} areas of at least {_n(lo)} inhabitants need {_n(k * lo)}, more than the {_n(total)} inhabitants")
    return out


def size_causes(problem: Problem) -> list[str]:
    out = []
    for u in np.flatnonzero(problem.population > problem.hi + 1e-9):
        out.append(f"{problem.names[u]} alone has {_n(problem.population[u])} inhabitants, above the maximum of {_n(problem.hi)}")
    for group in problem.keep_together:
        pop = problem.population[group].sum()
        if pop > problem.hi + 1e-9:
            out.append(f"the keep-together group {_names(problem, group)} has {_n(pop)} inhabitants, above the maximum of {_n(problem.hi)}")
    return out


def rule_causes(problem: Problem) -> list[tuple[str, str, object]]:
    """(sentence, rule kind, rule) for contradicting rules."""
    out = []
    for u, a in problem.locks.items():
        if a >= problem.k:
            out.append((f"{problem.names[u]} is locked to area {a + 1}, which does not exist with {problem.k} areas", "lock", u))
    for group in problem.keep_together:
        areas = {problem.locks[u] for u in group if u in problem.locks}
        if len(areas) > 1:
            out.append((f"the keep-together group {_names(problem, group)} holds buurten locked to different areas", "keep_together", tuple(group)))
        for a, b in problem.keep_apart:
            if a in group and b in group:
                out.append((f"{problem.names[a]} and {problem.names[b]} must be kept apart (rules.keep_apart) but are in "
                            "one keep-together group (rules.keep_together)", "keep_apart_in_group", (a, b, tuple(group))))
    by_area: dict[int, list[int]] = {}
    for u, a in problem.locks.items():
        by_area.setdefault(a, []).append(u)
    for a, units in sorted(by_area.items()):
        pop = problem.population[units].sum()
        if len(units) > 1 and pop > problem.hi + 1e-9 and a < problem.k:
            out.append((f"{_names(problem, units)} are locked to {problem.area_names[a]} and together have {_n(pop)} "
                        f"inhabitants, above the maximum of {_n(problem.hi)}", "lock", max(units, key=lambda u: problem.population[u])))
    for a, b in problem.keep_apart:
        if a in problem.locks and b in problem.locks and problem.locks[a] == problem.locks[b]:
            out.append((f"{problem.names[a]} and {problem.names[b]} must be kept apart but are locked to the same area", "keep_apart", (a, b)))
    return out


def component_causes(problem: Problem) -> list[str]:
    out = []
    comps = list(nx.connected_components(problem.graph))
    if len(comps) < 2:
        return out
    for comp in comps:
        pop = problem.population[list(comp)].sum()
        if not _fits_some(pop, problem.lo, problem.hi):
            out.append(f"the part {_names(problem, comp)} ({_n(pop)} inhabitants) is not connected to the rest "
                       f"and cannot be divided into areas of {_n(problem.lo)}–{_n(problem.hi)}")
    return out


def forced_remainder(pop: float, lo: float, hi: float) -> float:
    """Inhabitants of a part that cannot go into areas of its own (at least; connectivity ignored)."""
    m_max = int(pop // lo) if lo > 0 else 0
    return max(0.0, pop - m_max * hi) if lo > 0 else 0.0


def choke_causes(problem: Problem) -> list[str]:
    """Parts hanging on one buurt (an articulation point) whose leftovers overfill that buurt's area.

    Every part behind articulation buurt v either forms whole areas of its own or sends its rest
    into v's area; the least possible rest of each part, plus v, must fit one area.
    """
    out = []
    g = problem.graph
    lo, hi = problem.lo, problem.hi
    for v in sorted(nx.articulation_points(g)):
        rest = g.subgraph([u for u in g if u != v])
        pv = float(problem.population[v])
        parts = []
        for comp in nx.connected_components(rest):
            pop = float(problem.population[list(comp)].sum())
            need = forced_remainder(pop, lo, hi)
            if need > 0:
                parts.append((need, pop, comp))
        forced = sum(p[0] for p in parts)
        if pv + forced > hi + 1e-9:
            units = [u for _, _, comp in parts for u in comp]
            what = (f"the part {_names(problem, units)} ({_n(sum(p[1] for p in parts))} inhabitants)" if len(parts) == 1
                    else f"{len(parts)} parts ({_names(problem, units)}; {_n(sum(p[1] for p in parts))} inhabitants)")
            out.append(f"{what} can only be reached through {problem.names[v]} ({_n(pv)}) and cannot all form areas of "
                       f"their own, so {problem.names[v]}'s area would need at least {_n(pv + forced)} inhabitants, "
                       f"above the maximum of {_n(hi)}")
    return out


def quick_causes(problem: Problem) -> list[str]:
    """Cheap, sufficient reasons why no plan exists (empty: none found)."""
    return (count_causes(problem) + size_causes(problem) + [c for c, _, _ in rule_causes(problem)]
            + component_causes(problem) + choke_causes(problem))


def current_tolerance(problem: Problem) -> float:
    t = problem.target
    return max(problem.hi / t - 1.0, 1.0 - problem.lo / t)


def _try(problem: Problem, time_limit: float, seed: int):
    from . import solve

    return solve(problem, time_limit=time_limit, seed=seed, threads=1, explain=False, exact=problem.n <= 62)


def _feasible(problem: Problem, time_limit: float, seed: int, proofs: list | None = None):
    """The verifying solution, or None; ``proofs`` collects whether each failure was proven infeasible."""
    if quick_causes(problem):
        if proofs is not None:
            proofs.append(True)
        return None
    sol = _try(problem, time_limit, seed)
    if not sol.found and proofs is not None:
        proofs.append(sol.status == "infeasible")
    return sol if sol.found else None


def tolerance_suggestion(problem: Problem, time_limit: float, seed: int, max_tol: float = 0.5) -> Suggestion | None:
    """The smallest whole-percent tolerance (above the current one) at which a plan was found.

    Feasibility only grows with the tolerance, so we search outward (+1, +2, +4, ... points) and then
    bisect between the last failure and the first success.
    """
    cur = current_tolerance(problem)
    start = int(math.floor(cur * 100 + 1e-9))
    top = int(max_tol * 100)
    proofs: list[bool] = []
    failed, found, step = start, None, 1
    while found is None and failed < top:
        pct = min(start + step, top)
        sol = _feasible(problem.with_k(problem.k, pct / 100), time_limit, seed, proofs)
        if sol is not None:
            found = (pct, sol)
        else:
            failed = pct
        step *= 2
    if found is None:
        return None
    a, b = failed + 1, found[0]
    while a < b:
        mid = (a + b) // 2
        sol = _feasible(problem.with_k(problem.k, mid / 100), time_limit, seed, proofs)
        if sol is not None:
            found, b = (mid, sol), mid
        else:
            a = mid + 1
    pct, sol = found
    p = problem.with_k(problem.k, pct / 100)
    word = "from" if all(proofs) else "at"  # "from" only when every smaller tolerance tried was proven infeasible
    return Suggestion(f"{problem.k} areas fit {word} ±{pct} % ({_n(p.lo)}–{_n(p.hi)} inhabitants)", problem.k, pct / 100,
                      sol.objective, sol.status, True, p, sol.labels, "tolerance")


def count_suggestions(problem: Problem, time_limit: float, seed: int) -> list[Suggestion]:
    """The nearest numbers of areas (at the current tolerance) for which a plan was found."""
    tol = current_tolerance(problem)
    out = []
    for step in (1, 2, 3):
        for k in (problem.k - step, problem.k + step):
            if k < 1 or k > problem.n or any(s.k == k for s in out):
                continue
            p = problem.with_k(k, tol)
            sol = _feasible(p, time_limit, seed)
            if sol is not None:
                out.append(Suggestion(f"{k} areas at ±{round(100 * tol)} %", k, tol, sol.objective, sol.status, True, p,
                                      sol.labels, "count"))
        if out:
            break
    return out


def _without(problem: Problem, kind: str, rule) -> tuple[Problem, str]:
    """The problem with one rule dropped, and the phrase for it ("without ...")."""
    if kind == "lock":
        return (replace(problem, locks={u: a for u, a in problem.locks.items() if u != rule}),
                f"without the lock on {problem.names[rule]}")
    if kind == "keep_together":
        return (replace(problem, keep_together=[g for g in problem.keep_together if tuple(g) != tuple(rule)]),
                "without the keep-together group " + ", ".join(problem.names[u] for u in rule))
    return (replace(problem, keep_apart=[pr for pr in problem.keep_apart if tuple(pr) != tuple(rule)]),
            f"without keeping {problem.names[rule[0]]} and {problem.names[rule[1]]} apart")


def rule_suggestions(problem: Problem, conflicts: list[tuple[str, str, object]], time_limit: float,
                     seed: int) -> list[Suggestion]:
    """Drop each conflicting rule in turn (both rules of a keep-apart pair inside a keep-together group)."""
    out = []
    for _, kind, rule in conflicts:
        tries = ([("keep_apart", rule[:2]), ("keep_together", rule[2])] if kind == "keep_apart_in_group"
                 else [(kind, rule)])
        for one_kind, one_rule in tries:
            p, text = _without(problem, one_kind, one_rule)
            sol = _feasible(p, time_limit, seed)
            if sol is not None:
                out.append(Suggestion(text, problem.k, None, sol.objective, sol.status, True, p, sol.labels, "rule"))
    return out


def suggestion_sentences(suggestions: list[Suggestion]) -> str:
    """The verified suggestions as complete sentences (dropped rules first, then sizes and counts)."""
    rules = [s.text for s in suggestions if s.kind == "rule"]
    others = [s.text for s in suggestions if s.kind != "rule"]
    parts = []
    if rules:
        fix = "remove that rule from the config" if len(rules) == 1 else "remove one of these rules from the config"
        parts.append("A valid plan exists " + ", or ".join(rules) + f"; {fix}.")
    if others:
        parts.append(_sentence(", or ".join(others)) + ".")
    return " ".join(parts)


def diagnose(problem: Problem, proven: bool | None = None, time_limit: float = 20.0, seed: int = 1) -> Diagnosis:
    """Explain why ``problem`` has no plan and suggest verified relaxations.

    ``proven``: the caller's solver already proved infeasibility (True) or only failed to find a plan
    (False); None runs a solve first.
    """
    causes = quick_causes(problem)
    conflicts = rule_causes(problem)
    per_check = max(5.0, time_limit / 6)
    if not causes and proven is None:
        sol = _try(problem, time_limit, seed)
        if sol.found:
            return Diagnosis(True, f"A plan with {problem.k} areas exists ({sol.status_text()}).", [], [])
        proven = sol.status == "infeasible"
    head = f"No division into {problem.k} areas of {_n(problem.lo)}–{_n(problem.hi)} inhabitants exists"
    if not causes and not proven:
        head = f"No division into {problem.k} areas of {_n(problem.lo)}–{_n(problem.hi)} inhabitants was found within the time limit"
    if causes:
        reason = ": " + "; ".join(causes[:2])
    elif proven:
        reason = (" (the exact model over all connected areas within the bounds has no solution; no single buurt, "
                  "rule or choke point explains it alone)")
    else:
        reason = ""
    suggestions = rule_suggestions(problem, conflicts, per_check, seed) if conflicts else []
    if not conflicts or not suggestions:
        tol = tolerance_suggestion(problem, per_check, seed)
        suggestions += ([tol] if tol else []) + count_suggestions(problem, per_check, seed)
    if suggestions:
        tail = ". " + suggestion_sentences(suggestions)
    else:
        tail = ". No nearby relaxation (other tolerance or number of areas) was found to work."
    return Diagnosis(False if (causes or proven) else None, head + reason + tail, causes, suggestions)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
