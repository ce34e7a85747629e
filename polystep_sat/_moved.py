"""Old module paths (before 0.2), kept importable for one release.

``import polystep_sat.walksat`` still works: it gives the module at its new
place and warns with a DeprecationWarning naming it. Nothing here is imported
by the package's own code.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "polystep_sat.polystep": "polystep_sat.optim.polystep",
    "polystep_sat.relaxed": "polystep_sat.relax.objective",
    "polystep_sat.rounding": "polystep_sat.relax.rounding",
    "polystep_sat.pipeline": "polystep_sat.methods.polystep_pipeline",
    "polystep_sat.walksat": "polystep_sat.methods.walksat",
    "polystep_sat.es": "polystep_sat.methods.es",
    "polystep_sat.exact": "polystep_sat.methods.exact",
    "polystep_sat.baseline_random": "polystep_sat.methods.random_baseline",
    "polystep_sat.scale": "polystep_sat.study",
    "polystep_sat.plots": "polystep_sat.study.plots",
    "polystep_sat.exact_side": "polystep_sat.portfolio.side",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} has moved to {new}; the old path goes away in the next release",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module):
        pass  # the module at its new place is already executed


def install() -> None:
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
