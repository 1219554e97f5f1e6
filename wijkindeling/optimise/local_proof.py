"""A proof that no plan exists from the neighbours of small buurten alone (for instances too large to list).

The exact model proves infeasibility from every connected district within the bounds; on 300+ buurten with a rural
part those are too many to list. This check needs only the graph. A unit ``u`` below the minimum needs a neighbour
in its area (the area is connected and holds more than ``u``), and that neighbour ``v`` must leave room:
``pop(u) + pop(v) <= hi``; call such ``v`` a *partner* of ``u``. If the units of a set ``A`` are pairwise too large to
share an area (``pop(u) + pop(u') > hi``), their areas are distinct, so they need distinct partners: a set ``A``
with fewer partners than members proves that no plan exists (Hall's condition). Run on the contracted problem
(``contract.reduce``: a village that hangs on one buurt is one block with it), which has the same valid plans.

Example (the region north-west of Utrecht with Utrecht, 62 areas of 7,931-10,729): Vleuterweide-West (6,060) and
Vleuterweide-Zuid (4,960) together exceed the maximum, and the only neighbour small enough to join either is
Haarzuilens en omgeving (610): the others are large city buurten, or Buitengebied Harmelen, which the village of
Harmelen (6,865, which hangs on it) fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import networkx as nx
import numpy as np

from ..model.problem import Problem
from .contract import ContractionConflict, reduce

FEW_PARTNERS = 3  # units with more partners than this are not tried (a shortage needs scarce partners)
MAX_SET = 8  # most units in one set tried


@dataclass
class PartnerShortage:
    """Units (``needy``) that each need one of ``partners`` in their area, pairwise too large to share one, and
    more of them than partners: no plan exists."""

    needy: list[int]
    partners: list[int]


def partners(problem: Problem, u: int) -> list[int]:
    """The neighbours of ``u`` that fit in one area with it (``pop(u) + pop(v) <= hi``), sorted."""
    pop = problem.population
    return sorted(int(v) for v in problem.graph.neighbors(u) if pop[u] + pop[v] <= problem.hi + 1e-9)


def partner_shortage(problem: Problem) -> PartnerShortage | None:
    """A set of units below the minimum with fewer partners than members (see the module docstring), or None.

    Parameters
    ----------
    problem : Problem
        The problem (contracted, for the strongest check); only the graph, populations and bounds are used, so the
        proof holds whatever the rules are.

    Returns
    -------
    PartnerShortage or None
        The smallest such set found among the units with at most :data:`FEW_PARTNERS` partners, in groups that
        share partners; None when there is none.
    """
    pop = problem.population
    needy = [u for u in range(problem.n) if pop[u] < problem.lo - 1e-9]
    near = {u: partners(problem, u) for u in needy}
    scarce = [u for u in needy if len(near[u]) <= FEW_PARTNERS]
    share = nx.Graph()  # scarce units linked to their partners: a shortage lies inside one component
    share.add_nodes_from(("u", u) for u in scarce)
    share.add_edges_from((("u", u), ("v", v)) for u in scarce for v in near[u])
    best: PartnerShortage | None = None
    for comp in nx.connected_components(share):
        units = sorted(u for kind, u in comp if kind == "u")
        for size in range(1, min(len(units), MAX_SET) + 1):
            for group in combinations(units, size):
                if any(pop[a] + pop[b] <= problem.hi + 1e-9 for a, b in combinations(group, 2)):
                    continue  # two of them might share an area (and a partner)
                have = sorted(set().union(*(near[u] for u in group)))
                if len(have) < len(group) and (best is None or len(group) < len(best.needy)):
                    best = PartnerShortage(list(group), have)
            if best is not None:
                break
    return best


def shortage_proof(problem: Problem) -> PartnerShortage | None:
    """:func:`partner_shortage` on ``problem`` with its blocks contracted (``contract.reduce``, also the
    parts hanging on one buurt), restated for the units of ``problem`` (each block by its largest unit); None when
    there is no shortage or the rules clash (the checks explain that)."""
    try:
        core = reduce(problem)
    except ContractionConflict:
        return None
    small, of = core if core is not None else (problem, np.arange(problem.n))
    found = partner_shortage(small)
    if found is None:
        return None

    def original(blocks: list[int]) -> list[int]:
        return [int(m[np.argmax(problem.population[m])]) for m in (np.flatnonzero(of == b) for b in blocks)]

    return PartnerShortage(original(found.needy), original(found.partners))
