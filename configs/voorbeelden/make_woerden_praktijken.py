"""Generate the FICTIONAL example practice list for Woerden (woerden-praktijken-FICTIEF.csv).

No open list of the region's GP practices exists, so the demo uses practices made up by this rule:

1. One practice at each reliable address PC4 point of Woerden (4pp table, coord_quality == address_pc4):
   3441-3449 (town of Woerden), 3471 (Kamerik), 3474 (Zegveld), 3481 (Harmelen).
2. The inhabitants (CBS 1-1-2024) of each kern's wijken are shared equally by the practices of that kern:
   Woerden = wijken 01-05, Harmelen = wijk 06, Kamerik = wijk 07, Zegveld = wijk 08.
3. List size (patients) = that share rounded to 5; GPs (FTE) = list size / 2,095, the LHV normpraktijk,
   rounded to 0.1.

The practices, their names and list sizes are FICTIONAL. Run: python make_woerden_praktijken.py
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd

HERE = Path(__file__).parent
BOUNDARIES = HERE.parent.parent / "boundaries"
NORM_PATIENTS_PER_FTE = 2095
KERN_OF_PC4 = {**{str(p): "Woerden" for p in range(3441, 3450)}, "3471": "Kamerik", "3474": "Zegveld", "3481": "Harmelen"}
WIJKEN_OF_KERN = {"Woerden": ["01", "02", "03", "04", "05"], "Harmelen": ["06"], "Kamerik": ["07"], "Zegveld": ["08"]}


def main() -> None:
    buurten = gpd.read_file(BOUNDARIES / "cbs_buurten_2024_regio_utrecht_nw.gpkg")
    woerden = buurten[buurten.gemeentecode == "GM0632"]
    pc4 = pd.read_csv(BOUNDARIES / "pc4_centroids_4pp_3400_3699_and_1390_1399.csv", dtype={"pc4": str})
    pc4 = pc4[(pc4.coord_quality == "address_pc4") & pc4.pc4.isin(KERN_OF_PC4)].sort_values("pc4")
    rows = []
    for kern, wijken in WIJKEN_OF_KERN.items():
        inhabitants = woerden[woerden.wijkcode.str[-2:].isin(wijken)].aantal_inwoners.sum()
        codes = [p for p in pc4.pc4 if KERN_OF_PC4[p] == kern]
        for code in codes:
            patients = int(round(inhabitants / len(codes) / 5) * 5)
            rows.append({"pc4": code, "kern": kern, "patients": patients,
                         "n_gps": round(patients / NORM_PATIENTS_PER_FTE, 1)})
    out = pd.DataFrame(rows).sort_values("pc4").reset_index(drop=True)
    out.insert(0, "practice_id", [f"F{i + 1:02d}" for i in range(len(out))])
    out.insert(1, "name", [f"FICTIEVE praktijk {r.kern} {r.pc4}" for r in out.itertuples()])
    out["FICTIEF"] = "ja"
    out[["practice_id", "name", "pc4", "n_gps", "patients", "FICTIEF"]].to_csv(
        HERE / "woerden-praktijken-FICTIEF.csv", index=False)


if __name__ == "__main__":
    main()
