"""Infeasibility diagnosis on real configurations: every case names its culprit, and every suggested
relaxation is verified by a valid plan (checked here again with metrics.violations)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from wijkindeling.build import build_problem
from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.model import metrics
from wijkindeling.optimise import diagnose, solve
from wijkindeling.optimise.diagnosis import quick_causes

from .conftest import CONFIGS, write_config
from .recompute import independent_objective

REGION = CONFIGS / "regio-utrecht-noordwest.yaml"


def _problem(tmp_path, overrides, extends=None):
    path = write_config(tmp_path, overrides, extends=extends or CONFIGS / "woerden.yaml")
    return build_problem(load_config(path))


def _check_suggestions(diag, at_least: int = 1):
    assert len(diag.suggestions) >= at_least
    for s in diag.suggestions:
        assert s.verified and s.labels is not None
        assert not metrics.violations(s.problem, s.labels), s.text
        assert independent_objective(s.problem, s.labels) == pytest.approx(s.objective)


ENGLISH_WORDS = re.compile(r"\b(areas|inhabitants|exists|without|and|the)\b")


def _numbers(text: str) -> list[int]:
    """Every whole number in ``text``, thousands separators (',' or '.') removed, sorted."""
    return sorted(int(re.sub(r"[.,]", "", m)) for m in re.findall(r"\d(?:[\d.,]*\d)?", text))


def _check_dutch(diag):
    """The Dutch rendering is Dutch, with Dutch thousands separators, and has the English text's numbers."""
    en, nl = diag.text("en"), diag.text("nl")
    assert en == diag.message
    assert "gebieden" in nl and "inwoners" in nl, nl
    assert not ENGLISH_WORDS.search(nl), nl
    assert _numbers(nl) == _numbers(en), (en, nl)
    large = [n for n in _numbers(en) if n >= 1000]
    assert large and all(f"{n:,}".replace(",", ".") in nl for n in large), nl
    for s in diag.suggestions:
        assert _numbers(s.phrase.text("nl")) == _numbers(s.text)


@pytest.mark.slow
def test_too_few_areas_for_the_maximum(tmp_path):
    p = _problem(tmp_path, {"areas": {"count": 6, "min_population": 7000, "max_population": 8000}})
    assert 6 * 8000 < p.total
    diag = diagnose(p, time_limit=30)
    assert diag.feasible is False
    assert "hold at most 48,000, less than the 53,725 inhabitants" in diag.message
    assert "bevatten samen hoogstens 48.000, minder dan de 53.725 inwoners" in diag.text("nl")
    _check_suggestions(diag)
    _check_dutch(diag)


@pytest.mark.slow
def test_too_many_areas_for_the_minimum(tmp_path):
    p = _problem(tmp_path, {"areas": {"count": 6, "min_population": 10000, "max_population": 12000}})
    diag = diagnose(p, time_limit=30)
    assert "need 60,000, more than the 53,725 inhabitants" in diag.message
    _check_suggestions(diag)


@pytest.mark.slow
def test_single_buurt_above_maximum(tmp_path):
    p = _problem(tmp_path, {"areas": {"count": 10, "tolerance": 0.10}})
    assert p.hi < 6085
    sol = solve(p, time_limit=30, threads=1)
    assert sol.status == "infeasible"
    assert "Schilderskwartier alone has 6,085 inhabitants, above the maximum of" in sol.message
    _check_suggestions(sol.details["diagnosis"])
    _check_dutch(sol.details["diagnosis"])


@pytest.mark.slow
def test_keep_together_group_above_maximum(tmp_path):
    p = _problem(tmp_path, {"areas": {"count": 6, "tolerance": 0.10},
                            "rules": {"keep_together": [["BU06320106", "BU06320303"]]}})
    causes = quick_causes(p)
    assert any("keep-together group" in c and "Schilderskwartier" in c for c in causes)
    diag = diagnose(p, time_limit=30)
    _check_suggestions(diag)


def test_keep_apart_conflicts_with_locks(tmp_path):
    p = _problem(tmp_path, {"areas": {"count": 6, "tolerance": 0.10},
                            "rules": {"locks": {"BU06320801": "Gebied 1", "BU06320701": "Gebied 1"},
                                      "keep_apart": [["BU06320801", "BU06320701"]]}})
    sol = solve(p, time_limit=30, threads=1)
    assert sol.status == "infeasible"
    assert "Zegveld (dorp) and Kamerik (dorp) must be kept apart but are locked to the same area" in sol.message
    diag = sol.details["diagnosis"]
    assert any("without keeping Zegveld (dorp) and Kamerik (dorp) apart" in s.text for s in diag.suggestions)
    _check_suggestions(diag)


@pytest.mark.slow
def test_keep_apart_inside_keep_together_names_both_rules_and_the_fix(tmp_path):
    """Binnenstad and Bloemen- en Bomenkwartier both kept together and kept apart: both rules and the fix, in full sentences."""
    pair = ["BU06320101", "BU06320102"]
    p = _problem(tmp_path, {"areas": {"count": 6, "tolerance": 0.10},
                            "rules": {"keep_together": [pair], "keep_apart": [pair]}})
    diag = diagnose(p, time_limit=30)
    assert diag.feasible is False
    names = "Binnenstad and Bloemen- en Bomenkwartier"
    assert f"{names} must be kept apart (rules.keep_apart) but are in one keep-together group (rules.keep_together)." in diag.message
    assert (f"A valid plan exists without keeping {names} apart, or without the keep-together group Binnenstad, "
            "Bloemen- en Bomenkwartier; remove one of these rules from the config.") in diag.message
    assert diag.message.endswith("remove one of these rules from the config.")
    assert {s.text.split(" ")[1] for s in diag.suggestions} == {"keeping", "the"}
    _check_suggestions(diag, at_least=2)
    _check_dutch(diag)
    assert "haal een van deze regels uit de config." in diag.text("nl")


@pytest.mark.slow
def test_locked_together_above_maximum(tmp_path):
    p = _problem(tmp_path, {"areas": {"count": 6, "tolerance": 0.10},
                            "rules": {"locks": {"BU06320106": "Gebied 1", "BU06320303": "Gebied 1"}}})
    diag = diagnose(p, time_limit=30)
    assert "locked to Gebied 1" in diag.message and "11,750" in diag.message
    assert any(s.text.startswith("without the lock on") for s in diag.suggestions)
    _check_suggestions(diag)
    _check_dutch(diag)


def test_disconnected_part_that_fits_no_area(woerden):
    """A buurt cut off from the rest (as a barrier would, with islands not reconnected) that is too small."""
    p = woerden.with_k(6, 0.10)
    u = int(np.argmin(p.population))
    keep = [e for e, (i, j) in enumerate(p.edges) if u not in (i, j)]
    graph = p.graph.copy()
    graph.remove_edges_from(list(graph.edges(u)))
    cut = replace(p, graph=graph, edges=p.edges[keep], edge_length=p.edge_length[keep], edge_cost=p.edge_cost[keep])
    causes = quick_causes(cut)
    assert any(p.names[u] in c and "not connected to the rest" in c for c in causes)
    sol = solve(cut, time_limit=10, threads=1, explain=False)
    assert sol.status == "infeasible"


@pytest.mark.slow
def test_choke_point_stichtse_vecht(tmp_path):
    """Stichtse Vecht, 5 areas at ±10 %: six parts hang on Verbindingswegen and overfill its area."""
    p = _problem(tmp_path, {"gemeente": "Stichtse Vecht", "gemeentecode": "GM1904",
                            "areas": {"count": 5, "tolerance": 0.10}}, extends=REGION)
    assert p.n == 97
    sol = solve(p, time_limit=20, threads=1)
    assert sol.status == "infeasible"
    assert "can only be reached through Verbindingswegen (320)" in sol.message
    assert "alleen bereikbaar via Verbindingswegen (320)" in sol.details["diagnosis"].text("nl")
    _check_suggestions(sol.details["diagnosis"])
    _check_dutch(sol.details["diagnosis"])


@pytest.mark.slow
def test_dutch_diagnosis_without_a_single_cause(woerden):
    """Woerden, 7 areas at ±10 %: proven infeasible by the exact model; the Dutch text says so with Dutch numbers."""
    p = woerden.with_k(7, 0.10)
    sol = solve(p, time_limit=20, threads=1)
    assert sol.status == "infeasible"
    diag = sol.details["diagnosis"]
    assert not diag.causes and diag.message == sol.message
    nl = diag.text("nl")
    lo, hi = (f"{round(x):,}".replace(",", ".") for x in (p.lo, p.hi))
    assert nl.startswith(f"Er bestaat geen indeling in 7 gebieden van {lo}–{hi} inwoners (het exacte model")
    assert any(s.kind == "tolerance" for s in diag.suggestions)
    _check_suggestions(diag)
    _check_dutch(diag)


@pytest.mark.slow
def test_propose_prints_diagnosis_and_exits_1(tmp_path):
    config = write_config(tmp_path, {"areas": {"count": 10, "tolerance": 0.10}, "solver": {"time_limit": 20, "threads": 1}})
    result = CliRunner().invoke(main, ["propose", str(config), "--scenario", "x"])
    assert result.exit_code == 1, result.output
    assert "No division into 10 areas" in result.output
    assert "Schilderskwartier" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob("plan.csv"))


def test_every_phrase_has_a_dutch_sentence_with_the_same_fields():
    """The two sentence tables name the same kinds and fill in the same data (no English fallback, no lost number)."""
    from string import Formatter

    from wijkindeling.text import DIAGNOSIS_EN as _PHRASE_EN
    from wijkindeling.text import DIAGNOSIS_NL as _PHRASE_NL

    def fields(table: dict[str, str]) -> dict[str, set[str]]:
        return {kind: {f for _, f, _, _ in Formatter().parse(text) if f} for kind, text in table.items()}

    assert fields(_PHRASE_NL) == fields(_PHRASE_EN)


def test_diagnose_stays_a_function_after_its_module_is_imported():
    """The function `optimise.diagnose` must not be shadowed by a submodule of the same name."""
    import importlib

    import wijkindeling.optimise as optimise

    importlib.import_module("wijkindeling.optimise.diagnosis")
    assert callable(optimise.diagnose)


def test_one_area_is_singular_in_both_languages():
    """'1 area' / '1 gebied', never '1 areas' / '1 gebieden'; other counts keep the plural."""
    from wijkindeling.optimise.diagnosis import Phrase

    assert Phrase("count", {"k": 1, "pct": 10}).text() == "1 area at ±10 %"
    assert Phrase("count", {"k": 1, "pct": 10}).text("nl") == "1 gebied bij ±10 %"
    assert Phrase("count", {"k": 11, "pct": 10}).text() == "11 areas at ±10 %"
    assert Phrase("count", {"k": 21, "pct": 10}).text("nl") == "21 gebieden bij ±10 %"
    assert "in 1 gebied van" in Phrase("none_exists", {"k": 1, "lo": 5000, "hi": 7000}).text("nl")
