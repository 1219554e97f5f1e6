"""Real patient counts per practice (``practices.patients``): a CSV with ``practice, buurtcode or pc4, patients``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..config import Config
from ..errors import DataError
from .practices import load_pc4_points
from .tables import read_table, to_number


def pc4_to_buurten(buurten: gpd.GeoDataFrame, pc4_points: pd.DataFrame) -> dict[str, list[str]]:
    """Approximate PC4 areas: each buurt goes to the PC4 whose point is nearest its representative point.

    Parameters
    ----------
    buurten : geopandas.GeoDataFrame
        Buurten in standard form (RD New).
    pc4_points : pandas.DataFrame
        PC4 points indexed by pc4 with columns ``x_rd``, ``y_rd`` (:func:`~wijkindeling.sources.practices.load_pc4_points`).

    Returns
    -------
    dict
        pc4 -> buurtcodes assigned to it; PC4s that get no buurt are absent.
    """
    pts = buurten.geometry.representative_point()
    xy = pc4_points[["x_rd", "y_rd"]].to_numpy(float)
    out: dict[str, list[str]] = {}
    for code, p in zip(buurten["buurtcode"], pts):
        nearest = pc4_points.index[int(np.argmin((xy[:, 0] - p.x) ** 2 + (xy[:, 1] - p.y) ** 2))]
        out.setdefault(str(nearest), []).append(code)
    return out


def read_patient_counts(cfg: Config, practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> pd.DataFrame:
    """Real patient counts from ``practices.patients``: per buurtcode, or per pc4 spread over its buurten by population.

    Parameters
    ----------
    cfg : Config
        A config whose ``practices.patients`` names a CSV with columns ``practice`` (practice_id or
        name), ``patients`` and ``buurtcode`` or ``pc4``.
    practices, buurten : geopandas.GeoDataFrame
        In standard form.

    Returns
    -------
    pandas.DataFrame
        Patients (float) per practice (rows, ``practice_id``) per buurt (columns, ``buurtcode``);
        patients living outside the municipality are left out.

    Raises
    ------
    DataError
        For every problem in the file, one sentence.
    ValueError
        When ``practices.patients`` is not set (the caller checks that first).
    """
    if cfg.practices.patients is None:
        raise ValueError("read_patient_counts needs practices.patients")
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
            pc4_map = pc4_to_buurten(buurten, points)
        members = pc4_map.get(str(row["pc4"]).strip()[:4], [])
        weight = np.array([pop[m] for m in members], float)
        if len(members) and weight.sum() > 0:
            frame.loc[pid, members] += n * weight / weight.sum()
    if frame.values.sum() <= 0:
        raise DataError(f"{path}: none of its buurtcodes or pc4 codes match a buurt of {cfg.gemeente or cfg.gemeentecode}; check the codes.")
    return frame
