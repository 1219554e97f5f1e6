"""Indicators per buurt summed up per area (the startfoto), checked against an independent computation.

The buurten and inhabitants are the real shipped CBS data of Woerden. The indicator values are
INVENTED for these tests (file names say FICTIEF); they are never shipped as data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wijkindeling.config import ConfigError, load_config
from wijkindeling.errors import DataError
from wijkindeling.model.profile import Indicator, area_profiles
from wijkindeling.report.plans import wijken_plan
from wijkindeling.sources.indicators import load_indicators

from .conftest import write_config


def fictional_table(woerden, tmp_path, suppress: dict[str, str] | None = None):
    """A CSV in Excel's Dutch dialect with invented indicators for every Woerden buurt (FICTIEF)."""
    rng = np.random.default_rng(7)
    pop = woerden.population
    older = np.floor(pop * rng.uniform(0.1, 0.3, len(pop)))
    households = np.floor(pop / rng.uniform(1.8, 2.6, len(pop)))
    income = rng.uniform(25.0, 45.0, len(pop)).round(1)  # thousand euro per household
    rows = {"buurtcode": woerden.codes, "inwoners": pop.astype(int).astype(str), "ouderen_65plus": older.astype(int).astype(str),
            "huishoudens": households.astype(int).astype(str), "inkomen_per_huishouden": [f"{v:.1f}".replace(".", ",") for v in income]}
    frame = pd.DataFrame(rows)
    for code, cell in (suppress or {}).items():
        frame.loc[frame["buurtcode"] == code, "ouderen_65plus"] = cell
    path = tmp_path / "indicatoren-FICTIEF.csv"
    frame.to_csv(path, sep=";", index=False)
    return path


def config_with(tmp_path, path, **columns):
    """A Woerden config whose data.indicators declares ``columns`` of the table at ``path``."""
    spec = columns or {"ouderen_65plus": {"aggregate": "count"}}
    return load_config(write_config(tmp_path, {"data": {"indicators": [{"path": str(path), "columns": spec}]}}))


INDICATORS = [Indicator("ouderen_65plus", "count"),
              Indicator("ouderen_65plus", "share", denominator="inwoners"),
              Indicator("inkomen_per_huishouden", "mean", weight="huishoudens")]


def _load(woerden, tmp_path, suppress=None):
    path = fictional_table(woerden, tmp_path, suppress)
    cfg = config_with(tmp_path, path, ouderen_65plus={"aggregate": "share", "denominator": "inwoners"},
                      inkomen_per_huishouden={"aggregate": "mean", "weight": "huishoudens"})
    return load_indicators(cfg, woerden.codes), pd.read_csv(path, sep=";", dtype=str)


def test_counts_shares_and_means_per_area_match_an_independent_computation(woerden, tmp_path):
    values, raw = _load(woerden, tmp_path)
    labels, _ = wijken_plan(woerden)
    areas, whole = area_profiles(INDICATORS[1:], values, woerden.population.astype(float), labels, int(labels.max()) + 1)
    counts, _ = area_profiles(INDICATORS[:1], values, woerden.population.astype(float), labels, int(labels.max()) + 1)
    table = raw.assign(area=labels, older=raw["ouderen_65plus"].astype(float), inh=raw["inwoners"].astype(float),
                       hh=raw["huishoudens"].astype(float), inc=raw["inkomen_per_huishouden"].str.replace(",", ".").astype(float))
    by_area = table.groupby("area")
    for a, group in by_area:
        assert counts[a]["ouderen_65plus"].value == pytest.approx(group["older"].sum())
        assert areas[a]["ouderen_65plus"].value == pytest.approx(group["older"].sum() / group["inh"].sum())
        assert areas[a]["inkomen_per_huishouden"].value == pytest.approx((group["inc"] * group["hh"]).sum() / group["hh"].sum())
        assert areas[a]["ouderen_65plus"].coverage == 1.0
    assert whole["ouderen_65plus"].value == pytest.approx(table["older"].sum() / table["inh"].sum())
    # a share is not the average of the buurten's percentages: somewhere the two differ
    naive = by_area.apply(lambda g: (g["older"] / g["inh"].where(g["inh"] > 0)).mean())
    assert any(abs(areas[a]["ouderen_65plus"].value - naive[a]) > 1e-3 for a in naive.index)


def test_a_suppressed_buurt_lowers_the_coverage_and_never_counts_as_zero(woerden, tmp_path):
    # Woerden-Midden's largest buurt suppressed with '.', and a small one with CBS's -99997 sentinel
    labels, _ = wijken_plan(woerden)
    pop = woerden.population.astype(float)
    midden = np.flatnonzero(labels == labels[woerden.index("BU06320101")])
    big = int(midden[np.argmax(pop[midden])])
    small = int(midden[np.argmin(pop[midden])])
    values, raw = _load(woerden, tmp_path, {woerden.codes[big]: ".", woerden.codes[small]: "-99997"})
    assert np.isnan(values.loc[woerden.codes[big], "ouderen_65plus"]) and np.isnan(values.loc[woerden.codes[small], "ouderen_65plus"])
    a = int(labels[big])
    members = labels == a
    known = members.copy()
    known[[big, small]] = False
    coverage = pop[known].sum() / pop[members].sum()
    low = area_profiles(INDICATORS[:1], values, pop, labels, int(labels.max()) + 1, min_coverage=0.0)[0][a]
    older = raw["ouderen_65plus"].where(~raw["ouderen_65plus"].isin([".", "-99997"])).astype(float)
    assert coverage < 1.0 and low["ouderen_65plus"].coverage == pytest.approx(coverage)
    assert low["ouderen_65plus"].value == pytest.approx(older[known].sum())
    share = area_profiles(INDICATORS[1:2], values, pop, labels, int(labels.max()) + 1, min_coverage=0.0)[0][a]
    assert share["ouderen_65plus"].value == pytest.approx(older[known].sum() / pop[known].sum())
    strict = area_profiles(INDICATORS[:1], values, pop, labels, int(labels.max()) + 1, min_coverage=coverage + 0.01)[0][a]
    assert strict["ouderen_65plus"].value is None and strict["ouderen_65plus"].raw == pytest.approx(older[known].sum())


def test_a_share_without_denominator_is_one_sentence(tmp_path, woerden):
    path = fictional_table(woerden, tmp_path)
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, path, ouderen_65plus={"aggregate": "share"})
    assert "denominator" in str(err.value) and "\n" not in str(err.value)


def test_bad_indicator_tables_are_one_sentence(tmp_path, woerden):
    path = fictional_table(woerden, tmp_path)
    cfg = config_with(tmp_path, path, ouderen_85plus={"aggregate": "count"})
    with pytest.raises(DataError, match="no column 'ouderen_85plus'"):
        load_indicators(cfg, woerden.codes)
    text = path.read_text(encoding="utf-8").replace("inkomen_per_huishouden", "inkomen").replace(";31,", ";drie,")
    bad = tmp_path / "bad-FICTIEF.csv"
    bad.write_text(text.replace(woerden.codes[1], woerden.codes[0]), encoding="utf-8")
    with pytest.raises(DataError, match=f"buurtcode {woerden.codes[0]} occurs twice"):
        load_indicators(config_with(tmp_path, bad, inwoners={"aggregate": "count"}), woerden.codes)


def test_a_buurt_missing_from_the_table_is_missing_not_zero(woerden, tmp_path):
    path = fictional_table(woerden, tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith(woerden.codes[0])) + "\n", encoding="utf-8")
    values = load_indicators(config_with(tmp_path, path, inwoners={"aggregate": "count"}), woerden.codes)
    assert np.isnan(values.loc[woerden.codes[0], "inwoners"]) and values["inwoners"].notna().sum() == woerden.n - 1
