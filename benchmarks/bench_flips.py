"""Flips per second: our clause-weighting search (cwls) against NuWLS, same file, one after the other.

Instances: every ``*.wcnf`` / ``*.cnf`` file of ``--dir`` (default
``../shared/real-dev``; compressed files too) and the generated structured
families (``--families``) at ``--sizes`` variables (files written once under
``benchmarks/.data/structured/``, as :mod:`bench_structured` does). Each
instance is written in the old ``p wcnf`` format that NuWLS reads, into a
temporary folder.

* ours: ``polystep-sat solve FILE --method cwls --time-limit S --json``, one
  process; its ``info.flips_per_second`` counts the search phase only (flips
  divided by the wall time from the search's first flip to its end);
* NuWLS: ``NUWLS FILE 1``, sent SIGTERM at S seconds of wall time. The public
  NuWLS prints no flip count, so ``--nuwls`` takes a binary that, when it
  ends, prints one line ``c flips N search_seconds T``: its own step counter
  ``total_step`` and the CPU seconds since its search began (after parsing).
  Such a binary is NuWLS built from its public source (github
  filyouzicha/NuWLS) with that one print added to its SIGTERM handler; it is
  never committed here. Without ``--nuwls`` only our rate is measured.

The ratio is ours / NuWLS's, measured in the same run; the issue's target is
at least 2/3 everywhere. A flip rate depends on where the search walks (which
clauses it breaks and makes), so both searches run on the same file for the
same time, from their own starts.

    python benchmarks/bench_flips.py --nuwls /tmp/nuwls_count/nuwls_count
    python benchmarks/bench_flips.py --dir ../shared/real-dev --families '' --seconds 5

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


def ours(path: Path, seconds: float, seed: int) -> dict:
    cmd = [sys.executable, "-m", "polystep_sat.cli", "solve", str(path), "--method", "cwls",
           "--time-limit", f"{seconds:g}", "--seed", str(seed), "--no-progress", "--json"]
    out, wall = run_command(cmd, seconds, grace=30.0)
    try:
        info = json.loads(out)["info"]
    except (ValueError, KeyError):
        return dict(flips=None, flips_per_second=None, note="no JSON answer")
    return dict(flips=info.get("flips"), flips_per_second=info.get("flips_per_second"), note="")


def nuwls(binary: str, path: Path, seconds: float) -> dict:
    out, _ = run_command([binary, str(path), "1"], seconds, grace=0.0)
    for line in out.splitlines():
        parts = line.split()
        if parts[:2] == ["c", "flips"] and len(parts) >= 5:
            flips, secs = int(parts[2]), float(parts[4])
            return dict(flips=flips, flips_per_second=flips / secs if secs > 0 else None, note="")
    return dict(flips=None, flips_per_second=None, note="no 'c flips' line")


def markdown(rows, command: str, with_nuwls: bool) -> str:
    head = ["instance", "variables", "literals", "ours (cwls) flips/s"]
    if with_nuwls:
        head += ["NuWLS flips/s", "ours / NuWLS"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    ratios = []
    for r in rows:
        cells = [r["instance"], f"{r['n_vars']:,}", f"{r['n_literals']:,}", _rate(r["ours_fps"])]
        if with_nuwls:
            ratio = (r["ours_fps"] / r["nuwls_fps"]) if r["ours_fps"] and r["nuwls_fps"] else None
            if ratio:
                ratios.append(ratio)
            cells += [_rate(r["nuwls_fps"]), f"{ratio:.2f}" if ratio else "n/a"]
        lines.append("| " + " | ".join(cells) + " |")
    out = ["# Flips per second: cwls and NuWLS", "", f"`{command}`", "",
           f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
           "One run after the other, never in parallel.", ""] + lines
    if ratios:
        gm = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        out += ["", f"Ratio ours / NuWLS: geometric mean {gm:.2f}, lowest {min(ratios):.2f}, "
                    f"highest {max(ratios):.2f} over {len(ratios)} instances."]
    return "\n".join(out) + "\n"


def _rate(x) -> str:
    return f"{x:,.0f}" if x else "n/a"


def main(argv=None) -> int:
    from polystep_sat.generate import STRUCTURED_FAMILIES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, default=HERE.parent.parent / "shared" / "real-dev",
                    help="folder of real instances (default ../shared/real-dev)")
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
            r = ours(plain, args.seconds, args.seed)
            row.update(ours_flips=r["flips"], ours_fps=r["flips_per_second"], ours_note=r["note"])
            if args.nuwls:
                r = nuwls(args.nuwls, plain, args.seconds)
                row.update(nuwls_flips=r["flips"], nuwls_fps=r["flips_per_second"], nuwls_note=r["note"])
            else:
                row.update(nuwls_flips=None, nuwls_fps=None, nuwls_note="not run")
            rows.append(row)
            ratio = (row["ours_fps"] / row["nuwls_fps"]) if row["ours_fps"] and row["nuwls_fps"] else None
            print(f"{name[:60]:<60} ours {_rate(row['ours_fps']):>12}  NuWLS {_rate(row['nuwls_fps']):>12}  "
                  f"ratio {ratio:.2f}" if ratio else f"{name[:60]:<60} ours {_rate(row['ours_fps']):>12}",
                  flush=True)
            plain.unlink()
    write_results(Path(args.out), markdown(rows, command.strip(), bool(args.nuwls)), rows, list(rows[0]) if rows else ["instance"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
