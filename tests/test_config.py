"""Config loading: inheritance, path resolution and one-sentence errors."""


import pytest

from wijkindeling.config import ConfigError, load_config

from .conftest import CONFIGS, WOERDEN, write_config


def test_woerden_inherits_regional_defaults(woerden_cfg):
    assert woerden_cfg.gemeentecode == "GM0632"
    assert woerden_cfg.region == "Utrecht Noord-West"  # only set in the regional file
    assert woerden_cfg.weights.identity == 2.0
    # a path set in the regional file resolves relative to that file
    assert woerden_cfg.data.buurten == (CONFIGS.parent / "boundaries" / "cbs_buurten_2024_regio_utrecht_nw.gpkg").resolve()
    # a path set in woerden.yaml resolves relative to woerden.yaml
    assert woerden_cfg.practices.path == (CONFIGS / "voorbeelden" / "woerden-praktijken-FICTIEF.csv").resolve()
    assert woerden_cfg.origin("practices.path") == str(WOERDEN.resolve())
    assert woerden_cfg.origin("data.buurten").endswith("regio-utrecht-noordwest.yaml")


def test_override_keeps_sibling_keys(tmp_path):
    cfg = load_config(write_config(tmp_path, {"weights": {"catchment": 3.0}}))
    assert cfg.weights.catchment == 3.0
    assert cfg.weights.identity == 2.0


def test_unknown_key_suggests_nearest(tmp_path):
    path = write_config(tmp_path, {"weights": {"catchmnet": 1.0}})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert str(path.resolve()) in msg and "weights.catchmnet" in msg and "did you mean 'catchment'" in msg
    assert "\n" not in msg


def test_wrong_type_names_file_and_field(tmp_path):
    path = write_config(tmp_path, {"areas": {"count": "six"}})
    with pytest.raises(ConfigError, match=r"areas\.count"):
        load_config(path)


def test_min_above_max_is_refused(tmp_path):
    path = write_config(tmp_path, {"areas": {"min_population": 9000, "max_population": 8000}})
    with pytest.raises(ConfigError, match="min_population"):
        load_config(path)


def test_missing_extends_target(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("extends: nowhere.yaml\n")
    with pytest.raises(ConfigError, match="extends"):
        load_config(path)
