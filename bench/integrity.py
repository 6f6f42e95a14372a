"""Benchmark of the identity-free defences on simulated waves (prints; asserts nothing).

Run: .venv/bin/python bench/integrity.py [--seeds 3]
Table 1: share of fakes held and the attacked enterprise's index shift (defended, and with
no defence as the baseline measured alongside) by attack size and spread. Table 2: honest
responses held on honest waves (daily and weekly patterns, promotion days, groups) and the
day cap's effect on honest indices.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis import Settings  # noqa: E402
from analysis.arrival_sim import attack, defended, simulate_wave, targets, with_fakes  # noqa: E402

SIZES = (30, 90, 300)
SPREADS = {"4 min": pd.Timedelta(minutes=4), "1 day": pd.Timedelta(days=1),
           "7 days": pd.Timedelta(days=7), "30 days": pd.Timedelta(days=30)}


def estimate(result, level, unit):
    table = getattr(result, level).set_index("unit")["estimate"]
    return table.get(unit, np.nan)


def scenario(sim, honest, target, n, spread, rng):
    start = sim.start + (pd.Timedelta(days=1) if spread.days >= 30 else pd.Timedelta(days=9))
    r = with_fakes(sim, attack(sim, target, n, start, spread, True, rng))
    held, res = defended(sim, r)
    _, naive = defended(sim, r, screen=False, settings=Settings(influence_cap=None))
    base = estimate(honest, "enterprises", target)
    mine = r["enterprise_id"] == target
    return {"held": held[r["fake"]].mean(), "honest_held_target": held[mine & ~r["fake"]].mean(),
            "shift": estimate(res, "enterprises", target) - base,
            "naive": estimate(naive, "enterprises", target) - base}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    rows = []
    for seed in range(args.seeds):
        sim = simulate_wave(seed)
        _, honest = defended(sim, sim.responses, screen=False)
        up, _ = targets(sim, honest)
        rng = np.random.default_rng(seed)
        for n in SIZES:
            for label, spread in SPREADS.items():
                rows.append({"fakes": n, "spread": label,
                             **scenario(sim, honest, up, n, spread, rng)})
    table = pd.DataFrame(rows).groupby(["fakes", "spread"], sort=False).mean()
    print(f"Attacks (high scores to a below-target enterprise), mean over {args.seeds} waves;")
    print("shift = its index change in points (NaN: every response held, no index)")
    print(table.round(3).to_string())
    held, cap_change = [], []
    for seed in range(100, 100 + 4 * args.seeds):
        sim = simulate_wave(seed)
        h, on = defended(sim, sim.responses)
        _, off = defended(sim, sim.responses, screen=False, settings=Settings(influence_cap=None))
        _, capped = defended(sim, sim.responses, screen=False)
        held.append(h)
        for level in ("enterprises", "sectors"):
            d = (getattr(capped, level).set_index("unit")["estimate"]
                 - getattr(off, level).set_index("unit")["estimate"]).abs()
            cap_change.append({"level": level, "mean": d.mean(), "max": d.max()})
    cap = pd.DataFrame(cap_change).groupby("level").agg({"mean": "mean", "max": "max"})
    print(f"\nHonest waves: {len(held)}, responses held as surges: "
          f"{pd.concat(held).mean():.4%} (of {sum(map(len, held))})")
    print("Day cap on honest waves, |index change| in points:")
    print(cap.round(4).to_string())
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
