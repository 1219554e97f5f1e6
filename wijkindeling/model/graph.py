"""Adjacency of building blocks and islands.

Two buurten are neighbours when their polygons share a boundary of at least
``MIN_SHARED_M`` metres; touching in a point does not count. Each edge carries the
shared boundary length in metres (``length``). Buurten or groups of buurten that touch
nothing else (islands, enclaves cut off by water) are connected to their nearest
neighbour (edge attribute ``synthetic=True``) or reported as an error, as the config says.

Adjacency that matches how people move (config ``data.adjacency``) adds edges on top:
:func:`gap_edges` (polygons within a distance), :func:`pass_through_edges` (buurten facing
each other across a road, water or business-park buurt) and :func:`road_edges` (an OSM road
segment from one buurt directly into another). Added edges carry ``added=<reason>``.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from ..errors import GraphError

MIN_SHARED_M = 1.0


def adjacency_graph(buurten: gpd.GeoDataFrame) -> nx.Graph:
    """Graph of buurtcodes; edge attribute ``length`` = shared boundary in metres.

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in standard form (``buurtcode``, ``buurtnaam``, ``population``, polygons in RD New).

    Returns
    -------
    networkx.Graph
        One node per buurtcode (attributes ``population``, ``name``); an edge where two buurten
        share at least ``MIN_SHARED_M`` metres of boundary (attributes ``length`` in metres and
        ``synthetic=False``). Islands are not linked yet (:func:`connect_islands`).
    """
    graph = nx.Graph()
    for row in buurten.itertuples():
        graph.add_node(row.buurtcode, population=int(row.population), name=row.buurtnaam)
    geoms = buurten.geometry.values
    codes = buurten["buurtcode"].values
    left, right = buurten.sindex.query(geoms, predicate="intersects")
    for i, j in zip(left, right):
        if i >= j:
            continue
        shared = geoms[i].boundary.intersection(geoms[j].boundary).length
        if shared >= MIN_SHARED_M:
            graph.add_edge(codes[i], codes[j], length=float(shared), synthetic=False)
    return graph


def connect_islands(graph: nx.Graph, buurten: gpd.GeoDataFrame, mode: str, where: str = "config",
                    avoid: frozenset[frozenset[str]] = frozenset()) -> list[tuple[str, str]]:
    """Link every component to its nearest other component (mode 'connect_nearest') or raise (mode 'error').

    Changes ``graph`` in place. While it has more than one component, the smallest (fewest
    buurten, then lowest buurtcode) is linked to the nearest buurt outside it by an edge with
    ``length=0.0`` and ``synthetic=True`` (so it costs nothing in the compactness term).

    Parameters
    ----------
    graph : networkx.Graph
        Adjacency graph of buurtcodes (node attribute ``name``), as from :func:`adjacency_graph`.
    buurten : geopandas.GeoDataFrame
        Buurten in standard form; the distance between polygons decides the nearest buurt.
    mode : str
        ``"connect_nearest"`` or ``"error"`` (config ``data.islands``).
    where : str
        The config file named in the error message.
    avoid : frozenset of frozenset
        Buurtcode pairs (edges a barrier removed) used only when no other pair can link the part.

    Returns
    -------
    list of (str, str)
        The synthetic edges added, in the order they were added (empty when already connected).

    Raises
    ------
    GraphError
        In mode ``"error"`` when the graph has more than one component.
    """
    added: list[tuple[str, str]] = []
    geom = dict(zip(buurten["buurtcode"], buurten.geometry))
    while nx.number_connected_components(graph) > 1:
        comps = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (len(c), c[0]))
        small = comps[0]
        if mode == "error":
            names = ", ".join(graph.nodes[c]["name"] for c in small[:5])
            raise GraphError(f"{where}: field 'data.islands' is 'error' and {names} touch no other buurt; set data.islands: connect_nearest or add a keep_together rule.")
        others = [c for c in graph.nodes if c not in set(small)]
        # Pairs in ``avoid`` (edges a barrier removed) are used only when nothing else can link the part.
        best = min((frozenset((a, b)) in avoid, geom[a].distance(geom[b]), a, b) for a in small for b in others)[1:]
        graph.add_edge(best[1], best[2], length=0.0, synthetic=True)
        added.append((best[1], best[2]))
    return added


# ---------------------------------------------------------------- adjacency that matches how people move

ADDED_EDGE_LENGTH_M = 1.0  # nominal shared boundary of an added edge (as short as a real one may be; see add_edges)
ACROSS_SHARE = 0.5  # share of the shortest line between two buurten that must lie in the pass-through buurt
ROAD_MIN_M = 1.0  # a road that runs longer than this through a third buurt joins nothing directly


def _added(a: str, b: str, reason: str, distance: float, via: str | None = None) -> dict:
    """One added edge as a record: sorted ``buurten`` pair, ``reason``, ``distance_m`` and ``via``."""
    first, second = sorted((a, b))
    return {"buurten": [first, second], "reason": reason, "distance_m": round(float(distance), 1), "via": via}


def gap_edges(buurten: gpd.GeoDataFrame, graph: nx.Graph, max_gap_m: float,
              skip: frozenset[frozenset[str]] = frozenset()) -> list[dict]:
    """Pairs of buurten whose polygons lie within ``max_gap_m`` metres but are no neighbours in ``graph`` yet.

    Covers buurten that touch only in a point and buurten separated by a thin strip that belongs
    to no buurt of the municipality (a generalised boundary, a river outside the data).

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in standard form (``buurtcode``, polygons in RD New, metres).
    graph : networkx.Graph
        Adjacency of buurtcodes; pairs that are already edges are not returned. Not changed.
    max_gap_m : float
        Largest distance in metres between the two polygons; 0 or less returns nothing.
    skip : frozenset of frozenset
        Buurtcode pairs never to return (edges a barrier removed).

    Returns
    -------
    list of dict
        One record per pair, sorted by pair: ``buurten`` (two sorted buurtcodes), ``reason``
        ``"gap"``, ``distance_m`` (rounded to 0.1 m) and ``via`` None.
    """
    if max_gap_m <= 0:
        return []
    geoms = buurten.geometry.values
    codes = buurten["buurtcode"].values
    left, right = buurten.sindex.query(geoms, predicate="dwithin", distance=max_gap_m)
    out = []
    for i, j in zip(left, right):
        a, b = str(codes[i]), str(codes[j])
        if i >= j or graph.has_edge(a, b) or frozenset((a, b)) in skip:
            continue
        out.append(_added(a, b, "gap", geoms[i].distance(geoms[j])))
    return sorted(out, key=lambda e: e["buurten"])


def _runs_across(first: BaseGeometry, second: BaseGeometry, middle: BaseGeometry) -> bool:
    """Whether the shortest line from ``first`` to ``second`` runs mostly (``ACROSS_SHARE``) through ``middle``."""
    line = LineString(nearest_points(first, second))
    if line.length == 0:  # they touch in a point, on the pass-through buurt's edge
        return True
    return line.intersection(middle.buffer(1.0)).length >= ACROSS_SHARE * line.length


def pass_through_edges(buurten: gpd.GeoDataFrame, graph: nx.Graph, pass_through: list[str], distance_m: float,
                       skip: frozenset[frozenset[str]] = frozenset()) -> list[dict]:
    """Neighbours of a pass-through buurt that face each other across it, within ``distance_m`` metres.

    A pass-through buurt (a road, canal, railway or business park) does not separate the buurten on
    either side of it. Two neighbours ``a`` and ``b`` of pass-through buurt ``p`` (in ``graph``)
    become neighbours of each other when their polygons are at most ``distance_m`` apart and the
    shortest line between them runs at least half through ``p`` (so across it, not around another
    buurt). The pass-through buurt keeps its own edges and still belongs to an area.

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in standard form (``buurtcode``, polygons in RD New, metres).
    graph : networkx.Graph
        Adjacency of buurtcodes; gives each pass-through buurt's neighbours. Not changed.
    pass_through : list of str
        Buurtcodes of the pass-through buurten (all in ``buurten``).
    distance_m : float
        Largest distance across, in metres, between the two polygons.
    skip : frozenset of frozenset
        Buurtcode pairs never to return (edges a barrier removed).

    Returns
    -------
    list of dict
        One record per new pair, sorted by pair: ``buurten``, ``reason`` ``"pass_through"``,
        ``distance_m`` and ``via`` (the pass-through buurtcode; the lowest when several qualify).
    """
    geom = dict(zip(buurten["buurtcode"], buurten.geometry))
    found: dict[tuple[str, str], dict] = {}
    for p in sorted(set(pass_through)):
        near = sorted(graph.neighbors(p)) if p in graph else []
        for x, a in enumerate(near):
            for b in near[x + 1:]:
                if graph.has_edge(a, b) or (a, b) in found or frozenset((a, b)) in skip:
                    continue
                gap = geom[a].distance(geom[b])
                if gap <= distance_m and _runs_across(geom[a], geom[b], geom[p]):
                    found[(a, b)] = _added(a, b, "pass_through", gap, via=p)
    return [found[k] for k in sorted(found)]


def road_lines(network: nx.Graph) -> list[LineString]:
    """The edges of a projected road network as lines, each undirected edge once.

    Parameters
    ----------
    network : networkx.Graph
        An osmnx graph projected to RD New: nodes with ``x``, ``y``; edges with an optional ``geometry``.

    Returns
    -------
    list of shapely LineString
    """
    seen, lines = set(), []
    for u, v, data in network.edges(data=True):
        geom = data.get("geometry")
        if geom is None:
            geom = LineString([(network.nodes[u]["x"], network.nodes[u]["y"]), (network.nodes[v]["x"], network.nodes[v]["y"])])
        key = (min(u, v), max(u, v), geom.length)
        if key not in seen:
            seen.add(key)
            lines.append(geom)
    return lines


def road_edges(buurten: gpd.GeoDataFrame, graph: nx.Graph, lines: list[LineString], pass_through: Sequence[str] = (),
               skip: frozenset[frozenset[str]] = frozenset()) -> list[dict]:
    """Pairs of buurten that a road segment joins directly: its two ends lie in them, and on the way it
    passes through no third buurt (except pass-through buurten) for more than ``ROAD_MIN_M`` metres.

    A road from one buurt straight into another that does not touch it (a bridge over water that
    belongs to no buurt, a road over a point contact) makes them neighbours; a road that runs through
    a third buurt on the way does not (that buurt is the connection).

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in standard form (polygons in RD New, metres).
    graph : networkx.Graph
        Adjacency of buurtcodes; pairs that are already edges are not returned. Not changed.
    lines : list of shapely LineString
        Road segments in RD New (:func:`road_lines` of an OSM network).
    pass_through : sequence of str
        Buurtcodes a road may pass through on the way (``data.adjacency.pass_through``).
    skip : frozenset of frozenset
        Buurtcode pairs never to return (edges a barrier removed).

    Returns
    -------
    list of dict
        One record per pair, sorted by pair: ``buurten``, ``reason`` ``"road"``, ``distance_m``
        (between the polygons) and ``via`` None.
    """
    if not lines:
        return []
    roads = gpd.GeoDataFrame(geometry=lines, crs=buurten.crs)
    codes = buurten["buurtcode"].to_numpy()
    geoms = buurten.geometry.values
    free = set(pass_through)
    found: dict[tuple[str, str], dict] = {}
    road_idx, buurt_idx = buurten.sindex.query(roads.geometry.values, predicate="intersects")
    crossed: dict[int, list[int]] = {}
    for r, b in zip(road_idx, buurt_idx):
        crossed.setdefault(int(r), []).append(int(b))
    for r, hits in crossed.items():
        line = lines[r]
        ends = [_containing(geoms, hits, Point(line.coords[k])) for k in (0, -1)]
        if ends[0] is None or ends[1] is None or ends[0] == ends[1]:
            continue
        a, b = sorted((str(codes[ends[0]]), str(codes[ends[1]])))
        if graph.has_edge(a, b) or (a, b) in found or frozenset((a, b)) in skip:
            continue
        others = [h for h in hits if h not in ends and str(codes[h]) not in free]
        if any(line.intersection(geoms[h]).length > ROAD_MIN_M for h in others):
            continue
        found[(a, b)] = _added(a, b, "road", geoms[ends[0]].distance(geoms[ends[1]]))
    return [found[k] for k in sorted(found)]


def _containing(geoms: np.ndarray, candidates: list[int], point: Point) -> int | None:
    """The first of ``candidates`` whose polygon contains ``point`` (None when none does)."""
    return next((c for c in candidates if geoms[c].covers(point)), None)


def add_edges(graph: nx.Graph, added: list[dict]) -> None:
    """Add the edges of :func:`gap_edges`, :func:`pass_through_edges` or :func:`road_edges` to ``graph`` (in place).

    Each gets ``length=ADDED_EDGE_LENGTH_M`` (a nominal 1 m of boundary: cutting it costs next to
    nothing in the compactness term, and the boundary totals of plans stay as they were),
    ``synthetic=False`` and ``added=<reason>`` so maps and tests can tell them apart.
    """
    for edge in added:
        a, b = edge["buurten"]
        graph.add_edge(a, b, length=ADDED_EDGE_LENGTH_M, synthetic=False, added=edge["reason"])
