"""From a config to a :class:`~wijkindeling.model.problem.Problem`: the walk down the pipeline.

``build_problem(cfg)`` reads the sources (buurten, practices, patients, barrier lines, roads), then
builds the model from them (adjacency, barriers, islands, identity groups, catchments) and
assembles the :class:`Problem`. This is the only module that knows both the config and the
model; it checks the config's buurtcodes and names against the data, so every mistake there is
one sentence naming the field.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from . import __version__
from .config import Config
from .errors import ConfigError, GraphError
from .model.barriers import BarrierEdges, barrier_edges, barrier_result, pair_lines, without_edges
from .model.catchments import Catchments, catchments_from, estimate_patients, straight_distances
from .model.graph import add_edges, adjacency_graph, connect_islands, gap_edges, pass_through_edges, road_edges, road_lines
from .model.identity import identity_groups
from .model.problem import Problem, Provenance, SizeRule, default_area_names, population_bounds
from .model.profile import Indicator, IndicatorData
from .sources import osm
from .sources.buurten import RD_NEW, load_buurten
from .sources.indicators import load_indicators
from .sources.lines import LINE_COLUMNS, file_barrier_lines
from .sources.patients import read_patient_counts
from .sources.practices import load_practices
from .sources.tables import file_hash
from .text import PROFILE_BUILTIN, catchment_method

# Config fields that name input data files; all of them enter the data hash of a run.
DATA_FIELDS = ("data.buurten", "data.pc4_centroids", "practices.path", "practices.patients", "practices.cache",
               "barriers.lines", "barriers.osm_file", "barriers.cache", "distances.osm_file", "distances.cache")


def build_problem(cfg: Config) -> Problem:
    """Read the data ``cfg`` names and return the :class:`Problem` to optimise.

    Parameters
    ----------
    cfg : Config
        A loaded config (:func:`wijkindeling.config.load_config`).

    Returns
    -------
    Problem
        Units sorted by buurtcode, with adjacency after barriers and linked islands, identity
        groups, catchments, bounds, rules and provenance.

    Raises
    ------
    ConfigError
        (or DataError, GraphError) with one sentence naming the file or field and the fix.
    """
    buurten = load_buurten(cfg)
    practices = load_practices(cfg, buurten)
    distances = practice_distances(cfg, practices, buurten)
    catch = build_catchments(cfg, practices, buurten, distances)
    graph = adjacency_graph(buurten)
    barriers, lines = build_barriers(cfg, buurten, graph)
    graph = without_edges(graph, barriers.removed)
    added = build_adjacency(cfg, buurten, graph, frozenset(frozenset(e) for e in barriers.removed))
    synthetic = connect_islands(graph, buurten, cfg.data.islands, cfg.origin("data.islands"),
                                avoid=frozenset(frozenset(e) for e in barriers.removed))
    problem = problem_from_parts(cfg, buurten, graph, practices, catch, barriers, synthetic)
    problem.provenance = replace(problem.provenance, adjacency_edges_added=added)
    problem.barrier_lines = lines
    problem.indicator_data = build_indicator_data(cfg, problem.codes, distances)
    return problem


def build_adjacency(cfg: Config, buurten: gpd.GeoDataFrame, graph: nx.Graph,
                    skip: frozenset[frozenset[str]] = frozenset()) -> list[dict]:
    """Add the neighbours of ``data.adjacency`` to ``graph`` (in place) and return them for the provenance.

    Parameters
    ----------
    cfg : Config
        Gives ``data.adjacency`` (``max_gap_m``, ``pass_through``, ``pass_through_m``, ``osm_roads``) and,
        for OSM roads, the ``distances`` section (where the road network comes from).
    buurten : geopandas.GeoDataFrame
        Buurten in standard form.
    graph : networkx.Graph
        Adjacency of buurtcodes after barriers; every kind is found on it as given, then added
        (a pair found twice is recorded once: gap before pass-through before road).
    skip : frozenset of frozenset
        Buurtcode pairs a barrier removed; they are never added back.

    Returns
    -------
    list of dict
        The added edges (:func:`~wijkindeling.model.graph.gap_edges`, then
        :func:`~wijkindeling.model.graph.pass_through_edges`, then :func:`~wijkindeling.model.graph.road_edges`).

    Raises
    ------
    ConfigError
        When ``data.adjacency.pass_through`` names a buurtcode that is not in the data.
    DataError
        When ``osm_roads`` is on and the road network cannot be read or downloaded.
    """
    adj = cfg.data.adjacency
    _check_codes(cfg, set(buurten["buurtcode"]), adj.pass_through, "data.adjacency.pass_through")
    through = pass_through_edges(buurten, graph, adj.pass_through, adj.pass_through_m, skip) if adj.pass_through else []
    gap = gap_edges(buurten, graph, adj.max_gap_m, skip)
    roads = road_edges(buurten, graph, road_lines(_road_network(cfg, buurten)), adj.pass_through, skip) if adj.osm_roads else []
    added: list[dict] = []
    for edge in gap + through + roads:  # a pair found more than once is recorded once, by the first reason
        if edge["buurten"] not in (e["buurten"] for e in added):
            added.append(edge)
    add_edges(graph, added)
    return added


def _road_network(cfg: Config, buurten: gpd.GeoDataFrame) -> nx.MultiDiGraph:
    """The OSM road network of ``distances`` for ``data.adjacency.osm_roads`` (walk when distances are straight)."""
    network = cfg.distances.method if cfg.distances.method != "straight" else "walk"
    return osm.load_network(cfg.model_copy(update={"distances": cfg.distances.model_copy(update={"method": network})}), buurten)


def practice_distances(cfg: Config, practices: gpd.GeoDataFrame | None, buurten: gpd.GeoDataFrame) -> np.ndarray | None:
    """Metres from every practice to every buurt's representative point (practices x buurten), as ``distances.method`` says.

    Straight line, or over the OSM road network (``drive``/``walk``); None without practices. Used by the
    catchment estimate and by the startfoto's distance to the nearest practice.

    Raises
    ------
    DataError
        When the road network cannot be loaded.
    """
    if practices is None or practices.empty:
        return None
    if cfg.distances.method == "straight":
        return straight_distances(practices, buurten)
    return osm.network_distances(cfg, practices, buurten)


def build_indicator_data(cfg: Config, codes: list[str], distances: np.ndarray | None) -> IndicatorData:
    """The startfoto's per-buurt inputs: the declared indicator columns and the distance to the nearest practice.

    Parameters
    ----------
    cfg : Config
        Gives ``data.indicators``, ``data.min_coverage`` and ``distances.method``.
    codes : list of str
        The buurtcodes in unit order.
    distances : numpy.ndarray or None
        Practices x buurten metres (:func:`practice_distances`), or None without practices.

    Returns
    -------
    IndicatorData

    Raises
    ------
    ConfigError
        When a declared column has the key of an indicator the tool computes itself.
    DataError
        When an indicator table cannot be read.
    """
    indicators = []
    for table in cfg.data.indicators:
        for key, col in table.columns.items():
            if key in PROFILE_BUILTIN or key.startswith("__"):
                raise ConfigError(f"{cfg.origin('data.indicators')}: column '{key}' has the name of an indicator the tool "
                                  "computes itself; rename it in the table and in data.indicators[].columns.")
            indicators.append(Indicator(key, col.aggregate, col.title or key, col.denominator, col.weight, col.unit,
                                        source=table.source or Path(table.path).name))
    values = load_indicators(cfg, codes) if indicators else pd.DataFrame(index=codes)
    nearest = None if distances is None else distances.min(axis=0)
    return IndicatorData(indicators, values, cfg.data.min_coverage, nearest, cfg.distances.method, cfg.output.lang)


def build_catchments(cfg: Config, practices: gpd.GeoDataFrame | None, buurten: gpd.GeoDataFrame,
                     distances: np.ndarray | None = None) -> Catchments | None:
    """Patients per practice per buurt: real counts when ``practices.patients`` is set, else a Huff estimate.

    Parameters
    ----------
    cfg : Config
        Gives ``practices.patients``, ``distances.method`` (straight line or road distance for the
        estimate), ``practices.distance_decay``, ``practices.min_distance_m`` and ``output.lang``
        (the language of the method's description).
    practices : geopandas.GeoDataFrame or None
        Practices in standard form.
    buurten : geopandas.GeoDataFrame
        Buurten in standard form.
    distances : numpy.ndarray, optional
        Practices x buurten metres when already computed (:func:`practice_distances`).

    Returns
    -------
    Catchments or None
        None without practices (None or empty).

    Raises
    ------
    DataError
        When the patient file or the road network cannot be used.
    """
    if practices is None or practices.empty:
        return None
    lang = cfg.output.lang
    if cfg.practices.patients is not None:
        return catchments_from(read_patient_counts(cfg, practices, buurten), practices, buurten, False,
                               catchment_method("given", lang))
    if distances is None:
        distances = practice_distances(cfg, practices, buurten)
    assert distances is not None  # there are practices
    frame = estimate_patients(practices, buurten, distances, cfg.practices.distance_decay, cfg.practices.min_distance_m)
    method = catchment_method("huff", lang, None if cfg.distances.method == "straight" else cfg.distances.method)
    return catchments_from(frame, practices, buurten, True, method)


def _barrier_line_layers(cfg: Config, buurten: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The barrier lines of the line file and the OSM classes together (None when neither is configured)."""
    parts = [p for p in (file_barrier_lines(cfg), osm.osm_barrier_lines(cfg, buurten)) if p is not None]
    return pd.concat(parts, ignore_index=True) if parts else None


def build_barriers(cfg: Config, buurten: gpd.GeoDataFrame, graph: nx.Graph) -> tuple[BarrierEdges, gpd.GeoDataFrame | None]:
    """The edges the configured barriers remove or penalise, and all barriers as lines for the map.

    ``barriers.pairs`` act directly; lines (``barriers.lines``, ``barriers.osm``) act on the edges
    whose shared boundary runs along them. ``graph`` is not changed.

    Parameters
    ----------
    cfg : Config
        Gives the ``barriers`` section.
    buurten : geopandas.GeoDataFrame
        Buurten in standard form.
    graph : networkx.Graph
        Adjacency graph of buurtcodes (:func:`~wijkindeling.model.graph.adjacency_graph`).

    Returns
    -------
    (BarrierEdges, geopandas.GeoDataFrame or None)
        The removed or penalised edges (:func:`~wijkindeling.model.barriers.barrier_result`), and
        the barrier lines plus the shared boundaries of ``barriers.pairs`` as one layer
        (``kind, name, osm_id, source, geometry`` in RD New); ``(BarrierEdges(), None)`` when no
        barriers are configured, and None for the layer when it would be empty.

    Raises
    ------
    ConfigError
        When ``barriers.pairs`` has an entry that is not a pair of the municipality's buurtcodes,
        or ``barriers.osm`` an unknown class.
    DataError
        When a line file, an OSM file or cache cannot be used, or the download fails.

    Warns
    -----
    UserWarning
        In ``remove`` mode, when the barrier lines cut the municipality into more parts than the
        pairs alone do.
    """
    bc = cfg.barriers
    _check_pairs(cfg, set(buurten["buurtcode"]), bc.pairs, "barriers.pairs")
    if not (bc.pairs or bc.lines is not None or bc.osm or bc.osm_file is not None):
        return BarrierEdges(), None
    lines = _barrier_line_layers(cfg, buurten)
    line_edges = [] if lines is None or lines.empty else barrier_edges(buurten, graph, lines, bc.share, bc.tolerance_m)
    result = barrier_result(graph, bc.mode, bc.pairs, line_edges)
    if bc.mode == "remove" and line_edges:
        after_pairs = without_edges(graph, [e for e in result.removed if e not in line_edges])
        if nx.number_connected_components(without_edges(graph, result.removed)) > nx.number_connected_components(after_pairs):
            warnings.warn(f"{cfg.origin('barriers')}: the barriers cut {cfg.gemeente or 'the municipality'} into parts that touch nowhere else; "
                          "data.islands decides what happens (connect_nearest links them again at their nearest point).", stacklevel=2)
    parts = [p for p in (lines, pair_lines(bc.pairs, buurten, RD_NEW)) if p is not None and not p.empty]
    layer = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True)[LINE_COLUMNS], geometry="geometry", crs=RD_NEW) if parts else None
    return result, layer


def data_files(cfg: Config) -> dict[str, Path]:
    """Every input data file the config names that exists, by config field (``data.buurten`` -> its path)."""
    out = {}
    for dotted in DATA_FIELDS:
        section, key = dotted.split(".")
        value = getattr(getattr(cfg, section), key, None)
        if value is not None and Path(value).is_file():
            out[dotted] = Path(value)
    for i, table in enumerate(cfg.data.indicators):
        if Path(table.path).is_file():
            out[f"data.indicators[{i}].path"] = Path(table.path)
    return out


def data_hashes(cfg: Config) -> dict[str, str]:
    """Short SHA-256 of every input data file the config names (by config field), for provenance."""
    return {dotted: file_hash(path) for dotted, path in data_files(cfg).items()}


def combined_hash(hashes: dict[str, str]) -> str:
    """One short hash over the per-file hashes (the ``data_hash`` of metrics.json)."""
    return hashlib.sha256("\n".join(f"{k}={v}" for k, v in sorted(hashes.items())).encode()).hexdigest()[:16]


def area_count(cfg: Config, total: int, n_units: int) -> int:
    """K from the config: ``areas.count``, else the nearest whole number to total / target_size.

    Without either, the number of ``areas.names``.

    Parameters
    ----------
    cfg : Config
        Gives the ``areas`` section.
    total : int
        Inhabitants of the municipality.
    n_units : int
        Number of buurten.

    Returns
    -------
    int
        The number of areas, at least 1.

    Raises
    ------
    ConfigError
        When the config gives neither count, target_size nor names; when K exceeds ``n_units``;
        or when ``areas.names`` does not list exactly K names.
    """
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


def size_rule(cfg: Config) -> SizeRule:
    """The config's size rule: ``areas.tolerance`` and the absolute bounds where given."""
    a = cfg.areas
    return SizeRule(a.tolerance, None if a.min_population is None else float(a.min_population),
                    None if a.max_population is None else float(a.max_population))


def config_bounds(cfg: Config, total: int, k: int) -> tuple[float, float]:
    """[lo, hi] inhabitants per area for the config's own K; an empty range is a ConfigError.

    Parameters
    ----------
    cfg : Config
        Gives the size rule (:func:`size_rule`).
    total : int
        Inhabitants of the municipality.
    k : int
        Number of areas.

    Returns
    -------
    (float, float)
        ``(lo, hi)`` of :func:`~wijkindeling.model.problem.population_bounds`.

    Raises
    ------
    ConfigError
        When ``lo > hi`` (one absolute bound against the tolerance's other bound).
    """
    lo, hi = population_bounds(total, k, size_rule(cfg))
    if lo > hi:
        target = total / k
        given = "max_population" if cfg.areas.max_population is not None else "min_population"
        raise ConfigError(f"{cfg.origin('areas.' + given)}: field 'areas.{given}' gives areas of {lo:,.0f}–{hi:,.0f} inhabitants "
                          f"(the other bound comes from the tolerance around {target:,.0f} = {total:,} / {k}); "
                          f"set both areas.min_population and areas.max_population, or change the number of areas.")
    return lo, hi


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


def _check_codes(cfg: Config, known: set[str], codes: list[str], field_name: str) -> None:
    """Every entry of a list of buurtcodes is a buurt of the municipality, else a ConfigError."""
    for code in codes:
        if code not in known:
            raise ConfigError(f"{cfg.origin(field_name)}: field '{field_name}' names buurtcode {code}, which is not a buurt of {cfg.gemeente or cfg.gemeentecode}; fix or remove it.")


def _check_identity(cfg: Config, known: set[str]) -> None:
    """Every buurtcode in ``identity.kernen`` and ``identity.groups`` is a buurt of the municipality."""
    for field_name in ("kernen", "groups"):
        for name, members in getattr(cfg.identity, field_name).items():
            unknown = [m for m in members if m not in known]
            if unknown:
                raise GraphError(f"{cfg.origin(f'identity.{field_name}.{name}')}: field 'identity.{field_name}.{name}' names buurtcode {unknown[0]}, which is not a buurt of {cfg.gemeente or cfg.gemeentecode}; fix or remove it.")


def provenance(cfg: Config, buurten: gpd.GeoDataFrame, practices: gpd.GeoDataFrame | None, catch: Catchments | None,
               barriers: BarrierEdges, synthetic: list[tuple[str, str]]) -> Provenance:
    """The provenance record of a problem built from ``cfg``."""
    hashes = data_hashes(cfg)
    gemeente = cfg.gemeente or (str(buurten["gemeentenaam"].iloc[0]) if "gemeentenaam" in buurten else None)
    return Provenance(
        gemeente=gemeente,
        gemeentecode=cfg.gemeentecode,
        region=cfg.region,
        tool_version=__version__,
        config_hash=cfg.raw_hash,
        data_hash=combined_hash(hashes),
        data_files=hashes,
        practices_fictional=bool(practices is not None and practices["fictional"].any()),
        catchment_method=catch.method if catch else None,
        catchment_estimated=bool(catch.estimated) if catch else None,
        barrier_edges_removed=sorted([sorted(e) for e in barriers.removed]),
        barrier_edges_penalised=sorted([sorted(e) for e in barriers.penalised]),
        synthetic_edges=sorted([sorted(e) for e in synthetic]),
        attribution=cfg.data.attribution,
    )


def problem_from_parts(cfg: Config, buurten: gpd.GeoDataFrame, graph: nx.Graph, practices: gpd.GeoDataFrame | None,
                       catch: Catchments | None, barriers: BarrierEdges | None = None,
                       synthetic: list[tuple[str, str]] | tuple = ()) -> Problem:
    """Assemble a Problem from loaded parts (also used by tests on sub-graphs).

    ``graph`` is the adjacency of buurtcodes after barriers (edge attribute ``length``); edges in
    ``barriers.penalised`` cost ``barriers.penalty`` times their length in the compactness term.

    Parameters
    ----------
    cfg : Config
        Gives areas, size rule, rules, identity groups, weights and provenance.
    buurten : geopandas.GeoDataFrame
        Buurten in standard form, sorted by buurtcode; their order is the unit order.
    graph : networkx.Graph
        Adjacency of buurtcodes after barriers and island links.
    practices : geopandas.GeoDataFrame or None
        Practices in standard form.
    catch : Catchments or None
        Patients per practice per buurt (must cover every buurt of ``buurten``).
    barriers : BarrierEdges, optional
        What the barriers did (none by default).
    synthetic : sequence of (str, str)
        Island links added by :func:`~wijkindeling.model.graph.connect_islands`, for the provenance.

    Returns
    -------
    Problem
        Units ``0..n-1`` in the order of ``buurten``; edges as sorted unit pairs in increasing order.

    Raises
    ------
    ConfigError
        (or GraphError) When the config's areas, bounds, rules or identity groups do not fit the data.
    """
    barriers = barriers or BarrierEdges()
    codes = list(buurten["buurtcode"])
    pos = {c: i for i, c in enumerate(codes)}
    population = buurten["population"].to_numpy(dtype=np.int64)
    total = int(population.sum())
    k = area_count(cfg, total, len(codes))
    lo, hi = config_bounds(cfg, total, k)
    area_names = list(cfg.areas.names) if cfg.areas.names else default_area_names(k)
    locks, together, apart = _unit_rules(cfg, codes, area_names)
    ugraph = nx.Graph()
    ugraph.add_nodes_from(range(len(codes)))
    edges, lengths, costs = [], [], []
    penalised = {tuple(sorted(e)) for e in barriers.penalised}
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: tuple(sorted((pos[e[0]], pos[e[1]])))):
        i, j = sorted((pos[a], pos[b]))
        factor = cfg.barriers.penalty if tuple(sorted((a, b))) in penalised else 1.0
        edges.append((i, j))
        lengths.append(data["length"])
        costs.append(data["length"] * factor)
        ugraph.add_edge(i, j, length=data["length"], cost=data["length"] * factor, synthetic=data.get("synthetic", False))
    _check_identity(cfg, set(codes))
    groups = identity_groups(buurten, cfg.identity.wijken, cfg.identity.kernen, cfg.identity.groups)
    patients = home = None
    if catch is not None:
        patients = catch.patients.loc[:, codes].to_numpy(dtype=float)
        home = np.array([pos[catch.home[p]] for p in catch.patients.index], dtype=int)
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
        fixed_names=bool(cfg.areas.names),
        kernen={name: np.array([pos[c] for c in members], dtype=int) for name, members in cfg.identity.kernen.items()},
        sizes=size_rule(cfg),
        locks=locks,
        keep_together=together,
        keep_apart=apart,
        patients=patients,
        practice_home=home,
        catchments=catch,
        buurten=buurten,
        practices=practices,
        provenance=provenance(cfg, buurten, practices, catch, barriers, list(synthetic)),
    )


def _data_stamps(cfg: Config) -> tuple[tuple[str, int, int], ...]:
    """(path, modification time, size) of every input data file the config names: a cheap check that none changed."""
    return tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in data_files(cfg).values())


# Problems built in this process, by (config as JSON, data file stamps); the oldest is dropped beyond CACHE_SIZE.
_PROBLEMS: OrderedDict[tuple[str, tuple[tuple[str, int, int], ...]], Problem] = OrderedDict()
CACHE_SIZE = 8


def cached_problem(cfg: Config) -> Problem:
    """:func:`build_problem`, once per process for the same config and unchanged data files (for parallel tasks).

    A worker process that runs many solves of one municipality (a sweep grid, the variants of a handreiking)
    reads its data once. The key is the whole config (as JSON) plus the modification time and size of every
    data file it names, so a long-lived worker notices an edited config or data file. The same Problem object
    is returned to every caller: treat it as read-only (derive others with ``with_k`` or ``dataclasses.replace``).

    Parameters
    ----------
    cfg : Config
        A loaded config.

    Returns
    -------
    Problem
        As :func:`build_problem` returns it.
    """
    key = (cfg.model_dump_json(), _data_stamps(cfg))
    if key not in _PROBLEMS:
        _PROBLEMS[key] = build_problem(cfg)
        while len(_PROBLEMS) > CACHE_SIZE:
            _PROBLEMS.popitem(last=False)
    _PROBLEMS.move_to_end(key)
    return _PROBLEMS[key]
