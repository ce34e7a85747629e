"""Proofs against the exact-track winners: how many optima the default proves, and how fast.

Three sets, each run through :mod:`bench_real` (same checks, same scoring,
every command pinned with ``--taskset``, ``--seconds`` each):

* ``real``: the folder ``--real`` (default ``instances/real-dev``);
* ``bundled``: ``instances/real``, the Evaluation files that ship with the package;
* ``regression``: the MaxSAT Evaluation 2024 regression suite (``--suite``:
  the folder of ``testSolver.py``): the files of ``MSE22+23Unique.csv`` (what
  the exact tracks must pass) and ``MSE23Anytime.csv``, each once, with their
  ``BestOValue`` as the known cost;
* ``families``: the generated structured families (``--families``) at
  ``--size`` variables, seeds ``--family-seeds``, written as WCNF files;
* ``levels``: formulas with many weight levels, summarised per family: the
  Security-CPS files of ``--real`` (100 distinct weights) and the regression
  suite's files with ``--min-weights`` (20) or more distinct soft weights.

Each ``--peer NAME=CMD`` is run as in :mod:`bench_real` (the plain file last,
or where CMD has ``{}``). The summary, per set and solver: proofs (``s OPTIMUM
FOUND``, or ``s UNSATISFIABLE`` on a file with no model), wrong claims, median
wall time to proof, and, on the files where the first peer needs
``--slow`` seconds or more to prove, our wall time over its (the target:
within 2x).

    python benchmarks/bench_proofs.py --suite /tmp/mrs \\
        --peer 'uwrmaxsat=/tmp/peers/UWrMaxSat/UWrMaxSat/bin/uwrmaxsat -v0 -no-sat -no-bin -m -bm {}' \\
        --taskset 0 --seconds 10

Results: ``benchmarks/results/proofs_<set>.{md,csv}`` (bench_real's tables)
and ``benchmarks/results/proofs.md`` (the summary; ``--out``).
"""

from __future__ import annotations

import argparse
import csv
import platform
import re
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

import bench_real  # noqa: E402
import numpy as np  # noqa: E402

SETS = ("real", "bundled", "regression", "families", "levels")
SUITE_LISTS = ("MSE22+23Unique.csv", "MSE23Anytime.csv")


def suite_files(suite: Path) -> dict[Path, int]:
    """The regression suite's files, each once: path -> best known cost (-1: none, or no model)."""
    files = {}
    for name in SUITE_LISTS:
        with open(suite / name) as fh:
            lines = [ln for ln in fh if not ln.startswith("c")]
        for rec in csv.DictReader(lines, skipinitialspace=True):
            best = rec["BestOValue"].strip()
            path = suite / rec["WCNFFile"].strip()
            if path.exists():
                files.setdefault(path, int(best) if best not in ("", "None") else -1)
    return files


def prepare_regression(suite: Path, folder: Path) -> int:
    """Links to the suite's files in ``folder``, with their known costs in instances.tsv."""
    folder.mkdir()
    rows = []
    for path, best in sorted(suite_files(suite).items()):
        link = folder / f"{path.parent.name}__{path.name}"
        link.symlink_to(path.resolve())
        rows.append(f"{link.name}\t{best}")
    (folder / "instances.tsv").write_text("file\tknown_cost\n" + "\n".join(rows) + "\n")
    return len(rows)


def distinct_soft_weights(path: Path) -> int:
    from polystep_sat.dimacs import read_dimacs

    f = read_dimacs(path)
    return int(np.unique(f.weights[~f.hard]).size)


def prepare_levels(real: Path, suite: Path, min_weights: int, folder: Path) -> int:
    """Links to --real's Security-CPS files and to the suite's files with ``min_weights`` or
    more distinct soft weights, with their known costs in instances.tsv."""
    folder.mkdir()
    known = bench_real.known_costs(real)
    rows = []
    for path in sorted(real.glob("Security-CriticalCyber*")):
        (folder / path.name).symlink_to(path.resolve())
        rows.append(f"{path.name}\t{known.get(path.name, -1)}")
    for path, best in sorted(suite_files(suite).items()):
        if distinct_soft_weights(path) >= min_weights:
            link = folder / f"{path.parent.name}__{path.name}"
            link.symlink_to(path.resolve())
            rows.append(f"{link.name}\t{best}")
    (folder / "instances.tsv").write_text("file\tknown_cost\n" + "\n".join(rows) + "\n")
    return len(rows)


def prepare_families(families: list[str], size: int, seeds: list[int], folder: Path) -> int:
    from polystep_sat.dimacs_write import write_dimacs
    from polystep_sat.generate import structured_family

    folder.mkdir()
    for fam in families:
        for seed in seeds:
            write_dimacs(structured_family(fam, size, seed=seed), folder / f"{fam}-{size}-s{seed}.wcnf")
    return len(families) * len(seeds)


def read_rows(path: Path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


def proved(r: dict) -> bool:
    """A claim of optimality (or of no model) that held up: a wrong claim is no proof."""
    if r["status"] == bench_real.OPTIMUM:
        return r["wrong_optimum"] != "True"
    return r["status"] == bench_real.UNSAT and r["wrong_unsat"] != "True"


def summarise(name: str, rows: list[dict], solvers: list[str], slow: float) -> list[str]:
    by_file = {}
    for r in rows:
        by_file.setdefault(r["instance"], {})[r["solver"]] = r
    out = [f"## {name} ({len(by_file)} files)", "",
           "| solver | proofs | proven by it alone | wrong optimum | wrong unsat | no answer | "
           "median time to proof (s) | max (s) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in solvers:
        mine = [fr[s] for fr in by_file.values() if s in fr]
        times = [float(r["wall_s"]) for r in mine if proved(r)]
        alone = sum(1 for fr in by_file.values() if s in fr and proved(fr[s])
                    and not any(proved(o) for k, o in fr.items() if k != s))
        out.append(f"| {s} | {len(times)} | {alone} | {sum(r['wrong_optimum'] == 'True' for r in mine)} | "
                   f"{sum(r['wrong_unsat'] == 'True' for r in mine)} | {sum(r['answer'] != 'True' and r['status'] != bench_real.UNSAT for r in mine)} | "
                   + (f"{statistics.median(times):.2f} | {max(times):.2f} |" if times else "— | — |"))
    ours, peer = solvers[0], solvers[1] if len(solvers) > 1 else None
    if peer is not None:
        slow_files = [(f, fr) for f, fr in sorted(by_file.items())
                      if peer in fr and proved(fr[peer]) and float(fr[peer]["wall_s"]) >= slow]
        out += ["", f"Files {peer} needs {slow:g} s or more to prove: {len(slow_files)}."]
        if slow_files:
            out += ["", f"| file | {peer} (s) | {ours} (s) | ratio |", "|---|---:|---:|---:|"]
            for f, fr in slow_files:
                o = fr.get(ours)
                t = float(o["wall_s"]) if o is not None and proved(o) else None
                out.append(f"| {f[:70]} | {float(fr[peer]['wall_s']):.2f} | "
                           + (f"{t:.2f} | {t / float(fr[peer]['wall_s']):.2f} |" if t is not None else "not proven | — |"))
        lost = [f for f, fr in sorted(by_file.items()) if peer in fr and proved(fr[peer])
                and not (ours in fr and proved(fr[ours]))]
        if lost:
            out += ["", f"Proven by {peer}, not by {ours}: " + ", ".join(f[:60] for f in lost)]
    return out + [""]


def summarise_set(name: str, rows: list[dict], solvers: list[str], slow: float, min_weights: int = 20) -> list[str]:
    """:func:`summarise`, per family for the ``levels`` set (Security-CPS, the suite's files)."""
    if name != "levels":
        return summarise(name, rows, solvers, slow)
    security = [r for r in rows if r["instance"].startswith("Security-CriticalCyber")]
    suite = [r for r in rows if not r["instance"].startswith("Security-CriticalCyber")]
    return (summarise("levels: Security-CPS (100 weights)", security, solvers, slow)
            + summarise(f"levels: regression suite, files with {min_weights} or more weights", suite, solvers, slow))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    ap.add_argument("--real", type=Path, default=HERE.parent / "instances" / "real-dev")
    ap.add_argument("--suite", type=Path, default=None, help="the regression suite's folder")
    ap.add_argument("--families", default="mis,setcover,colouring")
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--family-seeds", default="1,2,3")
    ap.add_argument("--min-weights", type=int, default=20, help="levels: the suite's files with this many distinct weights")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=CMD")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--taskset", default=None, metavar="CPU")
    ap.add_argument("--slow", type=float, default=0.3, help="a peer's proof this slow or slower is compared")
    ap.add_argument("--out", default=str(RESULTS / "proofs"), help="summary path without extension; "
                    "each set's tables go beside it with _<set> added")
    ap.add_argument("--summary-only", action="store_true",
                    help="run nothing: rebuild the summary from the sets' CSV files of an earlier run")
    args = ap.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    if any(s not in SETS for s in sets):
        ap.error(f"--sets: choose from {', '.join(SETS)}")
    solvers = ["polystep-sat"] + [p.partition("=")[0] for p in args.peer]
    if args.summary_only:
        md = []
        for name in sets:
            md += summarise_set(name, read_rows(Path(f"{args.out}_{name}.csv")), solvers, args.slow,
                                args.min_weights)
        summary = Path(args.out + ".md")
        head = summary.read_text().split("\n## ")[0] if summary.exists() else "# Proofs: the default against exact solvers\n"
        summary.write_text(head.rstrip("\n") + "\n\n" + "\n".join(md))
        print(summary.read_text())
        return 0
    if ("regression" in sets or "levels" in sets) and (args.suite is None or not all((args.suite / n).exists() for n in SUITE_LISTS)):
        ap.error(f"--suite DIR: the regression suite's folder (with {' and '.join(SUITE_LISTS)})")
    if "real" in sets and not args.real.is_dir():
        ap.error(f"--real {args.real}: not a folder")
    command = "python " + shlex.join(sys.argv if argv is None else [sys.argv[0], *argv])
    common = ["--seconds", f"{args.seconds:g}", "--methods", "auto"]
    common += [x for p in args.peer for x in ("--peer", p)]
    common += ["--taskset", str(args.taskset)] if args.taskset is not None else []

    md = ["# Proofs: the default against exact solvers", "", f"Command: `{command}`  ",
          f"Machine: {platform.machine()}, {time.strftime('%Y-%m-%d %H:%M')}"
          + (f", every command pinned with `taskset -c {args.taskset}`" if args.taskset is not None else "")
          + f"; {args.seconds:g} s each; runs one after the other.  ",
          "A proof: `s OPTIMUM FOUND` with a verified model (or `s UNSATISFIABLE` where no solver has a model); "
          "time to proof: the process's wall time, start to exit. Per-file tables: the `_<set>` files beside this one.",
          ""]
    with tempfile.TemporaryDirectory(prefix="bench_proofs_") as tmp:
        for name in sets:
            folder = Path(tmp) / name
            if name == "real":
                folder = args.real
            elif name == "bundled":
                folder = HERE.parent / "instances" / "real"
            elif name == "regression":
                prepare_regression(args.suite, folder)
            elif name == "levels":
                prepare_levels(args.real, args.suite, args.min_weights, folder)
            else:
                prepare_families(args.families.split(","), args.size,
                                 [int(s) for s in args.family_seeds.split(",")], folder)
            out = f"{args.out}_{name}"
            bench_real.main([str(folder), *common, "--out", out])
            table = Path(out + ".md")   # bench_real's command line would name this script and a temporary folder
            table.write_text(re.sub(r"^Command: `[^\n]*$", f"Command: run by `benchmarks/bench_proofs.py` through "
                                    f"`bench_real.py` on this set's files (its command line is in "
                                    f"[{Path(args.out).name}.md]({Path(args.out).name}.md)).  ",
                                    table.read_text(), count=1, flags=re.M))
            md += summarise_set(name, read_rows(Path(out + ".csv")), solvers, args.slow, args.min_weights)
    Path(args.out + ".md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
