"""Command line: ``polystep-sat solve|generate|verify|scale``.

``solve`` speaks the MaxSAT Evaluation contract on stdout: ``c`` comments,
``o COST`` each time a better (independently re-checked) assignment is found,
exactly one ``s`` line, one ``v`` line of 0/1 characters, and the exit codes
30 (OPTIMUM FOUND), 10 (SATISFIABLE), 20 (UNSATISFIABLE), 0 (UNKNOWN).
Input errors print one line on stderr and exit 1.

Signals: SIGTERM/SIGINT are caught from the first moment ``main`` runs (heavy
modules are imported only after the handlers are in place). The search runs in
a worker thread; the main thread waits, so it can always answer a signal:
it asks the search to stop, gives it a moment to finish cleanly, and
otherwise prints the best assignment already re-checked, then exits.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from .answer_stream import Anytime, Output, v_line

EXIT_INPUT_ERROR = 1
# After a signal: how long the search may take to wind down cleanly before the
# best already-checked answer is printed without it (the answer is due within
# 0.2 s of a SIGTERM; a search still loading its kernels does not look at the
# signal for 0.3-0.5 s).
GRACE_SECONDS = 0.1
# At the time limit, a search that has not ended (solve() ends before it, leaving time for its
# last check) gets this long to wind down; then the best answer already checked is printed:
# the process is due to end within 0.2 s of its limit.
OVERRUN_SECONDS = 0.0
OVERRUN_GRACE_SECONDS = 0.05
# After a signal, a not-yet-checked candidate is still checked if that check
# (after one in flight, which it waits for) can end this long after the signal.
PENDING_CHECK_BY = 0.18
# Wall seconds beyond its CPU time that the interpreter's start-up may spend
# waiting (disk, a busy core; 0.56 s measured with a cold page cache). It bounds
# the process age that /proc reports (see process_start).
STARTUP_WAIT_SECONDS = 1.0


# Seconds one independent check of an assignment takes, per literal (0.6-1.5 s
# at 128M literals on a 2-core machine, the more when the search runs beside it).
CHECK_SECONDS_PER_LITERAL = 1.2e-8
# Independent evaluations of the answer after the search's deadline (see cmd_solve).
CHECKS_AFTER_THE_SEARCH = 3
# Seconds solve()'s final PySAT cross-check takes per literal, on formulas up to
# verify.PYSAT_CHECK_MAX_LITERALS (0.8-1.2 s at 1.28M literals on a 2-core machine).
PYSAT_CHECK_SECONDS_PER_LITERAL = 8e-7
# Seconds the search takes to wind down after its deadline, whatever the formula's size:
# stopping the SAT side's child and joining its watcher (0.04-0.05 s on 2 cores; without
# this reserve `auto` on a 2,000-variable MIS ended past the limit + its grace every time).
WIND_DOWN_SECONDS = 0.1
# Seconds a method's set-up takes per literal before it can offer anything
# (WalkSAT's clause cleaning and occurrence lists: 14-23 s at 128M literals on
# a 2-core machine; it cannot be interrupted). With less time left after the
# first answer, no search starts: it could only make the answer late.
SETUP_SECONDS_PER_LITERAL = 1.5e-7


class Interrupted(Exception):
    pass


# ---------------------------------------------------------------- solve
def _with_best(d: dict, anytime: Anytime) -> dict:
    """``d`` with the best re-checked cost and assignment (for --json)."""
    if anytime.best is not None:
        d["cost"] = anytime.best[0]
        d["assignment"] = v_line(anytime.best[1])[2:].strip()
    return d


def _final_from_best(anytime: Anytime, proven_optimal: bool = False):
    """Status line, v line and exit code for the best re-checked assignment."""
    from .result import EXIT_CODES, OPTIMUM, SATISFIABLE, UNKNOWN

    if anytime.best is None:
        return f"s {UNKNOWN}\n", EXIT_CODES[UNKNOWN]
    cost, a = anytime.best
    status = OPTIMUM if (cost == 0 or proven_optimal) else SATISFIABLE
    return f"s {status}\n" + v_line(a), EXIT_CODES[status]


def cmd_solve(args, out: Output, stop_event: threading.Event, anytime: Anytime, state: dict) -> int:
    from .backend import cores, small_pages
    from .dimacs import DimacsError, read_dimacs
    from .solver import polarity_assignment, solve
    from .verify import PYSAT_CHECK_MAX_LITERALS, evaluate

    out.json_mode = args.json
    out.comment(f"polystep-sat {_version()}: method={args.method} seed={args.seed} "
                f"time_limit={args.time_limit} backend={args.backend}")
    t0 = time.perf_counter()
    progress = state["progress"] = _progress_reporter(args)
    early_child = args.method == "auto" and cores() > 1
    if early_child:  # the SAT side's interpreter loads while we parse
        from .portfolio.side import drop_prestarted, prestart, worth_starting

        prestart()
    try:
        with small_pages():  # the formula's arrays are written once, in order
            formula = read_dimacs(args.file, progress=progress.parse if progress else None, strict=args.strict)
    except DimacsError as exc:
        state["input_error"] = str(exc)
        return EXIT_INPUT_ERROR
    if progress:
        progress.done()
    if early_child and not worth_starting(formula):  # no use for it: free its memory before the search
        drop_prestarted()
    if stop_event.is_set():
        raise Interrupted
    out.comment(f"parsed {formula!r} in {time.perf_counter() - t0:.2f} s")
    for warning in formula.warnings:  # what the lenient reader tolerated
        out.comment(f"WARNING: {warning}")
    state["formula"] = formula
    state["search_start"] = time.perf_counter()
    # An answer of the first moment (checked here, by the independent
    # evaluation), so a signal during the method's set-up still finds one.
    with small_pages():
        first = polarity_assignment(formula)
        ev = evaluate(formula, first)
    if ev.n_hard_unsat == 0:
        anytime.accept(ev.cost, first)
        out.comment(f"first answer (majority polarity) after {time.perf_counter() - t0:.2f} s")
    # the limit counts from the start of the process, as a harness's stopwatch does
    left = args.time_limit - (time.perf_counter() - state["process_start"])
    # after solve()'s deadline come its answer's evaluation, solve()'s re-check (with PySAT
    # too, up to PYSAT_CHECK_MAX_LITERALS) and ours before printing: leave them their time
    # (with one check's worth the 5M-variable MIS ended past its limit, and the answer was
    # the last one checked before it: the first)
    per_literal = CHECKS_AFTER_THE_SEARCH * CHECK_SECONDS_PER_LITERAL + PYSAT_CHECK_SECONDS_PER_LITERAL * (
        formula.n_literals <= PYSAT_CHECK_MAX_LITERALS)
    left -= min(0.25 * left, WIND_DOWN_SECONDS + per_literal * formula.n_literals)
    if left < SETUP_SECONDS_PER_LITERAL * formula.n_literals:
        out.comment(f"{left:.1f} s left: too little for a search's set-up on {formula.n_literals:,} literals; "
                    "answering with the first answer")
        state["result"] = _first_answer_result(args, formula, first, ev)
        return 0
    anytime.start(formula)
    result = solve(formula, method=args.method, time_limit=max(left, 0.01), seed=args.seed,
                   backend=args.backend, on_improve=anytime.offer, stop_event=stop_event,
                   start=first if ev.n_hard_unsat == 0 else None)
    state["result"] = result
    return 0


def _first_answer_result(args, formula, first, ev):
    """The Result of a run that had no time to search: the first answer, checked."""
    from .result import OPTIMUM, SATISFIABLE, UNKNOWN, Result

    info = {"search": "skipped: too little time left after the parse"}
    common = dict(method=args.method, n_vars=formula.n_vars, n_clauses=formula.n_clauses, seed=args.seed, info=info)
    if ev.n_hard_unsat:
        return Result(None, None, None, None, UNKNOWN, False, **common)
    frac = 1.0 - ev.n_unsat / max(formula.n_soft, 1)
    return Result(first, ev.cost, ev.n_unsat, 0, OPTIMUM if ev.cost == 0 else SATISFIABLE, True,
                  satisfied_fraction=frac, found_by="first answer", **common)


def _finish_solve(args, out: Output, anytime: Anytime, state: dict) -> int:
    """Print the s and v lines (or the JSON) once the search has ended."""
    from .result import EXIT_CODES, UNSATISFIABLE

    result = state.get("result")
    anytime.shutdown()
    if result is not None and result.assignment is not None and result.n_hard_unsat == 0:
        if not result.verified:
            out.comment("WARNING: the returned cost did not verify; reporting the re-checked cost")
        anytime.accept(result.cost, result.assignment)
    elif anytime.pending is not None:
        anytime.check_pending()
    if args.json:
        import json

        d = result.to_dict() if result is not None else {"status": "UNKNOWN"}
        out.write(json.dumps(_with_best(d, anytime), default=str) + "\n")
        return result.exit_code if result is not None else 0
    if result is not None:
        for k, v in result.timings.items():
            out.comment(f"time {k}: {v:.3f} s")
        flips = result.info.get("polish_flips", result.info.get("flips"))
        if flips is not None:
            out.comment(f"local search flips: {int(flips)}")
        if result.satisfied_fraction is not None:
            out.comment(f"{result.method}: satisfied soft clauses: {result.satisfied_fraction:.6%} "
                        f"({result.n_unsat} falsified); verified={result.verified}")
        if "sat_side" in result.info:
            bound = "" if result.lower_bound is None else f"; lower bound {result.lower_bound}"
            out.comment(f"SAT side: {result.info['sat_side']}{bound}")
        if anytime.best is not None and result.cost is not None and anytime.best[0] < result.cost:
            out.comment(f"the first answer (cost {anytime.best[0]}) beats {result.method}'s; it is the one printed")
        if result.status == UNSATISFIABLE:
            out.write(f"s {UNSATISFIABLE}\n")
            return EXIT_CODES[UNSATISFIABLE]
    proven = result is not None and result.status == "OPTIMUM FOUND" and anytime.best is not None \
        and anytime.best[0] == result.cost
    text, code = _final_from_best(anytime, proven)
    out.write(text)
    return code


# ---------------------------------------------------------------- other commands
def cmd_generate(args, out: Output) -> int:
    from .dimacs import write_dimacs
    from . import generate as gen

    if args.kind == "ksat":
        f = gen.random_ksat(args.vars, args.ratio, k=args.k, seed=args.seed)
    elif args.kind == "maxcut":
        import networkx as nx

        g = nx.gnp_random_graph(args.vars, args.edge_prob, seed=args.seed)
        f = gen.maxcut_formula(g)
    elif args.kind == "mis":
        f = gen.weighted_mis(args.vars, mean_degree=args.degree or 6.0, seed=args.seed)
    elif args.kind == "setcover":
        f = gen.weighted_set_cover(args.vars, seed=args.seed)
    elif args.kind == "colouring":
        f = gen.graph_colouring(args.vars, n_colours=args.colours, mean_degree=args.degree or 9.0, seed=args.seed)
    else:
        f = gen.random_weighted_partial(args.vars, int(round(args.ratio * args.vars)), args.soft, k=args.k,
                                        seed=args.seed)
    write_dimacs(f, args.output)
    print(f"wrote {f!r} to {args.output}", file=sys.stderr)
    return 0


def _read_assignment(path: str, n_vars: int):
    """Read an assignment: a solver's output (v line of 0/1 or signed
    literals) or a bare list of signed literals. Returns (bool array, last o cost)."""
    import numpy as np

    last_o, v_parts = None, []
    with open(path) as fh:
        for line in fh:
            s = line.strip()
            if not s or s.startswith("c") or s.startswith("s"):
                continue
            if s.startswith("o "):
                last_o = int(s.split()[1])
            elif s.startswith("v"):
                v_parts.append(s[1:].strip())
            else:
                v_parts.append(s)
    body = " ".join(v_parts).strip()
    if body and set(body) <= {"0", "1"}:
        if len(body) != n_vars:
            raise ValueError(f"v line has {len(body)} values, the formula has {n_vars} variables")
        return np.frombuffer(body.encode(), dtype=np.uint8) == ord("1"), last_o
    lits = np.array([int(t) for t in body.split()], dtype=np.int64)
    lits = lits[lits != 0]
    if np.any(np.abs(lits) > n_vars):
        raise ValueError("a literal in the assignment exceeds the number of variables")
    a = np.zeros(n_vars, dtype=bool)
    a[lits[lits > 0] - 1] = True
    missing = n_vars - np.unique(np.abs(lits)).size
    if missing:
        raise ValueError(f"the assignment leaves {missing} variables unassigned")
    return a, last_o


def cmd_verify(args, out: Output) -> int:
    from .dimacs import read_dimacs
    from .verify import verify

    formula = read_dimacs(args.file)
    for warning in formula.warnings:  # what the lenient reader tolerated
        out.comment(f"WARNING: {warning}")
    try:
        a, last_o = _read_assignment(args.assignment, formula.n_vars)
    except (OSError, ValueError) as exc:
        print(f"polystep-sat: {args.assignment}: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    claimed = args.cost if args.cost is not None else last_o
    ok, ev = verify(formula, a, claimed_cost=claimed, pysat=True)
    out.comment(f"cost {ev.cost}; falsified soft clauses {ev.n_unsat}; falsified hard clauses {ev.n_hard_unsat}")
    if claimed is not None:
        out.comment(f"claimed cost {claimed}: {'matches' if claimed == ev.cost else 'DOES NOT MATCH'}")
    out.comment("PySAT cross-check " + ("agrees" if ok or claimed is not None and claimed != ev.cost else "DISAGREES"))
    return 0 if ok and ev.n_hard_unsat == 0 else 1


# ---------------------------------------------------------------- plumbing
def _version() -> str:
    from . import __version__

    return __version__


class _Progress:
    """Progress on stderr (rich when installed), so stdout stays pure c/o/s/v."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import Progress

        self.progress = Progress(console=Console(stderr=True), transient=True)
        self.progress.start()
        self.task = self.progress.add_task("parsing", total=1.0)

    def parse(self, fraction):
        self.progress.update(self.task, completed=fraction)

    def done(self):
        self.progress.update(self.task, description="searching", completed=0.0)

    def search(self, fraction):
        self.progress.update(self.task, completed=fraction)

    def stop(self):
        self.progress.stop()


def _progress_reporter(args):
    if args.no_progress or not sys.stderr.isatty():
        return None
    try:
        return _Progress()
    except ImportError:
        return None


def build_parser(command: str | None = None):
    """The command line's parser; given the command about to run (``argv[0]``), only
    "scale" (or none) loads the scaling study's options (~0.02 s of imports)."""
    import argparse

    from .methods import DEFAULT_METHOD, METHODS

    p = argparse.ArgumentParser(prog="polystep-sat", description=__doc__.split("\n\n")[0])
    p.add_argument("--version", action="version", version=f"polystep-sat {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("solve", help="solve a DIMACS CNF/WCNF file (MaxSAT Evaluation output)")
    s.add_argument("file", help="DIMACS .cnf or .wcnf, optionally .gz/.bz2/.xz")
    s.add_argument("--method", default=DEFAULT_METHOD, choices=sorted(METHODS),
                   help="auto (default): PolyStep pipeline + SAT side; polystep: the pipeline alone; "
                        "walksat, cwls: a local search alone; openai-es, cma-es, random: baselines; "
                        "exact: PySAT's RC2 alone (small instances)")
    s.add_argument("--time-limit", type=_positive_float, default=60.0, metavar="S",
                   help="wall-clock seconds from the start of the process, parse included (default 60)")
    s.add_argument("--seed", type=_non_negative_int, default=0, metavar="N",
                   help="seed of the random draws (a time-limited run still depends on the machine's speed)")
    s.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    s.add_argument("--json", action="store_true", help="print the result as one JSON object instead")
    s.add_argument("--no-progress", action="store_true", help="no progress display on stderr")
    s.add_argument("--strict", action="store_true",
                   help="header counts must match the file (default: a wrong count is read as the file is, "
                        "with a 'c WARNING' line)")

    g = sub.add_parser("generate", help="write a random instance",
                       description="ksat: random k-SAT; maxcut: MAX-CUT of G(n, p) as MAX-2-SAT; wpms: random "
                                   "weighted partial; mis: weighted max independent set on a power-law graph; "
                                   "setcover: weighted set cover (sets of 2-8 elements); colouring: graph "
                                   "colouring (exactly one colour hard, conflicts soft)")
    g.add_argument("kind", choices=["ksat", "maxcut", "wpms", "mis", "setcover", "colouring"])
    g.add_argument("--vars", type=_positive_int, required=True,
                   help="variables; nodes for maxcut, mis and colouring; elements (= sets) for setcover")
    g.add_argument("--ratio", type=float, default=4.26, help="clauses per variable (hard ones for wpms)")
    g.add_argument("--k", type=_positive_int, default=3, help="clause length")
    g.add_argument("--edge-prob", type=float, default=0.5, help="edge probability (maxcut)")
    g.add_argument("--soft", type=_positive_int, default=100, help="soft clauses (wpms)")
    g.add_argument("--colours", type=_positive_int, default=4, help="colours (colouring)")
    g.add_argument("--degree", type=_positive_float, default=None,
                   help="mean degree (mis: 6, colouring: 9)")
    g.add_argument("--seed", type=_non_negative_int, default=0)
    g.add_argument("-o", "--output", required=True, help="output file (.cnf/.wcnf, optionally .gz/.bz2/.xz)")

    v = sub.add_parser("verify", help="check an assignment against a formula")
    v.add_argument("file")
    v.add_argument("assignment", help="a solver's output (v line) or a list of signed literals")
    v.add_argument("--cost", type=int, default=None, help="claimed cost (default: the last o line)")

    sub.add_parser("warmup", help="compile the native kernels once (the first run otherwise pays ~10-20 s)")

    sc = sub.add_parser("scale", help="scaling study: sizes x methods x seeds, CSV + plots")
    if command not in (None, "scale"):
        return p
    try:
        from .study.command import add_scale_arguments
        add_scale_arguments(sc)
    except ImportError:
        pass
    return p


def _positive_float(s):
    import argparse

    try:
        x = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {s!r}")
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {s!r}")
    return x


def _positive_int(s):
    import argparse

    try:
        x = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}")
    if x < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {s!r}")
    return x


def _non_negative_int(s):
    import argparse

    try:
        x = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}")
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {s!r}")
    return x


def main(argv=None) -> int:
    stop_event = threading.Event()
    signalled = threading.Event()
    wake = threading.Event()   # set by a signal and by the solve thread's end: the main loop looks at once

    def on_signal(signum, frame):
        if not signalled.is_set():
            state["signal_time"] = time.perf_counter()
        stop_event.set()
        signalled.set()
        wake.set()

    state: dict = {"process_start": process_start()}
    # First thing: catch the signals, before any heavy import.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    argv = sys.argv[1:] if argv is None else argv
    out = Output()
    if argv[:1] != ["solve"]:
        # Other commands run in this thread: a signal interrupts them.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        if signalled.is_set():  # a signal that came before the switch
            print("polystep-sat: interrupted", file=sys.stderr)
            return 130
        return _run_plain(argv, out)

    anytime = Anytime(out)
    code_box = {}

    def work():
        try:
            args = _parse(argv)
            state["args"] = args
            code_box["code"] = cmd_solve(args, out, stop_event, anytime, state)
        except Interrupted:
            pass
        except SystemExit as exc:  # argparse
            code_box["code"] = exc.code if isinstance(exc.code, int) else EXIT_INPUT_ERROR
            code_box["argparse"] = True
        except BaseException as exc:  # noqa: BLE001 - reported, never a traceback
            state["error"] = exc
        finally:
            done.set()
            wake.set()

    done = threading.Event()
    worker = threading.Thread(target=work, name="solve", daemon=True)
    worker.start()
    while not done.is_set():
        wake.wait(0.05)
        if done.is_set():
            break
        if signalled.is_set():
            done.wait(GRACE_SECONDS)
            break
        if _past_time_limit(state):
            # The search is stuck past its limit (a first-run kernel compile
            # cannot be interrupted): answer now, as a harness would expect.
            stop_event.set()
            if not done.wait(OVERRUN_GRACE_SECONDS):
                state["overran"] = True
                break
        progress = state.get("progress")
        if progress is not None and "search_start" in state:
            limit = state["args"].time_limit
            progress.search(min(1.0, (time.perf_counter() - state["process_start"]) / limit))
    if state.get("progress") is not None:
        state["progress"].stop()
    return _conclude(out, anytime, state, code_box, done.is_set(), signalled.is_set(), worker)


def _past_time_limit(state) -> bool:
    """Past the time limit (from the process start) by OVERRUN_SECONDS: the parse
    or the search did not end in time, and the answer cannot wait for it."""
    args = state.get("args")
    return args is not None and time.perf_counter() > state["process_start"] + args.time_limit + OVERRUN_SECONDS


def process_start() -> float:
    """The ``time.perf_counter()`` reading at which this process started
    (Linux: from /proc; elsewhere: now), so that interpreter start-up and
    imports count against the time limit too.

    /proc gives the fork, not the exec: a shell execs the last command of a
    subshell in place, so in ``(pip install . && polystep-sat solve ...)`` the
    "start" would be before pip ran. A shell waiting on other commands spends
    no CPU, while start-up is mostly imports, so the age is capped at this
    process's CPU time plus STARTUP_WAIT_SECONDS for disk and scheduler waits."""
    now = time.perf_counter()
    try:
        with open("/proc/self/stat") as fh:
            after_name = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        age = uptime - int(after_name[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time in ticks
    except (OSError, ValueError, IndexError):
        return now
    age = min(age, time.process_time() + STARTUP_WAIT_SECONDS)
    return now - age if 0.0 <= age < 600.0 else now


def _conclude(out, anytime, state, code_box, finished, signalled, worker=None) -> int:
    # No SAT-side child outlives the answer, not even as a zombie, and the solve thread (it may
    # still be at work) starts none after it: loaded here even if no child was ever started.
    from .portfolio.side import stop_all

    stop_all(closing=worker)
    if "argparse" in code_box:
        return code_box["code"]
    if "input_error" in state:
        print(f"polystep-sat: {state['input_error']}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    err = state.get("error")
    if err is not None and not isinstance(err, KeyboardInterrupt):
        msg = _friendly_error(err)
        if msg is not None:
            print(f"polystep-sat: {msg}", file=sys.stderr)
            return EXIT_INPUT_ERROR
        # A bug: still answer with what was re-checked, and say what failed.
        out.comment(f"internal error: {type(err).__name__}: {err}")
    args = state.get("args")
    if finished and args is not None and err is None and "result" in state:
        code = _finish_solve(args, out, anytime, state)
    else:
        if signalled:
            out.comment("interrupted: printing the best assignment found so far")
        elif state.get("overran"):
            out.comment("time limit passed while the search was busy (first run compiling its kernels? "
                        "see `polystep-sat warmup`): printing the best assignment found so far")
        anytime.shutdown()
        # A candidate offered but not yet re-checked is worth the check while
        # the deadline allows it (~0.15 s at 1M variables, over 1 s at 10M under
        # load; SIGKILL comes 1 s after SIGTERM).
        # A check already in flight is waited for only as long as the budget allows (testing
        # the lock first raced with the checker thread: at 1M variables one answer came 1.2 s
        # after SIGTERM, a whole in-flight check plus our own past the grace period).
        since = time.perf_counter() - state.get("signal_time", time.perf_counter())
        one_check = CHECK_SECONDS_PER_LITERAL * anytime.formula.n_literals if anytime.formula is not None else 0.0
        if anytime.pending is not None and since + one_check < PENDING_CHECK_BY:
            anytime.check_pending(wait=PENDING_CHECK_BY - since - one_check)
        # Under the stream's lock, as the checker's o lines are: a check still in flight can
        # neither change the best between choosing and printing it, nor print after it.
        with out.lock:
            text, code = _final_from_best(anytime)
            if out.json_mode:
                import json

                status = text.split("\n", 1)[0][2:]
                text = json.dumps(_with_best({"status": status, "interrupted": True}, anytime)) + "\n"
            out.write(text)
            out.closed = True
    out.closed = True
    return code


def _friendly_error(err):
    """One-line messages for errors that are the user's input, not our bug."""
    from .backend import BackendUnavailable

    if isinstance(err, (BackendUnavailable, FileNotFoundError, PermissionError, IsADirectoryError)):
        return str(err)
    if isinstance(err, ValueError) and type(err).__name__ == "ValueError":
        return str(err)
    if isinstance(err, MemoryError):
        return "out of memory"
    return None


def _parse(argv):
    return build_parser(argv[0] if argv else None).parse_args(argv)


def _run_plain(argv, out: Output) -> int:
    try:
        args = _parse(argv)
        if args.command == "generate":
            return cmd_generate(args, out)
        if args.command == "verify":
            return cmd_verify(args, out)
        if args.command == "warmup":
            from .warmup import warm_up

            seconds = warm_up(log=lambda msg: print(f"polystep-sat warmup: {msg}", file=sys.stderr))
            print(f"polystep-sat warmup: kernels compiled and cached in {sum(seconds.values()):.1f} s",
                  file=sys.stderr)
            return 0
        if args.command == "scale":
            from .study.command import run_scale_cli

            return run_scale_cli(args)
    except KeyboardInterrupt:
        print("polystep-sat: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001
        msg = _friendly_error(exc) or str(exc)
        if type(exc).__name__ == "DimacsError":
            msg = str(exc)
        print(f"polystep-sat: {msg}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    return 0


def entry() -> None:
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Exit at once: the search thread may still be inside a native call.
    os._exit(code)


if __name__ == "__main__":
    entry()
