"""Check a solver's output against the MaxSAT Evaluation output contract.

Used by the signal tests and the SIGTERM fuzzer; works for any solver's
stdout. The checks are independent of the solvers: the ``v`` assignment is
re-evaluated with ``verify.evaluate``.
"""

from __future__ import annotations

import numpy as np

from .result import EXIT_CODES, OPTIMUM, UNKNOWN, UNSATISFIABLE
from .verify import evaluate


def parse_output(stdout: str) -> dict:
    o_costs, s_lines, v_lines, other = [], [], [], []
    for line in stdout.splitlines():
        if line.startswith("o "):
            o_costs.append(int(line[2:].strip()))
        elif line.startswith("s "):
            s_lines.append(line[2:].strip())
        elif line.startswith("v"):
            v_lines.append(line[1:].strip())
        elif line.startswith("c") or not line.strip():
            continue
        else:
            other.append(line)
    return {"o": o_costs, "s": s_lines, "v": v_lines, "other": other}


def contract_violations(stdout: str, exit_code: int, formula, optimum=None, hard_feasible=None) -> list[str]:
    """Return the list of contract violations (empty when the output is sound).

    ``optimum``: the known optimal cost, if any, to catch false OPTIMUM claims.
    ``hard_feasible``: whether the hard clauses are known satisfiable, to
    catch false UNSATISFIABLE claims.
    """
    p = parse_output(stdout)
    bad = []
    if p["other"]:
        bad.append(f"stray stdout lines: {p['other'][:2]}")
    if len(p["s"]) != 1:
        return bad + [f"expected exactly one s line, got {len(p['s'])}"]
    status = p["s"][0]
    if status not in EXIT_CODES:
        return bad + [f"unknown status {status!r}"]
    if exit_code != EXIT_CODES[status]:
        bad.append(f"exit code {exit_code} does not match s {status} ({EXIT_CODES[status]})")
    if any(b >= a for a, b in zip(p["o"], p["o"][1:])):
        bad.append(f"o lines do not strictly improve: {p['o']}")
    if status in (UNKNOWN, UNSATISFIABLE):
        if p["v"]:
            bad.append(f"v line after s {status}")
        if status == UNSATISFIABLE and hard_feasible:
            bad.append("claimed UNSATISFIABLE but the hard clauses are satisfiable")
        return bad
    if len(p["v"]) != 1:
        return bad + [f"expected one v line, got {len(p['v'])}"]
    v = p["v"][0]
    if len(v) != formula.n_vars or set(v) - {"0", "1"}:
        return bad + [f"v line has {len(v)} characters for {formula.n_vars} variables"]
    a = np.frombuffer(v.encode(), dtype=np.uint8) == ord("1") if v else np.zeros(0, dtype=bool)
    ev = evaluate(formula, a)
    if ev.n_hard_unsat:
        bad.append(f"v assignment falsifies {ev.n_hard_unsat} hard clauses")
    if not p["o"]:
        bad.append("no o line before the v line")
    elif p["o"][-1] != ev.cost:
        bad.append(f"last o line {p['o'][-1]} differs from the true cost {ev.cost}")
    if status == OPTIMUM and optimum is not None and ev.cost != optimum:
        bad.append(f"claimed OPTIMUM FOUND with cost {ev.cost}, optimum is {optimum}")
    return bad
