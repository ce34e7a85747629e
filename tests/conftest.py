"""Shared test set-up."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels():
    """Compile (or load) the numba kernels once, before any timed test: on a
    fresh checkout the first compilation takes 10-20 s and would otherwise
    land inside whichever test happens to run first."""
    from polystep_sat.warmup import warm_up

    warm_up()
