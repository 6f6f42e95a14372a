"""Analytic hierarchy process: weights from an expert pairwise-comparison matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Saaty's random consistency index RI by matrix order: mean CI of 500 random reciprocal
# matrices on the 1-9 scale (Saaty 1980, *The Analytic Hierarchy Process*, McGraw-Hill;
# the table as reproduced e.g. in Water Supply (IWA Publishing) and most AHP texts). Saaty's
# later re-estimates (2005, *Theory and Applications of the ANP*, p. 31) differ in the
# second decimal.
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                9: 1.45, 10: 1.49}


@dataclass(frozen=True)
class AHPResult:
    """Principal-eigenvector weights with the consistency figures."""

    weights: pd.Series
    lambda_max: float
    ci: float
    cr: float


def ahp_weights(matrix, labels=None, *, max_cr: float = 0.1) -> AHPResult:
    """Weights from a reciprocal pairwise matrix (Saaty 1980).

    ``w`` is the principal right eigenvector of ``A`` normalised to sum 1;
    ``CI = (lambda_max - n) / (n - 1)`` and ``CR = CI / RI_n``. Raises
    ``ValueError`` when ``A`` is not positive and reciprocal or when
    ``CR >= max_cr`` (0.1, Saaty's rule).

    Examples
    --------
    >>> r = ahp_weights([[1, 3], [1 / 3, 1]], ["a", "b"])
    >>> r.weights.tolist(), r.cr
    ([0.75, 0.25], 0.0)
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0]
    if a.ndim != 2 or a.shape[1] != n or n < 1:
        raise ValueError("the pairwise matrix must be square")
    if n > max(RANDOM_INDEX):
        raise ValueError(f"at most {max(RANDOM_INDEX)} elements can be compared")
    if np.any(~(a > 0)) or not np.allclose(a * a.T, 1.0, rtol=1e-6):
        raise ValueError("the pairwise matrix must be positive and reciprocal (a_ji = 1/a_ij)")
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    lam = float(values[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    cr = ci / RANDOM_INDEX[n] if RANDOM_INDEX[n] > 0 else 0.0
    if cr >= max_cr:
        raise ValueError(f"inconsistent pairwise judgements: CR = {cr:.3f} >= {max_cr}")
    labels = list(range(n)) if labels is None else list(labels)
    return AHPResult(pd.Series(w, index=labels, dtype=float), lam, ci, cr)
