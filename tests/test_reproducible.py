"""Reproducibility: same config and seed give byte-identical plan.csv and metrics.json and identical
plan.gpkg attributes, in separate processes with different PYTHONHASHSEED values.

The guarantee holds when the solver stops by proof (optimal, or the configured mip_gap reached):
HiGHS with a fixed seed and thread count then follows the same path every time. A solve stopped
by the clock is not reproducible and metrics.json says so (``stopped_by``, ``reproducible``); the
wall time, which always differs, is kept in run.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from .conftest import ROOT, write_config

BIN = Path(sys.executable).parent / "wijkindeling"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Woerden in 6 areas (proved optimal in seconds), proposed twice with different hash seeds; the two processes
    run at the same time (independent runs: neither reads the other's folder)."""
    tmp = tmp_path_factory.mktemp("repro")
    config = write_config(tmp, {"solver": {"time_limit": 120, "threads": 2, "seed": 7}})
    procs = {}
    for run, hashseed in (("a", "1"), ("b", "4242")):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        procs[run] = subprocess.Popen([str(BIN), "propose", str(config), "--out", str(tmp / run)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        for proc in procs.values():
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return [tmp / run / "woerden" / "voorstel" for run in procs]


@pytest.mark.slow
def test_plan_csv_and_metrics_json_are_byte_identical(two_runs):
    a, b = two_runs
    assert (a / "plan.csv").read_bytes() == (b / "plan.csv").read_bytes()
    assert (a / "metrics.json").read_bytes() == (b / "metrics.json").read_bytes()
    record = json.loads((a / "metrics.json").read_text())
    assert record["status"] == "optimal" and record["stopped_by"] == "proof" and record["reproducible"] is True
    assert len(record["areas"]) == 6


@pytest.mark.slow
def test_gpkg_attributes_and_geometries_are_identical(two_runs):
    a, b = two_runs
    layers = [name for name, _ in pyogrio.list_layers(a / "plan.gpkg")]
    assert layers == [name for name, _ in pyogrio.list_layers(b / "plan.gpkg")]
    assert {"buurten", "gebieden", "praktijken", "provenance"} <= set(layers)
    for layer in layers:
        fa = pyogrio.read_dataframe(a / "plan.gpkg", layer=layer)
        fb = pyogrio.read_dataframe(b / "plan.gpkg", layer=layer)
        if layer == "layer_styles":  # QGIS styles carry a write timestamp, like the GeoPackage's own tables
            fa, fb = fa.drop(columns="update_time"), fb.drop(columns="update_time")
        assert fa.drop(columns="geometry", errors="ignore").equals(fb.drop(columns="geometry", errors="ignore")), layer
        if "geometry" in fa:
            assert list(fa.geometry.to_wkb()) == list(fb.geometry.to_wkb()), layer


@pytest.mark.slow
def test_outputs_record_version_config_and_data_hash(two_runs):
    a, _ = two_runs
    from wijkindeling import __version__

    prov = json.loads((a / "metrics.json").read_text())["provenance"]
    assert prov["tool_version"] == __version__
    assert len(prov["config_hash"]) == 16 and len(prov["data_hash"]) == 16
    assert set(prov["data_files"]) == {"data.buurten", "data.pc4_centroids", "practices.path"}
    table = pyogrio.read_dataframe(a / "plan.gpkg", layer="provenance")
    values = dict(zip(table["key"], table["value"]))
    assert values["tool_version"] == __version__
    assert values["config_hash"] == prov["config_hash"] and values["data_hash"] == prov["data_hash"]


@pytest.mark.slow
def test_wall_time_is_kept_apart_in_run_json(two_runs):
    a, b = two_runs
    runs = [json.loads((f / "run.json").read_text()) for f in two_runs]
    assert all(r["solve_seconds"] > 0 for r in runs)
    record = json.loads((a / "metrics.json").read_text())
    assert runs[0]["config_hash"] == record["provenance"]["config_hash"] and runs[0]["data_hash"] == record["provenance"]["data_hash"]
    assert record["seconds"] == 120 and "time limit" in record["seconds_meaning"]
    assert record["solver_settings"] == {"backend": "highs", "time_limit": 120, "mip_gap": 0.0, "seed": 7, "threads": 2}


def test_data_hash_follows_the_data(tmp_path, woerden_cfg):
    """Change one byte of the practice list: the data hash changes, the config hash does not."""
    from wijkindeling.build import combined_hash, data_hashes
    from wijkindeling.config import load_config

    copy = tmp_path / "praktijken.csv"
    text = Path(woerden_cfg.practices.path).read_text(encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    config = write_config(tmp_path, {"practices": {"path": str(copy)}})
    before = combined_hash(data_hashes(load_config(config)))
    copy.write_text(text.replace("2.1", "2.2", 1), encoding="utf-8")
    cfg = load_config(config)
    assert combined_hash(data_hashes(cfg)) != before
    assert cfg.raw_hash == load_config(config).raw_hash


@pytest.mark.slow
def test_map_html_differs_only_in_element_ids(two_runs):
    """folium names its elements with random ids; apart from those, the map is the same."""
    import re

    a, b = (re.sub(r"[0-9a-f]{32}", "ID", (f / "map.html").read_text(encoding="utf-8")) for f in two_runs)
    assert a == b
