"""Every method choice of a wave computation, as one frozen value."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from analysis import influence

WEIGHT_METHODS = ("pls", "equal", "ahp")
SCHEMES = ("path", "centroid", "factorial")
DESIGNS = ("sample", "census")
AGGREGATIONS = ("enterprise_weights", "pooled")
SPLITS = ("mean", "median", "midpoint")
# by_design: rao_wu under design="sample", respondents under design="census"
BOOTSTRAP_SCHEMES = ("by_design", "rao_wu", "respondents")


@dataclass(frozen=True)
class Settings:
    """Method settings of a wave computation (stored with every result).

    Examples
    --------
    >>> s = Settings(design="census")
    >>> Settings.from_dict(s.to_dict()) == s
    True
    """

    weight_method: str = "pls"
    scheme: str = "path"
    pls_tol: float = 1e-7
    pls_max_iter: int = 300
    weights_pooled_by: str = "sector"  # sector or category
    ahp_matrices: dict = field(default_factory=dict)  # construct -> pairwise matrix
    frozen_weights: dict = field(default_factory=dict)  # pool code -> {item: weight}
    design: str = "sample"
    # Bias-reduced linearisation and Satterthwaite df for the few enterprise PSUs of a
    # sector (analysis.small_sample); only used with design="sample".
    small_sample: bool = True
    aggregation: str = "enterprise_weights"
    raking: bool = True
    trim_bounds: tuple | None = (0.3, 3.0)
    rake_tol: float = 1e-10
    ci_level: float = 0.95
    verdict_level: float = 0.90
    min_n_eff: float = 30.0
    min_df: float = 8.0
    caution_half_width: float = 5.0
    quadrant_split: str = "mean"
    bootstrap: int = 0  # 0 = linearisation only; else B >= 500 replicates
    # analysis.bootstrap: Rao-Wu enterprises within sectors, or respondents within enterprises
    bootstrap_scheme: str = "by_design"
    seed: int = 20240601
    include_quarantined: bool = False
    min_answered_share: float = 2.0 / 3.0
    # Bounded influence of a day (analysis.influence): a local day carries at most
    # max(influence_cap x a typical day's count, the day count an honest day exceeds with
    # chance influence_alpha per wave under a negative binomial of squared CV
    # influence_day_cv2, influence_floor) responses' weight of its
    # enterprise. influence_cap None = off (results stored before the cap existed are read
    # that way); influence_day_cv2 None = the former rule max(cap x typical, floor), without
    # the quantile term (results stored before that term existed are read that way).
    influence_cap: float | None = 5.0
    influence_floor: float = 10.0
    influence_alpha: float = influence.ALPHA
    influence_day_cv2: float | None = influence.DAY_CV2
    time_zone: str = "Asia/Shanghai"

    def __post_init__(self):
        checks = [
            ("weight_method", self.weight_method, WEIGHT_METHODS),
            ("scheme", self.scheme, SCHEMES),
            ("design", self.design, DESIGNS),
            ("aggregation", self.aggregation, AGGREGATIONS),
            ("quadrant_split", self.quadrant_split, SPLITS),
            ("weights_pooled_by", self.weights_pooled_by, ("sector", "category")),
            ("bootstrap_scheme", self.bootstrap_scheme, BOOTSTRAP_SCHEMES),
        ]
        for name, value, allowed in checks:
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        for name in ("ci_level", "verdict_level"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must be in (0, 1)")
        if self.bootstrap and self.bootstrap < 500:
            raise ValueError("bootstrap needs B >= 500 replicates (or 0 for none)")
        if self.influence_cap is not None and not (self.influence_cap > 0
                                                   and self.influence_floor > 0):
            raise ValueError("influence_cap and influence_floor must be > 0")
        if not (0 < self.influence_alpha < 1
                and (self.influence_day_cv2 is None or self.influence_day_cv2 > 0)):
            raise ValueError("influence_alpha must be in (0, 1) and influence_day_cv2 > 0 "
                             "(or None)")
        if self.bootstrap_scheme == "rao_wu" and self.design == "census":
            raise ValueError("bootstrap_scheme='rao_wu' resamples enterprises, which "
                             "design='census' holds fixed")
        if self.trim_bounds is not None:
            lo, hi = self.trim_bounds
            if not 0 < lo <= 1 <= hi:
                raise ValueError("trim_bounds must satisfy 0 < lower <= 1 <= upper")

    @property
    def resolved_bootstrap_scheme(self) -> str:
        """``rao_wu`` or ``respondents``: ``by_design`` follows ``design``."""
        if self.bootstrap_scheme != "by_design":
            return self.bootstrap_scheme
        return "rao_wu" if self.design == "sample" else "respondents"

    def to_dict(self) -> dict:
        """Plain JSON-ready dict of every setting."""
        out = asdict(self)
        out["trim_bounds"] = None if self.trim_bounds is None else list(self.trim_bounds)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        """Rebuild settings from :meth:`to_dict` output or a wave's configured settings;
        unknown keys are an error and absent keys take their defaults (so a record from
        before a setting existed still loads: ``bootstrap_scheme`` then reads ``by_design``).
        """
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        data = dict(data)
        if data.get("trim_bounds") is not None:
            data["trim_bounds"] = tuple(data["trim_bounds"])
        return cls(**data)

    @classmethod
    def from_stored(cls, data: dict) -> Settings:
        """The settings a stored result was computed with (its ``settings`` dict).

        As :meth:`from_dict`, except where today's default would misdescribe an old result:
        no ``influence_cap`` means it was computed without the day cap, and a cap without
        ``influence_day_cv2`` under the former rule ``K = max(cap m, floor)``
        (``influence_day_cv2=None``).
        """
        data = dict(data)
        if "influence_cap" not in data:
            data["influence_cap"] = None
        elif "influence_day_cv2" not in data:
            data["influence_day_cv2"] = None
        return cls.from_dict(data)
