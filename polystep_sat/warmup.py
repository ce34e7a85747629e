"""Compile the numba kernels once, ahead of real work.

numba compiles a kernel on its first call and caches the machine code on disk
(``__pycache__`` next to the module, or ``NUMBA_CACHE_DIR``). On a fresh
install that first compilation takes seconds (about 10 s on a 2-core machine
for the WalkSAT flip loop alone), and it happens inside the first search,
where a time limit cannot interrupt it. ``polystep-sat warmup`` (or
:func:`warm_up`) pays that cost up front; every later process loads the
cached code in milliseconds.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np


def warm_up(log=None) -> dict:
    """Call every numba kernel on small inputs; return seconds per part."""
    from .dimacs import JIT_MIN_BYTES, read_dimacs, write_dimacs
    from .dimacs_scan import _kernel
    from .generate import random_ksat
    from .methods.kernel_loading import SEARCH_KERNEL_PARTS, load_search_kernels

    seconds = {}

    def part(name, fn):
        t = time.perf_counter()
        fn()
        seconds[name] = time.perf_counter() - t
        if log is not None:
            log(f"{name}: {seconds[name]:.2f} s")

    small = random_ksat(200, 4.26, seed=0)

    def dimacs():
        # large enough for the compiled reader (small files parse interpreted), and with a
        # comment among the clauses: the vectorised path reads the well-formed files up to
        # 8 MB, so without it the byte kernel compiled inside the first bigger file's limit
        f = random_ksat(max(2_000, JIT_MIN_BYTES // 40), 4.26, seed=0)
        fd, path = tempfile.mkstemp(suffix=".cnf")
        os.close(fd)
        try:
            write_dimacs(f, path)
            with open(path, "a") as fh:
                fh.write("c a comment among the clauses\n1 -2 0\n")
            read_dimacs(path)
        finally:
            os.unlink(path)

    def evaluation():
        from .solver import _polarity_kernel  # the large-formula first answer
        from .verify import _satisfied_loop  # the large-formula check of every answer

        for dtype in (np.int32, np.int64):  # int64 past 2**31 literals
            _kernel(_polarity_kernel, True)(small.literals, np.zeros(small.n_vars, dtype=dtype))
        _satisfied_loop(small.indptr, small.literals, np.zeros(small.n_vars, dtype=bool))

    part("dimacs reader", dimacs)
    part("first answer and answer check", evaluation)
    for name, load in SEARCH_KERNEL_PARTS:
        part(name, load)
    load_search_kernels()   # (all loaded above: this only records it)
    return seconds
