"""Why no plan exists, in one or two sentences, and the nearest relaxations that do work.

:func:`cause_phrases` finds cheap sufficient reasons (each one is a proof): the areas cannot hold the
population, a buurt or keep-together group is above the maximum, rules contradict each other, a
disconnected part or a part hanging on one buurt (a choke point) cannot be divided into areas within
the bounds, a buurt fits in no area (every connected group with it is too small or too large). When
only the exact model proves it, :func:`packing_phrase` puts its certificate in words where it is simple
(buurten that each need one of fewer partners). :func:`diagnose` adds suggestions (another tolerance,
another number of areas, dropping a conflicting rule) and verifies every one by solving it: a suggestion
is only made when a valid plan for it was found; and names other levers without a plan (adjacency
options for a choke buurt with few inhabitants, areas of their own above the maximum, smaller building
blocks for the largest buurten).

Every cause, suggestion and verdict is kept as data (a :class:`Phrase`: kind, numbers, names) and
rendered by ``text(lang)``: English (``en``) for the CLI and metrics.json, Dutch (``nl``) for documents,
one sentence table per language (``_PHRASE_EN``, ``_PHRASE_NL``).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

import networkx as nx
import numpy as np

from ..model.problem import Problem
from ..text import DIAGNOSIS_EN, DIAGNOSIS_NL, format_int
from . import exact
from .local_proof import shortage_proof


@dataclass(frozen=True)
class Buurten:
    """Buurten a sentence names: the largest few with their inhabitants, and how many more there are."""

    shown: tuple[tuple[str, float], ...]
    more: int = 0

    def text(self, lang: str = "en") -> str:
        """``name (inhabitants), ...`` in ``lang`` (``en`` or ``nl``), plus "and N more" when there are more."""
        names = ", ".join(f"{name} ({format_int(pop, lang)})" for name, pop in self.shown)
        if self.more <= 0:
            return names
        return names + (_table(lang)["more_one"] if self.more == 1 else _table(lang)["more"].format(more=self.more))


@dataclass
class Phrase:
    """A cause, suggestion or verdict as data: ``kind`` picks the sentence in each language's table and
    ``data`` fills it in (numbers, names, :class:`Buurten`, or a solution for its status words)."""

    kind: str
    data: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The phrase in English (``en``: CLI, metrics.json) or Dutch (``nl``: documents)."""
        text = _table(lang)[self.kind].format(**{key: _render(value, lang) for key, value in self.data.items()})
        for pattern, singular in _SINGULAR[lang == "nl"]:
            text = pattern.sub(singular, text)
        return text


_SINGULAR = {  # the sentences are written for many: "1 areas" -> "1 area", "there are only 1" -> "there is only 1"
    False: [(re.compile(r"(?<![\d.,])(1 area)s\b"), r"\1"), (re.compile(r"\bthere are only 1\b"), "there is only 1")],
    True: [(re.compile(r"(?<![\d.,])(1 gebied)en\b"), r"\1"), (re.compile(r"\ber zijn er maar 1\b"), "er is er maar 1")],
}


@dataclass
class Suggestion:
    """A relaxation and the verified plan that shows it works."""

    phrase: Phrase
    k: int
    tolerance: float | None
    objective: float | None
    status: str
    verified: bool
    problem: Problem | None = field(default=None, repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)  # the plan that verifies it
    kind: str = ""  # "rule" (a rule dropped), "tolerance" or "count"

    @property
    def text(self) -> str:
        """The relaxation in English (``phrase.text(lang)`` for another language)."""
        return self.phrase.text()


@dataclass
class Diagnosis:
    """The verdict: ``feasible`` (None: unknown), its head phrase, the causes and verified suggestions."""

    feasible: bool | None
    verdict: Phrase  # "plan_exists", "none_exists" or "none_found"
    causes: list[Phrase] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    packing: Phrase | None = None  # the exact model's own reason (a simple packing certificate), when no cause is found
    levers: list[Phrase] = field(default_factory=list)  # other changes the user can make (not verified by a plan)

    @property
    def message(self) -> str:
        """The whole diagnosis in English (the CLI's and metrics.json's)."""
        return self.text()

    def text(self, lang: str = "en") -> str:
        """Verdict, at most two causes and the suggestions, as sentences in ``lang`` (``en`` or ``nl``)."""
        table = _table(lang)
        head = self.verdict.text(lang)
        if self.feasible:
            return head
        if self.causes:
            reason = ": " + "; ".join(c.text(lang) for c in self.causes[:2])
        elif self.packing is not None and self.feasible is False:  # the exact model's certificate, in words
            reason = table["exact_why"].format(why=self.packing.text(lang))
        else:  # proven without a single cause: the exact model says so; unknown: nothing to add
            reason = table["exact"] if self.feasible is False else ""
        text = f"{head}{reason}. {suggestion_sentences(self.suggestions, lang) or table['no_relaxation']}"
        if self.levers:
            text += " " + table["levers"].format(levers=table["or"].join(lv.text(lang) for lv in self.levers))
        return text


def _render(value: object, lang: str) -> str:
    """One value of a phrase's data as text in ``lang``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (Buurten, Phrase)):
        return value.text(lang)
    if isinstance(value, (tuple, list)):
        return ", ".join(value)
    if hasattr(value, "status_text"):  # a Solution
        return value.status_text(lang)
    return format_int(cast(float, value), lang)  # a number (int, float or numpy scalar)


def _table(lang: str) -> dict[str, str]:
    return DIAGNOSIS_NL if lang == "nl" else DIAGNOSIS_EN


def _names(problem: Problem, units: Iterable[int], limit: int = 3) -> Buurten:
    """The largest ``limit`` of ``units`` with their inhabitants, and how many more."""
    units = sorted(units, key=lambda u: -problem.population[u])
    shown = tuple((problem.names[u], float(problem.population[u])) for u in units[:limit])
    return Buurten(shown, max(0, len(units) - limit))


def _fits_some(pop: float, lo: float, hi: float, extra: float = 0.0) -> bool:
    """Is there a whole m >= 0 with m * lo <= pop <= m * hi + extra?"""
    m_max = int(pop // lo) + 1 if lo > 0 else int(pop // max(hi, 1.0)) + 1
    return any(m * lo - 1e-9 <= pop <= m * hi + extra + 1e-9 for m in range(0, m_max + 1))


def count_causes(problem: Problem) -> list[Phrase]:
    """Causes in the numbers alone: fewer buurten than areas, or K areas that cannot hold the population."""
    k, lo, hi, total = problem.k, problem.lo, problem.hi, problem.total
    out = []
    if k > problem.n:
        out.append(Phrase("few_buurten", {"n": problem.n, "k": k}))
    if k * hi < total - 1e-9:
        out.append(Phrase("too_small", {"k": k, "hi": hi, "most": k * hi, "total": total}))
    if k * lo > total + 1e-9:
        out.append(Phrase("too_large", {"k": k, "lo": lo, "least": k * lo, "total": total}))
    return out


def size_causes(problem: Problem) -> list[Phrase]:
    """Causes in single pieces: every buurt, and every keep-together group, with more inhabitants than the maximum."""
    out = []
    for u in np.flatnonzero(problem.population > problem.hi + 1e-9):
        out.append(Phrase("buurt_above", {"name": problem.names[u], "pop": problem.population[u], "hi": problem.hi}))
    for group in problem.keep_together:
        pop = problem.population[group].sum()
        if pop > problem.hi + 1e-9:
            out.append(Phrase("group_above", {"group": _names(problem, group), "pop": pop, "hi": problem.hi}))
    return out


def rule_causes(problem: Problem) -> list[tuple[Phrase, str, object]]:
    """The config's rules that contradict each other or the number of areas.

    Returns
    -------
    list of (Phrase, str, object)
        Per conflict: its phrase, the kind of rule to drop and that rule, as :func:`rule_suggestions` takes
        them: ``"lock"`` with a unit index; ``"keep_together"`` with the group (tuple of units);
        ``"keep_apart"`` with the pair ``(a, b)``; ``"keep_apart_in_group"`` with ``(a, b, group)``
        for a keep-apart pair inside a keep-together group (either rule may go).
    """
    out: list[tuple[Phrase, str, object]] = []
    for u, a in problem.locks.items():
        if a >= problem.k:
            out.append((Phrase("lock_no_area", {"name": problem.names[u], "area": a + 1, "k": problem.k}), "lock", u))
    for group in problem.keep_together:
        areas = {problem.locks[u] for u in group if u in problem.locks}
        if len(areas) > 1:
            out.append((Phrase("group_locks_differ", {"group": _names(problem, group)}), "keep_together", tuple(group)))
        for a, b in problem.keep_apart:
            if a in group and b in group:
                out.append((Phrase("apart_in_group", {"a": problem.names[a], "b": problem.names[b]}),
                            "keep_apart_in_group", (a, b, tuple(group))))
    by_area: dict[int, list[int]] = {}
    for u, a in problem.locks.items():
        by_area.setdefault(a, []).append(u)
    for a, units in sorted(by_area.items()):
        pop = problem.population[units].sum()
        if len(units) > 1 and pop > problem.hi + 1e-9 and a < problem.k:
            phrase = Phrase("locked_above", {"units": _names(problem, units), "area": problem.area_names[a], "pop": pop,
                                             "hi": problem.hi})
            out.append((phrase, "lock", max(units, key=lambda u: problem.population[u])))
    for a, b in problem.keep_apart:
        if a in problem.locks and b in problem.locks and problem.locks[a] == problem.locks[b]:
            out.append((Phrase("apart_locked", {"a": problem.names[a], "b": problem.names[b]}), "keep_apart", (a, b)))
    return out


def component_causes(problem: Problem) -> list[Phrase]:
    """Causes in a disconnected map: a part whose population is no whole number of areas within the bounds."""
    out: list[Phrase] = []
    comps = list(nx.connected_components(problem.graph))
    if len(comps) < 2:
        return out
    for comp in comps:
        pop = problem.population[list(comp)].sum()
        if not _fits_some(pop, problem.lo, problem.hi):
            out.append(Phrase("part_disconnected", {"part": _names(problem, comp), "pop": pop, "lo": problem.lo,
                                                    "hi": problem.hi}))
    return out


def forced_remainder(pop: float, lo: float, hi: float) -> float:
    """Inhabitants of a part that cannot go into areas of its own (at least; connectivity ignored)."""
    m_max = int(pop // lo) if lo > 0 else 0
    return max(0.0, pop - m_max * hi) if lo > 0 else 0.0


def choke_causes(problem: Problem) -> list[Phrase]:
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
            out.append(Phrase("choke_part" if len(parts) == 1 else "choke_parts", {
                "count": len(parts), "units": _names(problem, units), "pop": sum(p[1] for p in parts),
                "via": problem.names[v], "via_pop": pv, "need": pv + forced, "hi": hi}))
    return out


STRANDED_SEARCH = 2_000  # connected sets tried per buurt before :func:`reaches_bounds` gives up (unknown)


def reaches_bounds(problem: Problem, u: int, limit: int = STRANDED_SEARCH) -> bool | None:
    """Whether some connected group of buurten holding ``u`` has ``lo``–``hi`` inhabitants (rules ignored).

    Depth first from ``{u}``, adding the largest neighbours first (so a group within the bounds is usually found
    at once); True when one is found, False when every connected group was tried, None after ``limit`` groups.
    """
    g, pop, lo, hi = problem.graph, problem.population, problem.lo, problem.hi
    if pop[u] > hi + 1e-9 or pop[u] >= lo - 1e-9:
        return True  # within the bounds alone, or above them (a size cause, not this one)
    start = frozenset([u])
    seen, stack = {start}, [(start, float(pop[u]))]
    while stack:
        units, total = stack.pop()
        frontier = sorted({v for w in units for v in g[w]} - units, key=lambda v: (pop[v], v))
        for v in frontier:
            grown = total + float(pop[v])
            if grown > hi + 1e-9:
                continue
            if grown >= lo - 1e-9:
                return True
            bigger = units | {v}
            if bigger not in seen:
                if len(seen) >= limit:
                    return None
                seen.add(bigger)
                stack.append((bigger, grown))
    return False


def stranded_causes(problem: Problem) -> list[Phrase]:
    """Buurten that fit in no area: every connected group of buurten holding one is below the minimum or above
    the maximum (e.g. 9,210 inhabitants with a minimum of 10,261 and neighbours of 4,960 and more under a maximum
    of 13,881). Searched per buurt below the minimum, at most :data:`STRANDED_SEARCH` groups each."""
    out = []
    for u in np.flatnonzero(problem.population < problem.lo - 1e-9):
        if reaches_bounds(problem, int(u)) is False:
            out.append(Phrase("stranded", {"name": problem.names[u], "pop": problem.population[u], "lo": problem.lo,
                                           "hi": problem.hi}))
    return out


def cause_phrases(problem: Problem) -> list[Phrase]:
    """Cheap, sufficient reasons why no plan exists, as phrases (empty: none found).

    Each one proves that ``problem`` has no valid plan: counts, sizes, contradicting rules,
    disconnected parts, choke points and buurten that fit in no area, in that order.
    """
    return (count_causes(problem) + size_causes(problem) + [c for c, _, _ in rule_causes(problem)]
            + component_causes(problem) + choke_causes(problem) + stranded_causes(problem))


def shortage_causes(problem: Problem) -> list[Phrase]:
    """Buurten that each need one of fewer partners (``local_proof.shortage_proof``: from the graph alone, for
    instances whose districts are too many to list), as a phrase; empty when there are none."""
    found = shortage_proof(problem)
    if found is None:
        return []
    return [Phrase("shortage", {"lo": problem.lo, "hi": problem.hi, "plus": _names(problem, found.needy, 4),
                                "minus": _names(problem, found.partners, 4), "count": len(found.needy),
                                "few": len(found.partners)})]


PACKING_SETS = 3_000_000  # connected districts the diagnosis may list to explain an exact proof
PACKING_SECONDS = 15.0


def packing_phrase(problem: Problem, seconds: float = PACKING_SECONDS) -> Phrase | None:
    """The exact model's reason in words, when it is simple: buurten that each need a partner from a smaller set.

    Lists every connected district within the bounds (``exact.build_columns``) and takes the Farkas certificate of
    the set-partitioning LP (``exact.packing_certificate``); when it has weights +1 on buurten A and -1 on
    buurten B only, every district holds at least as many of B as of A, and A has more buurten than B. None when
    the districts are too many, the LP is feasible or the certificate is not that simple.
    """
    deadline = time.perf_counter() + seconds
    try:
        cols = exact.build_columns(problem, max_sets=PACKING_SETS, deadline=deadline)
    except exact.TooManyColumns:
        return None
    cert = exact.packing_certificate(problem, cols, deadline)
    if cert is None or not cert.simple or not cert.plus:
        return None
    if not cert.minus and len(cert.plus) == 1:
        u = cert.plus[0]
        return Phrase("stranded", {"name": problem.names[u], "pop": problem.population[u], "lo": problem.lo,
                                   "hi": problem.hi})
    return Phrase("partners", {"lo": problem.lo, "hi": problem.hi, "plus": _names(problem, cert.plus, 4),
                               "minus": _names(problem, cert.minus, 4), "count": len(cert.plus),
                               "few": len(cert.minus)})


FEW_INHABITANTS = 0.1  # a choke buurt with fewer inhabitants than this share of the minimum may be a road or water


def lever_phrases(problem: Problem, causes: list[Phrase], packing: Phrase | None) -> list[Phrase]:
    """Other changes that may help, named but not verified by a plan: adjacency options for a choke buurt with few
    inhabitants (a road, water or business park), areas of their own for buurten above the maximum, and smaller
    building blocks for the largest buurten a cause names."""
    out: list[Phrase] = []
    for c in causes:
        if c.kind.startswith("choke") and float(cast(float, c.data["via_pop"])) < FEW_INHABITANTS * problem.lo:
            out.append(Phrase("lever_adjacency", {"via": c.data["via"], "via_pop": c.data["via_pop"]}))
    above = [u for u in range(problem.n) if problem.population[u] > problem.hi + 1e-9]
    if above:
        key = "lever_own_area_one" if len(above) == 1 else "lever_own_area"
        out.append(Phrase(key, {"names": _names(problem, above), "hi": problem.hi}))
    named = {str(c.data["name"]) for c in causes if c.kind == "stranded"}
    if packing is not None and packing.kind == "partners":
        named |= {name for name, _ in cast(Buurten, packing.data["plus"]).shown}
    elif packing is not None:
        named.add(str(packing.data["name"]))
    big = [u for u in range(problem.n) if problem.names[u] in named and problem.population[u] >= 0.5 * problem.lo]
    if big or above:
        out.append(Phrase("lever_split", {"names": _names(problem, big or above)}))
    return out


def quick_causes(problem: Problem) -> list[str]:
    """Cheap, sufficient reasons why no plan exists, in English (empty: none found)."""
    return [c.text() for c in cause_phrases(problem)]


def current_tolerance(problem: Problem) -> float:
    """The tolerance the problem's bounds amount to: the larger relative distance of ``lo`` and ``hi`` from the target."""
    t = problem.target
    return max(problem.hi / t - 1.0, 1.0 - problem.lo / t)


class Verifier(Protocol):
    """A solve that verifies a relaxation: ``(problem, time_limit, seed) -> solution`` with ``found``, ``status``,
    ``objective`` and ``labels`` (:func:`wijkindeling.optimise.strategy.verify`)."""

    def __call__(self, problem: Problem, time_limit: float, seed: int) -> Any:
        """Solve ``problem`` within ``time_limit`` seconds with ``seed``."""
        ...


def _feasible(problem: Problem, solver: Verifier, time_limit: float, seed: int,
              proofs: list[bool] | None = None) -> Any:
    """The verifying solution, or None; ``proofs`` collects whether each failure was proven infeasible."""
    if cause_phrases(problem):
        if proofs is not None:
            proofs.append(True)
        return None
    sol = solver(problem, time_limit, seed)
    if not sol.found and proofs is not None:
        proofs.append(sol.status == "infeasible")
    return sol if sol.found else None


def tolerance_suggestion(problem: Problem, solver: Verifier, time_limit: float, seed: int, max_tol: float = 0.5) -> Suggestion | None:
    """The smallest whole-percent tolerance (above the current one) at which a plan was found.

    Feasibility only grows with the tolerance, so we search outward (+1, +2, +4, ... points) and then
    bisect between the last failure and the first success, to the whole point: the tolerance one point below
    the answer was tried and failed. When that failure was not a proof, it is tried again with three times the
    time, stepping down one point at a time while that finds plans.

    Parameters
    ----------
    problem : Problem
        The problem without a plan.
    solver : Verifier
        Verifies each tolerance tried, ``time_limit`` seconds each, with ``seed``.
    time_limit : float
        Seconds per verifying solve.
    seed : int
        Seed of every verifying solve.
    max_tol : float
        The largest tolerance tried (a fraction: 0.5 is 50 %).

    Returns
    -------
    Suggestion or None
        The tolerance and its verified plan (kind ``tolerance``), or None when no tolerance up to
        ``max_tol`` gave a plan. Its phrase says "from" that tolerance only when every smaller one tried
        was proven infeasible.
    """
    cur = current_tolerance(problem)
    start = int(math.floor(cur * 100 + 1e-9))
    top = int(max_tol * 100)
    proofs: list[bool] = []  # per failed tolerance (in ``tried``): proven infeasible?
    tried: list[int] = []
    failed, found, step = start, None, 1
    while found is None and failed < top:
        pct = min(start + step, top)
        sol = _feasible(problem.with_k(problem.k, pct / 100), solver, time_limit, seed, proofs)
        if sol is not None:
            found = (pct, sol)
        else:
            failed = pct
            tried.append(pct)
        step *= 2
    if found is None:
        return None
    a, b = failed + 1, found[0]
    while a < b:
        mid = (a + b) // 2
        sol = _feasible(problem.with_k(problem.k, mid / 100), solver, time_limit, seed, proofs)
        if sol is not None:
            found, b = (mid, sol), mid
        else:
            a = mid + 1
            tried.append(mid)
    pct, sol = found
    while pct - 1 in tried and not proofs[tried.index(pct - 1)]:  # a failure one point below was not a proof:
        more: list[bool] = []  # try it once more with three times the time (the tightest *verified* tolerance)
        retry = _feasible(problem.with_k(problem.k, (pct - 1) / 100), solver, 3 * time_limit, seed, more)
        if retry is None:
            proofs[tried.index(pct - 1)] = bool(more and more[0])
            break
        pct, sol = pct - 1, retry
    p = problem.with_k(problem.k, pct / 100)
    kind = "tolerance_from" if all(proofs) else "tolerance_at"  # "from" only when every smaller tolerance was proven infeasible
    phrase = Phrase(kind, {"k": problem.k, "pct": pct, "lo": p.lo, "hi": p.hi})
    return Suggestion(phrase, problem.k, pct / 100, sol.objective, sol.status, True, p, sol.labels, "tolerance")


def count_suggestions(problem: Problem, solver: Verifier, time_limit: float, seed: int) -> list[Suggestion]:
    """The nearest numbers of areas (at the current tolerance) for which a plan was found.

    Tries K ± 1, then ± 2, then ± 3 (within ``1..n``) and stops at the first distance that gives a plan;
    returns the verified suggestions (kind ``count``), possibly none.
    """
    tol = current_tolerance(problem)
    out: list[Suggestion] = []
    for step in (1, 2, 3):
        for k in (problem.k - step, problem.k + step):
            if k < 1 or k > problem.n or any(s.k == k for s in out):
                continue
            p = problem.with_k(k, tol)
            sol = _feasible(p, solver, time_limit, seed)
            if sol is not None:
                out.append(Suggestion(Phrase("count", {"k": k, "pct": round(100 * tol)}), k, tol, sol.objective,
                                      sol.status, True, p, sol.labels, "count"))
        if out:
            break
    return out


def _without(problem: Problem, kind: str, rule: Any) -> tuple[Problem, Phrase]:
    """The problem with one rule dropped, and the phrase for it ("without ...").

    ``rule`` is a unit index (``kind`` ``"lock"``), a group of units (``"keep_together"``) or a pair of units.
    """
    if kind == "lock":
        return (replace(problem, locks={u: a for u, a in problem.locks.items() if u != rule}),
                Phrase("without_lock", {"name": problem.names[rule]}))
    if kind == "keep_together":
        return (replace(problem, keep_together=[g for g in problem.keep_together if tuple(g) != tuple(rule)]),
                Phrase("without_group", {"names": tuple(problem.names[u] for u in rule)}))
    return (replace(problem, keep_apart=[pr for pr in problem.keep_apart if tuple(pr) != tuple(rule)]),
            Phrase("without_apart", {"a": problem.names[rule[0]], "b": problem.names[rule[1]]}))


def rule_suggestions(problem: Problem, conflicts: list[tuple[Phrase, str, object]], solver: Verifier,
                     time_limit: float, seed: int) -> list[Suggestion]:
    """Drop each conflicting rule in turn (both rules of a keep-apart pair inside a keep-together group).

    Parameters
    ----------
    problem : Problem
        The problem without a plan.
    conflicts : list of (Phrase, str, object)
        :func:`rule_causes` of ``problem``.
    solver : Verifier
        Verifies each problem with one rule dropped.
    time_limit : float
        Seconds per verifying solve.
    seed : int
        Seed of every verifying solve.

    Returns
    -------
    list of Suggestion
        One per dropped rule that gave a plan (kind ``rule``), in the order of ``conflicts``.
    """
    out = []
    for _, kind, rule in conflicts:
        tries: list[tuple[str, object]]
        if kind == "keep_apart_in_group":
            assert isinstance(rule, tuple)  # (a, b, group), see rule_causes
            tries = [("keep_apart", rule[:2]), ("keep_together", rule[2])]
        else:
            tries = [(kind, rule)]
        for one_kind, one_rule in tries:
            p, phrase = _without(problem, one_kind, one_rule)
            sol = _feasible(p, solver, time_limit, seed)
            if sol is not None:
                out.append(Suggestion(phrase, problem.k, None, sol.objective, sol.status, True, p, sol.labels, "rule"))
    return out


def suggestion_sentences(suggestions: list[Suggestion], lang: str = "en") -> str:
    """The verified suggestions as complete sentences in ``lang`` (dropped rules first, then sizes and counts)."""
    table = _table(lang)
    rules = [s.phrase.text(lang) for s in suggestions if s.kind == "rule"]
    others = [s.phrase.text(lang) for s in suggestions if s.kind != "rule"]
    parts = []
    if rules:
        parts.append(table["rules_one" if len(rules) == 1 else "rules_many"].format(rules=table["or"].join(rules)))
    if others:
        parts.append(_sentence(table["or"].join(others)) + ".")
    return " ".join(parts)


def diagnose(problem: Problem, solver: Verifier, proven: bool | None = None, time_limit: float = 20.0,
             seed: int = 1) -> Diagnosis:
    """Explain why ``problem`` has no plan and suggest relaxations, each verified by ``solver``.

    Parameters
    ----------
    problem : Problem
        The problem to explain.
    solver : Verifier
        The solve that verifies a relaxation (and, with ``proven=None``, tests ``problem`` itself).
    proven : bool or None
        Whether the caller's solver already proved infeasibility (True) or only failed to find a plan
        (False); None runs a solve first.
    time_limit : float
        Seconds for that first solve; every verifying solve gets ``max(5, time_limit / 6)``.
    seed : int
        Seed of every solve.

    Returns
    -------
    Diagnosis
        ``feasible`` True (a plan was found after all), False (proven: a cause, or ``proven``) or None
        (unknown); the causes of :func:`cause_phrases`, and the suggestions: dropping a conflicting rule,
        and (when no rule conflicts or dropping none helps) another tolerance and other numbers of areas.
    """
    causes = cause_phrases(problem)
    conflicts = rule_causes(problem)
    per_check = max(5.0, time_limit / 6)
    if not causes and proven is None:
        sol = solver(problem, time_limit, seed)
        if sol.found:
            return Diagnosis(True, Phrase("plan_exists", {"k": problem.k, "status": sol}))
        proven = sol.status == "infeasible"
    bounds: dict[str, object] = {"k": problem.k, "lo": problem.lo, "hi": problem.hi}
    verdict = Phrase("none_exists" if causes or proven else "none_found", bounds)
    packing = packing_phrase(problem) if proven and not causes else None
    if proven and not causes and packing is None and problem.n > exact.MAX_BITS:  # too many districts to list: the graph alone
        causes = shortage_causes(problem)
    suggestions = rule_suggestions(problem, conflicts, solver, per_check, seed) if conflicts else []
    if not conflicts or not suggestions:
        tol = tolerance_suggestion(problem, solver, per_check, seed)
        suggestions += ([tol] if tol else []) + count_suggestions(problem, solver, per_check, seed)
    return Diagnosis(False if (causes or proven) else None, verdict, causes, suggestions, packing,
                     lever_phrases(problem, causes, packing))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
