"""What a study runs: one RunSpec per (instance, method, seed), planned from sizes
(generated random k-SAT) or from instance files, and the columns of a row."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path



DEFAULT_METHODS = "polystep,walksat,openai-es,cma-es"


# One row per run, in this order. ``size`` is the number of variables.
COLUMNS = [
    "instance", "size", "clauses", "ratio", "k", "instance_seed", "method", "backend", "seed",
    "time_limit", "wall_time", "prepare_time", "peak_memory_mb", "cost", "claimed_cost",
    "n_unsat", "satisfied_fraction", "verified", "status", "error", "host",
]


INSTANCE_SUFFIXES = (".cnf", ".wcnf")


COMPRESSED_SUFFIXES = ("", ".gz", ".bz2", ".xz")


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs for one run (small and picklable)."""

    instance: str                  # label: generated name or file path
    method: str
    seed: int                      # solver seed (also the seed index)
    time_limit: float
    path: str | None = None        # instance file, or None for a generated one
    size: int | None = None        # variables (known up front for generated instances)
    clauses: int | None = None
    ratio: float | None = None
    k: int = 3
    instance_seed: int | None = None
    backend: str = "numpy"
    save_dir: str | None = None    # where to keep the assignment (for recheck), or None

    @property
    def key(self) -> tuple:
        return run_key(self.instance, self.method, self.backend, self.seed, self.time_limit)

    @property
    def label(self) -> str:
        n = "?" if self.size is None else f"{self.size:,}"
        return f"n={n} {self.method} seed {self.seed}"

    def base_row(self) -> dict:
        row = dict.fromkeys(COLUMNS, "")
        row.update(instance=self.instance, size=_blank(self.size), clauses=_blank(self.clauses),
                   ratio=_blank(self.ratio), k=self.k if self.path is None else "",
                   instance_seed=_blank(self.instance_seed),
                   method=self.method, backend=self.backend, seed=self.seed,
                   time_limit=float(self.time_limit), verified=False)
        return row


def run_key(instance, method, backend, seed, time_limit) -> tuple:
    """What makes two runs the same run (for resuming)."""
    return (str(instance), str(method), str(backend or "numpy"), int(seed), float(time_limit))


def _blank(x):
    return "" if x is None else x


def instance_seed(study_seed: int, n_vars: int, index: int) -> int:
    """Seed of the generated instance for (study seed, size, seed index).

    Every method sees the same instance for a given size and seed index, and
    different sizes or indices give independent instances.
    """
    import numpy as np

    state = np.random.SeedSequence([int(study_seed), int(n_vars), int(index)]).generate_state(2)
    return int(state[0]) << 32 | int(state[1])


def plan_generated(sizes, methods, seeds: int, time_limits, *, ratio: float = 4.26, k: int = 3,
                   study_seed: int = 0, backend: str = "numpy", save_dir=None) -> list[RunSpec]:
    """Runs of a study on random k-SAT: smallest size first, then seed, then method.

    ``time_limits`` is one number or one per size.
    """
    limits = _per_size(time_limits, sizes)
    specs = []
    for n, limit in zip(sizes, limits):
        m = int(round(ratio * n))
        for i in range(seeds):
            name = f"random-{k}sat-n{n}-r{ratio:g}-s{study_seed}.{i}"
            iseed = instance_seed(study_seed, n, i)
            for method in methods:
                specs.append(RunSpec(name, method, i, float(limit), size=int(n), clauses=m, ratio=float(ratio),
                                     k=k, instance_seed=iseed, backend=backend,
                                     save_dir=None if save_dir is None else str(save_dir)))
    return specs


def plan_files(paths, methods, seeds: int, time_limit: float, *, backend: str = "numpy",
               save_dir=None) -> list[RunSpec]:
    """Runs of a study on instance files (sizes from the files' headers where they have one)."""
    specs = []
    for path in paths:
        n, m = peek_header(path)
        for i in range(seeds):
            for method in methods:
                specs.append(RunSpec(str(path), method, i, float(time_limit), path=str(path), size=n, clauses=m,
                                     backend=backend, save_dir=None if save_dir is None else str(save_dir)))
    specs.sort(key=lambda s: (s.size is None, s.size or 0, s.instance, s.seed))
    return specs


def _per_size(values, sizes) -> list[float]:
    if isinstance(values, (int, float)):
        return [float(values)] * len(sizes)
    values = [float(v) for v in values]
    if len(values) == 1:
        return values * len(sizes)
    if len(values) != len(sizes):
        raise ValueError(f"give one time limit, or one per size ({len(sizes)}), got {len(values)}")
    return values


def find_instances(pattern: str) -> list[str]:
    """Instance files in a directory (``*.cnf``/``*.wcnf``, optionally compressed) or matching a glob."""
    p = Path(pattern)
    if p.is_dir():
        names = [str(f) for f in sorted(p.iterdir())
                 if f.is_file() and any(f.name.endswith(s + c) for s in INSTANCE_SUFFIXES
                                        for c in COMPRESSED_SUFFIXES)]
    elif p.is_file():
        names = [str(p)]
    else:
        names = sorted(f for f in glob.glob(pattern, recursive=True) if os.path.isfile(f))
    if not names:
        raise ValueError(f"no instance files found for {pattern!r} "
                         f"(a directory of .cnf/.wcnf files, optionally .gz/.bz2/.xz, or a glob)")
    return names


def _open_text(path):
    if path.endswith(".gz"):
        import gzip
        return gzip.open(path, "rt", errors="replace")
    if path.endswith(".bz2"):
        import bz2
        return bz2.open(path, "rt", errors="replace")
    if path.endswith(".xz"):
        import lzma
        return lzma.open(path, "rt", errors="replace")
    return open(path, errors="replace")


def peek_header(path, max_lines: int = 10_000):
    """``(n_vars, n_clauses)`` from a DIMACS ``p`` line, or ``(None, None)``.

    Cheap (reads only the first lines), so the parent can label runs whose
    worker crashed before reading the file. The worker's own parse is the truth.
    """
    try:
        with _open_text(str(path)) as f:
            for i, line in enumerate(f):
                if i >= max_lines:
                    break
                parts = line.split()
                if parts[:1] == ["p"] and len(parts) >= 4:
                    return int(parts[2]), int(parts[3])
                if parts and parts[0] not in ("c", "p") and not parts[0].startswith("c"):
                    break
    except (OSError, ValueError, EOFError):
        pass
    return None, None


def parse_sizes(text: str) -> list[int]:
    """``"100,1k,1e4,1M"`` -> ``[100, 1000, 10000, 1000000]``."""
    sizes = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        mult = 1
        if part[-1] in "kKmM":
            mult = 1000 if part[-1] in "kK" else 1_000_000
            part = part[:-1]
        try:
            value = float(part) * mult
        except ValueError:
            raise ValueError(f"bad size {part!r}: expected integers like 100,1000,1e4,1M") from None
        if value < 1 or value != int(value):
            raise ValueError(f"bad size {part!r}: sizes are positive integers")
        sizes.append(int(value))
    if not sizes:
        raise ValueError("--sizes is empty")
    return sizes
