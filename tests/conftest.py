"""Shared fixtures: the real Woerden config and problem from the shipped CBS data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wijkindeling.build import build_problem
from wijkindeling.config import load_config

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
WOERDEN = CONFIGS / "woerden.yaml"
BUURTEN_GPKG = ROOT / "boundaries" / "cbs_buurten_2024_regio_utrecht_nw.gpkg"


@pytest.fixture(scope="session")
def woerden_cfg():
    return load_config(WOERDEN)


@pytest.fixture(scope="session")
def woerden(woerden_cfg):
    """The Woerden Problem (31 buurten, fictional practices, estimated catchments)."""
    return build_problem(woerden_cfg)


def write_config(tmp_path: Path, overrides: dict, name: str = "test.yaml", extends: Path = WOERDEN) -> Path:
    """A config in tmp_path that extends ``extends`` and overrides keys (outputs go to tmp_path)."""
    data = {"extends": str(extends), "output": {"dir": str(tmp_path / "outputs")}, "solver": {"threads": 1}}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
