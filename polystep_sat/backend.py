"""The array module switch: NumPy on the CPU, CuPy on a GPU when asked for; NumPy's page policy; the cores the process may use."""

from __future__ import annotations

import os
from contextlib import contextmanager

BACKENDS = ("numpy", "cupy")


def cores() -> int:
    """The cores this process may run on (``taskset`` and cgroups respected)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class BackendUnavailable(RuntimeError):
    """The requested backend cannot run here (e.g. CuPy or a GPU is missing)."""


def cupy_available() -> bool:
    # ``import cupy`` succeeds without a GPU, so ask CUDA as well.
    try:
        import cupy
        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def get_array_module(name: str = "numpy"):
    """Return the array module for ``name`` ("numpy" or "cupy")."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    if name == "numpy":
        import numpy
        return numpy
    try:
        import cupy
    except ImportError as exc:
        raise BackendUnavailable(
            "backend 'cupy' needs CuPy: install it with pip install \"polystep-sat[gpu]\" "
            "(or the cupy-cudaXXx wheel matching your CUDA)") from exc
    if not cupy_available():
        raise BackendUnavailable("backend 'cupy' needs a CUDA GPU, and none is available here")
    return cupy


def to_numpy(a):
    """Bring an array (NumPy or CuPy) to the host."""
    import numpy
    if isinstance(a, numpy.ndarray):
        return a
    get = getattr(a, "get", None)
    return get() if get is not None else numpy.asarray(a)


@contextmanager
def small_pages():
    """NumPy arrays allocated inside ask for no transparent huge pages.

    NumPy advises huge pages for every large array. On a machine whose free
    memory is fragmented (a VM, a long-running host) each huge page may then
    stall for a compaction: the 10M-variable parse spent ~1.5 s more in the
    kernel with them (3.1-3.6 s of system time against 1.6-2.2 s). Arrays
    written once and read in order gain nothing from them. The setting is
    NumPy's (private, process-wide); without it this does nothing.
    """
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # NumPy 1.x
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            _set_madvise_hugepage = None
    if _set_madvise_hugepage is None:
        yield
        return
    previous = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(previous)
