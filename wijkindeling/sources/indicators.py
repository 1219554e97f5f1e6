"""Indicator tables per buurt (``data.indicators``): CSV or GeoPackage, keyed by buurtcode.

CBS marks a value it may not publish (too few inhabitants, confidential) or does not have with
``.`` in its CSV exports, an empty cell, ``x``, or a negative sentinel such as ``-99997`` (older
kerncijfer files; ``-99995`` .. ``-99999``). Every one of those is *missing* here (NaN), never 0:
:mod:`wijkindeling.model.profile` then reports how much of an area's population the value covers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from ..config import Config, IndicatorTable
from ..errors import DataError
from .tables import read_table, to_number

SUPPRESSED_TEXT = frozenset({".", "x", "X", "-", "?"})  # CBS and common spreadsheet marks for "no value"
SENTINEL_BELOW = -99990.0  # CBS's negative sentinels (-99995 .. -99999) mean "secret" or "not available"


def _raw_table(table: IndicatorTable) -> pd.DataFrame:
    """The table's cells as text (CSV via :func:`read_table`, GeoPackage/GeoJSON attributes via pyogrio)."""
    path = Path(table.path)
    if not path.exists():
        raise DataError(f"{path}: file not found; check data.indicators[].path in the config.")
    if path.suffix.lower() in (".csv", ".txt"):
        return read_table(path)
    try:
        frame = pyogrio.read_dataframe(path, layer=table.layer, read_geometry=False)
    except Exception as err:  # pyogrio raises several error types for unreadable files
        raise DataError(f"{path}: cannot be read as a CSV or GeoPackage ({str(err).splitlines()[0]}); export it again.") from None
    return pd.DataFrame({c: frame[c].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
                         for c in frame.columns})


def indicator_values(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Numbers of one indicator column, with every CBS suppression mark as NaN.

    Parameters
    ----------
    values : pandas.Series
        The column as text (decimal points or Dutch decimal commas are both read).
    path : pathlib.Path
        The file, for messages.
    column : str
        The column name, for messages.

    Returns
    -------
    pandas.Series
        Floats; NaN where the cell is empty, ``.``, ``x``, ``-`` or a negative CBS sentinel (≤ -99990).

    Raises
    ------
    DataError
        When a cell is neither a number nor a suppression mark.
    """
    text = values.astype(str).str.strip()
    cleaned = text.where(~text.isin(SUPPRESSED_TEXT), "")
    numbers = to_number(cleaned, path, column).astype(float)
    return numbers.where(numbers > SENTINEL_BELOW)


def read_indicator_table(table: IndicatorTable, codes: list[str]) -> pd.DataFrame:
    """The declared columns of one indicator table for the municipality's buurten.

    Parameters
    ----------
    table : IndicatorTable
        Path, key column and the declared columns (with their denominators and weights).
    codes : list of str
        The municipality's buurtcodes; the result has one row for each, in this order.

    Returns
    -------
    pandas.DataFrame
        Index ``codes``; one float column per declared column and per denominator or weight column.
        A buurt the table does not list has NaN everywhere (missing, not 0).

    Raises
    ------
    DataError
        For a missing key or declared column, or a buurtcode that occurs twice.
    """
    path = Path(table.path)
    raw = _raw_table(table)
    needed = list(dict.fromkeys([*table.columns, *(c.denominator for c in table.columns.values() if c.denominator),
                                 *(c.weight for c in table.columns.values() if c.weight)]))
    for column in [table.key, *needed]:
        if column not in raw.columns:
            raise DataError(f"{path}: no column '{column}' (it has {', '.join(map(str, raw.columns[:12]))}); "
                            "fix the column name in data.indicators[] of the config.")
    keys = raw[table.key].astype(str).str.strip()
    twice = keys[keys.duplicated() & keys.isin(codes)]
    if len(twice):
        raise DataError(f"{path}: buurtcode {twice.iloc[0]} occurs twice in column '{table.key}'; keep one row per buurt.")
    out = pd.DataFrame({c: indicator_values(raw[c], path, c).to_numpy() for c in needed}, index=keys.to_numpy())
    return out.reindex(codes)


def load_indicators(cfg: Config, codes: list[str]) -> pd.DataFrame:
    """All configured indicator tables side by side for ``codes`` (empty frame without ``data.indicators``).

    A column declared in two tables is a DataError naming both files.
    """
    frames: list[pd.DataFrame] = []
    seen: dict[str, Path] = {}
    loaded: set[str] = set()  # columns already read (a shared denominator or weight is kept from its first table)
    for table in cfg.data.indicators:
        frame = read_indicator_table(table, codes)
        for column in table.columns:
            if column in seen:
                raise DataError(f"{table.path}: column '{column}' is also declared for {seen[column]}; declare each indicator once.")
            seen[column] = Path(table.path)
        frames.append(frame.loc[:, ~frame.columns.isin(loaded)])
        loaded.update(frame.columns)
    return pd.concat(frames, axis=1) if frames else pd.DataFrame(index=codes)
