"""Read tables the adviser keeps in Excel: CSV in Excel's Dutch dialect, numbers with a decimal comma.

Every problem is a :class:`~wijkindeling.errors.DataError` of one sentence (file, column, fix).
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd

from ..errors import DataError


def file_hash(path: Path) -> str:
    """Short SHA-256 of a file's bytes (for provenance)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV as text columns, accepting Excel's Dutch dialect (``;``, decimal comma, BOM).

    Parsed with the csv module, strictly: an unclosed quote, a duplicate column name or a line
    with more values than the header is refused (one sentence), never silently shifted.
    Trailing empty cells (Excel pads lines) are dropped; short lines are padded with empty cells.

    Parameters
    ----------
    path : Path
        A CSV file, separated by ``;`` when its first line has more semicolons than commas, else by ``,``.

    Returns
    -------
    pandas.DataFrame
        Every cell as text (not stripped), columns named by the (stripped) header; empty lines
        are skipped.

    Raises
    ------
    DataError
        When the file is missing, an Excel workbook, not UTF-8, binary, not valid CSV, empty, or
        its header or a row does not fit.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path in the config.")
    raw = path.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        raise DataError(f"{path}: is an Excel workbook, not a CSV file; in Excel use Save As > CSV UTF-8 (or CSV with semicolons).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: is not UTF-8 text (byte {err.start}); save it as CSV UTF-8.") from None
    if "\x00" in text:
        raise DataError(f"{path}: contains binary data (NUL bytes); save it as CSV UTF-8.")
    head = text.split("\n", 1)[0]
    sep = ";" if head.count(";") > head.count(",") else ","
    try:
        rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True) if any(c.strip() for c in r)]
    except csv.Error as err:
        raise DataError(f"{path}: cannot be read as CSV ({err}); check the quotes on that line and save it as CSV UTF-8.") from None
    if not rows:
        raise DataError(f"{path}: the file is empty; it needs a header line with the column names and one line per row.")
    header = [c.strip() for c in rows[0]]
    while header and not header[-1]:
        header.pop()
    named = [c for c in header if c]
    twice = [c for c in named if named.count(c) > 1]
    if twice:
        raise DataError(f"{path}: column '{twice[0]}' appears twice in the header; give every column its own name.")
    if len(named) != len(header):
        raise DataError(f"{path}: column {header.index('') + 1} of the header has no name; name it or delete the column.")
    n = len(header)
    body = []
    for row in rows[1:]:
        if any(c.strip() for c in row[n:]):
            raise DataError(f"{path}: a row ({sep.join(row)[:50]!r}) has {len(row)} values but the header names {n} columns; remove the extra values or add their column names.")
        body.append(row[:n] + [""] * (n - len(row)))
    return pd.DataFrame(body, columns=header, dtype=str)


def to_number(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Parse numbers written with a decimal point or a Dutch decimal comma; empty stays NaN.

    With both separators the last one is the decimal mark: '1.234,5' (Excel-NL) and '1,234.5'
    both read as 1234.5. A lone comma is a decimal comma ('2,1' is 2.1).

    Parameters
    ----------
    values : pandas.Series
        Text or numbers (spaces and non-breaking spaces inside are ignored).
    path, column : Path, str
        Where they come from, for the error message.

    Returns
    -------
    pandas.Series
        Numbers, aligned with ``values``; NaN where the cell is empty, None or NaN.

    Raises
    ------
    DataError
        When a non-empty cell is not a number.
    """
    text = values.astype(str).str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    text = text.where(~values.isna().to_numpy(), "")  # None/NaN from a GeoPackage are empty cells
    has_comma, has_dot = text.str.contains(",", regex=False), text.str.contains(".", regex=False)
    comma_last = text.str.rfind(",") > text.str.rfind(".")
    dutch = has_comma & (~has_dot | comma_last)
    english = has_comma & has_dot & ~comma_last
    text = text.where(~dutch, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    text = text.where(~english, text.str.replace(",", "", regex=False))
    out = pd.to_numeric(text.replace("", None), errors="coerce")
    bad = values[out.isna() & (text != "")]
    if len(bad):
        raise DataError(f"{path}: column '{column}' has a non-numeric value {bad.iloc[0]!r}; write plain numbers there.")
    return out
