"""The look every map, QGIS style and document shares: colours per area and the source line.

Colour-blind-safe palettes: Okabe-Ito first, then Paul Tol's "muted" for more areas.
"""

from __future__ import annotations

from ..text import format_pct

PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
           "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499"]
SOURCE_LINE = "Bron: CBS / Kadaster (PDOK), CC-BY 4.0"


def area_colour(k: int) -> str:
    """The colour of area ``k`` (0-based), cycling through the palette."""
    return PALETTE[k % len(PALETTE)]


def area_colours(k: int) -> list[str]:
    """The colours of areas ``0..k-1``."""
    return [area_colour(i) for i in range(k)]


def nl_pct(fraction: float, signed: bool = True) -> str:
    """A deviation as a Dutch percentage for map labels and legends: 0.061 -> '+6,1 %'.

    Parameters
    ----------
    fraction : float
        The share to show (0.061 for 6.1 %).
    signed : bool
        Whether a positive value gets a ``+`` (deviations) or not (shares such as patients in own area).

    Returns
    -------
    str
        One decimal, Dutch decimal comma, a space before ``%``.
    """
    return format_pct(fraction, 1, "nl", signed=signed)
