"""CBS Open Data StatLine: the table *Kerncijfers wijken en buurten* through the official client ``cbsodata``.

``cbsodata.download_data(table, typed=False, filters=...)`` reads the OData v3 feed
(``https://opendata.cbs.nl/ODataFeed/odata/<table>/``): the root lists the table's parts (``value`` of
``{name, url}``), each part answers ``{"odata.metadata": ..., "value": [...]}`` and, past 10,000
rows, an ``odata.nextLink``. The parts used here: ``TableInfos`` (title, ``Modified``),
``DataProperties`` (every column ``Key``, ``Title``, ``Unit``), ``WijkenEnBuurten`` (region ``Key``
such as ``BU06320000`` or ``WK063201  `` and its ``Title``) and ``UntypedDataSet`` (one row per
region, every value as CBS published it, text; ``.`` is "unknown, unreliable or secret").

Written against the documented formats (CBS's OData v3 feed and the cbsodata documentation); no
request to the live service was ever made from the development machine.
"""

from __future__ import annotations

import re
from typing import Any

import cbsodata

FEED_URL = "https://opendata.cbs.nl/ODataFeed/odata/{table}/"
# Kerncijfers wijken en buurten per year (CBS StatLine table ids).
TABLES = {2023: "85618NED", 2024: "85984NED"}
TIMEOUT = 120.0  # seconds per request; the regions part of a table has some 17,000 rows


def table_id(year: int) -> str | None:
    """The StatLine table of *Kerncijfers wijken en buurten* for ``year`` (None when unknown here)."""
    return TABLES.get(year)


def buurten_filter(gemeentecode: str) -> str:
    """The OData filter for the municipality's buurt rows: ``startswith(WijkenEnBuurten,'BU0632')``."""
    return f"startswith(WijkenEnBuurten,'BU{gemeentecode[2:]}')"


def download_table(table: str, gemeentecode: str, timeout: float = TIMEOUT) -> dict[str, list[dict[str, Any]]]:
    """The table's parts for one municipality's buurten, as cbsodata returns them (untyped values).

    Parameters
    ----------
    table : str
        StatLine table id, e.g. ``85984NED``.
    gemeentecode : str
        ``GM`` plus four digits.
    timeout : float
        Seconds per request.

    Returns
    -------
    dict
        Part name -> rows: ``TableInfos``, ``UntypedDataSet`` (filtered to the buurten),
        ``DataProperties``, ``CategoryGroups``, ``WijkenEnBuurten``.

    Raises
    ------
    requests.RequestException
        When the service cannot be reached or answers with an HTTP error.
    """
    # cbsodata (1.3.5) leaves out the part its flag names: typed=True downloads the *Untyped*DataSet,
    # whose values are text as CBS published them ('.' kept); :func:`data_rows` accepts either part.
    return dict(cbsodata.download_data(table, typed=True, filters=buurten_filter(gemeentecode), timeout=timeout))


def data_rows(parts: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The data rows of a downloaded table and whether they are untyped (text as published, ``.`` kept).

    A typed part has numbers and JSON null where CBS wrote ``.``; it is used only when the untyped
    part is absent.
    """
    if parts.get("UntypedDataSet") is not None:
        return list(parts["UntypedDataSet"]), True
    return list(parts.get("TypedDataSet") or []), False


def download_regions(table: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """Every region of the table (``Key``, ``Title``, ...): the country, municipalities, wijken and buurten."""
    return list(cbsodata.get_meta(table, "WijkenEnBuurten", timeout=timeout))


def region_titles(regions: list[dict[str, Any]]) -> dict[str, str]:
    """Region code (key without CBS's padding) -> title, e.g. ``WK063201`` -> ``Wijk 01 Woerden-Midden``."""
    return {str(r.get("Key", "")).strip(): str(r.get("Title", "")).strip() for r in regions}


def municipalities(regions: list[dict[str, Any]]) -> dict[str, str]:
    """Gemeentecode -> name, from the regions whose key starts with ``GM``."""
    return {code: title for code, title in region_titles(regions).items() if code.startswith("GM")}


def topic_keys(properties: list[dict[str, Any]]) -> list[str]:
    """The keys of the table's data columns (``Type`` Topic), in CBS's order."""
    return [str(p["Key"]) for p in properties if p.get("Type") == "Topic" and p.get("Key")]


def find_key(properties: list[dict[str, Any]], stem: str) -> dict[str, Any] | None:
    """The data column whose key is ``stem`` plus CBS's ``_<number>`` suffix (numbers change between years)."""
    for p in properties:
        if p.get("Type") == "Topic" and re.fullmatch(re.escape(stem) + r"_\d+", str(p.get("Key", ""))):
            return p
    return None


def modified(infos: list[dict[str, Any]]) -> str:
    """The table's ``Modified`` date from ``TableInfos`` (empty when absent)."""
    return str(infos[0].get("Modified", "")) if infos else ""
