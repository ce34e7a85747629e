"""Summaries of a study's rows: the per-size markdown table (``summary.md``)
and, when matplotlib is installed, the plots."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

from .results import series_name


SUMMARY_NAME = "summary.md"


def summarize(rows, order=()) -> list[dict]:
    """One entry per (size, method, time limit): statistics over the seeds.

    Methods are listed in ``order`` first (e.g. the study's ``--methods``),
    then the others alphabetically.

    Satisfied fraction and wall time are over the verified runs only; the
    verified count says how many of the runs that is.
    """
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["size"], series_name(r), r["time_limit"]), []).append(r)
    method_rank = {}
    for name in list(order) + sorted({series_name(r) for r in rows}):
        method_rank.setdefault(name, len(method_rank))
    out = []
    for key in sorted(groups, key=lambda k: (k[0] is None, k[0] or 0, method_rank[k[1]], k[2])):
        rs = groups[key]
        ok = [r for r in rs if r["verified"]]
        fr = [r["satisfied_fraction"] for r in ok]
        wt = [r["wall_time"] for r in ok if r["wall_time"] is not None]
        mem = [r["peak_memory_mb"] for r in rs if r["peak_memory_mb"] is not None]
        cl = [r["clauses"] for r in rs if r["clauses"] is not None]
        out.append(dict(
            size=key[0], method=key[1], time_limit=key[2], clauses=max(cl) if cl else None,
            runs=len(rs), verified=len(ok),
            frac_mean=sum(fr) / len(fr) if fr else None, frac_min=min(fr) if fr else None,
            frac_max=max(fr) if fr else None,
            wall_mean=sum(wt) / len(wt) if wt else None, wall_min=min(wt) if wt else None,
            wall_max=max(wt) if wt else None, mem_max=max(mem) if mem else None,
            instances=len({r["instance"] for r in rs}),
        ))
    return out


def _fmt(x, spec, none="-"):
    return none if x is None else format(x, spec)


def markdown_table(summary) -> str:
    lines = [
        "| variables | clauses | method | time limit (s) | verified | satisfied mean | min | max "
        "| wall time mean (s) | peak memory max (MB) |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in summary:
        pct = (lambda v: _fmt(None if v is None else 100 * v, ".3f") + ("" if v is None else "%"))
        lines.append(
            f"| {_fmt(g['size'], ',')} | {_fmt(g['clauses'], ',')} | {g['method']} | {g['time_limit']:g} "
            f"| {g['verified']}/{g['runs']} | {pct(g['frac_mean'])} | {pct(g['frac_min'])} | {pct(g['frac_max'])} "
            f"| {_fmt(g['wall_mean'], '.2f')} | {_fmt(g['mem_max'], ',.0f')} |")
    return "\n".join(lines)


def write_markdown(rows, path, meta: dict | None = None, images=()) -> Path:
    """``summary.md``: how the study was run, the table, the plots and every failed run."""
    path = Path(path)
    meta = dict(meta or {})
    summary = summarize(rows, meta.get("order", ()))
    parts = ["# Scaling study", ""]
    commands = meta.get("commands") or ([meta["command"]] if meta.get("command") else [])
    if commands:
        parts += ["Reproduce with:", "", "```", *commands, "```", ""]
    cpu = os.cpu_count()
    parts += [f"- runs: {len(rows)} ({sum(1 for r in rows if r['verified'])} verified), "
              f"methods: {', '.join(dict.fromkeys(series_name(r) for r in rows))}",
              f"- machine: {platform.machine()}, {cpu} CPU cores, Python {platform.python_version()}, "
              f"host {', '.join(sorted({r['host'] for r in rows if r['host']})) or '?'}",
              f"- written {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
              "- satisfied = satisfied clauses / clauses of the independently re-evaluated assignment, "
              "over the verified runs (verified = the claimed cost equals the re-evaluated cost); "
              "wall time = the `solve` call (search, rounding, verification), not generating the instance; "
              "peak memory = peak resident memory of the run's worker process.",
              "", markdown_table(summary), ""]
    for img in images:
        parts += [f"![{Path(img).stem}]({Path(img).name})", ""]
    failed = [r for r in rows if not r["verified"]]
    if failed:
        parts += ["## Runs that failed or did not verify", "",
                  "| instance | method | seed | status | error |", "|---|---|---:|---|---|"]
        for r in failed:
            err = (r["error"] or "").replace("|", "\\|").replace("\n", " ")
            parts.append(f"| {r['instance']} | {series_name(r)} | {r['seed']} | {r['status']} | {err} |")
        parts.append("")
    path.write_text("\n".join(parts))
    return path


def write_reports(rows, out, *, meta: dict | None = None, plots: bool = True) -> list[Path]:
    """Summary markdown and plots of all rows in the study directory."""
    out = Path(out)
    images = []
    if plots:
        try:
            from .plots import plot_study
        except ImportError as exc:
            print(f"polystep-sat scale: no plots ({exc}); pip install \"polystep-sat[study]\"", file=sys.stderr)
        else:
            images = plot_study(summarize(rows, (meta or {}).get("order", ())), out, rows=rows,
                                random_baseline=_random_baseline(rows))
    return [write_markdown(rows, out / SUMMARY_NAME, meta=meta, images=images), *images]


def _random_baseline(rows):
    """Expected satisfied fraction of a random assignment (1 - 2^-k) when every
    row is a generated random k-SAT instance with one k; else None."""
    import re

    ks = {m.group(1) if m else None for m in (re.match(r"random-(\d+)sat-", r["instance"]) for r in rows)}
    if len(ks) != 1 or None in ks:
        return None
    return 1.0 - 2.0 ** -int(ks.pop())
