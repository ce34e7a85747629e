"""The array module switch: NumPy on the CPU, CuPy on a GPU when asked for."""

from __future__ import annotations

BACKENDS = ("numpy", "cupy")


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
