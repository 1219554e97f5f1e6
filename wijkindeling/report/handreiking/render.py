"""Render the handreiking: Jinja2 template (per language) -> HTML -> PDF (WeasyPrint) and DOCX.

All prose lives in ``templates/handreiking.<lang>.html.j2`` (and ``labels.<lang>.j2`` for the few
words drawn into maps). Python only supplies numbers, names and figures. Numbers are formatted
per language: Dutch ``53.725`` and ``41,6 %``, English ``53,725`` and ``41.6 %``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from ...text import LANGS
from ...text import format_num as fmt_num
from ...text import format_pct as fmt_pct

TEMPLATES = Path(__file__).parent / "templates"


def make_env(lang: str) -> jinja2.Environment:
    """A Jinja2 environment on the templates folder that escapes everything and formats numbers for ``lang``.

    Parameters
    ----------
    lang : str
        One of :data:`wijkindeling.text.LANGS`.

    Returns
    -------
    jinja2.Environment
        Strict about undefined names, with the filters ``num``, ``pct`` and ``spct`` (signed percentage).

    Raises
    ------
    ValueError
        For an unknown language.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v, d=0: fmt_num(v, d, lang)
    env.filters["pct"] = lambda v, d=1: fmt_pct(v, d, lang)
    env.filters["spct"] = lambda v, d=1: fmt_pct(v, d, lang, signed=True)
    return env


def labels(lang: str) -> Any:
    """The macros of ``labels.<lang>.j2`` (short texts drawn into figures), as attributes of a template module.

    Typed Any: the attributes are the template's macros (``map_title``, ``wijken_title``, ...), unknown to mypy.
    """
    return make_env(lang).get_template(f"labels.{lang}.j2").module


def render_html(context: dict, lang: str = "nl") -> str:
    """The whole handreiking as one self-contained HTML page.

    Parameters
    ----------
    context : dict
        The template context (:func:`wijkindeling.report.handreiking.document.document`).
    lang : str
        Selects the template ``handreiking.<lang>.html.j2``.

    Returns
    -------
    str
        The page; figures are embedded as data URIs.
    """
    return make_env(lang).get_template(f"handreiking.{lang}.html.j2").render(**context)


def write_html(html: str, path: Path) -> Path:
    """Write the page as UTF-8 and return ``path``."""
    Path(path).write_text(html, encoding="utf-8")
    return Path(path)


def write_pdf(html: str, path: Path) -> Path:
    """Write the page as PDF via WeasyPrint and return ``path`` (needs pango; Debian: libpango-1.0-0 libpangoft2-1.0-0)."""
    import weasyprint  # lazily: slow to import and needs pango; only --format pdf needs it

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(path))
    return Path(path)


def write_docx(html: str, path: Path) -> Path:
    """Write the page as an editable Word document (:func:`.docx_writer.html_to_docx`) and return ``path``."""
    from .docx_writer import html_to_docx  # lazily: python-docx is needed only for --format docx

    html_to_docx(html).save(str(path))
    return Path(path)


WRITERS: dict[str, Callable[[str, Path], Path]] = {"html": write_html, "pdf": write_pdf, "docx": write_docx}
