"""Real MaxSAT instances: polystep-sat against peer solvers, scored like the MaxSAT Evaluation anytime track.

Every ``*.wcnf`` / ``*.cnf`` file of DIR (also ``.xz``, ``.gz``, ``.bz2``) is
solved by each solver in turn, one after the other, never in parallel:

* polystep-sat as a user runs it, ``polystep-sat solve FILE --time-limit S``
  (``--methods auto`` runs it with no ``--method``; other names add
  ``--method M``), on FILE as it is (the reader takes compressed files);
* each ``--peer NAME=CMD`` as ``CMD PLAIN``: CMD split like a shell line, the
  decompressed copy of FILE (made once per instance in a temporary folder)
  appended as last argument, or put where CMD has ``{}`` (``'nuwls=/tmp/nuwls {} 1'``),
  and the time limit where it has ``{seconds}``;
* each ``--peer-old NAME=CMD`` the same, with FILE's formula written in the
  old ``p wcnf N M TOP`` format, the only one some solvers read (the public
  NuWLS).

Every solver gets SIGTERM at S seconds of wall time (to its whole process
group), SIGKILL at S + 5; polystep-sat also gets ``--time-limit S`` and
should end by itself. The benchmark is the subreaper of everything it
starts: a process a run leaves behind (one that escaped the process group
into a session of its own, as hermax's workers do) becomes its child, is
counted if still alive one second after the run (``left behind``), then killed. With ``--taskset CPU`` every command runs under
``taskset -c CPU``. The output is read with ``communicate`` only (again after
the SIGTERM), so nothing printed before the end is lost.

Each answer is checked independently: the last ``v`` line (a 0/1 string, or
signed literals over one or more consecutive ``v`` lines) is evaluated with
:func:`polystep_sat.verify.evaluate` on the formula of
:func:`polystep_sat.dimacs.read_dimacs`. A run whose ``v`` line is missing,
malformed or falsifies a hard clause has no answer (score 0). When the file
cannot be read even tolerantly, answers are taken at their last ``o`` line and
counted as unverified.

Score per instance (MaxSAT Evaluation anytime): ``best`` = the smaller of the
known cost (``DIR/instances.tsv``, columns ``file`` and ``known_cost``, -1 for
unknown) and the cheapest verified cost of this run at this time limit;
``score = (1 + best) / (1 + cost)``, 0 without an answer. Also counted: hits
(cost <= known cost), proofs (``s OPTIMUM FOUND``), wrong optimum (OPTIMUM
claimed, but the cost is above the known cost or another solver's verified
cost, or there is no valid answer), wrong UNSAT (UNSATISFIABLE claimed while
some solver has a verified answer), refused (exit code 1 or no ``s`` line).

    python benchmarks/bench_real.py instances/real-dev --seconds 10,60 \\
        --peer nuwls-c=/tmp/peers/NuWLS-c-2023/NuWLS-c-2023/bin/NuWLS-c_static --taskset 1

The whole run holds ``/tmp/polystep-bench.lock`` (fcntl), like the other
benchmarks. Results: ``<out>.md`` (the command line on top) and ``<out>.csv``,
one row per instance x solver x time limit.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import fcntl
import gzip
import inspect
import lzma
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from polystep_sat.contract import parse_output
from polystep_sat.dimacs import DimacsError, read_dimacs
from polystep_sat.dimacs_write import write_dimacs
from polystep_sat.verify import evaluate

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from bench_structured import write_results  # noqa: E402
LOCK = "/tmp/polystep-bench.lock"
KILL_AFTER = 5.0          # SIGKILL this long after the SIGTERM
OPTIMUM = "OPTIMUM FOUND"
UNSAT = "UNSATISFIABLE"
_OPENERS = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}
_SUFFIXES = (".wcnf", ".cnf")


# --------------------------------------------------------------------------- instances

def list_instances(folder: Path, only: list[str]) -> list[Path]:
    files = []
    for p in sorted(folder.iterdir()):
        if not p.is_file():
            continue
        name = p.name[: -len(p.suffix)] if p.suffix in _OPENERS else p.name
        if not name.endswith(_SUFFIXES):
            continue
        if only and not any(s in p.name for s in only):
            continue
        files.append(p)
    return files


def known_costs(folder: Path) -> dict[str, int]:
    """``file -> known_cost`` from ``instances.tsv`` (-1 = unknown); also keyed by the plain name."""
    tsv = folder / "instances.tsv"
    if not tsv.exists():
        return {}
    out = {}
    with open(tsv, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            try:
                k = int(row["known_cost"])
            except (KeyError, TypeError, ValueError):
                continue
            name = row.get("file", "")
            out[name] = k
            stem, suf = os.path.splitext(name)
            if suf in _OPENERS:
                out.setdefault(stem, k)
    return out


def plain_copy(path: Path, tmpdir: Path) -> Path:
    """``path`` itself when uncompressed, else a decompressed copy in ``tmpdir``."""
    opener = _OPENERS.get(path.suffix)
    if opener is None:
        return path
    dest = tmpdir / path.name[: -len(path.suffix)]
    with opener(path, "rb") as src, open(dest, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return dest


def load_formula(path: Path):
    """``(formula or None, note)``: strict-by-default read, then a tolerant one when the reader has ``strict``."""
    try:
        f = read_dimacs(path)
    except DimacsError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        if "strict" not in inspect.signature(read_dimacs).parameters:
            return None, f"not verified: {first}"
        try:
            f = read_dimacs(path, strict=False)
        except DimacsError as e2:
            return None, f"not verified: {str(e2).splitlines()[0]}"
        return f, f"read tolerantly: {first}"
    warn = getattr(f, "warnings", None) or []
    return f, (f"reader warnings: {warn[0].split(': ', 1)[-1]}" + (f" (+{len(warn) - 1})" if len(warn) > 1 else "")
               if warn else "")


# --------------------------------------------------------------------------- running

def run_command(cmd: list[str], time_limit: float) -> dict:
    """Run ``cmd`` in its own session; SIGTERM (group) at ``time_limit``, SIGKILL 5 s later.

    The output is read only with ``communicate`` (again after each signal).
    The whole process group is killed at the end, so no child survives.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", start_new_session=True)
    signalled = ""
    try:
        out, err = proc.communicate(timeout=time_limit)
    except subprocess.TimeoutExpired:
        signalled = "TERM"
        _killpg(proc.pid, signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=KILL_AFTER)
        except subprocess.TimeoutExpired:
            signalled = "KILL"
            _killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
    wall = time.perf_counter() - t0
    _killpg(proc.pid, signal.SIGKILL)   # leftovers of the group, if any
    left = _left_behind()
    return dict(stdout=out or "", stderr=err or "", exit_code=proc.returncode, wall_s=wall, signalled=signalled,
                left_behind=left)


def _become_subreaper() -> None:
    """Orphans of the runs become this process's children (Linux), so none escapes the count."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _children() -> tuple[list[int], list[int]]:
    """This process's children: (alive, zombies)."""
    me, alive, zombies = os.getpid(), [], []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                (zombies if fields[0] == "Z" else alive).append(int(entry))
    return alive, zombies


def _left_behind(wait: float = 1.0) -> int:
    """Processes still alive ``wait`` seconds after a run (our children now); killed and reaped.
    Looked at every 50 ms: once none is left, there is nothing to wait for."""
    end = time.perf_counter() + wait
    while True:
        pids, zombies = _children()
        for pid in zombies:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if not pids or time.perf_counter() >= end:
            break
        time.sleep(0.05)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    return len(pids)


def _with_file(words: list[str], path: Path, seconds: float) -> list[str]:
    """A peer's command for ``path``: in place of ``{}``, else as the last argument;
    the time limit in place of ``{seconds}``."""
    words = [f"{seconds:g}" if w == "{seconds}" else w for w in words]
    if "{}" in words:
        return [str(path) if w == "{}" else w for w in words]
    return words + [str(path)]


def _killpg(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- checking

def _parse(stdout: str) -> dict:
    """``parse_output``, with a tolerant fallback for odd ``o`` lines."""
    try:
        p = parse_output(stdout)
    except ValueError:
        o = []
        for ln in stdout.splitlines():
            if ln.startswith("o "):
                try:
                    o.append(int(ln[2:].split()[0]))
                except (IndexError, ValueError):
                    pass
        p = dict(o=o, s=[ln[2:].strip() for ln in stdout.splitlines() if ln.startswith("s ")])
    return p


def last_model(stdout: str, n_vars: int):
    """The last model printed: ``(bool array or None, note)``.

    A single ``v`` line of 0/1 characters (the current format), or signed
    literals over the last block of consecutive ``v`` lines (the old format).
    """
    blocks, cur = [], None
    for ln in stdout.splitlines():
        if ln.startswith("v"):
            if cur is None:
                cur = []
                blocks.append(cur)
            cur.append(ln[1:].strip())
        else:
            cur = None
    if not blocks:
        return None, "no v line"
    block = blocks[-1]
    last = block[-1]
    if last and set(last) <= {"0", "1"} and not (len(last) < n_vars and len(block) > 1):
        if len(last) < n_vars:
            return None, f"v line of {len(last)} values, {n_vars} variables"
        a = np.frombuffer(last[:n_vars].encode(), dtype=np.uint8) == ord("1")
        return a, (f"v line of {len(last)} values, first {n_vars} used" if len(last) > n_vars else "")
    try:
        lits = np.array([int(t) for t in " ".join(block).split()], dtype=np.int64)
    except ValueError:
        return None, "malformed v line"
    lits = lits[lits != 0]
    a = np.zeros(n_vars, dtype=bool)
    pos = lits[(lits > 0) & (lits <= n_vars)]
    a[pos - 1] = True
    mentioned = np.unique(np.abs(lits[np.abs(lits) <= n_vars]))
    note = "signed-literal v line"
    if mentioned.size < n_vars:
        note += f" ({n_vars - mentioned.size} variables unset, read as false)"
    return a, note


def check(formula, run: dict) -> dict:
    """What the output says and what its last model is worth."""
    p = _parse(run["stdout"])
    s = p["s"][-1] if p["s"] else ""
    row = dict(status=s, claimed_o=p["o"][-1] if p["o"] else None, optimum_claimed=(s == OPTIMUM),
               exit_code=run["exit_code"], wall_s=round(run["wall_s"], 2), signalled=run["signalled"],
               left_behind=run.get("left_behind", 0),
               refused=(run["exit_code"] == 1 or not p["s"]), answer=False, verified=False, cost=None, note="")
    notes = []
    if len(p["s"]) > 1:
        notes.append(f"{len(p['s'])} s lines")
    if formula is None:
        # no formula to check against: the last o line stands, unverified
        if row["claimed_o"] is not None and s != UNSAT:
            row.update(answer=True, cost=row["claimed_o"])
            notes.append("unverified (last o line)")
        else:
            notes.append("not verifiable, no o line")
    else:
        a, note = last_model(run["stdout"], formula.n_vars)
        if note:
            notes.append(note)
        if a is not None:
            ev = evaluate(formula, a)
            if ev.n_hard_unsat:
                notes.append(f"v line falsifies {ev.n_hard_unsat} hard clauses")
            else:
                row.update(answer=True, verified=True, cost=int(ev.cost))
                if row["claimed_o"] is not None and row["claimed_o"] != ev.cost:
                    notes.append(f"last o {row['claimed_o']} != v cost {ev.cost}")
    if row["refused"]:
        tail = run["stderr"].strip().splitlines()[-1:] or [""]
        notes.append(f"refused (exit {run['exit_code']}{', no s line' if not p['s'] else ''})"
                     + (f": {tail[0][:120]}" if tail[0] else ""))
    row["note"] = "; ".join(notes)
    return row


def score_instance(rows: list[dict], known: int | None) -> int | None:
    """Fill score / hit / wrong fields of one instance's rows (one time limit); return ``best``."""
    verified = [r["cost"] for r in rows if r["verified"]]
    candidates = list(verified) + ([known] if known is not None and known >= 0 else [])
    if not candidates:
        candidates = [r["cost"] for r in rows if r["answer"]]   # only unverified claims
    best = min(candidates) if candidates else None
    for r in rows:
        r["known_cost"] = known if known is not None else -1
        r["best"] = best
        r["score"] = round((1 + best) / (1 + r["cost"]), 6) if r["answer"] and best is not None else 0.0
        r["hit"] = bool(r["answer"] and known is not None and known >= 0 and r["cost"] <= known)
        others = [x["cost"] for x in rows if x is not r and x["verified"]]
        wrong = ""
        if r["optimum_claimed"]:
            if not r["answer"]:
                wrong = "OPTIMUM without a valid answer"
            elif known is not None and known >= 0 and r["cost"] > known:
                wrong = f"OPTIMUM {r['cost']} > known {known}"
            elif others and r["cost"] > min(others):
                wrong = f"OPTIMUM {r['cost']} > another solver's {min(others)}"
        r["wrong_optimum"] = bool(wrong)
        r["wrong_unsat"] = bool(r["status"] == UNSAT and others)
        if r["wrong_unsat"]:
            wrong = (wrong + "; " if wrong else "") + f"UNSAT but another solver has cost {min(others)}"
        r["wrong"] = wrong
    return best


# --------------------------------------------------------------------------- report

def _cell(r: dict) -> str:
    if r["answer"]:
        c = f"{r['cost']:,}" + ("*" if r["optimum_claimed"] else "") + ("" if r["verified"] else "?")
        return c + (" **wrong**" if r["wrong"] else "")
    if r["refused"]:
        return "refused"
    return "—" + (" **wrong**" if r["wrong"] else "")


def markdown(rows: list[dict], solvers: list[str], seconds: list[float], command: str, taskset, infos) -> str:
    out = ["# Real MaxSAT instances: polystep-sat and peers (anytime scoring)", "",
           f"Command: `{command}`  ",
           f"Machine: {platform.machine()}, {os.cpu_count()} cores"
           + (f", every command pinned with `taskset -c {taskset}`" if taskset is not None else "")
           + f"; {time.strftime('%Y-%m-%d %H:%M')}; runs one after the other.  ",
           "Score: the mean over instances of (1 + best) / (1 + cost), best = min(known cost, cheapest verified cost of this run); "
           "0 without a valid answer. Costs re-evaluated from the last `v` line with "
           "`polystep_sat.verify.evaluate`. In the instance tables `*` = `s OPTIMUM FOUND`, "
           "`?` = unverified (file not readable: last `o` line), `—` = no valid answer.", ""]
    for t in seconds:
        rt = [r for r in rows if r["seconds"] == t]
        n_inst = len({r["instance"] for r in rt})
        out += [f"## {t:g} s ({n_inst} instances)", "",
                "| solver | score | hits | proofs | wrong optimum | wrong unsat | refused | no answer "
                "| unverified | mean wall (s) | left behind |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for s in solvers:
            rs = [r for r in rt if r["solver"] == s]
            if not rs:
                continue
            out.append("| " + " | ".join([
                s, f"{sum(r['score'] for r in rs) / len(rs):.5f}", str(sum(r["hit"] for r in rs)),
                str(sum(r["optimum_claimed"] for r in rs)), str(sum(r["wrong_optimum"] for r in rs)),
                str(sum(r["wrong_unsat"] for r in rs)), str(sum(r["refused"] for r in rs)),
                str(sum(not r["answer"] for r in rs)),
                str(sum(r["answer"] and not r["verified"] for r in rs)),
                f"{sum(r['wall_s'] for r in rs) / len(rs):.1f}", str(sum(r.get("left_behind", 0) for r in rs))]) + " |")
        groups = {}
        for s in solvers:
            if "@" in s:
                groups.setdefault(s.rsplit("@", 1)[0], []).append(s)
        if groups:
            out += ["", "Over seeds (each seed's score is the mean over instances):", "",
                    "| solver | seeds | mean score | worst seed | best seed | proofs (min-max) |", "|---|---:|---:|---:|---:|---|"]
            for g, members in groups.items():
                per = [[r for r in rt if r["solver"] == m] for m in members]
                scores = [sum(r["score"] for r in rs) / len(rs) for rs in per if rs]
                proofs = [sum(r["optimum_claimed"] for r in rs) for rs in per if rs]
                if scores:
                    out.append(f"| {g} | {len(scores)} | {sum(scores) / len(scores):.5f} | {min(scores):.5f} | "
                               f"{max(scores):.5f} | {min(proofs)}-{max(proofs)} |")
        out += ["", "| instance | known | best | " + " | ".join(solvers) + " |",
                "|---|---:|---:|" + "---:|" * len(solvers)]
        for inst in dict.fromkeys(r["instance"] for r in rt):
            ri = {r["solver"]: r for r in rt if r["instance"] == inst}
            any_r = next(iter(ri.values()))
            known = any_r["known_cost"]
            best = any_r["best"]
            out.append("| " + " | ".join(
                [inst, f"{known:,}" if known >= 0 else "?", f"{best:,}" if best is not None else ""]
                + [_cell(ri[s]) if s in ri else "" for s in solvers]) + " |")
        notes = [f"- {r['instance']} / {r['solver']}: {'; '.join(x for x in (r['wrong'], r['note']) if x)}"
                 for r in rt if r["wrong"] or r["note"]]
        if notes:
            out += ["", "Notes:", ""] + notes
        out.append("")
    if infos:
        out += ["## Files", ""] + [f"- {k}: {v}" for k, v in infos.items()] + [""]
    return "\n".join(out)


# --------------------------------------------------------------------------- main

def compile_package() -> None:
    """Byte-compile polystep_sat before timing it, as ``pip install`` does: with
    PYTHONDONTWRITEBYTECODE set (this machine's environment) an editable checkout is
    compiled again by every run, 0.05-0.1 s of a small file's time to proof."""
    import compileall

    import polystep_sat

    compileall.compile_dir(str(Path(polystep_sat.__file__).parent), quiet=1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", type=Path, help="folder of *.wcnf / *.cnf files (compressed too)")
    ap.add_argument("--seconds", default="10,60", help="time limits, comma-separated (default 10,60)")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=CMD",
                    help="a peer solver; CMD gets the plain file as last argument (repeatable)")
    ap.add_argument("--peer-old", action="append", default=[], metavar="NAME=CMD",
                    help="a peer given the formula in the old 'p wcnf N M TOP' format (repeatable)")
    ap.add_argument("--taskset", default=None, metavar="CPU", help="run every command under taskset -c CPU")
    ap.add_argument("--methods", default="auto",
                    help="polystep-sat methods, comma-separated ('auto': no --method); empty: none")
    ap.add_argument("--seed", type=int, default=None, help="--seed for polystep-sat (default: none given)")
    ap.add_argument("--seeds", default=None, metavar="S1,S2,...",
                    help="run each polystep-sat method once per seed (solver names get '@seed'); "
                         "the summary gives the mean and the worst seed")
    ap.add_argument("--ours-plain", action="store_true",
                    help="give polystep-sat the decompressed copy too (default: the file as it is)")
    ap.add_argument("--only", action="append", default=[], metavar="SUBSTRING",
                    help="only files whose name contains it (repeatable, or comma-separated)")
    ap.add_argument("--out", default=str(RESULTS / "real"), help="results path without extension")
    args = ap.parse_args(argv)

    if not args.dir.is_dir():
        ap.error(f"{args.dir}: not a folder")
    compile_package()
    try:
        seconds = [float(s) for s in args.seconds.split(",") if s.strip()]
    except ValueError:
        ap.error("--seconds: comma-separated numbers")
    if not seconds or any(s <= 0 for s in seconds):
        ap.error("--seconds: positive numbers")
    peers, old_format = {}, set()
    for option, specs in (("--peer", args.peer), ("--peer-old", args.peer_old)):
        for spec in specs:
            name, sep, cmd = spec.partition("=")
            if not sep or not name or not cmd.strip():
                ap.error(f"{option} {spec!r}: expected NAME=CMD")
            words = shlex.split(cmd)
            if shutil.which(words[0]) is None:
                ap.error(f"{option} {name}: {words[0]} is not an executable")
            if name in peers:
                ap.error(f"{option} {name}: two peers of that name")
            peers[name] = words
            if option == "--peer-old":
                old_format.add(name)
    methods = [m for m in args.methods.split(",") if m.strip()]
    if args.taskset is not None and shutil.which("taskset") is None:
        ap.error("--taskset: no taskset command on this machine")
    only = [s for o in args.only for s in o.split(",") if s]
    instances = list_instances(args.dir, only)
    if not instances:
        ap.error(f"no *.wcnf / *.cnf file in {args.dir}" + (f" matching {only}" if only else ""))
    if args.seeds is not None and args.seed is not None:
        ap.error("give --seed or --seeds, not both")
    try:
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()] if args.seeds is not None else [args.seed]
    except ValueError:
        ap.error("--seeds: comma-separated integers")
    ours = {}
    for m in methods:
        for sd in seeds:
            name = ("polystep-sat" if m == "auto" else f"polystep-sat:{m}") + (f"@{sd}" if args.seeds else "")
            ours[name] = (m, sd)
    if set(ours) & set(peers):
        ap.error("a peer has the name of a polystep-sat method")
    solvers = list(ours) + list(peers)
    if not solvers:
        ap.error("nothing to run: no method and no peer")
    prefix = ["taskset", "-c", str(args.taskset)] if args.taskset is not None else []
    known = known_costs(args.dir)
    command = "python " + shlex.join(sys.argv if argv is None else [sys.argv[0], *argv])

    rows, infos = [], {}
    _become_subreaper()
    with open(LOCK, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for {LOCK} (another benchmark is running)", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        with tempfile.TemporaryDirectory(prefix="bench_real_") as tmp:
            for path in instances:
                formula, info = load_formula(path)
                if info:
                    infos[path.name] = info
                plain = plain_copy(path, Path(tmp))
                old = None
                if old_format and formula is not None:
                    old = Path(tmp) / ("old-" + plain.name)
                    write_dimacs(formula, old, fmt="wcnf-old")
                k = known.get(path.name, known.get(plain.name))
                for t in seconds:
                    group = []
                    for name in solvers:
                        if name in ours:
                            m, sd = ours[name]
                            cmd = [sys.executable, "-m", "polystep_sat.cli", "solve",
                                   str(plain if args.ours_plain else path), "--time-limit", f"{t:g}", "--no-progress"]
                            cmd += ["--method", m] if m != "auto" else []
                            cmd += ["--seed", str(sd)] if sd is not None else []
                        else:
                            given = old if name in old_format else plain
                            if given is None:
                                continue   # no formula to write in the old format
                            cmd = _with_file(peers[name], given, t)
                        run = run_command(prefix + cmd, t)
                        r = dict(seconds=t, instance=path.name, solver=name,
                                 n_vars=formula.n_vars if formula is not None else None,
                                 n_clauses=formula.n_clauses if formula is not None else None,
                                 **check(formula, run))
                        group.append(r)
                        print(f"{t:5g} s  {path.name[:60]:<60} {name:<16} "
                              f"{(str(r['cost']) if r['answer'] else '-'):>12} "
                              f"{r['status'] or '(no s)':<14} exit {r['exit_code']:>3}  wall {r['wall_s']:6.2f} s"
                              + (f"  {r['left_behind']} left behind" if r["left_behind"] else "")
                              + (f"  {r['note']}" if r["note"] else ""), flush=True)
                    score_instance(group, k)
                    rows.extend(group)
                if plain != path:
                    plain.unlink()
                if old is not None:
                    old.unlink()

    fields = ["seconds", "instance", "solver", "n_vars", "n_clauses", "known_cost", "best", "cost", "score",
              "answer", "verified", "hit", "claimed_o", "status", "optimum_claimed", "wrong_optimum",
              "wrong_unsat", "refused", "exit_code", "signalled", "wall_s", "left_behind", "wrong", "note"]
    write_results(Path(args.out), markdown(rows, solvers, seconds, command, args.taskset, infos), rows, fields)
    return 0


if __name__ == "__main__":
    sys.exit(main())
