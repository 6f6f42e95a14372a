"""Benchmark of the analysis package: a full wave and the grouped mean-and-SE step.

Run: .venv/bin/python bench/analysis.py [--responses 1000000]
Prints compute_wave time and peak memory on 1,000,000 responses x 20 items,
1,000 enterprises and 14 sectors (PLS weights, raking, linearised CIs), the
grouped weighted mean + SE step against svy (PyPI) on the same data, and the
bootstrap (B = 500) on a demo-sized wave.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from analysis import Settings, compute_wave, survey_mean  # noqa: E402
from analysis.demo import demo_frames, demo_margins  # noqa: E402


def rss_mb(field: str) -> float:
    """VmRSS (current) or VmHWM (peak) of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn, repeat=5):
    """Median, fastest and slowest wall time of ``repeat`` runs, and the last result."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), min(times), max(times), out


def spread(times) -> str:
    """``median s (min-max)`` of a :func:`timed` answer."""
    med, lo, hi = times[:3]
    return f"{med:.3f} s ({lo:.3f}-{hi:.3f})"


R_TIMING = """
suppressPackageStartupMessages(library(survey))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
best <- Inf
for (i in 1:3) {
  t <- system.time({
    des <- svydesign(ids = ~enterprise_id, strata = ~sector, weights = ~w, data = d,
                     nest = TRUE)
    b <- svyby(~y, ~sector, des, svymean, na.rm = TRUE)
  })[["elapsed"]]
  best <- min(best, t)
}
cat(best, format(max(SE(b)), digits = 17), "\\n")
"""


def r_baseline(data, table, ours: float) -> None:
    """Time R survey's svydesign + svyby on the same data (if Rscript is installed)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("Rscript not installed: no R baseline")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        data.to_csv(path, index=False)
        out = subprocess.run([rscript, "-e", R_TIMING, str(path)], capture_output=True,
                             text=True, timeout=900, check=True).stdout.split()
    seconds, max_se = float(out[0]), float(out[1])
    gap = abs(table["se"].max() / max_se - 1)
    print(f"R survey (svydesign + svyby): {seconds:.3f} s; ratio R/analysis = "
          f"{seconds / ours:.1f}x; relative SE difference {gap:.1e}")


def bootstrap_demo_wave() -> None:
    """B = 500 with PLS and raking re-estimated, on a demo-sized wave (140 enterprises)."""
    frames = demo_frames(seed=3, n_sectors=14, n_enterprises=140, per_enterprise=26)
    margins = demo_margins(frames[2], seed=3)
    plain = timed(lambda: compute_wave(*frames, margins=margins), repeat=1)[0]
    boot, _, _, res = timed(lambda: compute_wave(*frames, settings=Settings(bootstrap=500),
                                                 margins=margins), repeat=1)
    print(f"bootstrap B=500 on {len(frames[0]):,} responses, 140 enterprises, 14 sectors "
          f"(PLS and raking re-estimated per replicate): {boot:.1f} s "
          f"(without bootstrap {plain:.2f} s; ratio {boot / plain:.0f}x); "
          f"replicates with unsolvable raking: {int(res.weighting['boot_rake_unconverged'].sum())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=1000)
    parser.add_argument("--sectors", type=int, default=14)
    args = parser.parse_args()
    per = args.responses // args.enterprises
    t0 = time.perf_counter()
    frames = demo_frames(
        seed=7, n_sectors=args.sectors, n_enterprises=args.enterprises, per_enterprise=per
    )
    margins = demo_margins(frames[2], seed=7)
    n_items = sum(len(b) for b in frames[4]["S00"]["blocks"].values()) + 1
    print(
        f"data: {len(frames[0]):,} responses x {n_items} items, {args.enterprises} "
        f"enterprises, {args.sectors} sectors (generated in {time.perf_counter() - t0:.1f} s)"
    )
    base_rss = rss_mb("VmRSS")
    wave_times = timed(lambda: compute_wave(*frames, settings=Settings(), margins=margins))
    result = wave_times[3]
    print(
        f"compute_wave (PLS, raking, linearised CIs, sample design), median of 5: "
        f"{spread(wave_times)} (target <= 5 s)"
    )
    print(
        f"memory: RSS before {base_rss:,.0f} MB, process peak {rss_mb('VmHWM'):,.0f} MB "
        f"(target <= 2,048 MB)"
    )
    print(
        f"district index {result.district['estimate'].iloc[0]:.2f} "
        f"(se {result.district['se'].iloc[0]:.3f})"
    )

    data = frames[0].assign(
        w=np.random.default_rng(1).uniform(0.5, 2.0, len(frames[0])), y=frames[0]["sat_overall"]
    )
    ours_times = timed(
        lambda: survey_mean(
            data, "y", weight="w", strata="sector", psu="enterprise_id", by="sector"
        )
    )
    ours, table = ours_times[0], ours_times[3]
    print(
        f"grouped weighted mean + SE (14 domains, stratified cluster design), median of 5: "
        f"analysis {spread(ours_times)}"
    )
    r_baseline(data[["y", "w", "sector", "enterprise_id"]], table, ours)
    bootstrap_demo_wave()
    try:
        import polars as pl
        import svy
    except ImportError:
        print("svy not installed: no baseline (pip install -r requirements-test.txt)")
        return
    pdata = pl.from_pandas(data[["y", "w", "sector", "enterprise_id"]])

    def run_svy():
        sample = svy.Sample(pdata, svy.Design(stratum="sector", psu="enterprise_id", wgt="w"))
        return sample.estimation.mean("y", by="sector", drop_nulls=True).to_polars()

    svy_times = timed(run_svy)
    theirs, ref = svy_times[0], svy_times[3]
    ref = ref.to_pandas().set_index("sector")
    gap = np.max(np.abs(table["se"] / ref.loc[table.index, "se"] - 1))
    print(
        f"svy {svy.__version__}, median of 5: {spread(svy_times)}; ratio of medians "
        f"svy/analysis = {theirs / ours:.1f}x (range {svy_times[1] / ours_times[2]:.1f}-"
        f"{svy_times[2] / ours_times[1]:.1f}x; target >= 15x); max relative SE difference "
        f"{gap:.1e}"
    )


if __name__ == "__main__":
    main()
