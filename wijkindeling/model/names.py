"""Names for the areas of a plan, derived from the data: the kern or CBS wijk most of its inhabitants live in.

"Gebied 1 .. K" says nothing to the people in a duidingssessie. Unless the config names the areas
(``areas.names``) or a plan file does, an area is named after what people recognise:

1. its **main place**: every buurt counts for its kern (config ``identity.kernen``) or, outside the
   kernen, for its CBS wijk without CBS's "Wijk 01" prefix; the place with most of the area's
   inhabitants names the area ("Harmelen"). When that place is a kern the area does not hold (at
   least :data:`OWN_SHARE` of the kern's inhabitants: a town split over several areas), the CBS wijk
   with most of the area's inhabitants of that kern names it instead ("Woerden-Midden");
2. other **kernen the area holds** with at least :data:`JOIN_SHARE` of its inhabitants are added, largest
   first ("Kamerik en Zegveld");
3. two areas with the same name get their largest buurt in brackets ("Woerden-Midden (Binnenstad)"),
   and a number when that does not separate them either.

Without kernen and wijken the names stay "Gebied 1 .. K". Config-free; used by every output through
:func:`name_areas`, so propose, maps, metrics.json and documents say the same.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import numpy as np

from .problem import Problem, default_area_names

OWN_SHARE = 0.8  # an area "holds" a kern when it has at least this share of the kern's inhabitants
JOIN_SHARE = 0.2  # a held kern besides the main place joins the name when it has this share of the area's inhabitants
WIJK_PREFIX = re.compile(r"^\s*wijk\s+\d+\s*[:\-–]?\s*", re.IGNORECASE)


def wijk_label(name: str) -> str:
    """A CBS wijk name as people say it: ``"Wijk 01 Woerden-Midden"`` -> ``"Woerden-Midden"``."""
    stripped = WIJK_PREFIX.sub("", str(name)).strip()
    return stripped or str(name).strip()


def join_names(names: list[str]) -> str:
    """``["A"]`` -> ``"A"``; ``["A", "B"]`` -> ``"A en B"``; ``["A", "B", "C"]`` -> ``"A, B en C"``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


def _kern_of(problem: Problem) -> dict[int, str]:
    """Unit -> the kern it belongs to (the first kern of the config that lists it)."""
    out: dict[int, str] = {}
    for name, members in problem.kernen.items():
        for u in members:
            out.setdefault(int(u), name)
    return out


def _held(problem: Problem, labels: np.ndarray) -> dict[str, int]:
    """Kern -> the area holding at least OWN_SHARE of its inhabitants (kernen split more evenly are left out)."""
    out = {}
    for name, members in problem.kernen.items():
        if len(members) == 0:
            continue
        pops = np.bincount(labels[members], weights=problem.population[members], minlength=problem.k)
        best = int(np.argmax(pops))
        if pops.sum() > 0 and pops[best] >= OWN_SHARE * pops.sum():
            out[name] = best
    return out


def _largest(problem: Problem, units: np.ndarray, keys: list[str]) -> str | None:
    """The value of ``keys`` (one per unit) with the most inhabitants among ``units``; None for no units."""
    totals: dict[str, float] = {}
    for u in units:
        totals[keys[u]] = totals.get(keys[u], 0.0) + float(problem.population[u])
    return max(sorted(totals), key=lambda key: totals[key]) if totals else None


def plan_area_names(problem: Problem, labels: np.ndarray) -> list[str]:
    """Names for the areas of ``labels`` derived from kernen and CBS wijken (see the module docstring).

    Parameters
    ----------
    problem : Problem
        Gives the kernen (``problem.kernen``), the buurten's ``wijknaam`` and names.
    labels : numpy.ndarray
        Area index ``0..k-1`` per unit.

    Returns
    -------
    list of str
        One distinct name per area; "Gebied i" where the data gives nothing to go by.
    """
    labels = np.asarray(labels, dtype=int)
    names = default_area_names(problem.k)
    wijken = _wijk_labels(problem)
    if wijken is None and not problem.kernen:
        return names
    kern_of, held = _kern_of(problem), _held(problem, labels)
    place = [kern_of.get(u) or (wijken[u] if wijken else "") for u in range(problem.n)]
    for a in range(problem.k):
        units = np.flatnonzero(labels == a)
        main = _largest(problem, units, place)
        if not main:
            continue
        if main in problem.kernen and held.get(main) != a and wijken:  # a split town: its wijk here
            main = _largest(problem, np.array([u for u in units if place[u] == main]), wijken) or main
        area_pop = float(problem.population[units].sum())
        sizes = {k: float(problem.population[problem.kernen[k]].sum()) for k, at in held.items() if at == a and k != main}
        others = sorted((k for k, pop in sizes.items() if pop >= JOIN_SHARE * area_pop), key=lambda k: (-sizes[k], k))
        names[a] = join_names([main, *others])
    return _distinct(problem, labels, names)


def _wijk_labels(problem: Problem) -> list[str] | None:
    """Every unit's CBS wijk as people say it; None when a buurt has no wijk name."""
    if problem.buurten is None or "wijknaam" not in problem.buurten:
        return None
    values = problem.buurten["wijknaam"].tolist()
    if not all(isinstance(v, str) and v.strip() for v in values):
        return None
    return [wijk_label(v) for v in values]


def _distinct(problem: Problem, labels: np.ndarray, names: list[str]) -> list[str]:
    """Make equal names distinct: the area's largest buurt in brackets, then a number."""
    counts = Counter(names)
    out = [f"{n} ({_largest(problem, np.flatnonzero(labels == a), problem.names) or a + 1})" if counts[n] > 1 else n
           for a, n in enumerate(names)]
    counts = Counter(out)
    seen: Counter[str] = Counter()
    final = []
    for n in out:
        if counts[n] > 1:
            seen[n] += 1
            n = f"{n} {seen[n]}"
        final.append(n)
    return final


def name_areas(problem: Problem, labels: np.ndarray) -> Problem:
    """``problem`` with its areas named for the plan ``labels``, unless the config or a plan file named them.

    Parameters
    ----------
    problem : Problem
        The problem; ``fixed_names`` says whether its names were given.
    labels : numpy.ndarray
        Area index per unit.

    Returns
    -------
    Problem
        The same problem (names given) or a copy with :func:`plan_area_names` and ``fixed_names`` set, so
        naming twice changes nothing.
    """
    if problem.fixed_names:
        return problem
    return replace(problem, area_names=plan_area_names(problem, labels), fixed_names=True)
