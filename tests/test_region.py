"""`wijkindeling region`: every config extending the regional file, one regional handreiking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from lxml import html as lhtml

from wijkindeling.cli import main
from wijkindeling.config import PATH_FIELDS
from wijkindeling.report.handreiking import member_configs, write_region

from .conftest import CONFIGS

REGION = CONFIGS / "regio-utrecht-noordwest.yaml"
SIX = {"GM0632", "GM0589", "GM0335", "GM0331", "GM0736", "GM1904"}


def nl(n: int) -> str:
    return f"{n:,}".replace(",", ".")


SHIPPED = ("de-ronde-venen", "lopik", "montfoort", "oudewater", "stichtse-vecht", "woerden")


def region_folder(tmp_path, names, region: str = "Testregio"):
    """A config folder of its own in tmp_path: ``regio.yaml`` (extending the shipped regional file, named
    ``region``) and copies of the shipped member configs ``names`` extending it, their relative paths made
    absolute. Tests never depend on what else a user keeps in configs/."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "regio.yaml").write_text(f"extends: {REGION}\nregion: {region}\n", encoding="utf-8")
    for name in names:
        data = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text(encoding="utf-8"))
        data["extends"] = "regio.yaml"
        for dotted in PATH_FIELDS:
            section, key = dotted.split(".")
            value = (data.get(section) or {}).get(key)
            if isinstance(value, str) and not Path(value).is_absolute():
                data[section][key] = str((CONFIGS / value).resolve())
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path / "regio.yaml"


def test_the_six_shipped_municipality_configs_extend_the_region():
    """Each shipped municipality config extends the regional file (other files in configs/ do not matter)."""
    members = {p.stem for p in member_configs(REGION)}
    assert set(SHIPPED) <= members
    codes = {yaml.safe_load((CONFIGS / f"{name}.yaml").read_text(encoding="utf-8"))["gemeentecode"] for name in SHIPPED}
    assert codes == SIX


def test_a_users_extra_config_is_a_member_too(tmp_path):
    """A config of the user's own next to the regional file joins the region; one extending another config does not."""
    region = region_folder(tmp_path, ["lopik"])
    (tmp_path / "eigen-scenario.yaml").write_text(yaml.safe_dump({"extends": "regio.yaml", "gemeentecode": "GM0331"}),
                                                  encoding="utf-8")
    (tmp_path / "lopik-variant.yaml").write_text(yaml.safe_dump({"extends": "lopik.yaml"}), encoding="utf-8")
    assert [p.name for p in member_configs(region)] == ["eigen-scenario.yaml", "lopik.yaml"]


def _mini_region(tmp_path):
    """A regional file in tmp_path (extending the shipped one) with Oudewater and Lopik as members."""
    region = region_folder(tmp_path, ["oudewater", "lopik"])
    other = {"extends": str(CONFIGS / "woerden.yaml"), "scenario": "x"}  # extends something else: not a member
    (tmp_path / "woerden-variant.yaml").write_text(yaml.safe_dump(other), encoding="utf-8")
    return region


@pytest.mark.slow
def test_region_writes_a_chapter_with_map_and_table_per_municipality(tmp_path):
    region = _mini_region(tmp_path)
    assert [p.name for p in member_configs(region)] == ["lopik.yaml", "oudewater.yaml"]
    w = write_region(region, "nl", ["html", "docx"], force=True, time_limit=60, variant_time_limit=20, threads=1,
                     out=tmp_path / "out")
    assert w.folder == tmp_path / "out" / "testregio" / "handreiking"
    tree = lhtml.document_fromstring(w.files["html"].read_text(encoding="utf-8"))
    chapters = tree.xpath("//section[starts-with(@id,'gemeente-')]")
    assert [c.xpath("./h1")[0].text_content() for c in chapters] == ["Gemeente Lopik", "Gemeente Oudewater"]
    for chap, name in zip(chapters, ("lopik", "oudewater")):
        assert chap.xpath(".//img[starts-with(@src,'data:image/png;base64,')]")
        metrics = json.loads((tmp_path / "out" / name / "handreiking" / "voorstel" / "metrics.json").read_text(encoding="utf-8"))
        rows = {r.xpath("./td")[0].text_content(): r.xpath("./td")[1].text_content() for r in chap.xpath(".//table[@class='areas']//tr[td]")}
        for area in metrics["areas"]:
            assert rows[area["name"]] == nl(area["population"])
        assert (tmp_path / "out" / name / "handreiking" / "handreiking.html").exists()
    overview = tree.xpath("//section[@id='regio']")[0]
    assert overview.xpath(".//img") and "Lopik" in overview.text_content() and nl(10225 + 14725) in overview.text_content()
    assert (w.folder / "handreiking.docx").exists()


def test_region_without_members_is_a_user_error(tmp_path):
    (tmp_path / "leeg.yaml").write_text(f"extends: {REGION}\nregion: Leeg\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["region", str(tmp_path / "leeg.yaml"), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "init" in res.output


def test_region_with_a_broken_config_prints_only_the_error(tmp_path):
    """A broken regional or member config: one line (the error), exit 2, no "N municipality configs extend ..." first."""
    region = _mini_region(tmp_path)
    broken_member = yaml.safe_load((tmp_path / "lopik.yaml").read_text(encoding="utf-8"))
    broken_member["areas"] = {"count": 0}
    (tmp_path / "lopik.yaml").write_text(yaml.safe_dump(broken_member, allow_unicode=True), encoding="utf-8")
    cases = [(region, "lopik.yaml"), (tmp_path / "missing.yaml", "missing.yaml")]
    for path, culprit in cases:
        res = CliRunner().invoke(main, ["region", str(path), "--out", str(tmp_path / "out")])
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and culprit in lines[0], res.output
    region.write_text(f"extends: {REGION}\nregion: Testregio\nareaz: 3\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["region", str(region), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and res.output.strip().splitlines() == [res.output.strip()]
    assert "areaz" in res.output and "municipality configs" not in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_region_cli_on_the_six_municipalities(tmp_path):
    """The six shipped municipalities in a config folder of the test's own, HTML only, 5 s limits (the test checks
    the chapters, not plan quality): every chapter has a map and (when a plan exists) a table."""
    region = region_folder(tmp_path / "configs", SHIPPED, region="Utrecht Noord-West")
    res = CliRunner().invoke(main, ["region", str(region), "--format", "html", "--time-limit", "5",
                                    "--no-variants", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    tree = lhtml.document_fromstring((tmp_path / "out" / "utrecht-noord-west" / "handreiking" / "handreiking.html").read_text(encoding="utf-8"))
    chapters = tree.xpath("//section[starts-with(@id,'gemeente-')]")
    assert len(chapters) == 6
    for chap in chapters:
        assert chap.xpath(".//img") and chap.xpath(".//table")  # key figures always; areas when a plan exists
