"""Benchmark: the same many-solve commands with 1 and 2 workers, side by side in one run (issue 17).

Runs, each as its own ``wijkindeling`` process on the shipped configs:

- ``region`` of the six shipped municipalities (configs/regio-utrecht-noordwest.yaml; proposal + variants,
  HTML only, written to a temporary folder);
- a Woerden grid: ``sweep configs/woerden.yaml --areas 4-8 --tolerance 0.10,0.15 --weights catchment=2``
  (5 K x 2 tolerances x 2 weight variants = 20 solves).

Each with ``--workers 1`` (in this process, one solve after another) and ``--workers 2`` (a local Dask
cluster of two worker processes). Prints a markdown table (wall time, ratio, peak memory of the largest
process) and whether the outputs of the two runs are identical; ``--out FILE`` also writes it. Not a test.

    .venv/bin/python benchmarks/parallel.py
    .venv/bin/python benchmarks/parallel.py --out benchmarks/PARALLEL.md
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "wijkindeling")


def commands(tmp: Path) -> dict[str, list[str]]:
    """Name -> wijkindeling arguments (without --workers; ``{w}`` in a path is replaced by the worker count)."""
    return {
        "region (6 municipalities)": ["region", str(ROOT / "configs" / "regio-utrecht-noordwest.yaml"), "--format", "html",
                                      "--force", "--out", str(tmp / "region-{w}")],
        "Woerden grid (20 solves)": ["sweep", str(ROOT / "configs" / "woerden.yaml"), "--areas", "4-8",
                                     "--tolerance", "0.10,0.15", "--weights", "catchment=2", "--csv", str(tmp / "grid-{w}.csv")],
    }


def run(args: list[str], workers: int) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, largest child process so far) of one CLI run; exits on failure."""
    argv = [CLI] + [a.replace("{w}", str(workers)) for a in args] + ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def same_region_outputs(a: Path, b: Path) -> str:
    """Which metrics.json/plan.csv files of two region runs are byte-identical (and which are time-limited)."""
    same, differ = [], []
    for path in sorted(a.rglob("voorstel/*")):
        if path.name in ("metrics.json", "plan.csv"):
            other = b / path.relative_to(a)
            (same if other.exists() and filecmp.cmp(path, other, shallow=False) else differ).append(str(path.relative_to(a)))
    return f"{len(same)} identical" + (f", differing: {', '.join(differ)}" if differ else "")


def same_grid(a: Path, b: Path) -> str:
    """Whether two grid CSVs agree on everything but the seconds column."""
    def rows(p: Path) -> list[str]:
        return [line.rsplit(",", 1)[0] for line in p.read_text(encoding="utf-8").splitlines()]
    return "rows identical (all but seconds)" if rows(a) == rows(b) else "rows differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Also write the markdown table to this file.")
    opts = parser.parse_args()
    lines = ["# Many solves at once: 1 and 2 workers (benchmarks/parallel.py)", "",
             f"Run on {time.strftime('%Y-%m-%d')}; wall time of each whole command (cluster start, solves, documents).", "",
             "| command | 1 worker (s) | 2 workers (s) | ratio 1/2 | outputs |", "|---|---:|---:|---:|---|"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, args in commands(tmp).items():
            t1, _ = run(args, 1)
            t2, rss = run(args, 2)
            check = same_region_outputs(tmp / "region-1", tmp / "region-2") if args[0] == "region" \
                else same_grid(tmp / "grid-1.csv", tmp / "grid-2.csv")
            lines.append(f"| {name} | {t1:.1f} | {t2:.1f} | {t1 / t2:.2f} | {check} |")
            print(lines[-1], flush=True)
    lines.append(f"\nPeak memory of the largest process: {rss:.0f} MB. Machine: {_cores()} cores.")
    text = "\n".join(lines)
    print(text)
    if opts.out:
        opts.out.write_text(text + "\n", encoding="utf-8")


def _cores() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
