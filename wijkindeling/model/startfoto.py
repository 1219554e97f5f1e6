"""The startfoto of a plan: per area, what the tool computes itself and the declared indicators,
next to the municipality's value.

What the tool computes from the shipped data (the *built-in* indicators, titles in
:data:`wijkindeling.text.PROFILE_BUILTIN`):

* ``inwoners``: inhabitants (count);
* ``oppervlakte_km2``: surface of the buurt polygons in km², water included (count);
* ``inwoners_per_km2``: inhabitants divided by that surface (a share: sums divided, not averaged);
* ``huisartsen_per_10000`` and ``praktijken_per_10000``: GPs (the practice list's ``n_gps``) and
  practices whose home buurt lies in the area, per 10,000 inhabitants — only with a practice list;
  FICTIEF when the list is a fictional example;
* ``afstand_huisarts_m``: the mean distance from home buurt to the nearest practice of the list,
  weighted by inhabitants (straight line, or over the road network where ``distances.method`` says so).

Every value is summed up by :func:`wijkindeling.model.profile.summarise`, the one rule for counts,
shares and weighted means, with its coverage. The result is used by metrics.json, the plan's
GeoPackage, the maps, the terminal and the handreiking (one source of truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..text import PROFILE_BUILTIN, format_indicator, format_pct, profile_title
from .problem import Problem
from .profile import Indicator, IndicatorData, Value, area_profiles

PER_10000 = 10_000.0
# Internal denominator/weight columns of the built-in indicators (a declared table's columns never start with "__").
POPULATION, SURFACE = "__inwoners", "__oppervlakte_km2"


@dataclass(frozen=True)
class Startfoto:
    """The startfoto of one plan.

    Attributes
    ----------
    indicators : list of Indicator
        Built-in indicators first, then the declared ones.
    areas : list of dict
        Per area (index = area label): indicator key -> :class:`~wijkindeling.model.profile.Value`.
    whole : dict
        The same for the whole municipality.
    min_coverage : float
        The coverage below which a value is unknown.
    """

    indicators: list[Indicator]
    areas: list[dict[str, Value]]
    whole: dict[str, Value]
    min_coverage: float

    def record(self) -> dict[str, Any]:
        """The startfoto as plain data for metrics.json: definitions, the municipality's values and per-area values."""
        return {
            "min_coverage": self.min_coverage,
            "indicators": [indicator_record(ind) for ind in self.indicators],
            "gemeente": values_record(self.whole),
            "areas": [values_record(values) for values in self.areas],
        }


def indicator_record(ind: Indicator) -> dict[str, Any]:
    """An indicator's definition as plain data (key, title, aggregate, columns, unit, scale, source, fictional)."""
    return {"key": ind.key, "title": ind.title, "aggregate": ind.aggregate, "denominator": ind.denominator,
            "weight": ind.weight, "unit": ind.unit, "scale": ind.scale, "source": ind.source, "fictional": ind.fictional}


def values_record(values: dict[str, Value]) -> dict[str, dict[str, float | None]]:
    """Indicator key -> ``{"value": ..., "coverage": ...}`` (value None when unknown)."""
    return {key: {"value": v.value, "coverage": v.coverage} for key, v in values.items()}


def _surface_km2(problem: Problem) -> np.ndarray:
    """Surface of every unit's polygon in km² (the geometry is in RD metres); NaN without geometry."""
    if problem.buurten is None:
        return np.full(problem.n, np.nan)
    return problem.buurten.geometry.area.to_numpy(dtype=float) / 1e6


def _practices_per_unit(problem: Problem) -> tuple[np.ndarray, np.ndarray] | None:
    """Practices and GPs (``n_gps``; NaN where a practice in the unit does not say) per unit; None without practices."""
    if problem.practices is None or problem.practice_home is None or problem.catchments is None:
        return None
    gps_of = dict(zip(problem.practices["practice_id"].astype(str), problem.practices["n_gps"].astype(float)))
    practices = np.zeros(problem.n)
    gps = np.zeros(problem.n)
    for pid, home in zip(problem.catchments.patients.index, problem.practice_home):
        practices[home] += 1
        gps[home] += gps_of.get(str(pid), np.nan)  # NaN stays NaN: an unknown count makes the unit unknown
    return practices, gps


def builtin_indicators(problem: Problem, lang: str | None = None) -> tuple[list[Indicator], pd.DataFrame]:
    """The indicators the tool computes itself, and their per-unit columns.

    Parameters
    ----------
    problem : Problem
        With geometry (``buurten``) for the surface and a practice list for the practice indicators.
    lang : str, optional
        Language of the titles; by default the config's (``IndicatorData.lang``).

    Returns
    -------
    (list of Indicator, pandas.DataFrame)
        The indicators (practice ones only with a practice list; GPs only when some practice gives
        ``n_gps``; the distance only when it was measured) and one row per unit with the columns they read.
    """
    data = problem.indicator_data or IndicatorData()
    words = lang or data.lang
    source = problem.provenance.attribution
    fictional = problem.provenance.practices_fictional

    def builtin(key: str, aggregate: str, **kw: Any) -> Indicator:
        title = profile_title(key, words, data.distance_method) or key
        return Indicator(key, aggregate, title, unit=PROFILE_BUILTIN[key][2], **kw)

    population, surface = problem.population.astype(float), _surface_km2(problem)
    columns: dict[str, np.ndarray] = {"inwoners": population, "oppervlakte_km2": surface, "inwoners_per_km2": population,
                                      POPULATION: population, SURFACE: surface}
    inds = [builtin("inwoners", "count", source=source), builtin("oppervlakte_km2", "count", source=source),
            builtin("inwoners_per_km2", "share", denominator=SURFACE, source=source)]
    counts = _practices_per_unit(problem)
    if counts is not None:
        practices, gps = counts
        if not np.isnan(gps).all():
            inds.append(builtin("huisartsen_per_10000", "share", denominator=POPULATION, scale=PER_10000, fictional=fictional))
            columns["huisartsen_per_10000"] = gps
        inds.append(builtin("praktijken_per_10000", "share", denominator=POPULATION, scale=PER_10000, fictional=fictional))
        columns["praktijken_per_10000"] = practices
    if data.nearest_practice_m is not None:
        inds.append(builtin("afstand_huisarts_m", "mean", weight=POPULATION, fictional=fictional))
        columns["afstand_huisarts_m"] = np.asarray(data.nearest_practice_m, dtype=float)
    return inds, pd.DataFrame(columns, index=problem.codes)


def startfoto(problem: Problem, labels: np.ndarray, lang: str | None = None) -> Startfoto:
    """Every built-in and declared indicator per area of ``labels`` and for the municipality.

    Parameters
    ----------
    problem : Problem
        The problem the plan divides (not a contracted one: its units must be the buurten).
    labels : numpy.ndarray
        Area index ``0..k-1`` per unit.
    lang : str, optional
        Language of the built-in titles; by default the config's.

    Returns
    -------
    Startfoto
    """
    data = problem.indicator_data or IndicatorData()
    builtin, own = builtin_indicators(problem, lang)
    declared = data.values.reindex(problem.codes) if len(data.indicators) else pd.DataFrame(index=problem.codes)
    values = pd.concat([own, declared.loc[:, ~declared.columns.isin(own.columns)]], axis=1)  # a built-in key is refused by build
    indicators = builtin + list(data.indicators)
    areas, whole = area_profiles(indicators, values, problem.population.astype(float), np.asarray(labels, dtype=int),
                                 problem.k, data.min_coverage)
    return Startfoto(indicators, areas, whole, data.min_coverage)


def value_text(ind: Indicator, value: Value, lang: str = "nl") -> str:
    """An indicator's value as people read it, with its coverage when a declared indicator is not fully known.

    ``onbekend`` below the minimum coverage; e.g. ``23,4 % (91 % bekend)`` for a share known for 91 % of the
    inhabitants. The one wording for the map, the terminal and the handreiking.
    """
    text = format_indicator(value.value, ind.unit, ind.percent, lang)
    if ind.key in PROFILE_BUILTIN or value.coverage >= 1.0 - 1e-9:
        return text
    return f"{text} ({format_pct(value.coverage, 0, lang)} {'bekend' if lang == 'nl' else 'known'})"


def indicator_label(ind: Indicator) -> str:
    """An indicator's title as a label, with ``(FICTIEF)`` when it rests on the fictional practice list."""
    return ind.title + (" (FICTIEF)" if ind.fictional else "")
