"""The districting problem as plain data: :class:`Problem`, its size rule and its provenance.

A :class:`Problem` is what the optimiser and the metrics work on: buurten as integer units
``0..n-1`` (sorted by buurtcode), their populations, the adjacency edges with boundary lengths,
identity groups, practice catchments, size bounds, hard rules and weights. It is assembled from a
config by :func:`wijkindeling.build.build_problem`; nothing here reads files or configs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import geopandas as gpd
import networkx as nx
import numpy as np

from ..config import Weights
from .catchments import Catchments
from .identity import IdentityGroup
from .profile import IndicatorData


@dataclass(frozen=True)
class SizeRule:
    """How big an area may be: target ± ``tolerance``, unless an absolute bound is given.

    Attributes
    ----------
    tolerance : float
        Allowed relative deviation from the target (total / K), e.g. 0.10 for ±10 %.
    min_population, max_population : float or None
        Absolute bounds in inhabitants (config ``areas.min_population``/``max_population``); each
        one given replaces the bound the tolerance would give.
    """

    tolerance: float
    min_population: float | None = None
    max_population: float | None = None

    @property
    def absolute(self) -> bool:
        """Whether either bound is absolute (then "±x %" does not describe the bounds)."""
        return self.min_population is not None or self.max_population is not None


def population_bounds(total: float, k: int, sizes: SizeRule) -> tuple[float, float]:
    """The one rule for the inhabitants an area may have.

    Parameters
    ----------
    total : float
        Inhabitants of the municipality.
    k : int
        Number of areas.
    sizes : SizeRule
        Tolerance and absolute bounds.

    Returns
    -------
    (float, float)
        ``(lo, hi)``: an absolute bound where given, else ``ceil((1 - tol) * total / k)`` and
        ``floor((1 + tol) * total / k)``. ``lo > hi`` is possible (no plan can exist); the caller
        decides whether that is a config error.
    """
    target = total / k
    lo = sizes.min_population if sizes.min_population is not None else math.ceil((1 - sizes.tolerance) * target)
    hi = sizes.max_population if sizes.max_population is not None else math.floor((1 + sizes.tolerance) * target)
    return float(lo), float(hi)


@dataclass(frozen=True)
class Provenance:
    """Where a problem came from, for metrics.json, maps and documents (no effect on the optimisation).

    Attributes
    ----------
    gemeente, gemeentecode, region : str or None
        The municipality (name and CBS code) and the region of its config.
    tool_version, config_hash, data_hash : str or None
        The tool's version, the hash of the config text and of all input data files.
    data_files : dict
        Short hash per input file, by config field.
    practices_fictional : bool
        The practice list is a FICTIEF example.
    catchment_method : str or None
        How patients per practice per buurt were obtained (Dutch or English words).
    catchment_estimated : bool or None
        Whether they are estimated (*geschat*); None without practices.
    barrier_edges_removed, barrier_edges_penalised, synthetic_edges : list of [str, str]
        Adjacency changed by barriers and by linking islands, as sorted buurtcode pairs.
    adjacency_edges_added : list of dict
        Edges added by ``data.adjacency`` (gap, pass-through, OSM road), each ``{"buurten": [a, b],
        "reason": "gap" | "pass_through" | "road", "distance_m": metres between the polygons, "via":
        pass-through buurtcode or None}``.
    attribution : str
        Source line of the building blocks, e.g. "CBS / Kadaster (PDOK), CC-BY 4.0".
    """

    gemeente: str | None = None
    gemeentecode: str | None = None
    region: str | None = None
    tool_version: str | None = None
    config_hash: str | None = None
    data_hash: str | None = None
    data_files: dict[str, str] = field(default_factory=dict)
    practices_fictional: bool = False
    catchment_method: str | None = None
    catchment_estimated: bool | None = None
    barrier_edges_removed: list[list[str]] = field(default_factory=list)
    barrier_edges_penalised: list[list[str]] = field(default_factory=list)
    synthetic_edges: list[list[str]] = field(default_factory=list)
    adjacency_edges_added: list[dict] = field(default_factory=list)
    attribution: str = ""


def default_area_names(k: int) -> list[str]:
    """``Gebied 1`` .. ``Gebied k``."""
    return [f"Gebied {i + 1}" for i in range(k)]


@dataclass
class Problem:
    """Everything the optimiser and the metrics need, with integer-indexed units.

    Units are ``0..n-1``; arrays indexed by unit are aligned with ``codes``. ``patients`` and
    ``practice_home`` are both set or both None; ``catchments`` is set with them except in a
    problem contracted by :mod:`wijkindeling.optimise.contract`.

    Attributes
    ----------
    codes, names : list of str
        Buurtcode and buurt name of every unit.
    population : numpy.ndarray
        Inhabitants per unit (int).
    graph : networkx.Graph
        Adjacency of units (nodes ``0..n-1``; edge attributes ``length``, ``cost``, ``synthetic``).
    edges : numpy.ndarray
        (m, 2) unit indices ``i < j``; ``edge_length`` (metres of shared boundary) and
        ``edge_cost`` (length times the barrier penalty) are aligned with it.
    groups, group_members : list
        Identity groups and their member unit indices, aligned.
    k : int
        Number of areas.
    lo, hi : float
        Inhabitants an area must have at least / may have at most (from ``sizes``).
    weights : Weights
        Weights of the objective terms.
    area_names : list of str
        Name of every area (length k).
    sizes : SizeRule
        The rule ``lo`` and ``hi`` come from.
    locks, keep_together, keep_apart
        Hard rules: unit -> area index, groups of units in one area, pairs of units in different areas.
    patients : numpy.ndarray or None
        Patients per practice (rows) per unit (columns).
    practice_home : numpy.ndarray or None
        Home unit of every practice (row of ``patients``).
    catchments : Catchments or None
        The catchments ``patients`` came from (practice ids, names, method).
    buurten, practices, barrier_lines : geopandas.GeoDataFrame or None
        The geometry, for maps and documents.
    provenance : Provenance
        Where the problem came from.
    edge_cost_total : float or None
        The compactness term's denominator when it is not the sum of ``edge_cost``.
    kernen : dict
        Every kern of the config, also one of a single buurt: name -> unit indices (for area names).
    fixed_names : bool
        Whether ``area_names`` were given (config ``areas.names``, a plan file) or already derived for a plan;
        False: "Gebied 1 .. K", which :func:`wijkindeling.model.names.name_areas` replaces by kern and wijk names.
    indicator_data : IndicatorData or None
        The startfoto's per-buurt inputs (see :mod:`wijkindeling.model.startfoto`); None in a contracted problem.
    """

    codes: list[str]
    names: list[str]
    population: np.ndarray
    graph: nx.Graph  # nodes are unit indices; edge attrs length, cost
    edges: np.ndarray  # (m, 2) unit indices, i < j
    edge_length: np.ndarray  # metres of shared boundary
    edge_cost: np.ndarray  # length x barrier penalty (compactness weight of each edge)
    groups: list[IdentityGroup]
    group_members: list[np.ndarray]
    k: int
    lo: float
    hi: float
    weights: Weights
    area_names: list[str]
    sizes: SizeRule = field(default_factory=lambda: SizeRule(0.10))  # the rule lo and hi come from
    locks: dict[int, int] = field(default_factory=dict)  # unit -> area index
    keep_together: list[list[int]] = field(default_factory=list)
    keep_apart: list[tuple[int, int]] = field(default_factory=list)
    patients: np.ndarray | None = None  # (practices, units)
    practice_home: np.ndarray | None = None  # (practices,) unit index
    catchments: Catchments | None = None
    buurten: gpd.GeoDataFrame | None = None
    practices: gpd.GeoDataFrame | None = None
    provenance: Provenance = field(default_factory=lambda: Provenance())
    barrier_lines: gpd.GeoDataFrame | None = None  # barriers as lines (kind, name, source) for maps; see osm.py
    # All internal boundary cost, the compactness term's denominator. None: the sum of ``edge_cost``. A contracted
    # problem (optimise/contract.py) has dropped the edges inside its blocks and keeps the original sum here.
    edge_cost_total: float | None = None
    # Every kern of the config (also those of one buurt, which are no identity group): name -> unit indices.
    kernen: dict[str, np.ndarray] = field(default_factory=dict)
    # Whether area_names were given (config areas.names, a plan file, or named for a plan by model.names.name_areas).
    fixed_names: bool = False
    # The startfoto's per-buurt inputs (declared indicator columns, distance to the nearest practice); None: none loaded.
    indicator_data: IndicatorData | None = None

    @property
    def n(self) -> int:
        """Number of units (buurten, or blocks of a contracted problem)."""
        return len(self.codes)

    @property
    def total(self) -> int:
        """All inhabitants."""
        return int(self.population.sum())

    @property
    def boundary_total(self) -> float:
        """Denominator of the compactness term: all internal boundary cost."""
        return float(self.edge_cost.sum()) if self.edge_cost_total is None else float(self.edge_cost_total)

    @property
    def target(self) -> float:
        """``T = total / k``: the inhabitants of an area of exactly average size."""
        return self.total / self.k

    def index(self, code: str) -> int:
        """The unit index of buurtcode ``code`` (a ValueError when it is not a unit)."""
        return self.codes.index(code)

    def with_k(self, k: int, tolerance: float | None = None) -> Problem:
        """A copy with ``k`` areas and bounds re-derived by :func:`population_bounds`.

        Parameters
        ----------
        k : int
            The number of areas.
        tolerance : float, optional
            None keeps the problem's size rule (absolute ``min_population``/``max_population`` where the
            config gives them, else its tolerance). A number replaces the rule by target ± ``tolerance``
            (what a relaxation tries).

        Returns
        -------
        Problem
            The same units and rules; area names are kept when ``k`` is unchanged, else the defaults.
        """
        sizes = self.sizes if tolerance is None else SizeRule(float(tolerance))
        lo, hi = population_bounds(self.total, k, sizes)
        same = len(self.area_names) == k
        names = self.area_names if same else default_area_names(k)
        return replace(self, k=k, lo=lo, hi=hi, area_names=names, sizes=sizes, fixed_names=self.fixed_names and same)
