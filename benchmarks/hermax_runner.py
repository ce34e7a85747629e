"""hermax (PyPI ``hermax``, github josalhor/hermax) as a MaxSAT Evaluation peer, for bench_real.py.

Runs in a scratch virtual environment that holds hermax and this project
(never in the project's own environment; hermax is not a dependency)::

    python -m venv /tmp/hermax-venv
    /tmp/hermax-venv/bin/pip install hermax .
    /tmp/hermax-venv/bin/python benchmarks/hermax_runner.py MODE FILE SECONDS

MODE:

* ``portfolio``: ``hermax.portfolio.PortfolioSolver`` racing SPB-MaxSAT-c-FPS
  and UWrMaxSAT in two worker processes (hermax's own portfolio), with the
  wall-clock limit on both;
* ``uwrmaxsat``: UWrMaxSAT alone in this process, stopped at the limit or on
  SIGTERM through its terminate callback (it then reports its best model).

The formula is read with this project's reader and given to hermax clause by
clause (hermax has no file reader). hermax keeps one weight per soft literal
(the last one given), so duplicate soft units are summed here first, and a
literal and its negation both soft become a constant plus their difference.
The model hermax returns is re-evaluated with :func:`polystep_sat.verify.evaluate`;
its ``o`` line is that cost, never hermax's. Output: ``o``, ``s`` and ``v``
lines as the MaxSAT Evaluation asks; exit 30 / 10 / 20 / 0.
"""

from __future__ import annotations

import signal
import sys
import time

import numpy as np

START = time.monotonic()
STOP = []                         # set by SIGTERM / SIGINT; the solve loops poll it
GRACE, RESERVE = 0.5, 0.3         # hermax's SIGINT -> SIGKILL grace per worker; for checking and printing


def _on_signal(signum, frame):
    STOP.append(signum)


def feed(solver, formula) -> int:
    """Give ``formula`` to a hermax solver; return the constant cost hermax does not see."""
    for _ in range(formula.n_vars):   # ids 1..n before any relaxation variable
        solver.new_var()
    offset, units = 0, {}
    for clause, w, hard in zip(formula.clauses(), formula.weights.tolist(), formula.hard.tolist()):
        lits = sorted(set(clause))
        if hard:
            solver.add_clause(lits)
        elif w == 0 or any(-lit in lits for lit in lits):
            continue                  # costs nothing, or always satisfied
        elif not lits:
            offset += w
        elif len(lits) == 1:
            units[lits[0]] = units.get(lits[0], 0) + w
        else:
            solver.add_soft_relaxed(lits, w, relax_var=solver.new_var())
    for lit, w in sorted(units.items(), key=lambda kv: abs(kv[0])):
        other = units.get(-lit, 0)
        if lit < 0 and other:
            continue                  # done with the positive literal
        shared = min(w, other)        # x and -x both soft: one of the two is always paid
        offset += shared
        if w - shared:
            solver.add_soft_unit(lit, w - shared)
        if other - shared:
            solver.add_soft_unit(-lit, other - shared)
    return offset


def solve_portfolio(formula, budget):
    from hermax.incremental import UWrMaxSAT
    from hermax.non_incremental.incomplete import SPBMaxSATCFPS
    from hermax.portfolio import AdjustTimeLimit, CallbackAction, PortfolioSolver

    ps = PortfolioSolver([SPBMaxSATCFPS, UWrMaxSAT], max_workers=2, per_solver_time_limit_s=budget,
                         overall_time_limit_s=budget, time_limit_grace_s=GRACE,
                         selection_policy="first_optimal_or_best_until_time_limit")
    ps.CALLBACK_HEARTBEAT_S = 0.1
    offset = feed(ps, formula)
    ps.set_callback(lambda event: AdjustTimeLimit(0.0, "relative") if STOP else CallbackAction.CONTINUE)
    ps.solve(time_limit=budget)
    return ps, offset


def solve_uwrmaxsat(formula, budget):
    from hermax.incremental import UWrMaxSAT

    s = UWrMaxSAT()
    offset = feed(s, formula)
    deadline = time.monotonic() + budget
    s.set_terminate(lambda: 1 if STOP or time.monotonic() >= deadline else 0)
    s.solve()
    return s, offset


def main(argv) -> int:
    if len(argv) != 4 or argv[1] not in ("portfolio", "uwrmaxsat"):
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    mode, path, seconds = argv[1], argv[2], float(argv[3])
    from hermax.core.ipamir_solver_interface import SolveStatus

    from polystep_sat.dimacs import read_dimacs
    from polystep_sat.verify import evaluate

    formula = read_dimacs(path)
    budget = max(0.05, seconds - (time.monotonic() - START) - RESERVE - (GRACE if mode == "portfolio" else 0))
    solver, offset = (solve_portfolio if mode == "portfolio" else solve_uwrmaxsat)(formula, budget)
    status = solver.get_status()
    out, code = [], 0
    if status in (SolveStatus.OPTIMUM, SolveStatus.INTERRUPTED_SAT):
        a = np.zeros(formula.n_vars, bool)
        lits = np.array([x for x in solver.get_model() if 0 < abs(x) <= formula.n_vars], dtype=np.int64)
        a[lits[lits > 0] - 1] = True
        ev = evaluate(formula, a)
        print(f"c hermax status {status.name}, its cost {solver.get_cost()} + constant {offset}, re-evaluated {ev.cost} "
              f"({ev.n_hard_unsat} hard clauses falsified)", file=sys.stderr)
        if ev.n_hard_unsat == 0:
            code = 30 if status == SolveStatus.OPTIMUM else 10
            out = [f"o {ev.cost}", "s OPTIMUM FOUND" if code == 30 else "s SATISFIABLE",
                   "v " + "".join("1" if x else "0" for x in a)]
    elif status == SolveStatus.UNSAT:
        out, code = ["s UNSATISFIABLE"], 20
    if not out:
        out = ["s UNKNOWN"]
    print("\n".join(out), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
