"""Simulated truth for the field/QR data integration: bias, RMSE and CI coverage.

Prints, per estimator (QR only, field only, combined GREG), the mean error over sector
indices, the largest sector's absolute mean error, the RMSE and the share of 95% CIs
holding the truth, over ``--replicates`` draws of the field, QR and receipt-code samples
from one fixed population (:mod:`analysis.field_sim`). Bar: combined |bias| < 1 point,
coverage 92-98%. About 0.07 s per replicate.

    .venv/bin/python bench/field.py --replicates 500
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.field_sim import simulation_table  # noqa: E402


def main(argv=None) -> int:
    """Run the simulation and print the table; exit 1 if the combined estimator misses the bar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    table = simulation_table(args.replicates, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(f"{args.replicates} replicates x 4 sectors, seed {args.seed}, {elapsed:.1f} s")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    comb = table.loc["combined"]
    ok = comb["max_abs_bias"] < 1 and 0.92 <= comb["coverage"] <= 0.98
    print("combined estimator:", "meets" if ok else "MISSES", "the bar (|bias| < 1, 92-98%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
