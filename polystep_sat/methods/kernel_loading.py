"""Loading the search's compiled kernels, and whether there is time to.

The first kernel call of a process pays numba's start-up: importing numba (with
scipy.linalg for its BLAS check) and loading the kernels from numba's cache take
about a second on the 2-core machine. The pipeline loads them before it shares
out its time, and does not start where less than that is left.
"""

from __future__ import annotations

import numpy as np

# A fresh process needs about this long to import numba and load the search's kernels from
# its cache (0.3 s for the imports, 0.5-0.7 s for numba's registries and the kernels, on the
# 2-core machine): with less time left a search would end late, so it does not start.
SEARCH_START_SECONDS = 1.0


def search_can_start(ctx) -> bool:
    """Whether the search's kernels are loaded, or there is time to load them."""
    return _SEARCH_KERNELS_LOADED or ctx.deadline is None or ctx.remaining() >= SEARCH_START_SECONDS


def load_search_kernels() -> None:
    """Load the search's kernels (WalkSAT, the clause-weighting search, the relaxed
    objective) from numba's cache now, on tiny inputs. The first kernel call of a process
    pays numba's start-up (0.2-0.4 s); the pipeline calls this before it shares out its
    time, so that start-up is counted in its set-up instead of running past the deadline
    in the middle of a phase (a 1 s limit ended 0.2 s late that way). Idempotent and
    cheap once loaded."""
    global _SEARCH_KERNELS_LOADED
    if _SEARCH_KERNELS_LOADED:
        return
    from ..generate import random_ksat, weighted_mis
    from .cwls import ClauseWeightingSearch
    from .walksat import WalkSAT
    from ..relax.objective import RelaxedObjective

    small = random_ksat(20, 4.0, seed=0)
    ws = WalkSAT(small, noise=0.3, seed=0)
    ws.set_assignment(np.zeros(small.n_vars, dtype=bool))
    ws.run(max_flips=100)
    ws.best()
    f = weighted_mis(20, seed=0)
    search = ClauseWeightingSearch(f, seed=0)
    search.set_assignment(np.zeros(f.n_vars, dtype=bool))
    search.run(max_flips=100)
    search.best()
    p = np.full(small.n_vars, 0.5)
    partner = np.arange(small.n_vars) ^ 1
    RelaxedObjective(small).pair_gradient(p, partner, p > 0.5)
    _SEARCH_KERNELS_LOADED = True


_SEARCH_KERNELS_LOADED = False
