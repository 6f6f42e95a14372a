"""The push-down path (SQL aggregates per enterprise) equals the in-memory compute_wave.

Run on SQLite by default and on PostgreSQL under scripts/with-postgres.sh: the demo
district's responses are inserted through the real database, then one wave is computed
both ways.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from analysis import Settings, pls
from analysis import pushdown as pd_math
from survey import db as survey_db
from survey.model import Wave
from survey.ops.compute import compute
from survey.ops.pushdown import compute_pushdown

SETTINGS = Settings(influence_cap=None, raking=False)
KEY = ["level", "unit", "construct"]
TOL = 1e-9


@pytest.fixture(scope="module")
def both(demo_app):
    session = survey_db.session_scope(demo_app)
    try:
        wave = session.scalars(select(Wave).where(Wave.code == "2026Q3")).one()
        yield compute(session, wave, SETTINGS).tables, compute_pushdown(session, wave, SETTINGS)
    finally:
        session.close()


def _aligned(both, table: str, key: list[str], text: tuple[str, ...] = ()):
    """The in-memory and the pushed-down `table`, indexed by `key` (the `text` columns as
    strings) and sorted; both must hold the same keys."""
    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{c: frame[c].astype(str) for c in text}).set_index(key).sort_index()

    a, b = (keyed(side[table]) for side in both)
    assert list(a.index) == list(b.index)
    return a, b


def _close(a: pd.Series, b: pd.Series) -> None:
    x, y = a.to_numpy(float), b.to_numpy(float)
    assert np.array_equal(np.isnan(x), np.isnan(y)), a.name
    assert np.nanmax(np.abs(x - y), initial=0.0) < TOL, a.name


@pytest.mark.slow
def test_indices_equal_the_in_memory_path(both):
    a, b = _aligned(both, "indices", KEY, text=("unit",))
    assert set(a.index.get_level_values("level")) == {"enterprise", "sector", "category",
                                                       "family", "district"}
    for column in ("estimate", "se", "df", "ci_low", "ci_high", "n", "n_eff", "df_design"):
        _close(a[column], b[column])


@pytest.mark.slow
def test_item_weights_equal_the_in_memory_pls(both):
    a, b = _aligned(both, "item_weights", ["sector", "item"])
    for column in ("index_weight", "outer_weight", "loading"):
        _close(a[column], b[column])
    assert (a["method"] == b["method"]).all()
    assert (a["weak_loading"] == b["weak_loading"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("table", ["district", "categories", "sectors", "enterprises"])
def test_headline_tables_equal_the_in_memory_path(both, table):
    a, b = _aligned(both, table, ["unit"], text=("unit",))
    for column in a.columns:
        if pd.api.types.is_numeric_dtype(a[column]) and not pd.api.types.is_bool_dtype(
                a[column]):
            _close(a[column], b[column])
        else:
            assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), column


def test_covariance_from_moments_equals_numpy_on_the_rows():
    rng = np.random.default_rng(3)
    x = rng.normal(50, 15, size=(300, 4)) + rng.normal(0, 10, size=(300, 1))
    x[rng.random(x.shape) < 0.15] = np.nan
    ok = ~np.isnan(x)
    moments = {"n_i": ok.sum(0), "s_i": np.nansum(x, 0)}
    z = np.where(ok, x - pd_math.means(moments), 0.0)
    moments["c_ij"] = [z[:, i] @ z[:, j] for i, j in pd_math.pair_index(4)]
    cov, sd = pd_math.covariance(len(x), moments)
    # independent: pandas' s.d. of the answered values; numpy's covariance of the
    # standardised items with the missing values replaced by the mean
    sd_ref = pd.DataFrame(x).std(ddof=1).to_numpy()
    filled = pd.DataFrame(x).fillna(pd.DataFrame(x).mean()).to_numpy() / sd_ref
    ref = np.cov(filled, rowvar=False, ddof=1)
    assert np.allclose(sd, sd_ref, rtol=0, atol=1e-10)
    assert np.allclose(cov, ref, rtol=0, atol=1e-12)


def test_pls_from_moments_equals_pls_on_the_rows():
    rng = np.random.default_rng(8)
    a = rng.normal(size=400)
    b = 0.6 * a + rng.normal(size=400)
    data = pd.DataFrame({"x1": a + rng.normal(size=400), "x2": a + rng.normal(size=400),
                         "y1": b + rng.normal(size=400), "y2": b + rng.normal(size=400)})
    blocks, paths = {"A": ["x1", "x2"], "B": ["y1", "y2"]}, [("A", "B")]
    rows = pls.fit(data, blocks, paths)
    x = data.to_numpy(float)
    sd = x.std(axis=0, ddof=1)
    z = (x - x.mean(0)) / sd
    moments = pls.fit_from_moments(z.T @ z / (len(x) - 1), sd, len(x), blocks, paths)
    for name in ("index_weights", "outer_weights", "loadings", "path_coefficients"):
        assert np.allclose(getattr(rows, name), getattr(moments, name), rtol=0, atol=1e-12)
    assert moments.scores.empty


@pytest.mark.parametrize("change, words", [
    ({"raking": True}, "raking"), ({"influence_cap": 5.0}, "day cap"),
    ({"design": "census"}, "design"), ({"bootstrap": 500}, "bootstrap"),
])
def test_unsupported_settings_are_refused_with_a_message(change, words):
    settings = Settings(**({"influence_cap": None, "raking": False} | change))
    with pytest.raises(ValueError, match=words):
        pd_math.check_supported(settings, {"s": {"sex": {"f": 1, "m": 1}}})


@pytest.mark.slow
def test_item_means_equal_the_in_memory_path(both):
    a, b = _aligned(both, "items", ["sector", "item"])
    _close(a["mean"], b["mean"])
    assert a["n"].tolist() == b["n"].tolist()
    assert a["construct"].tolist() == b["construct"].tolist()
    assert a["in_model"].tolist() == b["in_model"].tolist()


@pytest.mark.slow
def test_priorities_equal_the_in_memory_path(both):
    a, b = _aligned(both, "priorities", ["sector", "level", "code"])
    assert len(a) > 0
    assert list(a.columns) == list(b.columns)
    for column in a.columns:
        if pd.api.types.is_float_dtype(a[column]):
            _close(a[column], b[column])
        else:
            assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), column


@pytest.mark.slow
def test_psu_totals_equal_the_in_memory_path(both):
    a, b = _aligned(both, "psu_totals", ["level", "unit", "construct", "psu"],
                    text=("unit", "psu"))
    assert len(a) > 0
    assert a["stratum"].astype(str).tolist() == b["stratum"].astype(str).tolist()
    _close(a["total"], b["total"])
