"""Build the districting problem from a config: config → data → graph → catchments → Problem.

A :class:`Problem` is the plain data object the optimiser and the metrics work on:
buurten as integer units ``0..n-1`` (sorted by buurtcode), their populations, the
adjacency edges with boundary lengths, identity groups, practice catchments, size bounds,
hard rules and weights.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np

from . import __version__
from .catchments import Catchments, build_catchments
from .config import Config, ConfigError, Weights
from .data import file_hash, load_buurten, load_practices
from .graph import IdentityGroup, adjacency_graph, connect_islands, identity_groups, remove_pairs


@dataclass
class Problem:
    """Everything the optimiser and the metrics need, with integer-indexed units."""

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
    locks: dict[int, int] = field(default_factory=dict)  # unit -> area index
    keep_together: list[list[int]] = field(default_factory=list)
    keep_apart: list[tuple[int, int]] = field(default_factory=list)
    patients: np.ndarray | None = None  # (practices, units)
    practice_home: np.ndarray | None = None  # (practices,) unit index
    catchments: Catchments | None = None
    buurten: gpd.GeoDataFrame | None = None
    practices: gpd.GeoDataFrame | None = None
    meta: dict = field(default_factory=dict)
    barrier_lines: gpd.GeoDataFrame | None = None  # barriers as lines (kind, name, source) for maps; see osm.py
    # All internal boundary cost, the compactness term's denominator. None: the sum of ``edge_cost``. A contracted
    # problem (optimise/contract.py) has dropped the edges inside its blocks and keeps the original sum here.
    edge_cost_total: float | None = None

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def total(self) -> int:
        return int(self.population.sum())

    @property
    def boundary_total(self) -> float:
        """Denominator of the compactness term: all internal boundary cost."""
        return float(self.edge_cost.sum()) if self.edge_cost_total is None else float(self.edge_cost_total)

    @property
    def target(self) -> float:
        return self.total / self.k

    def index(self, code: str) -> int:
        return self.codes.index(code)

    def with_k(self, k: int, tolerance: float | None = None) -> "Problem":
        """A copy with another number of areas (bounds re-derived from ``tolerance`` when given)."""
        lo, hi = self.lo, self.hi
        if tolerance is not None:
            lo, hi = (1 - tolerance) * self.total / k, (1 + tolerance) * self.total / k
        names = default_area_names(k) if len(self.area_names) != k else self.area_names
        return replace(self, k=k, lo=lo, hi=hi, area_names=names)


# Config fields that name input data files; all of them enter the data hash of a run.
DATA_FIELDS = ("data.buurten", "data.pc4_centroids", "practices.path", "practices.patients", "practices.cache",
               "barriers.lines", "barriers.osm_file", "barriers.cache", "distances.osm_file", "distances.cache")


def data_hashes(cfg: Config) -> dict[str, str]:
    """Short SHA-256 of every input data file the config names (by config field), for provenance."""
    out = {}
    for dotted in DATA_FIELDS:
        section, key = dotted.split(".")
        value = getattr(getattr(cfg, section), key, None)
        if value is not None and Path(value).is_file():
            out[dotted] = file_hash(Path(value))
    return out


def combined_hash(hashes: dict[str, str]) -> str:
    return hashlib.sha256("\n".join(f"{k}={v}" for k, v in sorted(hashes.items())).encode()).hexdigest()[:16]


def default_area_names(k: int) -> list[str]:
    return [f"Gebied {i + 1}" for i in range(k)]


def area_count(cfg: Config, total: int, n_units: int) -> int:
    """K from the config: ``areas.count``, else the nearest whole number to total / target_size."""
    a = cfg.areas
    if a.count is not None:
        k = a.count
    elif a.target_size is not None:
        k = max(1, round(total / a.target_size))
    elif a.names:
        k = len(a.names)
    else:
        raise ConfigError(f"{cfg.origin('areas')}: field 'areas' gives neither count nor target_size; add areas.count: <number of areas>.")
    if k > n_units:
        raise ConfigError(f"{cfg.origin('areas.count')}: field 'areas.count' is {k} but the municipality has only {n_units} buurten; use at most {n_units}.")
    if a.names is not None and len(a.names) != k:
        raise ConfigError(f"{cfg.origin('areas.names')}: field 'areas.names' lists {len(a.names)} names for {k} areas; give exactly {k} names.")
    return k


def population_bounds(cfg: Config, total: int, k: int) -> tuple[float, float]:
    """[lo, hi] inhabitants per area: absolute min/max where given, else target +/- tolerance."""
    target = total / k
    lo = cfg.areas.min_population if cfg.areas.min_population is not None else math.ceil((1 - cfg.areas.tolerance) * target)
    hi = cfg.areas.max_population if cfg.areas.max_population is not None else math.floor((1 + cfg.areas.tolerance) * target)
    if lo > hi:
        given = "max_population" if cfg.areas.max_population is not None else "min_population"
        raise ConfigError(f"{cfg.origin('areas.' + given)}: field 'areas.{given}' gives areas of {lo:,}–{hi:,} inhabitants "
                          f"(the other bound comes from the tolerance around {target:,.0f} = {total:,} / {k}); "
                          f"set both areas.min_population and areas.max_population, or change the number of areas.")
    return float(lo), float(hi)


def _unit_rules(cfg: Config, codes: list[str], area_names: list[str]) -> tuple[dict[int, int], list[list[int]], list[tuple[int, int]]]:
    """Locks, keep-together and keep-apart as unit indices; unknown codes or names are config errors."""
    pos = {c: i for i, c in enumerate(codes)}

    def unit(code: str, field_name: str) -> int:
        if code not in pos:
            raise ConfigError(f"{cfg.origin('rules.' + field_name)}: field 'rules.{field_name}' names buurtcode {code}, which is not a buurt of {cfg.gemeente or cfg.gemeentecode}; fix or remove it.")
        return pos[code]

    locks = {}
    for code, area in cfg.rules.locks.items():
        if area not in area_names:
            raise ConfigError(f"{cfg.origin('rules.locks')}: field 'rules.locks.{code}' names area '{area}', which does not exist; use one of {', '.join(area_names)} (set areas.names to name them).")
        locks[unit(code, "locks")] = area_names.index(area)
    together = [[unit(c, "keep_together") for c in group] for group in cfg.rules.keep_together]
    apart = [(unit(a, "keep_apart"), unit(b, "keep_apart")) for a, b in cfg.rules.keep_apart]
    return locks, together, apart


def _check_pairs(cfg: Config, known: set[str], pairs: list[list[str]], field_name: str) -> None:
    """Every entry is a pair of two buurtcodes of the municipality, else a ConfigError."""
    for pair in pairs:
        if len(pair) != 2:
            raise ConfigError(f"{cfg.origin(field_name)}: field '{field_name}' has an entry {pair} that is not a pair; write every entry as [buurtcode, buurtcode].")
        for code in pair:
            if code not in known:
                raise ConfigError(f"{cfg.origin(field_name)}: field '{field_name}' names buurtcode {code}, which is not a buurt of {cfg.gemeente or cfg.gemeentecode}; fix or remove it.")


def build_problem(cfg: Config) -> Problem:
    """Run the data stages for ``cfg`` and return the :class:`Problem` to optimise."""
    buurten = load_buurten(cfg)
    practices = load_practices(cfg, buurten)
    catch = build_catchments(cfg, practices, buurten)
    graph = adjacency_graph(buurten)
    where = cfg.origin("barriers")
    _check_pairs(cfg, set(buurten["buurtcode"]), cfg.barriers.pairs, "barriers.pairs")
    removed = remove_pairs(graph, [p for p in cfg.barriers.pairs]) if cfg.barriers.mode == "remove" else []
    penalised: set[tuple[str, str]] = set()
    lines = None
    if cfg.barriers.pairs or cfg.barriers.lines is not None or cfg.barriers.osm or cfg.barriers.osm_file is not None:
        from . import osm  # lazily: barrier lines need OSM or a line file

        lines = osm.barrier_lines(cfg, buurten)
        removed += osm.apply_barriers(cfg, buurten, graph, penalised, lines=lines)
    if cfg.barriers.mode == "penalise":
        penalised |= {tuple(sorted(p)) for p in cfg.barriers.pairs if graph.has_edge(*p)}
    synthetic = connect_islands(graph, buurten, cfg.data.islands, cfg.origin("data.islands"),
                                avoid=frozenset(frozenset(e) for e in removed))
    problem = problem_from_parts(cfg, buurten, graph, practices, catch, removed, synthetic, penalised, where)
    problem.barrier_lines = lines
    return problem


def problem_from_parts(cfg: Config, buurten: gpd.GeoDataFrame, graph: nx.Graph, practices, catch: Catchments | None,
                       removed=(), synthetic=(), penalised=frozenset(), where: str = "") -> Problem:
    """Assemble a Problem from loaded parts (also used by tests on sub-graphs)."""
    codes = list(buurten["buurtcode"])
    pos = {c: i for i, c in enumerate(codes)}
    population = buurten["population"].to_numpy(dtype=np.int64)
    total = int(population.sum())
    k = area_count(cfg, total, len(codes))
    lo, hi = population_bounds(cfg, total, k)
    area_names = list(cfg.areas.names) if cfg.areas.names else default_area_names(k)
    locks, together, apart = _unit_rules(cfg, codes, area_names)
    ugraph = nx.Graph()
    ugraph.add_nodes_from(range(len(codes)))
    edges, lengths, costs = [], [], []
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: tuple(sorted((pos[e[0]], pos[e[1]])))):
        i, j = sorted((pos[a], pos[b]))
        factor = cfg.barriers.penalty if tuple(sorted((a, b))) in penalised else 1.0
        edges.append((i, j))
        lengths.append(data["length"])
        costs.append(data["length"] * factor)
        ugraph.add_edge(i, j, length=data["length"], cost=data["length"] * factor, synthetic=data.get("synthetic", False))
    groups = identity_groups(buurten, cfg)
    patients = home = None
    if catch is not None:
        patients = catch.patients.loc[:, codes].to_numpy(dtype=float)
        home = np.array([pos[catch.home[p]] for p in catch.patients.index], dtype=int)
    meta = {
        "gemeente": cfg.gemeente or (buurten.get("gemeentenaam", [None])[0] if "gemeentenaam" in buurten else None),
        "gemeentecode": cfg.gemeentecode,
        "region": cfg.region,
        "tool_version": __version__,
        "config_hash": cfg.raw_hash,
        "data_hash": combined_hash(hashes := data_hashes(cfg)),
        "data_files": hashes,
        "practices_fictional": bool(practices is not None and practices["fictional"].any()),
        "catchment_method": catch.method if catch else None,
        "catchment_estimated": bool(catch.estimated) if catch else None,
        "barrier_edges_removed": sorted([sorted(e) for e in removed]),
        "barrier_edges_penalised": sorted([sorted(e) for e in penalised]),
        "synthetic_edges": sorted([sorted(e) for e in synthetic]),
        "attribution": cfg.data.attribution,
        "tolerance": cfg.areas.tolerance,
    }
    return Problem(
        codes=codes,
        names=list(buurten["buurtnaam"]),
        population=population,
        graph=ugraph,
        edges=np.array(edges, dtype=int).reshape(-1, 2),
        edge_length=np.array(lengths, dtype=float),
        edge_cost=np.array(costs, dtype=float),
        groups=groups,
        group_members=[np.array([pos[m] for m in g.members], dtype=int) for g in groups],
        k=k,
        lo=lo,
        hi=hi,
        weights=cfg.weights,
        area_names=area_names,
        locks=locks,
        keep_together=together,
        keep_apart=apart,
        patients=patients,
        practice_home=home,
        catchments=catch,
        buurten=buurten,
        practices=practices,
        meta=meta,
    )
