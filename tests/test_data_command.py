"""`wijkindeling data`: PDOK + CBS StatLine for any municipality, tested offline on fixture responses.

The network is replaced at the HTTP layer: ``requests.Session.send`` (used by the PDOK code and by
cbsodata) answers from ``tests/fixtures/cbs/`` (see its README: real Woerden geometry, codes, names and
inhabitants; FICTIEF key figures). Nothing here proves that the live services answer like that.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pandas as pd
import pytest
import requests
from click.testing import CliRunner

from wijkindeling.cli import main
from wijkindeling.config import load_config
from wijkindeling.sources import cbs, pdok
from wijkindeling.sources.indicators import load_indicators

from .conftest import BUURTEN_GPKG

FIXTURES = Path(__file__).parent / "fixtures" / "cbs"
PDOK_ITEMS = "https://api.pdok.nl/cbs/wijken-en-buurten-2024/ogc/v1/collections/buurten/items"
FEED = "https://opendata.cbs.nl/ODataFeed/odata/85984NED/"


class FakeNetwork:
    """``requests.Session.send`` from fixture files; records every URL; ``online = False`` refuses every request."""

    def __init__(self) -> None:
        self.online = True
        self.urls: list[str] = []

    def answer(self, url: str) -> tuple[int, dict]:
        """(status, JSON body) for a GET of ``url``."""
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if base == PDOK_ITEMS:
            assert query["f"] == "json" and query["crs"] == pdok.RD_NEW_URI, url
            if query.get("gemeentecode") != "GM0632":
                return 200, _fixture("pdok_buurten_empty.json")
            return 200, _fixture("pdok_buurten_GM0632_page2.json" if "cursor" in query else "pdok_buurten_GM0632_page1.json")
        if base.startswith(FEED):
            part = base[len(FEED):] or "root"
            assert query.get("$format") == "json", url
            if part == "UntypedDataSet":
                wanted = "startswith(WijkenEnBuurten,'BU0632')"
                name = "statline_85984NED_UntypedDataSet_GM0632.json"
                return 200, _fixture(name) if query.get("$filter") == wanted else {**_fixture(name), "value": []}
            return 200, _fixture(f"statline_85984NED_{part}.json")
        return 404, {"message": "not found"}

    def send(self, session: requests.Session, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        """The fake transport: a Response built from a fixture, or a ConnectionError when offline."""
        assert kwargs.get("timeout"), "every request needs a timeout"
        self.urls.append(str(request.url))
        if not self.online:
            raise requests.ConnectionError("network disabled in this test")
        status, body = self.answer(str(request.url))
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        return response


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def net(monkeypatch) -> FakeNetwork:
    fake = FakeNetwork()
    monkeypatch.setattr(requests.Session, "send", lambda self, request, **kw: fake.send(self, request, **kw))
    return fake


def run(args: list[str], cwd: Path | None = None):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def data(tmp_path: Path, *args: str):
    return run(["data", *args, "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "woerden")])


def shipped_woerden() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(BUURTEN_GPKG, layer="buurten")
    return gdf[gdf["gemeentecode"] == "GM0632"].sort_values("buurtcode").reset_index(drop=True)


def test_fetch_writes_the_shipped_schema_with_the_shipped_buurten(tmp_path, net):
    res = data(tmp_path, "woerden")  # a name, case-insensitive: needs the region list
    assert res.exit_code == 0, res.output
    gpkg = tmp_path / "woerden" / "cbs_buurten_2024_woerden.gpkg"
    got = gpd.read_file(gpkg, layer="buurten")
    want = shipped_woerden()
    assert list(got.columns) == list(want.columns)
    assert got.crs.to_epsg() == 28992
    assert list(got["buurtcode"]) == list(want["buurtcode"])
    for col in ("buurtnaam", "wijkcode", "wijknaam", "gemeentecode", "gemeentenaam"):
        assert list(got[col]) == list(want[col]), col
    assert list(got["aantal_inwoners"]) == list(want["aantal_inwoners"])
    assert int(got["aantal_inwoners"].sum()) == 53725
    assert got.geometry.area.sum() == pytest.approx(want.geometry.area.sum())
    assert sum(u.startswith(PDOK_ITEMS) for u in net.urls) == 2  # followed the next link
    assert "init GM0632 --region" in res.output


def test_indicator_csv_keeps_cbs_keys_and_marks(tmp_path, net):
    assert data(tmp_path, "GM0632").exit_code == 0
    csv = pd.read_csv(tmp_path / "woerden" / "cbs_85984NED_woerden.csv", dtype=str, keep_default_na=False)
    rows = _fixture("statline_85984NED_UntypedDataSet_GM0632.json")["value"]
    assert list(csv["buurtcode"]) == sorted(r["WijkenEnBuurten"] for r in rows)
    by_code = {r["WijkenEnBuurten"]: r for r in rows}
    for key in ("AantalInwoners_5", "k_65JaarOfOuder_12", "GemiddeldeHuishoudensgrootte_33", "GemiddeldInkomenPerInwoner_73"):
        assert list(csv[key]) == [by_code[c][key].strip() for c in csv["buurtcode"]], key
    assert (csv["k_65JaarOfOuder_12"] == ".").any()  # suppressed cells stay as CBS marks them
    assert csv["Gemeentenaam_1"].eq("Woerden").all()  # CBS's padding is stripped


def test_provenance_has_sources_dates_and_licence(tmp_path, net):
    assert data(tmp_path, "0632").exit_code == 0
    prov = json.loads((tmp_path / "woerden" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["licence"] == "CBS / Kadaster (PDOK), CC-BY 4.0"
    assert prov["gemeentecode"] == "GM0632" and prov["gemeente"] == "Woerden" and prov["year"] == 2024
    assert prov["tool"].startswith("wijkindeling ")
    pdok_src, cbs_src = prov["sources"]
    assert pdok_src["url"].startswith(PDOK_ITEMS) and "gemeentecode=GM0632" in pdok_src["url"]
    assert pdok_src["dataset_id"] == "cbs/wijken-en-buurten-2024" and pdok_src["features"] == 31
    assert cbs_src["dataset_id"] == "85984NED" and cbs_src["service"] == FEED
    assert cbs_src["version"] == "2024-08-16T02:00:00"  # TableInfos.Modified
    for src in (pdok_src, cbs_src):
        assert dt.datetime.fromisoformat(src["fetched"]).tzinfo is not None and src["from_cache"] is False
    assert set(prov["files"]) == {"buurten", "indicators", "provenance", "region_config"}


def test_region_config_declares_cbs_columns_and_the_reader_accepts_them(tmp_path, net):
    assert data(tmp_path, "Woerden").exit_code == 0
    cfg = load_config(tmp_path / "woerden" / "regio-woerden.yaml")
    (table,) = cfg.data.indicators
    cols = table.columns
    assert cols["k_65JaarOfOuder_12"].aggregate == "share" and cols["k_65JaarOfOuder_12"].denominator == "AantalInwoners_5"
    assert cols["k_65JaarOfOuder_12"].title == "65 jaar of ouder"  # CBS's Dutch title from DataProperties
    assert cols["GemiddeldeHuishoudensgrootte_33"].aggregate == "mean"
    assert cols["GemiddeldeHuishoudensgrootte_33"].weight == "HuishoudensTotaal_29"
    assert "GemiddeldInkomenPerInwoner_73" not in cols  # no published value in the fixture: not declared
    codes = list(shipped_woerden()["buurtcode"])
    values = load_indicators(cfg, codes)
    rows = {r["WijkenEnBuurten"]: r for r in _fixture("statline_85984NED_UntypedDataSet_GM0632.json")["value"]}
    for code in codes:
        raw = rows[code]["k_65JaarOfOuder_12"]
        got = values.loc[code, "k_65JaarOfOuder_12"]
        assert (pd.isna(got) if raw == "." else got == float(raw)), code


def test_second_run_works_offline_from_the_cache(tmp_path, net):
    assert data(tmp_path, "Woerden").exit_code == 0
    first = (tmp_path / "woerden" / "cbs_buurten_2024_woerden.gpkg").read_bytes()
    net.online = False
    net.urls.clear()
    res = data(tmp_path, "Woerden")
    assert res.exit_code == 0, res.output
    assert net.urls == []  # not a single request
    assert "from the cache" in res.output
    again = gpd.read_file(tmp_path / "woerden" / "cbs_buurten_2024_woerden.gpkg", layer="buurten")
    assert list(again["aantal_inwoners"]) == list(shipped_woerden()["aantal_inwoners"])
    prov = json.loads((tmp_path / "woerden" / "provenance.json").read_text(encoding="utf-8"))
    assert all(s["from_cache"] for s in prov["sources"])
    assert first[:16] == b"SQLite format 3\x00"


def test_no_network_and_no_cache_is_one_sentence_and_nothing_written(tmp_path, net):
    net.online = False
    res = CliRunner().invoke(main, ["data", "Woerden", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "woerden")])
    assert res.exit_code == 2
    message = res.output.strip()
    assert len(message.splitlines()) == 1 and message.startswith("Error: ")
    assert "no cached copy" in message and str(tmp_path / "cache") in message
    assert not (tmp_path / "woerden").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "cache"] == []


def test_code_offline_without_cache_names_pdok(tmp_path, net):
    net.online = False  # a code needs no region list, so PDOK is the first source asked
    res = CliRunner().invoke(main, ["data", "GM0632", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "api.pdok.nl" in res.output and not (tmp_path / "o").exists()


def test_unknown_municipality_is_one_sentence(tmp_path, net):
    res = CliRunner().invoke(main, ["data", "Woerdn", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert res.output.strip() == "Error: municipality 'Woerdn' is not in CBS table 85984NED; did you mean 'Woerden'?"
    res = CliRunner().invoke(main, ["data", "GM9999", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1 and "GM9999 has no buurten" in res.output
    assert not (tmp_path / "o").exists()


def test_unknown_year_is_one_sentence(tmp_path, net):
    res = CliRunner().invoke(main, ["data", "Woerden", "--year", "1999", "--cache", str(tmp_path / "c")])
    assert res.exit_code == 2 and "use one of 2023, 2024" in res.output and net.urls == []


def test_refresh_fetches_again(tmp_path, net):
    assert data(tmp_path, "GM0632").exit_code == 0
    n = len(net.urls)
    assert data(tmp_path, "GM0632").exit_code == 0
    assert len(net.urls) == n  # cached
    assert data(tmp_path, "GM0632", "--refresh").exit_code == 0
    assert len(net.urls) == 2 * n  # every request again
    net.online = False
    res = CliRunner().invoke(main, ["data", "GM0632", "--refresh", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "without --refresh" in res.output and not (tmp_path / "x").exists()


def test_rerun_keeps_an_edited_region_config(tmp_path, net):
    assert data(tmp_path, "GM0632").exit_code == 0
    region = tmp_path / "woerden" / "regio-woerden.yaml"
    region.write_text(region.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    assert data(tmp_path, "GM0632").exit_code == 0
    assert region.read_text(encoding="utf-8").endswith("# my edit\n")
    assert data(tmp_path, "GM0632", "--force").exit_code == 0
    assert not region.read_text(encoding="utf-8").endswith("# my edit\n")


def test_water_parts_are_dropped_and_sentinels_fall_back_to_statline():
    feats = pdok.features([_fixture("pdok_buurten_GM0632_page1.json")])
    water = json.loads(json.dumps(feats[0]))
    water["properties"].update(water="JA", aantal_inwoners=-99997)
    feats[1]["properties"]["aantal_inwoners"] = -99997
    code1 = feats[1]["properties"]["buurtcode"]
    notes: list[str] = []
    out = cbs.buurten_frame([*feats, water], {}, {code1: 1234.0}, notes)
    assert len(out) == len(feats) and out["buurtcode"].is_unique
    assert int(out.loc[out["buurtcode"] == code1, "aantal_inwoners"].iloc[0]) == 1234
    assert any("water" in n for n in notes) and any("StatLine" in n for n in notes)


def test_parse_code():
    assert [cbs.parse_code(q) for q in ("GM0632", "gm632", "0632", "632", "Woerden", "GM06321")] == \
        ["GM0632", "GM0632", "GM0632", "GM0632", None, None]


@pytest.mark.slow
def test_init_validate_propose_accept_the_fetched_data(tmp_path, net):
    assert data(tmp_path, "Woerden").exit_code == 0
    region = tmp_path / "woerden" / "regio-woerden.yaml"
    res = run(["init", "GM0632", "--region", str(region)])
    assert res.exit_code == 0, res.output
    config = tmp_path / "woerden" / "woerden.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"\noutput:\n  dir: {tmp_path / 'outputs'}\n", encoding="utf-8")
    cfg = load_config(config)
    assert cfg.data.indicators and cfg.gemeentecode == "GM0632"
    shipped = load_config(Path(__file__).resolve().parent.parent / "configs" / "woerden.yaml")
    assert cfg.areas.count == shipped.areas.count  # same buurten and inhabitants -> same K
    res = run(["validate", str(config)])
    assert res.exit_code == 0, res.output
    res = run(["propose", str(config), "--time-limit", "5", "--force"])
    assert res.exit_code == 0, res.output
    plans = list((tmp_path / "outputs").rglob("plan.csv"))
    assert len(plans) == 1
    plan = pd.read_csv(plans[0], dtype=str)
    assert sorted(plan["buurtcode"]) == sorted(shipped_woerden()["buurtcode"])
    # the declared CBS columns reach the startfoto of every area (values FICTIEF in the fixtures)
    record = json.loads((plans[0].parent / "metrics.json").read_text(encoding="utf-8"))
    declared = set(cfg.data.indicators[0].columns)
    assert declared <= {d["key"] for d in record["profile"]["indicators"]}
    assert all(declared <= set(area["profile"]) for area in record["areas"])


def test_http_error_is_one_sentence_naming_the_url(tmp_path, net):
    # the fixtures only answer for 2024: PDOK's 2023 service gives 404 here
    res = CliRunner().invoke(main, ["data", "GM0632", "--year", "2023", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    line = res.output.strip()
    assert len(line.splitlines()) == 1 and "wijken-en-buurten-2023" in line and "HTTP 404" in line
    assert not (tmp_path / "o").exists()


def test_an_answer_that_is_not_geojson_is_one_sentence(tmp_path, net, monkeypatch):
    monkeypatch.setattr(net, "answer", lambda url: (200, {"type": "Feature"}))
    res = CliRunner().invoke(main, ["data", "GM0632", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "not a GeoJSON FeatureCollection" in res.output and not (tmp_path / "o").exists()


def test_longitude_latitude_answers_are_reprojected_to_rd():
    feats = pdok.features([_fixture("pdok_buurten_GM0632_page1.json"), _fixture("pdok_buurten_GM0632_page2.json")])
    rd = gpd.GeoDataFrame.from_features(feats, crs="EPSG:28992")
    lonlat = json.loads(rd.to_crs("OGC:CRS84").to_json())["features"]
    notes: list[str] = []
    out = cbs.buurten_frame(lonlat, {}, {}, notes)
    assert out.crs.to_epsg() == 28992 and any("reprojected" in n for n in notes)
    want = shipped_woerden()
    assert list(out["buurtcode"]) == list(want["buurtcode"])
    assert out.geometry.area.to_numpy() == pytest.approx(want.geometry.area.to_numpy(), rel=1e-6)


def test_statline_http_error_names_the_part_and_status(tmp_path, net, monkeypatch):
    answer = net.answer
    monkeypatch.setattr(net, "answer", lambda url: (500, {"error": "x"}) if "UntypedDataSet" in url else answer(url))
    res = CliRunner().invoke(main, ["data", "GM0632", "--cache", str(tmp_path / "c"), "--out", str(tmp_path / "o")])
    line = res.output.strip()
    assert res.exit_code == 2 and len(line.splitlines()) == 1, res.output
    assert "UntypedDataSet" in line and "HTTP 500" in line and "opendata.cbs.nl" in line
    assert not (tmp_path / "o").exists()
