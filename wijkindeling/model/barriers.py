"""Barriers between buurten (a motorway, railway, canal, or a pair the adviser names): which edges they cut.

Config-free: the inputs are the adjacency graph, the buurt polygons and barrier lines (from
:mod:`wijkindeling.sources`); the result says which edges are removed and which are penalised,
and the graph passed in is never changed.

Rule for lines: an adjacency edge between two buurten is a barrier edge when at least ``share``
of their shared boundary runs *along* a barrier line, i.e. lies within ``tolerance`` metres of it
and runs in the same direction (within ``MAX_ANGLE_DEG``); a line that merely crosses the
boundary does not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

MAX_ANGLE_DEG = 35.0  # a boundary piece runs along a barrier when their directions differ at most this much
SEGMENT_M = 10.0  # boundaries are checked in pieces of at most this length
LINE_COLUMNS = ["kind", "name", "osm_id", "source", "geometry"]
PAIR_SOURCE = "barriers.pairs"  # the ``source`` of the map lines drawn for buurt pairs

Edge = tuple[str, str]  # an adjacency edge as a pair of buurtcodes


def _edge(a: str, b: str) -> Edge:
    """The pair ``(a, b)`` sorted, as ``tuple(sorted((a, b)))`` but typed as an :data:`Edge`."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class BarrierEdges:
    """What the barriers do to the adjacency graph.

    Attributes
    ----------
    removed : list of (str, str)
        Edges (buurtcode pairs, sorted within a pair) that no longer count as neighbours.
    penalised : set of (str, str)
        Edges that stay but whose boundary weighs ``barriers.penalty`` times as much in the
        compactness term.
    """

    removed: list[Edge] = field(default_factory=list)
    penalised: frozenset[Edge] = frozenset()


def shared_boundary(a: BaseGeometry, b: BaseGeometry) -> BaseGeometry | None:
    """The line two polygons share, or None when they only touch in points.

    Parameters
    ----------
    a, b : shapely geometry
        Two (multi)polygons in the same projected CRS.

    Returns
    -------
    shapely geometry or None
        The common part of their boundaries as a (Multi)LineString, pieces merged where they
        meet; None when that has no length (they touch in points or not at all).
    """
    shared = a.boundary.intersection(b.boundary)
    lines = [g for g in getattr(shared, "geoms", [shared]) if g.geom_type in ("LineString", "MultiLineString")]
    if not lines:
        return None
    merged = linemerge(shapely.union_all(lines)) if len(lines) > 1 else lines[0]
    return merged if merged.length > 0 else None


def _segments(lines: Any) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points (n, 2) of every straight segment of ``lines``."""
    starts, ends = [], []
    for line in shapely.get_parts(lines):
        for part in shapely.get_parts(line):
            xy = np.asarray(part.coords)[:, :2]
            if len(xy) >= 2:
                starts.append(xy[:-1])
                ends.append(xy[1:])
    if not starts:
        return np.zeros((0, 2)), np.zeros((0, 2))
    return np.vstack(starts), np.vstack(ends)


def along_share(boundary: BaseGeometry, tree: shapely.STRtree, directions: np.ndarray, tolerance: float) -> float:
    """Share of ``boundary``'s length lying within ``tolerance`` of a barrier segment running the same way.

    Parameters
    ----------
    boundary : shapely geometry
        A shared boundary (lines), checked in pieces of at most ``SEGMENT_M`` metres.
    tree : shapely.STRtree
        The barrier lines as straight two-point segments.
    directions : numpy.ndarray
        Unit direction vector (n, 2) of every segment in ``tree``, in the tree's order.
    tolerance : float
        Metres a boundary piece's midpoint may lie from its nearest barrier segment.

    Returns
    -------
    float
        0..1: the length of the pieces whose midpoint lies within ``tolerance`` of the nearest
        barrier segment and whose direction differs at most ``MAX_ANGLE_DEG`` from that segment's
        (either way round), divided by the boundary's length; 0.0 when it has no segments.
    """
    start, end = _segments(shapely.segmentize(boundary, SEGMENT_M))
    if not len(start):
        return 0.0
    vec = end - start
    length = np.hypot(vec[:, 0], vec[:, 1])
    ok = length > 0
    start, end, vec, length = start[ok], end[ok], vec[ok], length[ok]
    mids = shapely.points((start + end) / 2)
    (src, hit), _ = tree.query_nearest(mids, max_distance=tolerance, return_distance=True)
    along = np.zeros(len(mids), dtype=bool)
    cos = np.abs((vec[src] / length[src, None] * directions[hit]).sum(axis=1))
    along[src[cos >= math.cos(math.radians(MAX_ANGLE_DEG))]] = True
    return float(length[along].sum() / length.sum())


def barrier_edges(buurten: gpd.GeoDataFrame, graph: nx.Graph, lines: gpd.GeoDataFrame, share: float, tolerance: float) -> list[Edge]:
    """Adjacency edges whose shared boundary runs mostly (>= share) along the barrier lines.

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in standard form (``buurtcode``, polygons in RD New).
    graph : networkx.Graph
        Adjacency graph of buurtcodes; edges with ``synthetic=True`` are skipped.
    lines : geopandas.GeoDataFrame
        Barrier lines in the same CRS (polygons count by their boundary).
    share : float
        Fraction 0..1 of the shared boundary that must run along a barrier (``barriers.share``).
    tolerance : float
        Metres the boundary may lie from a barrier line (``barriers.tolerance_m``).

    Returns
    -------
    list of (str, str)
        The barrier edges as sorted buurtcode pairs, in sorted edge order (empty without line segments).
    """
    start, end = _segments(lines.geometry.values)
    if not len(start):
        return []
    vec = end - start
    norm = np.hypot(vec[:, 0], vec[:, 1])
    keep = norm > 0
    start, end, vec, norm = start[keep], end[keep], vec[keep], norm[keep]
    tree = shapely.STRtree(shapely.linestrings(np.stack([start, end], axis=1)))
    directions = vec / norm[:, None]
    geom = dict(zip(buurten["buurtcode"], buurten.geometry))
    zone = shapely.union_all(lines.geometry.values).buffer(tolerance)
    found: list[Edge] = []
    for a, b, data in sorted(graph.edges(data=True)):
        if data.get("synthetic"):
            continue
        shared = shared_boundary(geom[a], geom[b])
        if shared is None or not shared.intersects(zone):
            continue
        if along_share(shared, tree, directions, tolerance) >= share:
            found.append(_edge(a, b))
    return found


def pair_lines(pairs: list[list[str]], buurten: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame | None:
    """The shared boundary of every buurt pair in ``pairs`` as lines for the map (None without pairs).

    Parameters
    ----------
    pairs : list of [str, str]
        Buurtcode pairs (``barriers.pairs``); pairs with an unknown code or without a shared
        boundary line are left out.
    buurten : geopandas.GeoDataFrame
        Buurten in standard form.
    crs : str or pyproj.CRS
        The CRS of the result (that of ``buurten``).

    Returns
    -------
    geopandas.GeoDataFrame or None
        Columns ``kind`` ("buurtpaar"), ``name`` ("code | code"), ``osm_id`` (""), ``source``
        (``PAIR_SOURCE``) and ``geometry``; None when ``pairs`` is empty.
    """
    if not pairs:
        return None
    geom = dict(zip(buurten["buurtcode"], buurten.geometry))
    rows = []
    for a, b in pairs:
        if a in geom and b in geom:
            shared = shared_boundary(geom[a], geom[b])
            if shared is not None:
                rows.append({"kind": "buurtpaar", "name": f"{a} | {b}", "osm_id": "", "source": PAIR_SOURCE, "geometry": shared})
    return gpd.GeoDataFrame(rows, columns=LINE_COLUMNS, geometry="geometry", crs=crs)


def barrier_result(graph: nx.Graph, mode: str, pairs: list[list[str]], line_edges: list[Edge]) -> BarrierEdges:
    """The edges removed or penalised by buurt ``pairs`` and by the edges along barrier lines.

    Parameters
    ----------
    graph : networkx.Graph
        The adjacency graph of buurtcodes (not changed).
    mode : str
        ``"remove"`` (barriers cut edges) or ``"penalise"`` (edges stay with a higher cost).
    pairs : list of [str, str]
        Buurt pairs the config names as separated (``barriers.pairs``).
    line_edges : list of (str, str)
        Edges found along barrier lines by :func:`barrier_edges`.

    Returns
    -------
    BarrierEdges
        Removed edges in the order pairs first, then lines (as the provenance lists them); in
        ``penalise`` mode nothing is removed.
    """
    present: list[Edge] = [(p[0], p[1]) for p in pairs if graph.has_edge(*p)]
    if mode == "penalise":
        return BarrierEdges([], frozenset({_edge(*p) for p in present} | set(line_edges)))
    removed: list[Edge] = [(a, b) for a, b in present]
    removed += [e for e in line_edges if graph.has_edge(*e) and e not in {tuple(sorted(p)) for p in removed}]
    return BarrierEdges(removed, frozenset())


def without_edges(graph: nx.Graph, edges: list[Edge]) -> nx.Graph:
    """A copy of ``graph`` without ``edges`` (edges it does not have are ignored); ``graph`` is not changed."""
    out = graph.copy()
    out.remove_edges_from(edges)
    return out
