"""Generic optimizers, independent of SAT.

* ``polystep``  :class:`PolyStep`, the gradient-free ask/tell optimizer (one
  step: polytope vertices around particles, softmax over the cost matrix,
  barycentric move), and :func:`minimize`, a loop around it.
"""

from .polystep import PolyStep, minimize

__all__ = ["PolyStep", "minimize"]
