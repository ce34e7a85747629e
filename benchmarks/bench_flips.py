"""Flips per second: our clause-weighting search (cwls) against NuWLS, same file, one after the other.

Instances: every ``*.wcnf`` / ``*.cnf`` file of ``--dir`` (default
``instances/real-dev``; compressed files too) and the generated structured
families (``--families``) at ``--sizes`` variables (files written once under
``benchmarks/.data/structured/``, as :mod:`bench_structured` does). Each
instance is written in the old ``p wcnf`` format that NuWLS reads, into a
temporary folder.

* ours: ``solve(FILE, method="cwls", time_limit=S)`` in a process of its
  own, twice: with NuWLS's weighting (``weighting="nuwls"``: the same
  heuristic as NuWLS, so the ratio is the kernels' speed) and with the
  default weighting (NuWLS-c's on weighted partial instances, which raises
  every soft clause at each stuck hard-feasible point and so does more work
  per flip there; the same run elsewhere). ``info.flips_per_second`` counts
  the search phase only (flips divided by the wall time from the search's
  first flip to its end);
* NuWLS: ``NUWLS FILE 1``, sent SIGTERM at S seconds of wall time. The public
  NuWLS prints no flip count, so ``--nuwls`` takes a binary that, when it
  ends, prints one line ``c flips N search_seconds T``: its own step counter
  ``total_step`` and the CPU seconds since its search began (after parsing).
  Such a binary is NuWLS built from its public source (github
  filyouzicha/NuWLS) with that one print added to its SIGTERM handler; it is
  never committed here. Without ``--nuwls`` only our rate is measured.

The ratios are ours / NuWLS's, measured in the same run; the target for the
kernel (same weighting) is at least 2/3 everywhere. A flip rate depends on where the search walks (which
clauses it breaks and makes), so both searches run on the same file for the
same time, from their own starts.

    python benchmarks/bench_flips.py --nuwls /tmp/nuwls_count/nuwls_count
    python benchmarks/bench_flips.py --dir instances/real-dev --families '' --seconds 5

The whole run holds ``/tmp/polystep-bench.lock`` (fcntl), like the other
benchmarks. Results: ``benchmarks/results/flips.{md,csv}``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LOCK = "/tmp/polystep-bench.lock"
sys.path.insert(0, str(HERE))

from bench_structured import instance_file, run_command, write_results  # noqa: E402

_SUFFIXES = (".wcnf", ".cnf")


def real_files(folder: Path) -> list[Path]:
    """The instance files of ``folder``, compressed or not, sorted by name."""
    out = []
    for p in sorted(folder.iterdir()):
        name = p.name
        for z in (".xz", ".gz", ".bz2"):
            if name.endswith(z):
                name = name[: -len(z)]
        if p.is_file() and name.endswith(_SUFFIXES):
            out.append(p)
    return out


_OURS = ("import json, sys; from polystep_sat import solve; "
         "w = sys.argv[4] or None; opts = {'weighting': w} if w else {}; "
         "r = solve(sys.argv[1], method='cwls', time_limit=float(sys.argv[2]), seed=int(sys.argv[3]), **opts); "
         "print(json.dumps({k: r.info.get(k) for k in ('flips', 'flips_per_second', 'settings')}))")


def ours(path: Path, seconds: float, seed: int, weighting: str | None) -> dict:
    cmd = [sys.executable, "-c", _OURS, str(path), f"{seconds:g}", str(seed), weighting or ""]
    out, wall = run_command(cmd, seconds, grace=30.0)
    try:
        info = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return dict(flips=None, flips_per_second=None, note="no answer")
    return dict(flips=info.get("flips"), flips_per_second=info.get("flips_per_second"), note="")


def nuwls(binary: str, path: Path, seconds: float) -> dict:
    out, _ = run_command([binary, str(path), "1"], seconds, grace=0.0)
    for line in out.splitlines():
        parts = line.split()
        if parts[:2] == ["c", "flips"] and len(parts) >= 5:
            flips, secs = int(parts[2]), float(parts[4])
            return dict(flips=flips, flips_per_second=flips / secs if secs > 0 else None, note="")
    return dict(flips=None, flips_per_second=None, note="no 'c flips' line")


def _ratio(a, b):
    return a / b if a and b else None


def markdown(rows, command: str, with_nuwls: bool) -> str:
    head = ["instance", "variables", "literals", "ours, NuWLS's weighting", "ours, default weighting"]
    if with_nuwls:
        head += ["NuWLS", "kernel ratio (same weighting)", "default / NuWLS"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    kernel, default = [], []
    for r in rows:
        cells = [r["instance"], f"{r['n_vars']:,}", f"{r['n_literals']:,}", _rate(r["same_fps"]),
                 _rate(r["default_fps"])]
        if with_nuwls:
            k, d = _ratio(r["same_fps"], r["nuwls_fps"]), _ratio(r["default_fps"], r["nuwls_fps"])
            kernel += [k] if k else []
            default += [d] if d else []
            cells += [_rate(r["nuwls_fps"]), f"{k:.2f}" if k else "n/a", f"{d:.2f}" if d else "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    out = ["# Flips per second: cwls and NuWLS", "", f"`{command}`", "",
           f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
           "One run after the other, never in parallel. Flips per second of the search phase.", ""] + lines
    for name, ratios in (("kernel (same weighting)", kernel), ("default / NuWLS", default)):
        if ratios:
            gm = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            out += ["", f"Ratio {name}: geometric mean {gm:.2f}, lowest {min(ratios):.2f}, "
                        f"highest {max(ratios):.2f} over {len(ratios)} instances."]
    return "\n".join(out) + "\n"


def _rate(x) -> str:
    return f"{x:,.0f}" if x else "n/a"


def main(argv=None) -> int:
    from polystep_sat.generate import STRUCTURED_FAMILIES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, default=HERE.parent / "instances" / "real-dev",
                    help="folder of real instances (default instances/real-dev)")
    ap.add_argument("--families", default=",".join(STRUCTURED_FAMILIES), help="generated families ('' for none)")
    ap.add_argument("--sizes", default="50000,500000", help="variables per generated instance")
    ap.add_argument("--seconds", type=float, default=10.0, help="time per run (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nuwls", default=None, metavar="PATH",
                    help="NuWLS binary that prints 'c flips N search_seconds T' when it ends")
    ap.add_argument("--out", default=str(RESULTS / "flips"), help="results path without extension")
    args = ap.parse_args(argv)
    if args.nuwls and not os.access(args.nuwls, os.X_OK):
        ap.error(f"--nuwls {args.nuwls}: not an executable file")
    families = [f for f in args.families.split(",") if f]
    for f in families:
        if f not in STRUCTURED_FAMILIES:
            ap.error(f"unknown family {f!r}; choose from {', '.join(STRUCTURED_FAMILIES)}")
    if not args.dir.is_dir() and str(args.dir):
        ap.error(f"--dir {args.dir}: not a folder")

    from polystep_sat.dimacs import read_dimacs, write_dimacs

    command = "python benchmarks/bench_flips.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = []
    with open(LOCK, "w") as lock, tempfile.TemporaryDirectory() as tmp:
        fcntl.flock(lock, fcntl.LOCK_EX)
        jobs = [(p.name, lambda p=p: read_dimacs(p)) for p in real_files(args.dir)]
        jobs += [(f"{fam}_{n}", lambda fam=fam, n=n: instance_file(fam, n, 1)[0])
                 for n in (int(s) for s in args.sizes.split(",") if s) for fam in families]
        for name, load in jobs:
            formula = load()
            plain = Path(tmp) / "instance.wcnf"
            write_dimacs(formula, plain, fmt="wcnf-old")
            row = dict(instance=name, n_vars=formula.n_vars, n_literals=formula.n_literals)
            r = ours(plain, args.seconds, args.seed, "nuwls")
            row.update(same_flips=r["flips"], same_fps=r["flips_per_second"], same_note=r["note"])
            partial_weighted = formula.is_partial and bool(formula.weights[~formula.hard].size) and \
                bool((formula.weights[~formula.hard] != formula.weights[~formula.hard][0]).any())
            if partial_weighted:   # elsewhere the default is NuWLS's weighting: the same run
                r = ours(plain, args.seconds, args.seed, None)
            row.update(default_flips=r["flips"], default_fps=r["flips_per_second"], default_note=r["note"])
            if args.nuwls:
                r = nuwls(args.nuwls, plain, args.seconds)
                row.update(nuwls_flips=r["flips"], nuwls_fps=r["flips_per_second"], nuwls_note=r["note"])
            else:
                row.update(nuwls_flips=None, nuwls_fps=None, nuwls_note="not run")
            rows.append(row)
            print(f"{name[:50]:<50} ours {_rate(row['same_fps']):>12} (default {_rate(row['default_fps']):>12})"
                  f"  NuWLS {_rate(row['nuwls_fps']):>12}", flush=True)
            plain.unlink()
    write_results(Path(args.out), markdown(rows, command.strip(), bool(args.nuwls)), rows, list(rows[0]) if rows else ["instance"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
