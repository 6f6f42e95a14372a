"""Versioned questionnaires: one CCSI core per index family plus one module per sector.

The package's API is ``instruments.loader.__all__``, listed there once.
"""

from instruments import loader
from instruments.loader import *  # noqa: F403

__all__ = loader.__all__
