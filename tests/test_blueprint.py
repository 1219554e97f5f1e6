"""The handreiking (blueprint) on the real Woerden data: HTML, PDF and DOCX agree with metrics.json.

Number convention: Dutch documents write inhabitants with a dot as thousands separator
(53725 -> "53.725") and percentages with a decimal comma ("41,6 %"); English ones use
"53,725" and "41.6 %". The tests format metrics.json's integers the same way and look for them.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner
from docx import Document
from lxml import html as lhtml
from pypdf import PdfReader

from wijkindeling.cli import main
from wijkindeling.config import ConfigError, load_config
from wijkindeling.model.problem import SizeRule
from wijkindeling.report.handreiking import parse_formats, write_blueprint
from wijkindeling.report.handreiking.analysis import moved_buurten, sensitivity
from wijkindeling.report.handreiking.document import chapter, document
from wijkindeling.report.handreiking.docx_writer import html_to_docx
from wijkindeling.report.handreiking.figures import data_uri
from wijkindeling.report.handreiking.render import fmt_num, fmt_pct, render_html

from .conftest import CONFIGS, WOERDEN

FICTIEF_HEADER = "Praktijken in dit hoofdstuk zijn FICTIEF"


def nl(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The Woerden handreiking in all three formats (proposal only; variants are tested on Montfoort)."""
    out = tmp_path_factory.mktemp("bp")
    w = write_blueprint(load_config(WOERDEN), "nl", ["html", "pdf", "docx"], force=True, time_limit=60,
                        with_variants=False, threads=1, out=out)
    assert w.results[0].solution.found, "the optimiser found no plan for Woerden within 60 s"
    return w


@pytest.fixture(scope="module")
def metrics(written):
    return json.loads((written.folder / "voorstel" / "metrics.json").read_text(encoding="utf-8"))


def docx_text(path) -> tuple[str, Document]:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts), doc


def test_number_formats():
    assert fmt_num(53725) == "53.725" and fmt_num(53725, lang="en") == "53,725"
    assert fmt_num(9.46, 1) == "9,5" and fmt_pct(0.416) == "41,6 %" and fmt_pct(-0.139, lang="en") == "-13.9 %"
    assert fmt_num(None) == "–"


@pytest.mark.slow
def test_all_three_files_written(written):
    assert set(written.files) == {"html", "pdf", "docx"}
    for path in written.files.values():
        assert path.exists() and path.stat().st_size > 10_000
    assert (written.folder / "voorstel" / "plan.csv").exists()


@pytest.mark.slow
def test_html_is_self_contained_and_matches_metrics(written, metrics):
    text = written.files["html"].read_text(encoding="utf-8")
    tree = lhtml.document_fromstring(text)
    assert not tree.xpath("//link") and not tree.xpath("//script")
    imgs = tree.xpath("//img")
    assert imgs and all(i.get("src").startswith("data:image/png;base64,") for i in imgs)
    rows = {r.xpath("./td")[0].text_content(): r for r in tree.xpath("//table[@class='areas']//tr[td]")}
    for area in metrics["areas"]:
        cells = [c.text_content() for c in rows[area["name"]].xpath("./td")]
        assert cells[1] == nl(area["population"])
        assert cells[3] == str(len(area["buurten"]))


@pytest.mark.slow
def test_pdf_text_has_name_and_each_area_population(written, metrics):
    reader = PdfReader(str(written.files["pdf"]))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Woerden" in text
    assert nl(metrics["population_total"]) in text
    for area in metrics["areas"]:
        name = r"\s+".join(map(re.escape, area["name"].split())).replace(r"\-", r"\-\s*")  # the PDF may wrap a name, also after a hyphen
        assert re.search(rf"{name}\s+{re.escape(nl(area['population']))}(?![\d.])", text), area


@pytest.mark.slow
def test_pdf_flags_fictional_practices_on_every_page_they_appear(written):
    reader = PdfReader(str(written.files["pdf"]))
    pages = [page.extract_text() for page in reader.pages]
    with_practices = [i for i, t in enumerate(pages) if "FICTIEVE praktijk" in t or "Praktijken (FICTIEF)" in t]
    assert with_practices, "the practice names should appear in the document"
    for i in with_practices:
        assert FICTIEF_HEADER in pages[i], f"page {i + 1} shows practices without the FICTIEF header"
    chapter_pages = [i for i, t in enumerate(pages) if "Gemeente Woerden" in t and "Kerncijfers" in t]
    assert chapter_pages and FICTIEF_HEADER in pages[chapter_pages[0]]
    assert FICTIEF_HEADER not in pages[0]  # the title page is not part of the chapter


@pytest.mark.slow
def test_docx_has_headings_tables_images_and_metrics(written, metrics):
    text, doc = docx_text(written.files["docx"])
    assert "Woerden" in text
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Gemeente Woerden" in headings and "Bronnen en methode" in headings
    assert len(doc.tables) >= 5
    assert len(doc.inline_shapes) >= 1
    areas_table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells[:2]] == ["Gebied", "Inwoners"])
    area_rows = {row.cells[0].text: [c.text for c in row.cells] for row in areas_table.rows}
    for area in metrics["areas"]:
        assert area_rows[area["name"]][1] == nl(area["population"])
    headers = [s.header.paragraphs[0].text for s in doc.sections]
    assert any(FICTIEF_HEADER in h for h in headers)


@pytest.mark.slow
def test_buurt_name_with_script_is_escaped(written):
    result = written.results[0]
    evil = "<script>alert('x')</script>"
    hacked = replace(result, problem=replace(result.problem, names=[evil] + result.problem.names[1:]))
    png = written.folder / "voorstel" / "map.png"
    ctx = document([chapter(hacked, data_uri(png), "plan", "woerden.yaml")], None, "gemeente", "Woerden")
    text = render_html(ctx, "nl")
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    doc = html_to_docx(text)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any(evil in c for c in cells)  # Word shows the name literally, not as markup


@pytest.mark.slow
def test_english_rendering_uses_english_numbers(written, metrics):
    result = written.results[0]
    ctx = document([chapter(result, data_uri(written.folder / "voorstel" / "map.png"), "plan", "woerden.yaml", "en")],
                   None, "gemeente", "Woerden")
    text = render_html(ctx, "en")
    assert "Municipality of Woerden" in text and "Gemeente Woerden" not in text
    assert f"{metrics['population_total']:,}" in text


@pytest.mark.slow
def test_infeasible_k_in_the_sweep_is_explained_in_the_documents_language(written):
    """Woerden's variants with the K sweep at ±10 %, where K=7 has no plan: the Dutch handreiking gives the
    diagnosis in Dutch, the English one in English."""
    result = written.results[0]
    strict = replace(result.problem, sizes=SizeRule(0.10))
    variants = sensitivity(result.cfg, strict, result.solution, time_limit=20, threads=1, n_alternatives=0)
    sol = next(v.solution for v in variants if v.kind == "k" and v.k == 7)
    assert sol.status == "infeasible"
    diag = sol.details["diagnosis"]
    swept = replace(result, variants=variants)
    uri = data_uri(written.folder / "voorstel" / "map.png")
    texts = {}
    for lang in ("nl", "en"):
        ctx = document([chapter(swept, uri, "plan", "woerden.yaml", lang)], None, "gemeente", "Woerden")
        texts[lang] = " ".join(lhtml.document_fromstring(render_html(ctx, lang)).text_content().split())
    assert diag.text("nl") in texts["nl"] and diag.message not in texts["nl"]
    assert "Er bestaat geen indeling in 7 gebieden" in texts["nl"] and "No division into" not in texts["nl"]
    assert diag.message in texts["en"] and diag.text("nl") not in texts["en"]


def test_moved_buurten_matches_areas_by_content(woerden):
    labels = np.array([i % woerden.k for i in range(woerden.n)])
    permuted = (labels + 1) % woerden.k  # same division, other area numbers
    assert moved_buurten(woerden, labels, permuted) == []
    changed = permuted.copy()
    changed[3] = (changed[3] + 1) % woerden.k
    assert moved_buurten(woerden, labels, changed) == [woerden.codes[3]]


@pytest.mark.slow
def test_sensitivity_variants_on_montfoort(tmp_path):
    w = write_blueprint(load_config(CONFIGS / "montfoort.yaml"), "nl", ["html"], force=True, time_limit=60,
                        variant_time_limit=30, threads=1, out=tmp_path)
    result = w.results[0]
    kinds = [(v.kind, v.k, v.term) for v in result.variants if v.kind != "alternative"]
    assert kinds == [("k", 1, None), ("k", 3, None), ("weight", 2, "identity")]
    weight = result.variants[-1]
    assert weight.problem.weights.identity == 2 * result.problem.weights.identity
    assert weight.solution.found and weight.scores.identity_splits <= result.record["scores"]["identity_splits"]
    saved = json.loads((w.folder / "varianten-montfoort.json").read_text(encoding="utf-8"))
    assert [v["k"] for v in saved["variants"] if v["kind"] != "alternative"] == [1, 3, 2]
    text = w.files["html"].read_text(encoding="utf-8")
    assert "3 gebieden" in text and "Gewicht identiteit verdubbeld" in text


def test_bad_format_is_a_user_error(tmp_path):
    with pytest.raises(ConfigError):
        parse_formats("pdf,xls")
    res = CliRunner().invoke(main, ["blueprint", str(WOERDEN), "--format", "odt", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "unknown format 'odt'" in res.output


@pytest.mark.slow
def test_variants_are_the_optimisers_alternatives_and_sweep(tmp_path, monkeypatch):
    """The variants come from optimise.alternatives (other plans, same K, each moving buurten) and optimise.sweep
    (K-1 and K+1 at the config's tolerance), called with the config's solver settings."""
    from wijkindeling import optimise
    from wijkindeling.model import metrics

    calls = []
    real_sweep, real_alternatives = optimise.sweep, optimise.alternatives
    monkeypatch.setattr(optimise, "sweep", lambda *a, **kw: calls.append(("sweep", list(a[1]), kw)) or real_sweep(*a, **kw))
    monkeypatch.setattr(optimise, "alternatives",
                        lambda *a, **kw: calls.append(("alternatives", a[1], kw)) or real_alternatives(*a, **kw))
    cfg = load_config(CONFIGS / "montfoort.yaml")
    w = write_blueprint(cfg, "en", ["html"], force=True, time_limit=30, variant_time_limit=20, threads=1, out=tmp_path)
    res = w.results[0]
    p = res.problem
    assert [(c[0], c[1]) for c in calls] == [("alternatives", 3), ("sweep", [p.k - 1, p.k + 1])]
    assert "tolerance" not in calls[1][2] and all(c[2]["seed"] == cfg.solver.seed for c in calls)  # the config's size rule
    kinds = [v.kind for v in res.variants]
    assert kinds[-3:] == ["k", "k", "weight"] and kinds[:-3] and set(kinds[:-3]) == {"alternative"}
    for alt in res.variants[:-3]:
        assert alt.moved and alt.k == p.k and not metrics.violations(p, alt.solution.labels)
        assert alt.solution.objective >= res.solution.objective - 1e-9
    assert f"alternative ({len(res.variants[0].moved)} buurt" in w.files["html"].read_text(encoding="utf-8")


def test_cli_blueprint_writes_requested_formats(tmp_path):
    res = CliRunner().invoke(main, ["blueprint", str(CONFIGS / "montfoort.yaml"), "--format", "html,docx", "--no-variants",
                                    "--time-limit", "30", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "montfoort" / "handreiking"
    assert sorted(p.name for p in folder.glob("handreiking.*")) == ["handreiking.docx", "handreiking.html"]
    again = CliRunner().invoke(main, ["blueprint", str(CONFIGS / "montfoort.yaml"), "--out", str(tmp_path)])
    assert again.exit_code == 2 and "--force" in again.output


def test_no_plan_found_gives_wijken_map_and_honest_text(tmp_path, monkeypatch):
    """When the optimiser finds nothing, the chapter still has a map (CBS wijken) and says why there is no table."""
    from wijkindeling.optimise import Solution
    from wijkindeling.report.handreiking import analysis

    monkeypatch.setattr(analysis, "solve", lambda problem, **kw: Solution(None, "no_solution", None, None, None,
                                                                          kw["time_limit"], "highs"))
    w = write_blueprint(load_config(CONFIGS / "lopik.yaml"), "nl", ["html"], force=True, time_limit=7,
                        with_variants=False, out=tmp_path)
    tree = lhtml.document_fromstring(w.files["html"].read_text(encoding="utf-8"))
    chap = tree.xpath("//section[@id='gemeente-1']")[0]
    assert chap.xpath(".//img[starts-with(@src,'data:image/png;base64,')]") and not chap.xpath(".//table[@class='areas']")
    assert "geen plan gevonden binnen de tijdslimiet van 7 s" in chap.text_content()
    assert (w.folder / "voorstel" / "wijken.png").exists() and not (w.folder / "voorstel" / "metrics.json").exists()
