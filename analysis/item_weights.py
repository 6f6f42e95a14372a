"""Item weights within constructs for a wave: PLS, equal, AHP or frozen."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import pls
from analysis.ahp import ahp_weights
from analysis.index import rescale_items

CONSTRUCTS = ("image", "expectation", "quality", "value", "satisfaction", "complaint", "loyalty")


@dataclass(frozen=True)
class ItemWeights:
    """Index weights of one weight pool, the PLS fit behind them and their label."""

    weights: pd.Series
    method: str
    fit: pls.PLSResult | None
    fallback: tuple = ()


def model_items(model: dict) -> list[str]:
    """Item codes of a model's blocks, in block order."""
    return [i for items in model["blocks"].values() for i in items]


def check_model(code: str, model: dict) -> None:
    """Reject a model dict with missing keys or items without a scale."""
    for key in ("blocks", "paths", "scales"):
        if key not in model:
            raise ValueError(f"model of {code!r} lacks {key!r}")
    unknown = set(model["blocks"]) - set(CONSTRUCTS)
    if unknown:
        raise ValueError(f"model of {code!r}: unknown constructs {sorted(unknown)}")
    extra = [i for items in model.get("extra_items", {}).values() for i in items]
    unscaled = [i for i in model_items(model) + extra if i not in model["scales"]]
    if unscaled:
        raise ValueError(f"model of {code!r}: items without a scale: {', '.join(unscaled)}")


def scored_items(data: pd.DataFrame, model: dict) -> pd.DataFrame:
    """The model's items rescaled to 0-100 (reverse-keyed items recoded)."""
    items = model_items(model)
    return rescale_items(data, {i: model["scales"][i] for i in items},
                         reverse=model.get("reverse", ()))


def estimate_item_weights(scored: pd.DataFrame, model: dict, settings, pool: str) -> ItemWeights:
    """Weights for one pool (sector or category) under ``settings.weight_method``.

    ``scored`` holds the 0-100 rescaled items (:func:`scored_items`), so PLS
    index weights are in the common 0-100 unit; the fit is kept for
    diagnostics and importance whatever the weighting method. Frozen weights
    (``settings.frozen_weights[pool]``) from an earlier wave take precedence.
    """
    blocks = model["blocks"]
    items = model_items(model)
    fit = None
    if len(scored) >= 3 and _all_vary(scored[items].to_numpy(float)):
        fit = pls.fit(scored, blocks, [tuple(p) for p in model["paths"]],
                      scheme=settings.scheme, tol=settings.pls_tol,
                      max_iter=settings.pls_max_iter)
    frozen = settings.frozen_weights.get(pool)
    if frozen is not None:
        return ItemWeights(_frozen(frozen, blocks, pool), "frozen", fit)
    if settings.weight_method == "equal":
        return ItemWeights(_equal(blocks), "equal", fit)
    if settings.weight_method == "ahp":
        return ItemWeights(_ahp(settings.ahp_matrices, blocks), "ahp", fit)
    if fit is None:
        raise ValueError(f"cannot fit PLS for {pool!r}: too few rows or a constant item")
    return ItemWeights(fit.index_weights, "pls", fit, fit.equal_weight_fallback)


def _all_vary(x: np.ndarray) -> bool:
    """Whether every column has two distinct non-missing values (``nunique() > 1``)."""
    # fmax and fmin skip NaN; an all-missing column gives NaN, which is not greater
    return bool(np.all(np.fmax.reduce(x, axis=0) > np.fmin.reduce(x, axis=0)))


def _equal(blocks: dict) -> pd.Series:
    return pd.Series({i: 1.0 / len(items) for items in blocks.values() for i in items})


def _frozen(frozen: dict, blocks: dict, pool: str) -> pd.Series:
    w = pd.Series(frozen, dtype=float)
    absent = [i for items in blocks.values() for i in items if i not in w.index]
    if absent:
        raise ValueError(f"frozen weights of {pool!r} lack items: {', '.join(absent)}")
    return w


def _ahp(matrices: dict, blocks: dict) -> pd.Series:
    out = {}
    for construct, items in blocks.items():
        if len(items) == 1:
            out[items[0]] = 1.0
            continue
        if construct not in matrices:
            raise ValueError(f"no AHP pairwise matrix for construct {construct!r}")
        out.update(ahp_weights(np.asarray(matrices[construct], float), items).weights)
    return pd.Series(out, dtype=float)


def frozen_weights(result) -> dict:
    """``{pool: {item: index weight}}`` of a stored result, for ``Settings.frozen_weights``.

    Keeps waves comparable: the next wave scores with these weights instead of
    re-estimating them.
    """
    table = result.tables["item_weights"]
    table = table.drop_duplicates(["pool", "item"])
    return {str(pool): dict(zip(part["item"], part["index_weight"].astype(float), strict=True))
            for pool, part in table.groupby("pool")}
