"""Every score of a plan, in one place: the optimiser, ``evaluate``, maps and documents use these.

A plan is an integer array ``labels`` of length ``problem.n`` with the area index
(``0..k-1``) of every unit. The four objective terms are all in *points*:

* ``balance``     = 100 * sum_k |P_k - T| / (k * T): mean deviation of area inhabitants
  ``P_k`` from the target ``T = total / k``, in %;
* ``catchment``   = 100 * (patients living outside their practice's area) / all patients, in %
  (a practice belongs to the area that contains its buurt); 0 without practices;
* ``identity``    = sum over identity groups of (number of areas the group touches - 1);
* ``compactness`` = 100 * (boundary cost between different areas) / (all internal boundary cost),
  in %, where cost is the shared boundary length times any barrier penalty.

``objective = sum(weight_t * term_t)``. The MIP in ``optimise/mip.py`` builds exactly these
linear expressions from :func:`objective_coefficients`, so its objective value equals
:func:`score`'s ``objective`` for the same plan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import networkx as nx
import numpy as np

from ..text import VIOLATION_EN, VIOLATION_NL
from .problem import Problem

TERMS = ("balance", "catchment", "identity", "compactness")


@dataclass
class Scores:
    """All scores of one plan (see module docstring for definitions)."""

    populations: list[int]
    max_population_deviation: float  # max_k |P_k - T| / T, as a fraction
    balance: float
    catchment: float
    patients_in_own_area: float | None  # fraction 0..1, None without practices
    identity: int
    identity_splits: int  # same number as `identity`: extra pieces over all groups
    split_groups: list[str]
    compactness: float
    cut_boundary_km: float
    cut_edges: int
    objective: float
    valid: bool
    violations: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def terms(self) -> dict[str, float]:
        return {t: float(getattr(self, t)) for t in TERMS}


def area_populations(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Inhabitants per area, length k."""
    return np.bincount(labels, weights=problem.population, minlength=problem.k).astype(np.int64)


def balance_term(problem: Problem, labels: np.ndarray) -> float:
    pops = area_populations(problem, labels)
    return float(100.0 * np.abs(pops - problem.target).sum() / (problem.k * problem.target))


def max_deviation(problem: Problem, labels: np.ndarray) -> float:
    pops = area_populations(problem, labels)
    return float(np.abs(pops - problem.target).max() / problem.target)


def patients_outside(problem: Problem, labels: np.ndarray) -> float:
    """Patients whose buurt lies in another area than their practice."""
    if problem.patients is None:
        return 0.0
    own_area = labels[problem.practice_home]  # area of each practice
    outside = labels[None, :] != own_area[:, None]
    return float((problem.patients * outside).sum())


def catchment_term(problem: Problem, labels: np.ndarray) -> float:
    if problem.patients is None or problem.patients.sum() <= 0:
        return 0.0
    return float(100.0 * patients_outside(problem, labels) / problem.patients.sum())


def own_area_share(problem: Problem, labels: np.ndarray) -> float | None:
    if problem.patients is None or problem.patients.sum() <= 0:
        return None
    return 1.0 - patients_outside(problem, labels) / float(problem.patients.sum())


def group_pieces(problem: Problem, labels: np.ndarray) -> list[int]:
    """Number of areas each identity group touches."""
    return [len(set(labels[m].tolist())) for m in problem.group_members]


def identity_term(problem: Problem, labels: np.ndarray) -> int:
    return int(sum(p - 1 for p in group_pieces(problem, labels)))


def split_group_names(problem: Problem, labels: np.ndarray) -> list[str]:
    return [g.name for g, p in zip(problem.groups, group_pieces(problem, labels)) if p > 1]


def cut_mask(problem: Problem, labels: np.ndarray) -> np.ndarray:
    if len(problem.edges) == 0:
        return np.zeros(0, dtype=bool)
    return labels[problem.edges[:, 0]] != labels[problem.edges[:, 1]]


def compactness_term(problem: Problem, labels: np.ndarray) -> float:
    total = problem.boundary_total
    if total <= 0:
        return 0.0
    return float(100.0 * problem.edge_cost[cut_mask(problem, labels)].sum() / total)


def cut_boundary_km(problem: Problem, labels: np.ndarray) -> float:
    return float(problem.edge_length[cut_mask(problem, labels)].sum() / 1000.0)


def objective_value(problem: Problem, terms: dict[str, float]) -> float:
    w = problem.weights
    return float(sum(getattr(w, t) * terms[t] for t in TERMS))


def objective(problem: Problem, labels: np.ndarray) -> float:
    """The weighted objective of a plan (lower is better)."""
    return objective_value(problem, {
        "balance": balance_term(problem, labels),
        "catchment": catchment_term(problem, labels),
        "identity": identity_term(problem, labels),
        "compactness": compactness_term(problem, labels),
    })


def non_contiguous_areas(problem: Problem, labels: np.ndarray) -> list[int]:
    """Areas whose units do not form one connected piece of the adjacency graph."""
    bad = []
    for k in range(problem.k):
        units = np.flatnonzero(labels == k)
        if len(units) and not nx.is_connected(problem.graph.subgraph(units.tolist())):
            bad.append(k)
    return bad


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: ``kind``, what breaks it (``subject``: area, buurt or group names), and for
    population rules the ``value`` and its ``bound``; ``other`` is the lock's area or the keep-apart partner."""

    kind: str  # labels | empty | below | above | not_contiguous | lock | split_group | together
    subject: str
    value: float | None = None
    bound: float | None = None
    other: str = ""

    def text(self, lang: str = "en") -> str:
        """The rule as a short sentence fragment in English (``en``, the CLI's) or Dutch (``nl``, documents')."""
        return (VIOLATION_NL if lang == "nl" else VIOLATION_EN)[self.kind](self)


def violation_items(problem: Problem, labels: np.ndarray) -> list[Violation]:
    """Every hard rule the plan breaks, as structured items (empty list: valid)."""
    out: list[Violation] = []
    labels = np.asarray(labels)
    if labels.shape != (problem.n,) or labels.min(initial=0) < 0 or labels.max(initial=0) >= problem.k:
        return [Violation("labels", "", problem.n, problem.k - 1)]
    pops = area_populations(problem, labels)
    for k in range(problem.k):
        name = problem.area_names[k]
        if pops[k] == 0 and not (labels == k).any():
            out.append(Violation("empty", name))
        elif pops[k] < problem.lo - 1e-9:
            out.append(Violation("below", name, int(pops[k]), float(problem.lo)))
        elif pops[k] > problem.hi + 1e-9:
            out.append(Violation("above", name, int(pops[k]), float(problem.hi)))
    for k in non_contiguous_areas(problem, labels):
        out.append(Violation("not_contiguous", problem.area_names[k]))
    for unit, area in problem.locks.items():
        if labels[unit] != area:
            out.append(Violation("lock", problem.names[unit], other=problem.area_names[area]))
    for group in problem.keep_together:
        if len(set(labels[group].tolist())) > 1:
            out.append(Violation("split_group", ", ".join(problem.names[u] for u in group)))
    for a, b in problem.keep_apart:
        if labels[a] == labels[b]:
            out.append(Violation("together", problem.names[a], other=problem.names[b]))
    return out


def violations(problem: Problem, labels: np.ndarray, lang: str = "en") -> list[str]:
    """Every hard rule the plan breaks, as short sentences (empty list: valid); English for the CLI and
    metrics.json, ``lang="nl"`` for Dutch documents (both rendered from :func:`violation_items`)."""
    return [v.text(lang) for v in violation_items(problem, labels)]


def score(problem: Problem, labels: np.ndarray) -> Scores:
    """All scores of a plan; ``valid`` says whether every hard rule holds."""
    labels = np.asarray(labels, dtype=int)
    items = violation_items(problem, labels)
    if items and items[0].kind == "labels":
        raise ValueError(items[0].text())
    viol = [v.text() for v in items]
    terms = {
        "balance": balance_term(problem, labels),
        "catchment": catchment_term(problem, labels),
        "identity": identity_term(problem, labels),
        "compactness": compactness_term(problem, labels),
    }
    return Scores(
        populations=[int(p) for p in area_populations(problem, labels)],
        max_population_deviation=max_deviation(problem, labels),
        balance=terms["balance"],
        catchment=terms["catchment"],
        patients_in_own_area=own_area_share(problem, labels),
        identity=int(terms["identity"]),
        identity_splits=int(terms["identity"]),
        split_groups=split_group_names(problem, labels),
        compactness=terms["compactness"],
        cut_boundary_km=cut_boundary_km(problem, labels),
        cut_edges=int(cut_mask(problem, labels).sum()),
        objective=objective_value(problem, terms),
        valid=not viol,
        violations=viol,
    )


def area_table(problem: Problem, labels: np.ndarray) -> list[dict]:
    """Per-area figures: inhabitants, deviation, buurten, practices, own-area share of its practices."""
    labels = np.asarray(labels, dtype=int)
    pops = area_populations(problem, labels)
    rows = []
    for k in range(problem.k):
        units = np.flatnonzero(labels == k)
        row = {
            "name": problem.area_names[k],
            "population": int(pops[k]),
            "deviation": float((pops[k] - problem.target) / problem.target),
            "buurten": [problem.codes[u] for u in units],
            "n_buurten": int(len(units)),
            "practices": [],
            "patients_in_own_area": None,
        }
        if problem.patients is not None:
            mine = np.flatnonzero(labels[problem.practice_home] == k)
            row["practices"] = [str(problem.catchments.patients.index[p]) for p in mine]
            total = problem.patients[mine].sum()
            if total > 0:
                row["patients_in_own_area"] = float(problem.patients[mine][:, units].sum() / total)
        groups = [g.name for g, m in zip(problem.groups, problem.group_members) if (labels[m] == k).any() and len(set(labels[m].tolist())) > 1]
        row["split_groups"] = groups
        rows.append(row)
    return rows


def polsby_popper(geometry) -> float:
    """4 pi A / P^2 of a (multi)polygon: 1 for a circle, near 0 for a sprawling shape (reporting only)."""
    if geometry.length <= 0:
        return 0.0
    return float(4 * np.pi * geometry.area / geometry.length**2)


@dataclass
class LinearObjective:
    """The objective's coefficients for a linear model (the MIP); same definitions as :func:`objective`.

    ``balance_scale * sum_k |P_k - T|`` + ``sum_(b, h) catchment_pairs[(b, h)] * [b, h in different areas]``
    + ``sum_g (areas touched by g - 1)`` + ``sum_e edge_coef[e] * [edge e cut]``, each times its weight.
    """

    balance_scale: float
    catchment_pairs: dict[tuple[int, int], float]
    edge_coef: np.ndarray


def objective_coefficients(problem: Problem) -> LinearObjective:
    """Coefficients of the four terms, unweighted, for a model that counts in the same units."""
    balance_scale = 100.0 / (problem.k * problem.target)
    pairs: dict[tuple[int, int], float] = {}
    if problem.patients is not None and problem.patients.sum() > 0:
        scale = 100.0 / problem.patients.sum()
        for p, home in enumerate(problem.practice_home):
            for b in np.flatnonzero(problem.patients[p] > 0):
                if b != home:
                    key = (int(min(b, home)), int(max(b, home)))
                    pairs[key] = pairs.get(key, 0.0) + scale * float(problem.patients[p, b])
    total = problem.boundary_total
    edge_coef = 100.0 * problem.edge_cost / total if total > 0 else np.zeros(len(problem.edge_cost))
    return LinearObjective(balance_scale, pairs, edge_coef)
