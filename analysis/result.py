"""The frozen result of a wave computation, its JSON form and its provenance."""

from __future__ import annotations

import hashlib
import json
import math
import platform
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy

ANALYSIS_VERSION = "1.0"
FORMAT = "manyi-wave-result/1"


@dataclass
class WaveResult:
    """Tables of a computed wave, the settings used and the provenance.

    ``tables`` holds ``district``, ``categories``, ``sectors``, ``enterprises``
    (headline satisfaction index with estimate, se, df, CI, n, n_eff, flags,
    verdicts, shrunk estimate and rank; ``ranking_tied`` enterprises of a sector whose
    between-enterprise variance estimate is 0 have no rank, and ``sectors`` carries
    ``ranking_tau2``, ``ranking_published`` and ``ranking_tied``), ``indices`` (every
    construct for every unit), ``item_weights``, ``items`` (0-100 item means, extra items too),
    ``paths``, ``diagnostics``, ``priorities``,
    ``weighting``, ``excluded``, ``psu_totals`` (for between-wave change), ``shares``
    (share satisfied, percent, at every level), ``families`` (one index per family) and
    ``targets`` (improvement and share targets with their verdicts, :mod:`analysis.targets`).

    Tables are reachable as attributes, and the JSON form round-trips exactly:

    >>> r = WaveResult({"sectors": pd.DataFrame({"unit": ["retail"], "estimate": [81.25],
    ...                                          "se": [float("nan")]})},
    ...                settings={"design": "sample"})
    >>> r.sectors.loc[0, "estimate"]
    np.float64(81.25)
    >>> back = WaveResult.from_json(r.to_json())
    >>> back.sectors.equals(r.sectors), back.settings
    (True, {'design': 'sample'})
    >>> "NaN" not in r.to_json() and "null" in r.to_json()  # NaN stored as null
    True
    """

    tables: dict[str, pd.DataFrame]
    settings: dict
    provenance: dict = field(default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def to_json(self) -> str:
        """Serialise to JSON (floats round-trip exactly; NaN becomes null)."""
        doc = {
            "format": FORMAT,
            "settings": self.settings,
            "provenance": self.provenance,
            "tables": {k: _frame_doc(v) for k, v in self.tables.items()},
        }
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> WaveResult:
        """Rebuild a result from :meth:`to_json` output."""
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a wave result document (format {doc.get('format')!r})")
        tables = {k: _frame_from_doc(v) for k, v in doc["tables"].items()}
        return cls(tables=tables, settings=doc["settings"], provenance=doc["provenance"])


def _plain(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _frame_doc(frame: pd.DataFrame) -> dict:
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "data": [[_plain(v) for v in frame[c].tolist()] for c in frame.columns],
    }


def _frame_from_doc(doc: dict) -> pd.DataFrame:
    cols = {}
    for name, dtype, values in zip(doc["columns"], doc["dtypes"], doc["data"], strict=True):
        if dtype == "float64":
            cols[name] = pd.Series([np.nan if v is None else v for v in values], dtype=float)
        elif dtype in ("int64", "bool", "str"):
            cols[name] = pd.Series(values, dtype=dtype)
        else:
            cols[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(cols, columns=doc["columns"])


def frame_sha256(frame: pd.DataFrame | None, key: str | None = None) -> str:
    """sha256 of a frame's canonical bytes: columns by name, rows in key order.

    Rows are sorted by ``key`` (a unique column) or else by all columns.

    Numbers are hashed as float64/int64 bytes, text as UTF-8 with separators,
    so the digest does not depend on row or column order.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0], "k": [2, 1]})
    >>> frame_sha256(a) == frame_sha256(a.iloc[::-1][["k", "x"]])
    True
    """
    h = hashlib.sha256()
    if frame is None:
        return h.hexdigest()
    names = {str(c): c for c in frame.columns}
    if len(names) < frame.shape[1]:  # duplicate names after str(): the general route
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
        names = {c: c for c in names}
    cols = sorted(names)
    order = [key] if key is not None and key in cols else cols
    if not (len(order) == 1 and frame[names[order[0]]].is_monotonic_increasing):
        frame = frame.sort_values([names[c] for c in order], kind="stable",
                                  na_position="first")
    for c in cols:
        s = frame[names[c]]
        h.update(f"\x1e{c}\x1f".encode())
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            h.update(np.ascontiguousarray(s.to_numpy(float, na_value=np.nan)).tobytes())
        else:
            # sorted distinct texts plus the row codes: linear, no per-row Python; text
            # columns factorise as they are (sorted in code-point order, as str objects)
            values = s if isinstance(s.dtype, pd.StringDtype) else s.astype(object)
            code, levels = pd.factorize(values, sort=True, use_na_sentinel=True)
            h.update("\x1f".join(map(str, levels)).encode())
            h.update(code.astype(np.int64).tobytes())
    return h.hexdigest()


def _doc_sha256(obj) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def provenance(responses, enterprises, sectors, categories, models, margins, settings,
               wave=None) -> dict:
    """Digests of every input, the settings and the package versions."""
    inputs = {
        "responses": frame_sha256(responses, "response_id"),
        "enterprises": frame_sha256(enterprises, "enterprise_id"),
        "sectors": frame_sha256(sectors, "sector"),
        "categories": frame_sha256(categories, "category"),
        "models": _doc_sha256(models),
        "margins": _doc_sha256(margins),
    }
    return {
        "inputs": inputs,
        "input_sha256": _doc_sha256(inputs),
        "settings_sha256": _doc_sha256(settings.to_dict()),
        "wave": wave,
        "versions": {
            "analysis": ANALYSIS_VERSION,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scipy": scipy.__version__,
        },
    }
