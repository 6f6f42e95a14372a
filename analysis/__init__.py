"""Satisfaction indices, design-based uncertainty, verdicts and priorities.

Pure functions over pandas DataFrames (numpy, pandas, scipy and the standard
library only): nothing here touches the web layer, the database or files.
"""

from analysis.ahp import ahp_weights
from analysis.change import change
from analysis.design_frame import survey_mean
from analysis.index import construct_indices, rescale_items, respondent_scores
from analysis.methodology import methodology_text
from analysis.priorities import quadrants
from analysis.result import WaveResult
from analysis.settings import Settings
from analysis.shrinkage import percentile_rank, shrink
from analysis.verdict import holm, publication_flags, target_verdicts
from analysis.wave import compute_wave
from analysis.weighting import kish_deff, kish_neff, poststratify, rake, rake_trim, trim_weights

__all__ = [
    "Settings", "WaveResult", "ahp_weights", "change", "compute_wave", "construct_indices",
    "holm", "kish_deff", "kish_neff", "methodology_text", "percentile_rank", "poststratify",
    "publication_flags", "quadrants", "rake", "rake_trim", "rescale_items", "respondent_scores",
    "shrink", "survey_mean", "target_verdicts", "trim_weights",
]
