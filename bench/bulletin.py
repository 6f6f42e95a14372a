"""Benchmark of the index bulletin on the demo district (14 sectors, 2 waves).

Run: .venv/bin/python bench/bulletin.py [--out bulletin.pdf]
Loads the demo district into a throwaway SQLite database, then times separately:
computing each wave (database frames + `analysis.compute_wave`), building the bulletin
context, drawing the charts, and rendering the PDF. A one-line Chinese PDF rendered
alongside is the baseline; the target is the bulletin PDF in at most 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from reports import bulletin_context, bulletin_pdf  # noqa: E402
from reports.charts import bulletin_charts  # noqa: E402
from reports.render import html_to_pdf  # noqa: E402
from survey import db as survey_db  # noqa: E402
from survey.demo.district import load  # noqa: E402
from survey.model import Wave  # noqa: E402
from survey.ops.compute import compute  # noqa: E402

TARGET_S = 10.0
BASELINE = '<html lang="zh-CN" style="font-family: \'Noto Sans CJK SC\'"><p>公报</p></html>'


def timed(fn):
    """(seconds, value) of one call."""
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def demo_results(tmp: Path):
    """The demo district's waves, computed: [(code, seconds, result), ...] oldest first."""
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}", "SECRET_KEY": "b"})
    survey_db.upgrade(app)
    session = survey_db.session_scope(app, write=True)
    try:
        load(session, seed=11, today=dt.date(2026, 11, 26), key=b"bench")
        session.commit()
        waves = session.scalars(select(Wave).order_by(Wave.opens_on)).all()
        return [(w.code, *timed(lambda w=w: compute(session, w))) for w in waves]
    finally:
        session.close()
        survey_db.get_engine(app).dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the bulletin PDF here")
    args = parser.parse_args()
    warnings.filterwarnings("error", r"Glyph .* missing")
    with tempfile.TemporaryDirectory() as tmp:
        waves = demo_results(Path(tmp))
    for code, seconds, result in waves:
        print(f"compute {code}: {seconds:6.2f} s  ({int(result.tables['district']['n'][0])} "
              f"responses, {len(result.tables['sectors'])} sectors)")
    (prev_code, _, previous), (code, _, current) = waves[-2], waves[-1]
    t_ctx, ctx = timed(lambda: bulletin_context(
        current, previous, wave_code=code, previous_code=prev_code, issue_no=4,
        title="金普新区顾客满意度指数公报", date=dt.date(2026, 11, 30),
        district_name="金普新区"))
    html_to_pdf(BASELINE)  # warm-up: font configuration, first-use imports
    t_base, _ = timed(lambda: html_to_pdf(BASELINE))
    t_charts, charts = timed(lambda: bulletin_charts(ctx["charts"]))
    t_pdf, pdf = timed(lambda: bulletin_pdf(ctx, charts))
    total = t_charts + t_pdf
    print(f"context:          {t_ctx:6.2f} s")
    print(f"charts (SVG):     {t_charts:6.2f} s  ({len(charts['sectors'])} sector, "
          f"{len(charts['quadrants'])} quadrant, {int(bool(charts['trend']))} trend)")
    print(f"PDF (WeasyPrint): {t_pdf:6.2f} s  ({len(pdf) / 1024:.0f} KiB)")
    print(f"baseline 1-line PDF: {t_base:6.2f} s  -> bulletin = {t_pdf / t_base:.1f}x baseline")
    print(f"charts + PDF: {total:.2f} s, target <= {TARGET_S:.0f} s: "
          f"{'OK' if total <= TARGET_S else 'OVER'}")
    if args.out:
        args.out.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(args.out)], capture_output=True, text=True)
        pages = [ln for ln in info.stdout.splitlines() if ln.startswith("Pages")]
        print(f"wrote {args.out} ({pages[0].split()[-1] if pages else '?'} pages)")


if __name__ == "__main__":
    main()
