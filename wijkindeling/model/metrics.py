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

``objective = sum(weight_t * term_t)`` with the weights of ``problem.weights`` (config
``weights``); lower is better. The exact models in :mod:`wijkindeling.optimise` (e.g.
``optimise/flow_mip.py``) build exactly these linear expressions from
:func:`objective_coefficients`, so their objective value equals :func:`score`'s ``objective``
for the same plan.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from ..text import VIOLATION_EN, VIOLATION_NL
from .problem import Problem

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

TERMS = ("balance", "catchment", "identity", "compactness")  # the objective's terms, in this order


@dataclass
class Scores:
    """All scores of one plan, as :func:`score` computes them (definitions in the module docstring).

    Attributes
    ----------
    populations : list of int
        Inhabitants per area, in area order (length k).
    max_population_deviation : float
        ``max_k |P_k - T| / T`` as a fraction (0.1 is 10 %), see :func:`max_deviation`.
    balance, catchment, compactness : float
        The objective terms in points (percent), see :func:`balance_term`,
        :func:`catchment_term` and :func:`compactness_term`.
    patients_in_own_area : float or None
        Share 0..1 of all patients who live in their practice's area (:func:`own_area_share`);
        None without practices or patients.
    identity, identity_splits : int
        The identity term: extra pieces over all identity groups (:func:`identity_term`); both
        fields hold the same number.
    split_groups : list of str
        Names of the identity groups split over more than one area.
    cut_boundary_km : float
        Length of the boundary between different areas in km, without barrier penalties.
    cut_edges : int
        Number of adjacency edges between different areas.
    objective : float
        The weighted sum of the four terms (:func:`objective_value`); lower is better.
    valid : bool
        True when the plan breaks no hard rule (``violations`` is empty).
    violations : list of str
        Every broken hard rule as a short English sentence (:func:`violations`).
    """

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

    def as_dict(self) -> dict[str, Any]:
        """All fields as a plain dict (field name -> value), e.g. for metrics.json."""
        return asdict(self)

    def terms(self) -> dict[str, float]:
        """The four objective terms by name (``balance``, ``catchment``, ``identity``, ``compactness``), as floats."""
        return {t: float(getattr(self, t)) for t in TERMS}


def area_populations(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Inhabitants per area.

    Parameters
    ----------
    problem : Problem
        Gives the inhabitants per unit and the number of areas k.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit (length ``problem.n``).

    Returns
    -------
    numpy.ndarray
        int64 array of length k: ``P_k``, the sum of the inhabitants of the units in area k
        (0 for an area without units).
    """
    return np.bincount(labels, weights=problem.population, minlength=problem.k).astype(np.int64)


def balance_term(problem: Problem, labels: np.ndarray) -> float:
    """The balance term: mean absolute deviation of area inhabitants from the target, in percent.

    ``100 * sum_k |P_k - T| / (k * T)`` with ``P_k`` the inhabitants of area k and
    ``T = problem.target = total / k``; equivalently ``balance_scale * sum_k |P_k - T|`` with the
    ``balance_scale = 100 / (k * T)`` of :func:`objective_coefficients`.

    Parameters
    ----------
    problem : Problem
        Gives the inhabitants per unit, k and the target.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    float
        Points (percent of the target): 0 when every area has exactly ``T`` inhabitants; at most
        ``200 * (k - 1) / k`` (everybody in one area). 5.0 means areas are on average 5 % off target.
    """
    pops = area_populations(problem, labels)
    return float(100.0 * np.abs(pops - problem.target).sum() / (problem.k * problem.target))


def max_deviation(problem: Problem, labels: np.ndarray) -> float:
    """The largest relative deviation of an area's inhabitants from the target.

    Parameters
    ----------
    problem : Problem
        Gives the inhabitants per unit, k and the target ``T``.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    float
        ``max_k |P_k - T| / T`` as a fraction, not percent (0.1 is 10 %); from 0 up to ``k - 1``
        (everybody in one area). Not an objective term.
    """
    pops = area_populations(problem, labels)
    return float(np.abs(pops - problem.target).max() / problem.target)


def _practice_homes(problem: Problem) -> np.ndarray:
    """``problem.practice_home``, which every problem with patients has (a ValueError otherwise)."""
    if problem.practice_home is None:
        raise ValueError("problem.patients is set but problem.practice_home is not")
    return problem.practice_home


def patients_outside(problem: Problem, labels: np.ndarray) -> float:
    """Patients whose buurt lies in another area than their practice.

    A practice belongs to the area of its home buurt (``problem.practice_home``); patient
    ``problem.patients[p, b]`` lives outside when buurt b and practice p's home buurt have
    different labels.

    Parameters
    ----------
    problem : Problem
        Gives patients per practice per unit and each practice's home unit.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    float
        Number of patients (fractional when estimated); 0.0 without patient data.
    """
    if problem.patients is None:
        return 0.0
    own_area = labels[problem.practice_home]  # area of each practice
    outside = labels[None, :] != own_area[:, None]
    return float((problem.patients * outside).sum())


def catchment_term(problem: Problem, labels: np.ndarray) -> float:
    """The catchment term: share of patients living outside their practice's area, in percent.

    ``100 * patients_outside / all patients`` (see :func:`patients_outside`); all patients are
    those of ``problem.patients``, i.e. of the practices' patients living in the municipality.

    Parameters
    ----------
    problem : Problem
        Gives patients per practice per unit and each practice's home unit.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    float
        Points (percent of all patients), 0..100; 0.0 without patient data or when the patients
        sum to 0 or less.
    """
    if problem.patients is None or problem.patients.sum() <= 0:
        return 0.0
    return float(100.0 * patients_outside(problem, labels) / problem.patients.sum())


def own_area_share(problem: Problem, labels: np.ndarray) -> float | None:
    """Share of all patients who live in the area of their practice.

    Parameters
    ----------
    problem : Problem
        Gives patients per practice per unit and each practice's home unit.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    float or None
        ``1 - patients_outside / all patients``, a fraction 0..1 (equal to
        ``1 - catchment_term / 100``); None without patient data or when the patients sum to 0
        or less.
    """
    if problem.patients is None or problem.patients.sum() <= 0:
        return None
    return 1.0 - patients_outside(problem, labels) / float(problem.patients.sum())


def group_pieces(problem: Problem, labels: np.ndarray) -> list[int]:
    """Number of areas each identity group touches.

    Parameters
    ----------
    problem : Problem
        Gives the identity groups' member units (``problem.group_members``).
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    list of int
        Per group, in the order of ``problem.groups``: the number of distinct areas among its
        members (1 when the group lies in one area).
    """
    return [len(set(labels[m].tolist())) for m in problem.group_members]


def identity_term(problem: Problem, labels: np.ndarray) -> int:
    """The identity term: how many extra pieces the plan cuts the identity groups into.

    ``sum over groups g of (areas g touches - 1)``; a group split in two counts 1, in three
    counts 2. A buurt that belongs to several groups (a wijk and a kern) counts in each.

    Parameters
    ----------
    problem : Problem
        Gives the identity groups' member units.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    int
        Extra pieces (a count, not percent), 0 when no group is split; at most
        ``sum_g (min(size_g, k) - 1)``.
    """
    return int(sum(p - 1 for p in group_pieces(problem, labels)))


def split_group_names(problem: Problem, labels: np.ndarray) -> list[str]:
    """Names of the identity groups that lie in more than one area, in the order of ``problem.groups``."""
    return [g.name for g, p in zip(problem.groups, group_pieces(problem, labels)) if p > 1]


def cut_mask(problem: Problem, labels: np.ndarray) -> np.ndarray:
    """Which adjacency edges join two different areas.

    Parameters
    ----------
    problem : Problem
        Gives the adjacency edges (``problem.edges``, m x 2 unit indices).
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    numpy.ndarray
        Bool array of length m, True where the edge's two units have different labels (empty
        without edges).
    """
    if len(problem.edges) == 0:
        return np.zeros(0, dtype=bool)
    return labels[problem.edges[:, 0]] != labels[problem.edges[:, 1]]


def compactness_term(problem: Problem, labels: np.ndarray) -> float:
    """The compactness term: share of the internal boundary cost that lies between different areas, in percent.

    ``100 * sum(edge_cost[e] for cut edges e) / problem.boundary_total``. An edge's cost is its
    shared boundary length in metres times ``barriers.penalty`` when a barrier penalises it
    (else times 1); synthetic island links have length 0. The denominator is the cost of all
    edges (for a contracted problem: of the original problem's edges). The municipality's outer
    boundary does not count.

    Parameters
    ----------
    problem : Problem
        Gives the edges, their cost and the total boundary cost.
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    float
        Points (percent of the boundary cost), 0..100; 0.0 for one area or when the total
        boundary cost is 0 or less. Fewer, shorter area borders give lower values.
    """
    total = problem.boundary_total
    if total <= 0:
        return 0.0
    return float(100.0 * problem.edge_cost[cut_mask(problem, labels)].sum() / total)


def cut_boundary_km(problem: Problem, labels: np.ndarray) -> float:
    """Length in km of the boundary between different areas (shared boundary lengths, without barrier penalties)."""
    return float(problem.edge_length[cut_mask(problem, labels)].sum() / 1000.0)


def objective_value(problem: Problem, terms: dict[str, float]) -> float:
    """The weighted sum of given term values.

    Parameters
    ----------
    problem : Problem
        Gives the weights (``problem.weights``, config ``weights``).
    terms : dict
        Value of each term in :data:`TERMS` by name (in points; identity in pieces).

    Returns
    -------
    float
        ``sum_t weight_t * terms[t]`` over the four terms; lower is better.
    """
    w = problem.weights
    return float(sum(getattr(w, t) * terms[t] for t in TERMS))


def objective(problem: Problem, labels: np.ndarray) -> float:
    """The weighted objective of a plan (lower is better).

    ``w_balance * balance + w_catchment * catchment + w_identity * identity
    + w_compactness * compactness`` with the terms of :func:`balance_term`,
    :func:`catchment_term`, :func:`identity_term` and :func:`compactness_term` and the weights of
    ``problem.weights``. Hard rules are not checked (see :func:`violation_items`).

    Parameters
    ----------
    problem : Problem
        The problem the plan is for.
    labels : numpy.ndarray
        Integer area index ``0..k-1`` of every unit (length ``problem.n``).

    Returns
    -------
    float
        The objective in weighted points, 0 or more; the same number as ``score(...).objective``.
    """
    return objective_value(problem, {
        "balance": balance_term(problem, labels),
        "catchment": catchment_term(problem, labels),
        "identity": identity_term(problem, labels),
        "compactness": compactness_term(problem, labels),
    })


def non_contiguous_areas(problem: Problem, labels: np.ndarray) -> list[int]:
    """Areas whose units do not form one connected piece of the adjacency graph.

    Parameters
    ----------
    problem : Problem
        Gives the adjacency graph of units (``problem.graph``, after barriers and island links).
    labels : numpy.ndarray
        Area index ``0..k-1`` of every unit.

    Returns
    -------
    list of int
        Area indices in increasing order; areas without units are not listed.
    """
    bad = []
    for k in range(problem.k):
        units = np.flatnonzero(labels == k)
        if len(units) and not nx.is_connected(problem.graph.subgraph(units.tolist())):
            bad.append(k)
    return bad


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: ``kind``, what breaks it (``subject``: area, buurt or group names), and for
    population rules the ``value`` and its ``bound``; ``other`` is the lock's area or the keep-apart partner.
    ``areas`` and ``units`` are the area and unit indices involved, for drawing the rule (not compared)."""

    kind: str  # labels | empty | below | above | not_contiguous | lock | split_group | together
    subject: str
    value: float | None = None
    bound: float | None = None
    other: str = ""
    areas: tuple[int, ...] = field(default=(), compare=False)
    units: tuple[int, ...] = field(default=(), compare=False)

    def text(self, lang: str = "en") -> str:
        """The rule as a short sentence fragment in English (``en``, the CLI's) or Dutch (``nl``, documents').

        Any ``lang`` other than ``"nl"`` gives English.
        """
        return (VIOLATION_NL if lang == "nl" else VIOLATION_EN)[self.kind](self)


def violation_items(problem: Problem, labels: np.ndarray) -> list[Violation]:
    """Every hard rule the plan breaks, as structured items (empty list: valid).

    Parameters
    ----------
    problem : Problem
        Gives the bounds ``lo``/``hi``, the adjacency graph, locks, keep-together and keep-apart rules.
    labels : array_like
        Area index of every unit.

    Returns
    -------
    list of Violation
        Only ``[Violation("labels", ...)]`` when ``labels`` is not a length-n array of indices
        ``0..k-1``. Otherwise, in this order: per area one of ``empty`` (no units), ``below``
        (fewer inhabitants than ``problem.lo``) or ``above`` (more than ``problem.hi``); then
        ``not_contiguous`` areas, broken ``lock`` rules, split keep-together groups
        (``split_group``) and keep-apart pairs in one area (``together``).
    """
    out: list[Violation] = []
    labels = np.asarray(labels)
    if labels.shape != (problem.n,) or labels.min(initial=0) < 0 or labels.max(initial=0) >= problem.k:
        return [Violation("labels", "", problem.n, problem.k - 1)]
    pops = area_populations(problem, labels)
    for k in range(problem.k):
        name = problem.area_names[k]
        if pops[k] == 0 and not (labels == k).any():
            out.append(Violation("empty", name, areas=(k,)))
        elif pops[k] < problem.lo - 1e-9:
            out.append(Violation("below", name, int(pops[k]), float(problem.lo), areas=(k,)))
        elif pops[k] > problem.hi + 1e-9:
            out.append(Violation("above", name, int(pops[k]), float(problem.hi), areas=(k,)))
    for k in non_contiguous_areas(problem, labels):
        out.append(Violation("not_contiguous", problem.area_names[k], areas=(k,)))
    for unit, area in problem.locks.items():
        if labels[unit] != area:
            out.append(Violation("lock", problem.names[unit], other=problem.area_names[area], units=(unit,)))
    for group in problem.keep_together:
        if len(set(labels[group].tolist())) > 1:
            out.append(Violation("split_group", ", ".join(problem.names[u] for u in group), units=tuple(group)))
    for a, b in problem.keep_apart:
        if labels[a] == labels[b]:
            out.append(Violation("together", problem.names[a], other=problem.names[b], units=(a, b)))
    return out


def violations(problem: Problem, labels: np.ndarray, lang: str = "en") -> list[str]:
    """Every hard rule the plan breaks, as short sentences (empty list: valid); English for the CLI and
    metrics.json, ``lang="nl"`` for Dutch documents (both rendered from :func:`violation_items`)."""
    return [v.text(lang) for v in violation_items(problem, labels)]


def score(problem: Problem, labels: np.ndarray) -> Scores:
    """All scores of a plan; ``valid`` says whether every hard rule holds.

    Parameters
    ----------
    problem : Problem
        The problem the plan is for.
    labels : array_like
        Area index ``0..k-1`` of every unit (length ``problem.n``); converted to an int array.

    Returns
    -------
    Scores
        The four terms (points; identity in pieces), their weighted ``objective`` (equal to
        :func:`objective`), inhabitants per area, the largest deviation, the own-area share of
        patients, split group names, the cut boundary, and the broken hard rules in English.

    Raises
    ------
    ValueError
        When ``labels`` does not give each unit an area ``0..k-1`` (the message is the ``labels``
        violation's English text).
    """
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


def area_table(problem: Problem, labels: np.ndarray) -> list[dict[str, Any]]:
    """Per-area figures: inhabitants, deviation, buurten, practices, own-area share of its practices.

    Parameters
    ----------
    problem : Problem
        The problem the plan is for; with patients it needs ``problem.catchments`` for the practice
        ids (a problem contracted by :mod:`wijkindeling.optimise.contract` has none).
    labels : array_like
        Area index ``0..k-1`` of every unit; converted to an int array.

    Returns
    -------
    list of dict
        One dict per area, in area order, with keys

        * ``name`` (str): the area name;
        * ``population`` (int): inhabitants ``P_k``;
        * ``deviation`` (float): ``(P_k - T) / T``, signed fraction (-0.05 is 5 % below target);
        * ``buurten`` (list of str), ``n_buurten`` (int): the buurtcodes in the area (in unit
          order) and their number;
        * ``practices`` (list of str): ids of the practices whose home buurt lies in the area
          (empty without patient data);
        * ``patients_in_own_area`` (float or None): share 0..1 of those practices' patients who
          live in this area; None without patient data, without practices here, or when their
          patients sum to 0;
        * ``split_groups`` (list of str): identity groups that touch this area and are split over
          more than one area.

    Raises
    ------
    ValueError
        When the problem has patients but no ``practice_home`` or no ``catchments``.
    """
    labels = np.asarray(labels, dtype=int)
    pops = area_populations(problem, labels)
    rows: list[dict[str, Any]] = []
    for k in range(problem.k):
        units = np.flatnonzero(labels == k)
        row: dict[str, Any] = {
            "name": problem.area_names[k],
            "population": int(pops[k]),
            "deviation": float((pops[k] - problem.target) / problem.target),
            "buurten": [problem.codes[u] for u in units],
            "n_buurten": int(len(units)),
            "practices": [],
            "patients_in_own_area": None,
        }
        if problem.patients is not None:
            home, catch = _practice_homes(problem), problem.catchments
            if catch is None:
                raise ValueError("area_table needs problem.catchments for the practice ids of a problem with patients")
            mine = np.flatnonzero(labels[home] == k)
            row["practices"] = [str(catch.patients.index[p]) for p in mine]
            total = problem.patients[mine].sum()
            if total > 0:
                row["patients_in_own_area"] = float(problem.patients[mine][:, units].sum() / total)
        groups = [g.name for g, m in zip(problem.groups, problem.group_members) if (labels[m] == k).any() and len(set(labels[m].tolist())) > 1]
        row["split_groups"] = groups
        rows.append(row)
    return rows


def polsby_popper(geometry: BaseGeometry) -> float:
    """4 pi A / P^2 of a (multi)polygon: 1 for a circle, near 0 for a sprawling shape (reporting only).

    Parameters
    ----------
    geometry : shapely geometry
        A (multi)polygon; area ``A`` and perimeter ``P`` in its CRS units.

    Returns
    -------
    float
        0..1 (dimensionless); 0.0 when the perimeter is 0 or less.
    """
    if geometry.length <= 0:
        return 0.0
    return float(4 * np.pi * geometry.area / geometry.length**2)


@dataclass
class LinearObjective:
    """The objective's coefficients for a linear model (the MIP); same definitions as :func:`objective`.

    ``balance_scale * sum_k |P_k - T|`` + ``sum_(b, h) catchment_pairs[(b, h)] * [b, h in different areas]``
    + ``sum_g (areas touched by g - 1)`` + ``sum_e edge_coef[e] * [edge e cut]``, each times its weight.

    Attributes
    ----------
    balance_scale : float
        ``100 / (k * T)`` (= 100 / total inhabitants): points per inhabitant of deviation.
    catchment_pairs : dict
        Unit pair ``(i, j)`` with ``i < j`` -> points (percent of all patients) when the two units
        lie in different areas: ``100 / all patients`` times the patients living in one of them
        whose practice's home buurt is the other, summed over practices. Empty without patients
        (or when they sum to 0 or less).
    edge_coef : numpy.ndarray
        Points per cut edge, aligned with ``problem.edges``: ``100 * edge_cost / boundary_total``
        (zeros when the total is 0 or less).
    """

    balance_scale: float
    catchment_pairs: dict[tuple[int, int], float]
    edge_coef: np.ndarray


def objective_coefficients(problem: Problem) -> LinearObjective:
    """Coefficients of the four terms, unweighted, for a model that counts in the same units.

    The identity term needs no coefficients (a model counts the areas each group touches).

    Parameters
    ----------
    problem : Problem
        The problem to model.

    Returns
    -------
    LinearObjective
        With these coefficients a plan's balance, catchment and compactness terms equal
        :func:`balance_term`, :func:`catchment_term` and :func:`compactness_term`.

    Raises
    ------
    ValueError
        When the problem has patients but no ``practice_home``.
    """
    balance_scale = 100.0 / (problem.k * problem.target)
    pairs: dict[tuple[int, int], float] = {}
    if problem.patients is not None and problem.patients.sum() > 0:
        scale = 100.0 / problem.patients.sum()
        for p, home in enumerate(_practice_homes(problem)):
            for b in np.flatnonzero(problem.patients[p] > 0):
                if b != home:
                    key = (int(min(b, home)), int(max(b, home)))
                    pairs[key] = pairs.get(key, 0.0) + scale * float(problem.patients[p, b])
    total = problem.boundary_total
    edge_coef = 100.0 * problem.edge_cost / total if total > 0 else np.zeros(len(problem.edge_cost))
    return LinearObjective(balance_scale, pairs, edge_coef)
