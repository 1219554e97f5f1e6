"""Practice catchments (praktijkpopulaties): patients of each practice per buurt.

Real counts come from the practices (a CSV with ``practice, buurtcode or pc4, patients``).
Until the user has them, they are *estimated* with a Huff gravity model:

    P(practice p | buurt b) = A_p * d(b, p)^-lambda / sum_q A_q * d(b, q)^-lambda
    patients(p, b)          = inhabitants(b) * P(p | b)

where ``A_p`` is the practice's number of GPs (FTE), else its list size, else 1;
``d`` is the distance in metres from the buurt's representative point to the practice
(straight line, or road distance on OpenStreetMap when ``distances.method`` asks for it),
floored at ``practices.min_distance_m``; ``lambda`` is ``practices.distance_decay`` (2 by
default, the classic gravity exponent). Every output marks estimated shares as "geschat".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .config import Config
from .data import DataError, load_pc4_points, read_table, to_number

HUFF_METHOD_NL = "geschat met een zwaartekrachtmodel (Huff): aandeel per buurt naar aantal huisartsen en afstand tot de praktijk"
HUFF_METHOD_EN = "estimated with a gravity (Huff) model: share per buurt by number of GPs and distance to the practice"


@dataclass
class Catchments:
    """Patients per practice (rows) per buurt (columns), and each practice's home buurt."""

    patients: pd.DataFrame  # index practice_id, columns buurtcode, float patients
    home: dict[str, str]  # practice_id -> buurtcode the practice lies in
    estimated: bool
    method: str
    names: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(self.patients.values.sum())


def home_buurten(practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> dict[str, str]:
    """The buurt each practice lies in (nearest buurt when it falls just outside every polygon)."""
    joined = gpd.sjoin_nearest(practices[["practice_id", "geometry"]], buurten[["buurtcode", "geometry"]], how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return dict(zip(joined["practice_id"], joined["buurtcode"]))


def straight_distances(practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> np.ndarray:
    """Straight-line distances (m), practices x buurten, to each buurt's representative point."""
    pts = buurten.geometry.representative_point()
    return np.array([[p.distance(q) for q in pts] for p in practices.geometry])


def distance_matrix(cfg: Config, practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> np.ndarray:
    """Distances practices x buurten as the config asks (straight line, or OSM network)."""
    if cfg.distances.method == "straight":
        return straight_distances(practices, buurten)
    from . import osm  # lazily: only configs that ask for road distances use OSM

    return osm.network_distances(cfg, practices, buurten)


def huff_shares(population: np.ndarray, distances: np.ndarray, attractiveness: np.ndarray, decay: float, min_distance: float) -> np.ndarray:
    """Estimated patients (practices x buurten) with the Huff model of the module docstring."""
    d = np.maximum(distances, min_distance)
    utility = attractiveness[:, None] * d ** (-decay)
    share = utility / utility.sum(axis=0, keepdims=True)
    return share * population[None, :]


def attractiveness(practices: gpd.GeoDataFrame) -> np.ndarray:
    """Number of GPs where known, else list size, else 1, per practice."""
    gps = practices["n_gps"].to_numpy(dtype=float)
    size = practices["patients"].to_numpy(dtype=float)
    out = np.where(np.isfinite(gps) & (gps > 0), gps, np.where(np.isfinite(size) & (size > 0), size / 2095.0, 1.0))
    return out


def estimate_catchments(cfg: Config, practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, lang: str = "nl") -> Catchments:
    """Huff-model estimate of patients per practice per buurt."""
    dist = distance_matrix(cfg, practices, buurten)
    pats = huff_shares(buurten["population"].to_numpy(float), dist, attractiveness(practices), cfg.practices.distance_decay, cfg.practices.min_distance_m)
    frame = pd.DataFrame(pats, index=practices["practice_id"].values, columns=buurten["buurtcode"].values)
    method = HUFF_METHOD_NL if lang == "nl" else HUFF_METHOD_EN
    if cfg.distances.method != "straight":
        method += f" ({'wegafstand' if lang == 'nl' else 'road distance'} OSM, {cfg.distances.method})"
    return Catchments(frame, home_buurten(practices, buurten), True, method, dict(zip(practices["practice_id"], practices["name"])))


def _pc4_to_buurten(buurten: gpd.GeoDataFrame, pc4_points: pd.DataFrame) -> dict[str, list[str]]:
    """Approximate PC4 areas: each buurt goes to the PC4 whose point is nearest its representative point."""
    pts = buurten.geometry.representative_point()
    xy = pc4_points[["x_rd", "y_rd"]].to_numpy(float)
    out: dict[str, list[str]] = {}
    for code, p in zip(buurten["buurtcode"], pts):
        nearest = pc4_points.index[int(np.argmin((xy[:, 0] - p.x) ** 2 + (xy[:, 1] - p.y) ** 2))]
        out.setdefault(str(nearest), []).append(code)
    return out


def read_patient_counts(cfg: Config, practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> Catchments:
    """Real patient counts from ``practices.patients`` (per buurtcode, or per pc4 spread by population)."""
    path = Path(cfg.practices.patients)
    df = read_table(path)
    if "practice" not in df.columns or "patients" not in df.columns or not ({"buurtcode", "pc4"} & set(df.columns)):
        raise DataError(f"{path}: needs columns practice, patients and buurtcode or pc4; rename the columns.")
    by_id = dict(zip(practices["practice_id"], practices["practice_id"]))
    by_id.update(dict(zip(practices["name"], practices["practice_id"])))
    frame = pd.DataFrame(0.0, index=practices["practice_id"].values, columns=buurten["buurtcode"].values)
    counts = to_number(df["patients"], path, "patients").fillna(0.0)
    if (counts < 0).any():
        raise DataError(f"{path}: column 'patients' is negative ({df['patients'][counts < 0].iloc[0]}) for practice {df['practice'][counts < 0].iloc[0]}; patient counts must be 0 or more.")
    pop = dict(zip(buurten["buurtcode"], buurten["population"]))
    pc4_map = None
    for (_, row), n in zip(df.iterrows(), counts):
        pid = by_id.get(str(row["practice"]).strip())
        if pid is None:
            raise DataError(f"{path}: practice '{row['practice']}' is not in the practice list; use its practice_id or name.")
        code = str(row.get("buurtcode", "")).strip()
        if code:
            if code not in frame.columns:
                continue  # patients living outside the municipality do not enter the plan
            frame.loc[pid, code] += n
            continue
        if pc4_map is None:
            points = load_pc4_points(cfg.data.pc4_centroids, cfg.origin("data.pc4_centroids"))
            if points.empty:
                raise DataError(f"{path}: gives patients per pc4 but no PC4 points are configured; set data.pc4_centroids or give buurtcodes instead.")
            pc4_map = _pc4_to_buurten(buurten, points)
        members = pc4_map.get(str(row["pc4"]).strip()[:4], [])
        weight = np.array([pop[m] for m in members], float)
        if len(members) and weight.sum() > 0:
            frame.loc[pid, members] += n * weight / weight.sum()
    if frame.values.sum() <= 0:
        raise DataError(f"{path}: none of its buurtcodes or pc4 codes match a buurt of {cfg.gemeente or cfg.gemeentecode}; check the codes.")
    method = "opgegeven door de praktijken" if cfg.output.lang == "nl" else "given by the practices"
    return Catchments(frame, home_buurten(practices, buurten), False, method, dict(zip(practices["practice_id"], practices["name"])))


def build_catchments(cfg: Config, practices: gpd.GeoDataFrame | None, buurten: gpd.GeoDataFrame) -> Catchments | None:
    """Catchments from real counts when configured, else estimated; None without practices."""
    if practices is None or practices.empty:
        return None
    if cfg.practices.patients is not None:
        return read_patient_counts(cfg, practices, buurten)
    return estimate_catchments(cfg, practices, buurten, cfg.output.lang)
