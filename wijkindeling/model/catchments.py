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

import geopandas as gpd
import numpy as np
import pandas as pd


@dataclass
class Catchments:
    """Patients per practice (rows) per buurt (columns), and each practice's home buurt.

    Attributes
    ----------
    patients : pandas.DataFrame
        Patients (float) with index ``practice_id`` and columns ``buurtcode``.
    home : dict
        ``practice_id`` -> buurtcode the practice lies in.
    estimated : bool
        Whether the counts are a Huff estimate (*geschat*) rather than the practices' own counts.
    method : str
        How the counts were obtained, in words for outputs (see ``text.catchment_method``).
    names : dict
        ``practice_id`` -> practice name.
    """

    patients: pd.DataFrame  # index practice_id, columns buurtcode, float patients
    home: dict[str, str]  # practice_id -> buurtcode the practice lies in
    estimated: bool
    method: str
    names: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """All patients in the table (sum over practices and buurten)."""
        return float(self.patients.values.sum())


def home_buurten(practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> dict[str, str]:
    """The buurt each practice lies in (nearest buurt when it falls just outside every polygon).

    Parameters
    ----------
    practices, buurten : geopandas.GeoDataFrame
        In standard form (``practice_id`` points, ``buurtcode`` polygons), in the same CRS.

    Returns
    -------
    dict
        ``practice_id`` -> ``buurtcode``; on a tie (equally near buurten) the first match.
    """
    joined = gpd.sjoin_nearest(practices[["practice_id", "geometry"]], buurten[["buurtcode", "geometry"]], how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return dict(zip(joined["practice_id"], joined["buurtcode"]))


def straight_distances(practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame) -> np.ndarray:
    """Straight-line distances (m), practices x buurten, to each buurt's representative point."""
    pts = buurten.geometry.representative_point()
    return np.array([[p.distance(q) for q in pts] for p in practices.geometry])


def huff_shares(population: np.ndarray, distances: np.ndarray, attractiveness: np.ndarray, decay: float, min_distance: float) -> np.ndarray:
    """Estimated patients (practices x buurten) with the Huff model of the module docstring.

    Parameters
    ----------
    population : numpy.ndarray
        Inhabitants per buurt (length b).
    distances : numpy.ndarray
        Metres, practices x buurten (p, b).
    attractiveness : numpy.ndarray
        ``A_p`` per practice (length p), see :func:`attractiveness`.
    decay, min_distance : float
        The exponent ``lambda`` and the distance floor in metres.

    Returns
    -------
    numpy.ndarray
        (p, b) patients: each buurt's inhabitants divided over the practices, so every column
        sums to the buurt's inhabitants.
    """
    d = np.maximum(distances, min_distance)
    utility = attractiveness[:, None] * d ** (-decay)
    share = utility / utility.sum(axis=0, keepdims=True)
    return share * population[None, :]


def attractiveness(practices: gpd.GeoDataFrame) -> np.ndarray:
    """The Huff attractiveness ``A_p`` of every practice (array of length p, in practice order).

    The number of GPs (``n_gps``) where it is known and positive; else the list size
    (``patients``) divided by 2095 (patients per full-time GP, the Dutch *normpraktijk*); else 1.
    """
    gps = practices["n_gps"].to_numpy(dtype=float)
    size = practices["patients"].to_numpy(dtype=float)
    out = np.where(np.isfinite(gps) & (gps > 0), gps, np.where(np.isfinite(size) & (size > 0), size / 2095.0, 1.0))
    return out


def estimate_patients(practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, distances: np.ndarray, decay: float,
                      min_distance: float) -> pd.DataFrame:
    """Huff-model estimate of patients per practice (rows, ``practice_id``) per buurt (columns, ``buurtcode``).

    Parameters
    ----------
    practices, buurten : geopandas.GeoDataFrame
        In standard form (see :mod:`wijkindeling.sources`).
    distances : numpy.ndarray
        Metres, practices x buurten (straight line or by road).
    decay, min_distance : float
        The model's ``lambda`` and the distance floor in metres.

    Returns
    -------
    pandas.DataFrame
        Estimated patients (float); every buurt's inhabitants are divided over the practices.
    """
    pats = huff_shares(buurten["population"].to_numpy(float), distances, attractiveness(practices), decay, min_distance)
    return pd.DataFrame(pats, index=practices["practice_id"].values, columns=buurten["buurtcode"].values)


def catchments_from(frame: pd.DataFrame, practices: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame, estimated: bool,
                    method: str) -> Catchments:
    """Catchments from patients per practice per buurt, with each practice's home buurt and name.

    Parameters
    ----------
    frame : pandas.DataFrame
        Patients per practice (index ``practice_id``) per buurt (columns ``buurtcode``).
    practices, buurten : geopandas.GeoDataFrame
        In standard form; give the home buurten (:func:`home_buurten`) and practice names.
    estimated : bool
        Whether ``frame`` is an estimate.
    method : str
        How ``frame`` was obtained, in words for outputs.

    Returns
    -------
    Catchments
    """
    return Catchments(frame, home_buurten(practices, buurten), estimated, method, dict(zip(practices["practice_id"], practices["name"])))
