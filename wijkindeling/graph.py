"""Adjacency of building blocks, islands, barriers and identity groups.

Two buurten are neighbours when their polygons share a boundary of at least
``MIN_SHARED_M`` metres; touching in a point does not count. Each edge carries the
shared boundary length in metres (``length``). Buurten or groups of buurten that touch
nothing else (islands, enclaves cut off by water) are connected to their nearest
neighbour (edge attribute ``synthetic=True``) or reported as an error, as the config says.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx

from .config import Config, ConfigError

MIN_SHARED_M = 1.0


class GraphError(ConfigError):
    """A user-facing problem with the adjacency of the building blocks."""


def adjacency_graph(buurten: gpd.GeoDataFrame) -> nx.Graph:
    """Graph of buurtcodes; edge attribute ``length`` = shared boundary in metres."""
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

    Returns the synthetic edges added.
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
        best = min(((frozenset((a, b)) in avoid, geom[a].distance(geom[b]), a, b) for a in small for b in others))[1:]
        graph.add_edge(best[1], best[2], length=0.0, synthetic=True)
        added.append((best[1], best[2]))
    return added


def remove_pairs(graph: nx.Graph, pairs: list[list[str]]) -> list[tuple[str, str]]:
    """Remove the adjacency between each given buurt pair (a barrier); returns the edges removed."""
    removed = []
    for a, b in pairs:
        if graph.has_edge(a, b):
            graph.remove_edge(a, b)
            removed.append((a, b))
    return removed


@dataclass(frozen=True)
class IdentityGroup:
    """A set of buurten that belong together (a CBS wijk, a kern or a hand-made group)."""

    key: str
    kind: str  # "wijk", "kern" or "groep"
    name: str
    members: tuple[str, ...]


def identity_groups(buurten: gpd.GeoDataFrame, cfg: Config) -> list[IdentityGroup]:
    """Identity groups of the config: CBS wijken (if on), kernen and hand-made groups."""
    known = set(buurten["buurtcode"])
    groups: list[IdentityGroup] = []
    if cfg.identity.wijken and buurten["wijkcode"].str.len().gt(0).all():
        for code, part in buurten.groupby("wijkcode", sort=True):
            if len(part) > 1:
                groups.append(IdentityGroup(f"wijk:{code}", "wijk", str(part["wijknaam"].iloc[0]), tuple(sorted(part["buurtcode"]))))
    for kind, field in (("kern", "kernen"), ("groep", "groups")):
        for name, members in getattr(cfg.identity, field).items():
            unknown = [m for m in members if m not in known]
            if unknown:
                raise GraphError(f"{cfg.origin(f'identity.{field}.{name}')}: field 'identity.{field}.{name}' names buurtcode {unknown[0]}, which is not a buurt of {cfg.gemeente or cfg.gemeentecode}; fix or remove it.")
            if len(set(members)) > 1:
                groups.append(IdentityGroup(f"{kind}:{name}", kind, name, tuple(sorted(set(members)))))
    return groups
