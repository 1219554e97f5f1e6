"""Adjacency of building blocks and islands.

Two buurten are neighbours when their polygons share a boundary of at least
``MIN_SHARED_M`` metres; touching in a point does not count. Each edge carries the
shared boundary length in metres (``length``). Buurten or groups of buurten that touch
nothing else (islands, enclaves cut off by water) are connected to their nearest
neighbour (edge attribute ``synthetic=True``) or reported as an error, as the config says.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx

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
