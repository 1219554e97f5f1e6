"""The notes of a duidingssessie (what the participants said per area and per buurt), next to a saved plan.

Two outputs in the scenario folder:

* ``notes.json``: ``{"scenario", "gemeente", "areas": [{"area", "note"}], "buurten": [{"buurtcode",
  "buurtnaam", "area", "note"}]}``; ``areas`` lists every area in area order with ``note`` null when it
  has none, ``buurten`` only the buurten with a note, in buurtcode order. Read it back with :func:`read_notes`.
* layer ``notities`` in ``plan.gpkg`` (only when there is at least one note): one polygon row per note,
  ``kind`` (``gebied`` or ``buurt``), ``area``, ``buurtcode`` (empty for an area note), ``buurtnaam`` and ``note``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ..model.problem import Problem
from .layers import buurten_of

NOTES_FILE = "notes.json"
NOTES_LAYER = "notities"


def notes_record(problem: Problem, labels: np.ndarray, area_notes: dict[str, str], buurt_notes: dict[str, str],
                 scenario: str) -> dict[str, Any]:
    """The content of notes.json.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides (its ``area_names`` name the areas).
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    area_notes : dict
        Area name -> note.
    buurt_notes : dict
        Buurtcode -> note.
    scenario : str
        The scenario name.

    Returns
    -------
    dict
        See the module docstring.
    """
    index = {c: i for i, c in enumerate(problem.codes)}
    buurten = [{"buurtcode": code, "buurtnaam": problem.names[index[code]], "area": problem.area_names[int(labels[index[code]])],
                "note": buurt_notes[code]} for code in sorted(buurt_notes) if code in index and buurt_notes[code]]
    return {"scenario": scenario, "gemeente": problem.provenance.gemeente,
            "areas": [{"area": name, "note": area_notes.get(name) or None} for name in problem.area_names],
            "buurten": buurten}


def _multi(geom: BaseGeometry) -> BaseGeometry:
    return MultiPolygon([geom]) if isinstance(geom, Polygon) else geom


def notes_layer(problem: Problem, labels: np.ndarray, record: dict[str, Any]) -> gpd.GeoDataFrame | None:
    """Layer ``notities``: one row per note with the geometry of its area or buurt; None without notes."""
    buurten = buurten_of(problem)
    rows: list[dict[str, Any]] = []
    for k, item in enumerate(record["areas"]):
        if item["note"]:
            rows.append({"kind": "gebied", "area": item["area"], "buurtcode": "", "buurtnaam": "", "note": item["note"],
                         "geometry": _multi(buurten.geometry[labels == k].union_all())})
    codes = list(buurten["buurtcode"])
    for item in record["buurten"]:
        geom = buurten.geometry.iloc[codes.index(item["buurtcode"])]
        rows.append({"kind": "buurt", "area": item["area"], "buurtcode": item["buurtcode"], "buurtnaam": item["buurtnaam"],
                     "note": item["note"], "geometry": _multi(geom)})
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=buurten.crs)


def write_notes(problem: Problem, labels: np.ndarray, folder: Path, area_notes: dict[str, str], buurt_notes: dict[str, str],
                scenario: str) -> dict[str, Any]:
    """Write notes.json into a scenario folder and, when there are notes, layer ``notities`` into its plan.gpkg.

    Parameters
    ----------
    problem : Problem
        The problem the saved plan divides.
    labels : numpy.ndarray
        Area index per buurt, in the order of ``problem.codes``.
    folder : pathlib.Path
        The scenario folder (with plan.gpkg when the layer is to be added).
    area_notes : dict
        Area name -> note.
    buurt_notes : dict
        Buurtcode -> note.
    scenario : str
        The scenario name.

    Returns
    -------
    dict
        The notes.json record.
    """
    record = notes_record(problem, labels, area_notes, buurt_notes, scenario)
    Path(folder, NOTES_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    layer = notes_layer(problem, labels, record)
    gpkg = Path(folder, "plan.gpkg")
    if layer is not None and gpkg.exists():
        layer.to_file(gpkg, layer=NOTES_LAYER, driver="GPKG")
    return record


def read_notes(folder: Path) -> dict[str, Any] | None:
    """notes.json of a scenario folder, or None when the folder has none (no session notes were saved)."""
    path = Path(folder, NOTES_FILE)
    if not path.exists():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))
