"""Turn the handreiking's HTML into an editable Word document (python-docx).

The HTML is the single source of the text, so the DOCX holds exactly the same prose and numbers.
Supported: ``h1``-``h4`` (real Word headings), ``p``, ``ul``/``ol``, ``table`` (with header row),
``img`` with a base64 data URI, ``pre``, inline ``strong``/``b``/``em``/``i``/``code``/``br``.
A ``section`` with ``data-header="..."`` starts a Word section whose page header carries that
text (used to flag fictional practices on every page of a chapter); ``data-pagebreak`` starts a
new page. Elements with class ``no-docx`` are skipped.
"""

from __future__ import annotations

import base64
import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_BREAK
from docx.section import Section
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph
from lxml import html as lhtml
from lxml.html import HtmlElement

SKIP = {"style", "script", "head", "title", "meta", "link"}
INLINE = {"strong", "b", "em", "i", "code", "span", "a", "br", "sup", "sub", "small"}


class _Writer:
    """Builds the Word document block by block while walking the HTML tree."""

    def __init__(self, default_header: str):
        self.doc = Document()
        self.default_header = default_header
        st = self.doc.styles["Normal"]
        st.font.name = "Calibri"
        st.font.size = Pt(10)
        sec = self.doc.sections[0]
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
        sec.left_margin = sec.right_margin = Cm(2.0)
        self._set_header(sec, default_header)
        self.first_block = True
        self.pending_default = False

    @property
    def text_width(self) -> int:
        """Width between the margins of the current (last) section, in EMU."""
        sec = self.doc.sections[-1]
        # set in __init__; every later section starts as a copy of the one before
        assert sec.page_width is not None and sec.left_margin is not None and sec.right_margin is not None
        return sec.page_width - sec.left_margin - sec.right_margin

    def _set_header(self, section: Section, text: str) -> None:
        section.header.is_linked_to_previous = False
        para = section.header.paragraphs[0]
        para.text = ""
        run = para.add_run(text)
        run.font.size = Pt(8)
        run.bold = text != self.default_header

    def new_section(self, header: str) -> None:
        """Start a new page in a section of its own whose page header is ``header``."""
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        self._set_header(section, header)

    def inline(self, para: Paragraph, el: HtmlElement, bold: bool = False, italic: bool = False,
               mono: bool = False) -> None:
        """Add ``el``'s text and children as runs of ``para`` (bold, italic, monospace as marked up or inherited)."""
        tag = el.tag if isinstance(el.tag, str) else ""
        bold = bold or tag in ("strong", "b", "th")
        italic = italic or tag in ("em", "i")
        mono = mono or tag == "code"
        if tag == "br":
            para.add_run().add_break()
        elif el.text:
            self._run(para, el.text, bold, italic, mono)
        for child in el:
            if not isinstance(child.tag, str):
                if child.tail:
                    self._run(para, child.tail, bold, italic, mono)
                continue
            if child.tag in INLINE:
                self.inline(para, child, bold, italic, mono)
            else:  # a block inside a paragraph-like element: flatten to text
                self._run(para, child.text_content(), bold, italic, mono)
            if child.tail:
                self._run(para, child.tail, bold, italic, mono)

    @staticmethod
    def _run(para: Paragraph, text: str, bold: bool, italic: bool, mono: bool) -> None:
        text = " ".join(text.split()) if not mono else text
        if not text:
            return
        if para.runs and not para.runs[-1].text.endswith(" ") and para.text and text[0].isalnum() and para.text[-1].isalnum():
            text = " " + text
        run = para.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if mono:
            run.font.name = "Consolas"

    def block(self, el: HtmlElement) -> None:
        """Add one block element (heading, paragraph, list, table, image, section...) and what it contains."""
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag in SKIP or "no-docx" in (el.get("class") or "").split():
            return
        if self.pending_default:  # a chapter with its own header ended: next content gets the default header
            self.pending_default = False
            if el.get("data-header") is None:
                self.new_section(self.default_header)
                self.first_block = True
        if el.get("data-pagebreak") is not None and el.get("data-header") is None and not self.first_block:
            self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        if tag in ("h1", "h2", "h3", "h4"):
            self.doc.add_heading(" ".join(el.text_content().split()), level=int(tag[1]))
        elif tag in ("p", "figcaption", "caption", "div", "blockquote") and not any(isinstance(c.tag, str) and c.tag not in INLINE for c in el):
            para = self.doc.add_paragraph(style="Quote" if tag == "blockquote" else None)
            self.inline(para, el, italic=tag == "blockquote")
            if "small" in (el.get("class") or "") or tag in ("figcaption", "caption"):
                for run in para.runs:
                    run.font.size = Pt(8)
        elif tag == "pre":
            para = self.doc.add_paragraph()
            run = para.add_run(el.text_content().rstrip("\n"))
            run.font.name = "Consolas"
            run.font.size = Pt(8)
        elif tag in ("ul", "ol"):
            style = "List Bullet" if tag == "ul" else "List Number"
            for li in el.findall("li"):
                self.inline(self.doc.add_paragraph(style=style), li)
        elif tag == "table":
            self.table(el)
        elif tag == "img":
            self.image(el)
        elif tag == "section" and el.get("data-header") is not None:
            self.new_section(el.get("data-header"))
            self.first_block = True
            self.children(el)
            self.pending_default = True
            return
        else:
            self.children(el)
            return
        self.first_block = False

    def children(self, el: HtmlElement) -> None:
        """Add every child element of ``el`` as a block."""
        for child in el:
            self.block(child)

    def image(self, el: HtmlElement) -> None:
        """Add an ``img`` with a base64 data URI as a picture as wide as the text (at most 16 cm); other sources are skipped."""
        src = el.get("src") or ""
        if not src.startswith("data:image/") or ";base64," not in src:
            return
        data = base64.b64decode(src.split(";base64,", 1)[1])
        width = min(self.text_width, Cm(16))
        self.doc.add_picture(io.BytesIO(data), width=width)

    def table(self, el: HtmlElement) -> None:
        """Add a ``table`` (caption in bold above it, cells with colspan merged) and an empty paragraph after it."""
        rows = el.xpath("./thead/tr | ./tbody/tr | ./tr | ./tfoot/tr")
        if not rows:
            return
        ncols = max(sum(int(c.get("colspan", 1)) for c in r if c.tag in ("td", "th")) for r in rows)
        caption = el.find("caption")
        if caption is not None:
            para = self.doc.add_paragraph()
            self.inline(para, caption, bold=True)
        table = self.doc.add_table(rows=len(rows), cols=ncols)
        table.style = "Table Grid"
        for i, r in enumerate(rows):
            j = 0
            for cell_el in (c for c in r if c.tag in ("td", "th")):
                span = int(cell_el.get("colspan", 1))
                cell = table.cell(i, j)
                if span > 1:
                    cell = cell.merge(table.cell(i, j + span - 1))
                para = cell.paragraphs[0]
                self.inline(para, cell_el, bold=cell_el.tag == "th")
                for run in para.runs:
                    run.font.size = Pt(8.5)
                j += span
        self.doc.add_paragraph()


def html_to_docx(html: str, default_header: str | None = None) -> DocxDocument:
    """A Word document with the content of the handreiking HTML (see the module docstring for what is kept).

    Parameters
    ----------
    html : str
        The handreiking page.
    default_header : str, optional
        The page header of pages outside a ``data-header`` section; by default the page's ``<title>``.

    Returns
    -------
    docx.document.Document
        A python-docx document (A4, 2 cm side margins, Calibri 10 pt), titled like the page; ``.save(path)`` writes it.
    """
    tree = lhtml.document_fromstring(html)
    title = tree.findtext(".//title") or ""
    writer = _Writer(default_header if default_header is not None else title)
    writer.doc.core_properties.title = title
    body = tree.find("body")
    writer.children(body if body is not None else tree)
    return writer.doc
