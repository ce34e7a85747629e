"""PNG plots of a scaling study (matplotlib's Agg canvas: no display, no global backend switch).

Each plot has the number of variables on a log axis and one line per method:
the mean over the verified seeds, a band from the seeds' minimum to maximum,
and every seed as a dot, so the spread is visible even with 2-3 seeds.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .results import series_name


def _series(summary):
    """method -> sorted list of summary groups; a method studied at several
    time limits for one size gets one line per time limit."""
    limits: dict = {}
    for g in summary:
        limits.setdefault((g["method"], g["size"]), set()).add(g["time_limit"])
    split = {m for (m, _), ts in limits.items() if len(ts) > 1}
    lines: dict = {}
    for g in summary:
        if g["size"] is None:
            continue
        name = f"{g['method']} ({g['time_limit']:g} s)" if g["method"] in split else g["method"]
        lines.setdefault(name, []).append(g)
    return {k: sorted(v, key=lambda g: g["size"]) for k, v in lines.items()}


def _size_label(n: int) -> str:
    for unit, div in (("M", 1_000_000), ("k", 1000)):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g}{unit}"
    return str(n)


def _points(rows, line_name, groups, value):
    """Per-seed (size, value) dots of one line's verified runs."""
    keys = {(g["size"], g["method"], g["time_limit"]) for g in groups}
    return [(r["size"], value(r)) for r in rows
            if r["verified"] and (r["size"], series_name(r), r["time_limit"]) in keys and value(r) is not None]


def _plot(summary, rows, path, *, ylabel, title, mean, lo, hi, value, logy=False, hline=None):
    fig = Figure(figsize=(7, 4.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for i, (name, groups) in enumerate(_series(summary).items()):
        color = f"C{i % 10}"
        gs = [g for g in groups if g[mean] is not None]
        if gs:
            x = [g["size"] for g in gs]
            ax.plot(x, [g[mean] for g in gs], "o-", color=color, label=name, lw=1.8, ms=4)
            if lo is not None:
                ax.fill_between(x, [g[lo] for g in gs], [g[hi] for g in gs], color=color, alpha=0.18, lw=0)
        pts = _points(rows, name, groups, value)
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=10, color=color, alpha=0.6, zorder=3,
                       label=None if gs else name)
    if hline is not None:
        ax.axhline(hline[0], color="grey", ls=":", lw=1, label=hline[1])
    ax.set_xscale("log")
    sizes = sorted({g["size"] for g in summary if g["size"] is not None})
    if len(sizes) <= 12:  # label the studied sizes themselves: 100, 10k, 1M
        ax.set_xticks(sizes, [_size_label(n) for n in sizes])
        ax.set_xticks([], minor=True)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("variables")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return Path(path)


def plot_study(summary, out, rows=(), random_baseline: float | None = None) -> list[Path]:
    """Write ``satisfied_fraction.png``, ``wall_time.png`` and ``peak_memory.png``
    into ``out`` from :func:`polystep_sat.study.report.summarize` groups (and the
    rows, for the per-seed dots). Returns the paths written."""
    out = Path(out)
    if not any(g["size"] is not None and g["verified"] for g in summary):
        return []
    pct = [dict(g, **{k: None if g[k] is None else 100 * g[k] for k in ("frac_mean", "frac_min", "frac_max")})
           for g in summary]
    hline = None if random_baseline is None else (100 * random_baseline, "random assignment")
    return [
        _plot(pct, rows, out / "satisfied_fraction.png", ylabel="satisfied clauses (%)",
              title="Satisfied clauses vs size (mean, min-max over seeds)",
              mean="frac_mean", lo="frac_min", hi="frac_max",
              value=lambda r: None if r["satisfied_fraction"] is None else 100 * r["satisfied_fraction"],
              hline=hline),
        _plot(summary, rows, out / "wall_time.png", ylabel="wall time (s)",
              title="Wall time per run vs size (mean, min-max over seeds)", mean="wall_mean", lo="wall_min", hi="wall_max",
              value=lambda r: r["wall_time"], logy=True),
        _plot(summary, rows, out / "peak_memory.png", ylabel="peak memory (MB)",
              title="Peak memory per run vs size (max over seeds)", mean="mem_max", lo=None, hi=None,
              value=lambda r: r["peak_memory_mb"], logy=True),
    ]
