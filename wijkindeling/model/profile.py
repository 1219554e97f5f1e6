"""The startfoto of an area: indicators per buurt summed up per area, correctly, with their coverage.

Three ways to sum up a column over the buurten of an area (and of the whole municipality):

* ``count``: the sum of the buurten's values (inhabitants aged 65+, households, GPs);
* ``share``: the sum of the column divided by the sum of its ``denominator`` column, both over the
  same buurten (never an average of percentages);
* ``mean``: the average weighted by the ``weight`` column, ``Σ value·weight / Σ weight`` (average
  income per household weighted by households).

A missing value (CBS suppression, a buurt not in the table) is left out, never counted as 0. Every
value carries its **coverage**: the share of the area's inhabitants living in buurten where every
number it needs is known. Below the minimum coverage (config ``data.min_coverage``, default 0.8)
the value is reported as unknown (None) with its coverage, so nobody reads a sum over a fifth of an
area as the area's figure. Config-free: the caller passes plain arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

AGGREGATES = ("count", "share", "mean")
MIN_COVERAGE = 0.8


@dataclass(frozen=True)
class Indicator:
    """One declared indicator column.

    Attributes
    ----------
    key : str
        The column (CBS's own key where the data comes from CBS, e.g. ``k_65JaarOfOuder_12``).
    aggregate : str
        ``count``, ``share`` or ``mean``.
    title : str
        What people read (CBS's Dutch title where known).
    denominator, weight : str or None
        The column a share is a share of; the column a mean is weighted by.
    unit : str
        Unit for display ("%", "euro", ...); shares are fractions whatever the unit says.
    scale : float
        Factor applied to the summed-up value (10,000 for "per 10,000 inhabitants").
    source : str
        Where the numbers come from (a table's ``source``, or "" for what the tool computes).
    fictional : bool
        The numbers rest on a FICTIEF example (the practice list), and must say so wherever shown.
    """

    key: str
    aggregate: str
    title: str = ""
    denominator: str | None = None
    weight: str | None = None
    unit: str = ""
    scale: float = 1.0
    source: str = ""
    fictional: bool = False

    @property
    def percent(self) -> bool:
        """Whether the value is a fraction people read as a percentage (a share, unscaled, without another unit)."""
        return self.aggregate == "share" and self.scale == 1.0 and self.unit in ("", "%")

    def needs(self) -> list[str]:
        """The columns this indicator reads: itself and its denominator or weight."""
        return [self.key] + [c for c in (self.denominator, self.weight) if c]


@dataclass(frozen=True)
class Value:
    """An indicator summed up over a set of buurten.

    ``value`` is None when the coverage is below the minimum (unknown); ``coverage`` is the share of
    the inhabitants whose buurt has every number the indicator needs (0..1); ``raw`` is the value
    over the covered buurten whatever the coverage (None when nothing is covered).
    """

    value: float | None
    coverage: float
    raw: float | None


def summarise(indicator: Indicator, values: pd.DataFrame, population: np.ndarray, members: np.ndarray,
              min_coverage: float = MIN_COVERAGE) -> Value:
    """Sum up one indicator over the buurten ``members``.

    Parameters
    ----------
    indicator : Indicator
        What to sum up and how.
    values : pandas.DataFrame
        One row per buurt (in the order of ``population``), the columns of :meth:`Indicator.needs`;
        NaN where a value is missing.
    population : numpy.ndarray
        Inhabitants per buurt (for the coverage).
    members : numpy.ndarray
        Boolean mask of the buurten to sum over.
    min_coverage : float
        Below this coverage the value is unknown.

    Returns
    -------
    Value
    """
    return summarise_columns(indicator, values[indicator.needs()].to_numpy(dtype=float), population, members, min_coverage)


def summarise_columns(indicator: Indicator, cols: np.ndarray, population: np.ndarray, members: np.ndarray,
                      min_coverage: float = MIN_COVERAGE) -> Value:
    """:func:`summarise` on the indicator's columns as an array (rows: buurten; columns: :meth:`Indicator.needs`).

    The array form lets :func:`area_profiles` take the columns out of the table once per indicator, not once
    per area (a workbench edit recomputes every area's startfoto).
    """
    if indicator.aggregate not in AGGREGATES:
        raise ValueError(f"unknown aggregate {indicator.aggregate!r}; use one of {', '.join(AGGREGATES)}")
    known = members & ~np.isnan(cols).any(axis=1)
    inhabitants = float(population[members].sum())
    coverage = float(population[known].sum()) / inhabitants if inhabitants > 0 else (1.0 if known.any() else 0.0)
    v = cols[known, 0]
    raw: float | None
    if not known.any():
        raw = None
    elif indicator.aggregate == "count":
        raw = float(v.sum())
    else:
        base = cols[known, 1]
        total = float(base.sum())
        raw = None if total <= 0 else float((v.sum() if indicator.aggregate == "share" else (v * base).sum()) / total)
    raw = None if raw is None else raw * indicator.scale
    value = raw if raw is not None and coverage >= min_coverage - 1e-12 else None
    return Value(value, coverage, raw)


def area_profiles(indicators: list[Indicator], values: pd.DataFrame, population: np.ndarray, labels: np.ndarray,
                  k: int, min_coverage: float = MIN_COVERAGE) -> tuple[list[dict[str, Value]], dict[str, Value]]:
    """Every indicator per area and for the whole municipality.

    Parameters
    ----------
    indicators : list of Indicator
    values : pandas.DataFrame
        One row per buurt, in the order of ``labels``.
    population : numpy.ndarray
        Inhabitants per buurt.
    labels : numpy.ndarray
        Area index per buurt (0..k-1).
    k : int
        Number of areas.
    min_coverage : float
        Below this coverage a value is unknown.

    Returns
    -------
    (list of dict, dict)
        Per area (index = label) and for the municipality: indicator key -> :class:`Value`.
    """
    labels = np.asarray(labels)
    everyone = np.ones(len(labels), dtype=bool)
    masks = [labels == a for a in range(k)]
    areas: list[dict[str, Value]] = [{} for _ in range(k)]
    whole = {}
    for ind in indicators:
        cols = values[ind.needs()].to_numpy(dtype=float)
        for a, mask in enumerate(masks):
            areas[a][ind.key] = summarise_columns(ind, cols, population, mask, min_coverage)
        whole[ind.key] = summarise_columns(ind, cols, population, everyone, min_coverage)
    return areas, whole


@dataclass
class IndicatorData:
    """The per-buurt inputs of the startfoto that the problem's own arrays do not hold.

    Attributes
    ----------
    indicators : list of Indicator
        The declared indicators (config ``data.indicators``), in the config's order.
    values : pandas.DataFrame
        One row per unit (in the problem's unit order), the columns the declared indicators need;
        NaN where a value is missing.
    min_coverage : float
        Below this share of an area's inhabitants covered, a value is unknown.
    nearest_practice_m : numpy.ndarray or None
        Distance in metres from every unit's representative point to the nearest practice of the
        list; None without practices.
    distance_method : str
        How that distance was measured: ``straight``, ``drive`` or ``walk``.
    lang : str
        Language of the built-in indicators' titles (config ``output.lang``).
    """

    indicators: list[Indicator] = field(default_factory=list)
    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    min_coverage: float = MIN_COVERAGE
    nearest_practice_m: np.ndarray | None = None
    distance_method: str = "straight"
    lang: str = "nl"
