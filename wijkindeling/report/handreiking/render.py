"""Render the handreiking: Jinja2 template (per language) -> HTML -> PDF (WeasyPrint) and DOCX.

All prose lives in ``templates/handreiking.<lang>.html.j2`` (and ``labels.<lang>.j2`` for the few
words drawn into maps). Python only supplies numbers, names and figures. Numbers are formatted
per language: Dutch ``53.725`` and ``41,6 %``, English ``53,725`` and ``41.6 %``.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from ...text import LANGS
from ...text import format_num as fmt_num
from ...text import format_pct as fmt_pct

TEMPLATES = Path(__file__).parent / "templates"


def make_env(lang: str) -> jinja2.Environment:
    """A Jinja2 environment that escapes everything and formats numbers for ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda v, d=0: fmt_num(v, d, lang)
    env.filters["pct"] = lambda v, d=1: fmt_pct(v, d, lang)
    env.filters["spct"] = lambda v, d=1: fmt_pct(v, d, lang, signed=True)
    return env


def labels(lang: str):
    """The macros of ``labels.<lang>.j2`` (short texts drawn into figures)."""
    return make_env(lang).get_template(f"labels.{lang}.j2").module


def render_html(context: dict, lang: str = "nl") -> str:
    """The whole handreiking as one self-contained HTML page."""
    return make_env(lang).get_template(f"handreiking.{lang}.html.j2").render(**context)


def write_html(html: str, path: Path) -> Path:
    Path(path).write_text(html, encoding="utf-8")
    return Path(path)


def write_pdf(html: str, path: Path) -> Path:
    """PDF via WeasyPrint (needs pango; Debian: libpango-1.0-0 libpangoft2-1.0-0)."""
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(path))
    return Path(path)


def write_docx(html: str, path: Path) -> Path:
    from .docx_writer import html_to_docx

    html_to_docx(html).save(str(path))
    return Path(path)


WRITERS = {"html": write_html, "pdf": write_pdf, "docx": write_docx}
