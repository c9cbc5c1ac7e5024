"""FTR's linkage engine: normalise -> candidates -> compare -> score -> rank -> explain.

Pure Python (pandas/numpy); no web framework or database imports.
"""

from matching.linker import Linker
from matching.normalize import name_keys, normalize_name

__all__ = ["Linker", "name_keys", "normalize_name"]
