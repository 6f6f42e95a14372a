"""Benchmark of the identity-free defences on simulated waves (prints; asserts nothing).

Run: .venv/bin/python bench/integrity.py [--seeds 3]
Table 1: share of fakes held by the surge scan and by the shifted-surge scan, how often the
attacked enterprise is under review, and its index shift (both scans; the surge scan alone;
no defence, the baselines measured alongside) by attack size and spread. Table 2: honest
responses held on honest waves (daily and weekly patterns, promotion days, groups) by each
scan, the enterprises under review (an analyst's workload) and the day cap's effect on
honest indices. Table 3: the day cap's trade-off by its day-effect
dispersion ``influence_day_cv2``: the worst honest change over the honest waves and the
shift of 30/90/300 high fakes packed into one day with no surge screen (the cap alone).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis import Settings, compute_wave  # noqa: E402
from analysis.arrival_sim import (  # noqa: E402
    attack,
    computed,
    defended,
    previous_result,
    review,
    scan,
    simulate_wave,
    targets,
    with_fakes,
)

SIZES = (30, 90, 300)
CV2_GRID = (None, 0.5, 1.0, 2.0, 3.0, 4.0)  # None: the former fixed rule K = max(5 m, 10)
SPREADS = {"4 min": pd.Timedelta(minutes=4), "1 day": pd.Timedelta(days=1),
           "7 days": pd.Timedelta(days=7), "30 days": pd.Timedelta(days=30)}


def estimate(result, level, unit):
    table = getattr(result, level).set_index("unit")["estimate"]
    return table.get(unit, np.nan)


def scenario(sim, honest, previous, target, n, spread, rng):
    start = sim.start + (pd.Timedelta(days=1) if spread.days >= 30 else pd.Timedelta(days=9))
    r = with_fakes(sim, attack(sim, target, n, start, spread, True, rng))
    surge, shifted = scan(sim, r)
    held = surge | shifted
    res = computed(sim, r, held)
    surge_only = computed(sim, r, surge)
    _, naive = defended(sim, r, screen=False, settings=Settings(influence_cap=None))
    base = estimate(honest, "enterprises", target)
    mine = r["enterprise_id"] == target
    flagged = review(sim, r, held, res, previous).set_index("enterprise_id")
    return {"held surge": surge[r["fake"]].mean(), "held shifted": shifted[r["fake"]].mean(),
            "honest held": held[mine & ~r["fake"]].mean(),
            "under review": float(flagged["under_review"].get(target, False)),
            "shift": estimate(res, "enterprises", target) - base,
            "shift surge only": estimate(surge_only, "enterprises", target) - base,
            "naive": estimate(naive, "enterprises", target) - base}


def genuinely_changed(sim, rng, k=4, step=1.5) -> tuple[pd.DataFrame, list[int]]:
    """The honest responses with ``k`` enterprises' answers all moved by ``step`` scale points
    (half up, half down, clipped to the scale): real changes since the earlier wave."""
    r = sim.responses.copy()
    ids = [int(e) for e in rng.choice(sim.enterprises["enterprise_id"], k, replace=False)]
    model = next(iter(sim.models.values()))
    items = [i for b in model["blocks"].values() for i in b if i != "cmp_filed"]
    for n, e in enumerate(ids):
        mine = r["enterprise_id"] == e
        for item in items:
            lo, hi = model["scales"][item]
            r.loc[mine, item] = (r.loc[mine, item] + (step if n % 2 == 0 else -step)).clip(lo, hi)
    return r, ids


def cap_settings(cv2) -> Settings:
    """The day cap with dispersion ``cv2`` (None: the quantile term off, ``K = max(5m, 10)``)."""
    return Settings(influence_day_cv2=cv2)


def worst_change(sims, settings) -> dict:
    """Largest |index change| of the day cap over honest waves, per level."""
    worst = {}
    for sim in sims:
        frames = (sim.responses, sim.enterprises, sim.sectors, sim.categories, sim.models)
        on = compute_wave(*frames, settings=settings)
        off = compute_wave(*frames, settings=Settings(influence_cap=None))
        for level in ("enterprises", "sectors", "categories"):
            d = (getattr(on, level).set_index("unit")["estimate"]
                 - getattr(off, level).set_index("unit")["estimate"]).abs().max()
            worst[level] = max(worst.get(level, 0.0), d)
    return worst


def packed_shift(sims, settings) -> dict:
    """Mean index shift of the attacked enterprise for fakes packed into one day, cap only."""
    out = {}
    for seed, sim in enumerate(sims):
        frames = (sim.responses, sim.enterprises, sim.sectors, sim.categories, sim.models)
        honest = compute_wave(*frames, settings=Settings(influence_cap=None))
        up, _ = targets(sim, honest)
        rng = np.random.default_rng(seed)
        for n in SIZES:
            fakes = attack(sim, up, n, sim.start + pd.Timedelta(days=9), pd.Timedelta(days=1),
                           True, rng)
            res = compute_wave(with_fakes(sim, fakes), *frames[1:], settings=settings)
            out.setdefault(f"shift {n}", []).append(estimate(res, "enterprises", up)
                                                    - estimate(honest, "enterprises", up))
    return {k: float(np.mean(v)) for k, v in out.items()}


def tradeoff(attacked, honest_sims) -> pd.DataFrame:
    """Table 3 (module docstring)."""
    rows = []
    for cv2 in CV2_GRID:
        settings = cap_settings(cv2)
        worst = worst_change(honest_sims, settings)
        rows.append({"day_cv2": "5m rule" if cv2 is None else cv2,
                     **{f"worst {k[:3]}": v for k, v in worst.items()},
                     **packed_shift(attacked, settings)})
    naive = packed_shift(attacked, Settings(influence_cap=None))
    rows.append({"day_cv2": "no cap", **naive})
    return pd.DataFrame(rows).set_index("day_cv2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    t0 = time.perf_counter()
    rows = []
    for seed in range(args.seeds):
        sim = simulate_wave(seed)
        _, honest = defended(sim, sim.responses, screen=False)
        previous = previous_result(sim)
        up, _ = targets(sim, honest)
        rng = np.random.default_rng(seed)
        for n in SIZES:
            for label, spread in SPREADS.items():
                rows.append({"fakes": n, "spread": label,
                             **scenario(sim, honest, previous, up, n, spread, rng)})
    table = pd.DataFrame(rows).groupby(["fakes", "spread"], sort=False).mean()
    print(f"Attacks (high scores to a below-target enterprise), mean over {args.seeds} waves;")
    print("held = share of the fakes held by each scan; honest held = share of the target's")
    print("honest responses held; under review = share of attacks leaving the target under")
    print("review; shift = its index change in points (NaN: every response held, no index)")
    print(table.round(3).to_string())
    held, shifted_held, reviewed, cap_change, honest_sims, real = [], [], [], [], [], []
    for seed in range(100, 100 + 4 * args.seeds):
        sim = simulate_wave(seed)
        honest_sims.append(sim)
        surge, shifted = scan(sim, sim.responses)
        h = surge | shifted
        on = computed(sim, sim.responses, h)
        previous = previous_result(sim)
        reviewed.append(review(sim, sim.responses, h, on, previous)["under_review"])
        shifted_held.append(shifted)
        moved, ids = genuinely_changed(sim, np.random.default_rng(seed))
        surge, shifted = scan(sim, moved)
        found = review(sim, moved, surge | shifted, computed(sim, moved, surge | shifted),
                       previous).set_index("enterprise_id").reindex(ids)
        flags = found[["under_review", "corroborated"]].fillna(False).astype(bool)
        real.append({"jumps": int(found["jump"].abs().ge(8).sum()),
                     "flagged": int((flags["under_review"] | flags["corroborated"]).sum()),
                     "under review": int(flags["under_review"].sum()),
                     "held": float((surge | shifted)[moved["enterprise_id"].isin(ids)].mean())})
        _, off = defended(sim, sim.responses, screen=False, settings=Settings(influence_cap=None))
        _, capped = defended(sim, sim.responses, screen=False)
        held.append(h)
        for level in ("enterprises", "sectors"):
            d = (getattr(capped, level).set_index("unit")["estimate"]
                 - getattr(off, level).set_index("unit")["estimate"]).abs()
            cap_change.append({"level": level, "mean": d.mean(), "max": d.max()})
    cap = pd.DataFrame(cap_change).groupby("level").agg({"mean": "mean", "max": "max"})
    print(f"\nHonest waves: {len(held)}, responses held by either scan: "
          f"{pd.concat(held).mean():.4%} (of {sum(map(len, held))}), by the shifted-surge "
          f"scan: {pd.concat(shifted_held).mean():.4%}")
    print(f"Enterprises under review on honest waves: {int(pd.concat(reviewed).sum())} of "
          f"{sum(map(len, reviewed))} ({pd.concat(reviewed).mean():.2%})")
    real = pd.DataFrame(real).sum()
    print(f"Genuine changes (4 enterprises a wave moved by 1.5 scale points, answers only): "
          f"{int(real['jumps'])} jumps >= 8 points, {int(real['flagged'])} past z >= 3, "
          f"{int(real['under review'])} under review (verified responses, 15 %, corroborate "
          f"the rest); their responses held: {real['held'] / len(held):.2%}")
    print("Day cap on honest waves, |index change| in points:")
    print(cap.round(4).to_string())
    attacked = [simulate_wave(seed) for seed in range(args.seeds)]
    print(f"\nDay cap trade-off (worst honest |change| over {len(honest_sims)} waves; mean "
          f"shift of fakes packed into one day, no surge screen, over {args.seeds} waves):")
    print(tradeoff(attacked, honest_sims).round(3).to_string())
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
