"""`wijkindeling init`: scaffold a municipality config from the regional template and the shipped data."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from wijkindeling.build import build_problem
from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.scaffold import RURAL_WORDS, choose_k_and_tolerance

from .conftest import CONFIGS

REGION = CONFIGS / "regio-utrecht-noordwest.yaml"


def run_init(*args):
    return CliRunner().invoke(main, ["init", *args, "--region", str(REGION)])


def test_init_by_name_writes_a_valid_config(tmp_path):
    out = tmp_path / "oudewater.yaml"
    res = run_init("oudewater", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "wijkindeling propose" in res.output and "wijkindeling blueprint" in res.output
    cfg = load_config(out)
    assert cfg.gemeentecode == "GM0589" and cfg.gemeente == "Oudewater"
    assert cfg.weights == load_config(REGION).weights  # taken over from the regional file via extends
    problem = build_problem(cfg)
    assert problem.n == 18 and problem.total == 10225
    assert problem.k == round(10225 / 9000) == 1


def test_init_by_code_derives_kernen_from_cbs_names(tmp_path):
    out = tmp_path / "drv.yaml"
    res = run_init("GM0736", "--out", str(out))
    assert res.exit_code == 0, res.output
    cfg = load_config(out)
    problem = build_problem(cfg)
    assert problem.k == round(45815 / 9000) == 5
    buurten = problem.buurten.set_index("buurtcode")
    assert "Mijdrecht" in cfg.identity.kernen
    for codes in cfg.identity.kernen.values():
        assert len(codes) >= 2
        assert buurten.loc[codes, "wijkcode"].nunique() == 1  # a kern lies within one CBS wijk
        for code in codes:
            assert not any(w in buurten.loc[code, "buurtnaam"].lower() for w in RURAL_WORDS)
            assert buurten.loc[code, "population"] >= 250
    assert cfg.identity.kernen["Mijdrecht"] == ["BU07360101", "BU07360102", "BU07360103", "BU07360104", "BU07360105"]


def test_init_numeric_code_and_default_location(tmp_path):
    region = tmp_path / "regio.yaml"
    region.write_text(f"extends: {REGION}\nregion: Test\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["init", "0335", "--region", str(region)])
    assert res.exit_code == 0, res.output
    path = tmp_path / "montfoort.yaml"
    assert path.exists() and "extends: regio.yaml" in path.read_text(encoding="utf-8")
    again = CliRunner().invoke(main, ["init", "Montfoort", "--region", str(region)])
    assert again.exit_code == 2 and "--force" in again.output


def test_unknown_municipality_is_a_user_error():
    res = run_init("Oudewter")
    assert res.exit_code == 2 and "did you mean 'Oudewater'" in res.output
    res = run_init("GM9999")
    assert res.exit_code == 2 and "not in the shipped data" in res.output


@pytest.mark.parametrize("pops,target,tol", [([5585, 770, 625, 585, 2435, 1165, 645, 700, 2200], 9000, 0.10),
                                             ([9000, 100, 100, 100], 3000, 0.10)])
def test_tolerance_widened_only_when_largest_buurt_cannot_fit(pops, target, tol):
    series = pd.Series(pops)
    k, new_tol, note = choose_k_and_tolerance(series, target, tol)
    per_area = series.sum() / k
    assert series.max() <= (1 + new_tol) * per_area or new_tol == 1.0
    if series.max() <= (1 + tol) * per_area:
        assert new_tol == tol and "regional" in note
    else:
        assert new_tol > tol and "widened" in note
