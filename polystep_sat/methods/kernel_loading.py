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


def load_walksat() -> None:
    from ..generate import random_ksat
    from .walksat import WalkSAT

    f = random_ksat(20, 4.0, seed=0)
    ws = WalkSAT(f, noise=0.3, seed=0)
    ws.set_assignment(np.zeros(f.n_vars, dtype=bool))
    ws.run(max_flips=100)
    ws.best()


def load_cwls() -> None:
    from ..generate import weighted_mis
    from .cwls import ClauseWeightingSearch

    f = weighted_mis(20, seed=0)
    search = ClauseWeightingSearch(f, seed=0)
    search.set_assignment(np.zeros(f.n_vars, dtype=bool))
    search.run(max_flips=100)
    search.best()


def load_relaxed() -> None:
    from ..generate import random_ksat
    from ..relax.objective import RelaxedObjective

    f = random_ksat(20, 4.0, seed=0)
    p = np.full(f.n_vars, 0.5)
    partner = np.arange(f.n_vars) ^ 1
    partner[partner >= f.n_vars] = -1
    for precision in ("float64", "float32"):  # float32 is used above 2**20 literals
        RelaxedObjective(f, kernel_precision=precision).pair_gradient(p, partner, p > 0.5)


# The search's kernels, by part (warmup.warm_up times each).
SEARCH_KERNEL_PARTS = (("walksat", load_walksat), ("clause-weighting search", load_cwls),
                       ("relaxed objective", load_relaxed))


def load_search_kernels() -> None:
    """Load the search's kernels (WalkSAT, the clause-weighting search, the relaxed
    objective) from numba's cache now, on tiny inputs. The first kernel call of a process
    pays numba's start-up (0.2-0.4 s); the pipeline calls this before it shares out its
    time, so that start-up is counted in its set-up instead of running past the deadline
    in the middle of a phase (a 1 s limit ended 0.2 s late that way). Idempotent and
    cheap once loaded."""
    global _SEARCH_KERNELS_LOADED
    if not _SEARCH_KERNELS_LOADED:
        for _, load in SEARCH_KERNEL_PARTS:
            load()
        _SEARCH_KERNELS_LOADED = True


_SEARCH_KERNELS_LOADED = False
