"""Identity groups: sets of buurten that belong together (a CBS wijk, a kern, a hand-made group).

The identity term of the objective counts how many extra pieces a plan cuts these groups into.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd


@dataclass(frozen=True)
class IdentityGroup:
    """A set of buurten that belong together (a CBS wijk, a kern or a hand-made group)."""

    key: str
    kind: str  # "wijk", "kern" or "groep"
    name: str
    members: tuple[str, ...]


def identity_groups(buurten: gpd.GeoDataFrame, wijken: bool, kernen: dict[str, list[str]],
                    groups: dict[str, list[str]]) -> list[IdentityGroup]:
    """The identity groups of a municipality.

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in standard form (``buurtcode``, ``wijkcode``, ``wijknaam``).
    wijken : bool
        Whether every CBS wijk of more than one buurt is a group (only when every buurt has a wijkcode).
    kernen, groups : dict
        Name -> buurtcodes; every code must be a buurt of ``buurten`` (checked by the caller).

    Returns
    -------
    list of IdentityGroup
        Wijken by wijkcode, then kernen, then groups; groups of one buurt are left out.
    """
    out: list[IdentityGroup] = []
    if wijken and buurten["wijkcode"].str.len().gt(0).all():
        for code, part in buurten.groupby("wijkcode", sort=True):
            if len(part) > 1:
                out.append(IdentityGroup(f"wijk:{code}", "wijk", str(part["wijknaam"].iloc[0]), tuple(sorted(part["buurtcode"]))))
    for kind, named in (("kern", kernen), ("groep", groups)):
        for name, members in named.items():
            if len(set(members)) > 1:
                out.append(IdentityGroup(f"{kind}:{name}", kind, name, tuple(sorted(set(members)))))
    return out
