"""The relaxed encoding: a formula as a smooth cost over probabilities, and back.

* ``objective``  :class:`RelaxedObjective`, the expected falsified weight of a
  product distribution, with exact sparse per-variable and per-pair changes;
* ``rounding``   from probabilities to Boolean assignments.
"""

from .objective import RelaxedObjective
from .rounding import best_rounding, sample, threshold

__all__ = ["RelaxedObjective", "best_rounding", "sample", "threshold"]
