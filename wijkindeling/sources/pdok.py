"""CBS Wijken en Buurten from PDOK's OGC API Features service: buurt polygons with their key figures.

The service (``https://api.pdok.nl/cbs/wijken-en-buurten-<year>/ogc/v1``) answers
``/collections/buurten/items?f=json&gemeentecode=GM0632&crs=...&limit=1000`` with a GeoJSON
FeatureCollection: ``type``, ``features`` (each ``id``, ``type``, ``geometry``, ``properties``),
``numberReturned``, ``timeStamp`` and ``links``; the link with ``rel: next`` (a ``cursor`` parameter)
is the next page, and the last page has none. Properties used here: ``buurtcode``, ``buurtnaam``,
``wijkcode``, ``gemeentecode``, ``gemeentenaam``, ``water`` (``JA`` for the water part of a buurt) and
``aantal_inwoners`` (negative CBS sentinels such as ``-99997`` mean "not available").

Written against the documented formats (OGC API - Features Part 1 and Part 2 for ``crs``; PDOK's
server GoKoala); no request to the live service was ever made from the development machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from ..errors import DataError

BASE_URL = "https://api.pdok.nl/cbs/wijken-en-buurten-{year}/ogc/v1"
RD_NEW_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
PAGE_LIMIT = 1000  # features per page (the largest municipality has fewer than 1,000 buurten)
MAX_PAGES = 100  # a guard against a server that keeps answering with a next link
TIMEOUT = 60.0  # seconds per request (connect and read)


def items_url(year: int, collection: str = "buurten") -> str:
    """The items URL of a collection of the CBS Wijken en Buurten dataset of ``year``."""
    return f"{BASE_URL.format(year=year)}/collections/{collection}/items"


def items_params(gemeentecode: str) -> dict[str, str]:
    """Query parameters of the first page: GeoJSON, one municipality, RD New coordinates, large pages."""
    return {"f": "json", "gemeentecode": gemeentecode, "crs": RD_NEW_URI, "limit": str(PAGE_LIMIT)}


def next_link(page: dict[str, Any]) -> str | None:
    """The ``href`` of the page's ``rel: next`` link, or None on the last page."""
    for link in page.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None


def _check_page(page: Any, url: str) -> dict[str, Any]:
    """The page when it is a GeoJSON FeatureCollection; a DataError naming the URL otherwise."""
    if not isinstance(page, dict) or page.get("type") != "FeatureCollection" or not isinstance(page.get("features"), list):
        raise DataError(f"{url}: PDOK's answer is not a GeoJSON FeatureCollection; try again later or report it to PDOK.")
    return page


def fetch_buurten_pages(year: int, gemeentecode: str, session: requests.Session | None = None,
                        progress: Callable[[str], None] | None = None, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """Every page of the municipality's buurten, as PDOK sent them (follows ``rel: next``).

    Parameters
    ----------
    year : int
        The year of the CBS Wijken en Buurten dataset (part of the service URL).
    gemeentecode : str
        ``GM`` plus four digits.
    session : requests.Session, optional
        The HTTP session (a new one by default).
    progress : callable, optional
        Called with a short status text before each page.
    timeout : float
        Seconds per request.

    Returns
    -------
    list of dict
        The parsed JSON pages, first page first.

    Raises
    ------
    requests.RequestException
        When the service cannot be reached or answers with an HTTP error (the caller decides
        whether a cached copy can be used).
    DataError
        When an answer is not a FeatureCollection or the pages do not end.
    """
    session = session or requests.Session()
    url: str | None = items_url(year)
    params: dict[str, str] | None = items_params(gemeentecode)
    pages: list[dict[str, Any]] = []
    while url is not None:
        if len(pages) >= MAX_PAGES:
            raise DataError(f"{items_url(year)}: PDOK sent more than {MAX_PAGES} pages for {gemeentecode}; try again later.")
        if progress:
            progress(f"PDOK buurten of {gemeentecode}, page {len(pages) + 1}")
        response = session.get(url, params=params, timeout=timeout, headers={"Accept": "application/geo+json"})
        response.raise_for_status()
        try:
            page = _check_page(response.json(), response.url or url)
        except ValueError:
            raise DataError(f"{response.url or url}: PDOK's answer is not JSON; try again later.") from None
        pages.append(page)
        url, params = next_link(page), None  # the next link carries every parameter
    return pages


def features(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All features of all pages, in order."""
    return [f for page in pages for f in page["features"]]
