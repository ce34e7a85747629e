"""``polystep-sat scale``: its arguments, and turning them into a study."""

from __future__ import annotations

import sys
from pathlib import Path

from .plan import DEFAULT_METHODS, find_instances, parse_sizes, plan_files, plan_generated
from .report import SUMMARY_NAME, markdown_table
from .results import CSV_NAME, recheck
from .runner import run_study


# Exit statuses of run_scale_cli.
EXIT_OK = 0            # every run of the study finished and verified


EXIT_FAILED_RUNS = 1   # the study finished; some runs failed or did not verify


EXIT_USAGE = 2


EXIT_INTERRUPTED = 130


def add_scale_arguments(parser) -> None:
    """Add the ``scale`` options to an argparse (sub)parser."""
    import argparse

    parser.description = (__doc__ or "").split("\n\n")[0]
    parser.epilog = ("Writes DIR/runs.csv (one row per run, appended as runs finish), DIR/summary.md and "
                     "DIR/*.png. Exit status: 0 all runs verified, 1 some runs failed or did not verify "
                     "(they are rows in the CSV), 2 bad arguments, 130 interrupted (rerun to resume).")
    g = parser.add_argument_group("instances")
    g.add_argument("--sizes", help="comma-separated numbers of variables (1k, 1M, 1e5 accepted) "
                                   "of random k-SAT instances, e.g. 100,1000,10000,100000,1000000")
    g.add_argument("--ratio", type=float, default=4.26, help="clauses per variable of generated instances (default: %(default)s)")
    g.add_argument("--k", type=int, default=3, help="literals per clause of generated instances (default: %(default)s)")
    g.add_argument("--instances", metavar="DIR_OR_GLOB", action="append",
                   help="instance files instead of generated ones: a directory of .cnf/.wcnf files "
                        "(optionally .gz/.bz2/.xz) or a glob; may be repeated")
    g.add_argument("--study-seed", type=int, default=0,
                   help="seed from which each generated instance's seed is derived (with its size and seed index; default: %(default)s)")
    r = parser.add_argument_group("runs")
    r.add_argument("--methods", default=DEFAULT_METHODS, help="comma-separated methods (default: %(default)s)")
    r.add_argument("--seeds", type=int, default=3, help="seeds per size and method: 0..N-1 "
                                                         "(a new instance per seed, the same for every method; default: %(default)s)")
    r.add_argument("--time-limit", default="10", metavar="S",
                   help="seconds per run: one number, or one per size (comma-separated; default: %(default)s)")
    r.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    r.add_argument("--out", required=True, metavar="DIR", help="output directory")
    r.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help="skip runs already in DIR/runs.csv (--no-resume moves it to runs.csv.bak and starts over)")
    e = parser.add_argument_group("execution")
    e.add_argument("--workers", type=int, default=1,
                   help="runs at a time, each in its own process (mind the memory at 1M variables; default: %(default)s)")
    e.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on this Dask distributed scheduler (e.g. tcp://host:8786), one task per run")
    e.add_argument("--run-timeout", type=float, default=None, metavar="S",
                   help="kill a local run after S seconds (default: 2 x time limit + 120)")
    e.add_argument("--max-memory-mb", type=float, default=None, metavar="MB",
                   help="kill a local run whose resident memory exceeds MB (recorded as a failed row)")
    e.add_argument("--save-assignments", action="store_true",
                   help="keep every run's assignment under DIR/assignments (1 bit per variable) so that "
                        "--recheck can re-verify the CSV later")
    e.add_argument("--recheck", action="store_true",
                   help="only re-verify the finished study in DIR from its saved assignments, and exit")
    e.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True, help="write the PNG plots")
    e.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="progress display on stderr")


def _usage_error(msg: str) -> int:
    print(f"polystep-sat scale: {msg}", file=sys.stderr)
    return EXIT_USAGE


def run_scale_cli(args) -> int:
    """Run ``polystep-sat scale`` from parsed arguments; return the exit status."""
    from ..methods import METHODS

    if args.recheck:
        return _recheck_cli(args.out)
    methods = [m.strip().lower().replace("_", "-") for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if not methods or unknown:
        return _usage_error(f"unknown method(s) {', '.join(unknown) or '(none given)'}; "
                            f"choose from: {', '.join(METHODS)}")
    if args.seeds < 1:
        return _usage_error("--seeds must be >= 1")
    if args.workers < 0:
        return _usage_error("--workers must be >= 1 (0 runs everything in this process, for debugging)")
    try:
        limits = [float(t) for t in str(args.time_limit).split(",") if t.strip()]
    except ValueError:
        return _usage_error(f"--time-limit: expected seconds, got {args.time_limit!r}")
    if not limits or any(not t > 0 for t in limits):
        return _usage_error("--time-limit must be > 0")
    save_dir = (Path(args.out) / "assignments").resolve() if args.save_assignments else None
    try:
        if args.instances:
            if args.sizes:
                return _usage_error("give either --sizes (generated instances) or --instances (files), not both")
            if len(limits) != 1:
                return _usage_error("with --instances give a single --time-limit")
            paths = list(dict.fromkeys(p for pattern in args.instances for p in find_instances(pattern)))
            specs = plan_files(paths, methods, args.seeds, limits[0], backend=args.backend, save_dir=save_dir)
        elif args.sizes:
            if not args.ratio > 0 or args.k < 1:
                return _usage_error("--ratio must be > 0 and --k >= 1")
            specs = plan_generated(parse_sizes(args.sizes), methods, args.seeds, limits, ratio=args.ratio,
                                   k=args.k, study_seed=args.study_seed, backend=args.backend,
                                   save_dir=save_dir)
        else:
            return _usage_error("give --sizes (random instances) or --instances DIR_OR_GLOB")
    except ValueError as exc:
        return _usage_error(str(exc))

    meta = {"command": "polystep-sat scale " + " ".join(_quote(a) for a in _argv_of(args))}
    try:
        outcome = run_study(specs, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                            run_timeout=args.run_timeout, max_memory_mb=args.max_memory_mb,
                            progress=args.progress, plots=args.plots, meta=meta)
    except RuntimeError as exc:  # missing optional dependency, unreachable scheduler
        print(f"polystep-sat scale: {exc}", file=sys.stderr)
        return 1
    summary = Path(args.out) / SUMMARY_NAME
    if outcome.summary:
        print(markdown_table(outcome.summary))
    print(f"wrote: {', '.join(str(f) for f in outcome.files)}", file=sys.stderr)
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    if outcome.failed:
        print(f"polystep-sat scale: {outcome.failed} of {outcome.planned} runs failed or did not verify "
              f"(see {summary})", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return EXIT_OK


def _recheck_cli(out) -> int:
    if not (Path(out) / CSV_NAME).exists():
        return _usage_error(f"no {CSV_NAME} in {out}")
    checks = recheck(out)
    bad = [c for c in checks if not c["ok"]]
    for c in bad:
        r = c["row"]
        print(f"MISMATCH {r['instance']} {r['method']} seed {r['seed']}: {c['message']}")
    print(f"rechecked {len(checks)} verified runs of {out}: {len(checks) - len(bad)} agree, {len(bad)} do not")
    return EXIT_OK if checks and not bad else EXIT_FAILED_RUNS


def _argv_of(args) -> list[str]:
    """The study's options, as a command that reproduces it."""
    argv = []
    if args.instances:
        for p in args.instances:
            argv += ["--instances", p]
    else:
        argv += ["--sizes", args.sizes, "--ratio", f"{args.ratio:g}"]
        if args.k != 3:
            argv += ["--k", str(args.k)]
        if args.study_seed:
            argv += ["--study-seed", str(args.study_seed)]
    argv += ["--methods", args.methods, "--seeds", str(args.seeds), "--time-limit", str(args.time_limit)]
    if args.backend != "numpy":
        argv += ["--backend", args.backend]
    if args.save_assignments:
        argv += ["--save-assignments"]
    argv += ["--out", str(args.out)]
    return argv


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(str(s))


def main(argv=None) -> int:
    """``python -m polystep_sat.study ...`` (same options as ``polystep-sat scale``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="polystep-sat scale")
    add_scale_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_scale_cli(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
