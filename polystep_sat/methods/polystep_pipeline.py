"""Method "polystep": PolyStep on the relaxed formula, rounding, local-search polish.

The state is a probability per variable (bounded in [0, 1], so the rounding
threshold 0.5 is always within a step's reach). Each PolyStep step pairs the
variables at random (2-D particles), puts a randomly rotated cross-polytope
(4 vertices) around every pair, and needs the cost of moving each pair to each
vertex with all other variables fixed. The relaxed cost f (expected falsified
weight) is multilinear, so that change is exactly

    da * g_a + db * g_b + da * db * h_ab

with g the gradient and h_ab the pair's mixed derivative, both from one pass
over the clauses (:meth:`RelaxedObjective.pair_gradient`): the whole
(n/2 x 4) cost matrix costs O(literal occurrences), not O(n x clauses).
The same pass evaluates the threshold rounding of the current state, so every
step's rounded assignment is costed for free and the best one is kept.

With ``objective="rounded"`` the cost matrix holds the *discrete* change
(make - break) of the rounded assignment when a vertex crosses the threshold,
plus the relaxed change as a tie-breaker: the make/break descent view.

Then: the best rounding (threshold, sampled, best seen), or the best point
known when that is better (a SAT model of the hard clauses), goes to a local
search for the rest of the time (``polish_share`` of it): the clause-weighting
search (:mod:`.cwls`) when the soft weights differ, with PolyStep returning
under the search's dynamic weights, for a share of the time that follows what
its returns bring (:func:`_weighted_polish`); when they are all equal,
WalkSAT and the clause-weighting search race from that start and the one
ahead goes on (:func:`choose_engine`, :func:`_race`).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from .kernel_loading import load_search_kernels, search_can_start
from .first_answer import first_answer
from ..backend import cores, get_array_module, to_numpy
from ..optim.polystep import PolyStep
from ..relax.objective import RelaxedObjective
from ..relax.rounding import best_rounding
from .walksat import walksat_polish

OBJECTIVES = ("relaxed", "rounded")


class SatCostMatrix:
    """``cost_matrix(x, indices, points)`` for 1- or 2-variable particles.

    After each call, ``rounded_cost`` holds the float discrete cost of
    ``x > 0.5`` (the state the matrix was computed at).
    """

    def __init__(self, objective: RelaxedObjective, kind="relaxed", tie_weight=1e-3):
        if kind not in OBJECTIVES:
            raise ValueError(f"unknown objective {kind!r}; choose one of: {', '.join(OBJECTIVES)}")
        self.obj = objective
        self.kind = kind
        self.tie_weight = float(tie_weight)
        self.rounded_cost = None
        self.evaluations = 0

    def __call__(self, x, indices, points):
        xp = self.obj.xp
        n = x.shape[0]
        P, Q, s = points.shape
        if s not in (1, 2):
            raise ValueError("the SAT cost matrix supports particles of 1 or 2 variables")
        partner = None
        if s == 2:
            partner = xp.full(n, -1, dtype=xp.int32)
            partner[indices[:, 0]] = indices[:, 1].astype(xp.int32)
            partner[indices[:, 1]] = indices[:, 0].astype(xp.int32)
        xr = x > 0.5
        g, h, self.rounded_cost = self.obj.pair_gradient(x, partner, xr)
        self.evaluations += P * Q
        C = _pair_change(xp, x, indices, points, g, h)
        if self.kind == "rounded":
            # the discrete change of the rounded assignment: at the 0/1 point
            # xr, f's derivatives give make - break of each flip exactly
            gx, hx, _ = self.obj.pair_gradient(xr.astype(xp.float64), partner, None)
            flips = (points > 0.5) != xr[indices][:, None, :]                  # (P, Q, s)
            dx = flips * xp.where(xr[indices], -1.0, 1.0)[:, None, :]
            C = _pair_change(xp, None, indices, dx, gx, hx) + self.tie_weight * C
        return C


def _pair_change(xp, x, indices, points, g, h):
    """Exact change of a multilinear f when each particle moves alone to each point."""
    C = None
    cols = []
    for j in range(points.shape[2]):  # column by column: no reductions over a short axis
        ij = indices[:, j]
        dj = points[:, :, j] if x is None else points[:, :, j] - x[ij][:, None]
        cols.append(dj)
        term = dj * g[ij][:, None]
        C = term if C is None else C + term
    if len(cols) == 2:
        C += cols[0] * cols[1] * h[indices[:, 0]][:, None]
    return C


ENGINES = ("auto", "walksat", "cwls", "race")
# Past this many literals the CPU pipeline leaves the time to the local search
# alone. Measured with a 45 s limit: at 12.8M literals (1M variables, ratio
# 4.26) set-up takes 0.65 s and a step 0.5 s; at 128M (10M variables) set-up
# took 20 s and not one step finished in 30 s, so the answer stayed at 94.1%
# satisfied, where WalkSAT alone reached 98.9%. Where between the two the
# crossing lies is not measured.
POLYSTEP_MAX_LITERALS = 50_000_000
# ...and on partial formulas past this many: weighted MIS at 2M variables (14M literals)
# made not one step in its 10.5 s share; at 5M (35M) its 25 s left the polish 17 s.
POLYSTEP_MAX_LITERALS_PARTIAL = 10_000_000


# Past this many literals WalkSAT alone, no race. The clause-weighting search wins the race only on
# the small real files (the largest unweighted one of instances/: 249,920 literals); from 650,000 to
# 12.8M literals WalkSAT won every race measured, by 37-87% (random 3-SAT 100k / 300k / 1M, colouring
# 50k / 500k, at 10-60 s). The race cost the winner: at 1M variables on two cores, 60 s, skipping it
# gave 6,820 / 7,000 falsified and 37.4M / 34.5M flips against 8,271 / 7,237 and 21.9M / 28.3M,
# alternately in one session (benchmarks/results/ksat_1m_no_race_*).
RACE_MAX_LITERALS = 1_000_000
# Share of the polish time the race takes; taking turns (one core), in this many rounds of one slice each.
RACE_SHARE = 0.2
RACE_ROUNDS = 3


# WalkSAT's noise in the polish. Less noise descends further where a run gets few flips per
# variable, but not everywhere (benchmarks/bench_noise.py: from one PolyStep start, by flips,
# noise 0.2 against 0.3, results noise_*.md):
# - graph colouring (hard clauses): 500k variables, 30M flips: 5,602-5,772 falsified against
#   7,978-8,336; 50k, 10M flips: 355-359 against 552-558; 2k, 2M flips: 8-9 against 5-8;
# - random 3-SAT: 1M, 30M flips, 3 seeds: 6,933-7,043 against 7,157-7,335; 100k, 20M flips:
#   438-457 against 385-403 (worse); 10k, 4M flips: 30-39 against 29-30.
# So 0.2 for partial formulas from 50k variables and any formula from 500k. No real file of
# instances/ has 50k variables.
SMALL_NOISE, LARGE_NOISE = 0.3, 0.2
LARGE_NOISE_PARTIAL_MIN_VARS, LARGE_NOISE_MIN_VARS = 50_000, 500_000


def polish_noise(formula) -> float:
    """WalkSAT's noise in the polish of ``formula`` (see LARGE_NOISE)."""
    n = formula.n_vars
    large = n >= LARGE_NOISE_MIN_VARS or (formula.n_hard > 0 and n >= LARGE_NOISE_PARTIAL_MIN_VARS)
    return LARGE_NOISE if large else SMALL_NOISE


def choose_engine(formula, engine: str = "auto") -> str:
    """The local search that polishes PolyStep's rounding.

    "auto": the clause-weighting search ("cwls") when the soft weights differ
    (weighted MIS and set cover: within 0.1% of NuWLS where WalkSAT was 20-30%
    behind). When they are all equal, neither search wins everywhere (the
    pipeline with each engine forced, 10 s, one core;
    ``benchmarks/results/local_search_engines.md``): WalkSAT on random
    MAX-3-SAT (100k variables: 420 against 642) and graph colouring (2,000
    vertices: 22 against 59), the clause-weighting search on real unweighted
    instances (extension enforcement 4 against 15, circuit debugging 21
    against 41, MAX-CUT 770 against 802 and 209 against 219): "race"
    (:func:`_race`), or WalkSAT past RACE_MAX_LITERALS.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if engine != "auto":
        return engine
    soft_w = formula.weights[~formula.hard]
    unequal = soft_w.size > 0 and bool(np.any(soft_w != soft_w[0]))
    if unequal:
        return "cwls"
    return "race" if formula.n_literals <= RACE_MAX_LITERALS else "walksat"


class _Anneal:
    """PolyStep steps on the relaxed objective for a time budget, keeping the
    best threshold rounding seen (by the objective's current weights) and
    reporting it to ``ctx`` (exact cost) at most every ``report_every`` s."""

    def __init__(self, obj, cm, opt, ctx, max_steps, report_every):
        self.obj, self.cm, self.opt, self.ctx = obj, cm, opt, ctx
        self.max_steps = max_steps
        self.report_every = report_every
        self.report_gap = report_every
        self.last_report = -np.inf
        self.steps = 0
        self.seconds = 0.0

    def report(self, x):
        t0 = time.perf_counter()
        h_unsat, cost = self.obj.exact_cost(x)
        self.ctx.report(to_numpy(x), h_unsat, cost)
        # never spend more than ~10% of the time on exact re-evaluations
        self.report_gap = max(self.report_every, 10 * (time.perf_counter() - t0))
        self.last_report = time.perf_counter()
        return h_unsat, cost

    def run(self, budget: float):
        """Anneal (schedules from start to end) for ``budget`` seconds or
        ``max_steps`` steps; return ``(best rounding, its float cost under the
        objective's current weights)``."""
        opt, cm, ctx, max_steps = self.opt, self.cm, self.ctx, self.max_steps
        if opt.velocity is not None:
            opt.velocity[:] = 0
        best_x, best_cost, pending = None, float("inf"), False
        t0 = time.perf_counter()
        end = t0 + budget
        steps = 0
        while True:
            frac_t = 1.0 if budget <= 0 else (time.perf_counter() - t0) / budget
            opt.progress = max(frac_t, steps / max(max_steps - 1, 1))
            prop = opt.ask()
            C = cm(opt.x, prop.indices, prop.points)
            # cm also costed the threshold rounding of the state it saw
            if cm.rounded_cost < best_cost:
                best_cost = cm.rounded_cost
                best_x = opt.x > 0.5
                pending = True
            # a rounding of cost 0 satisfies every clause: report it at once (the search then ends)
            if pending and (best_cost <= 0 or time.perf_counter() - self.last_report >= self.report_gap):
                self.report(best_x)
                pending = False
            if steps >= max_steps or time.perf_counter() >= end or ctx.should_stop():
                break
            opt.tell(C)
            steps += 1
            if steps % 16 == 0:
                ctx.tick(min(1.0, ctx.elapsed() / ctx.time_limit) if ctx.time_limit else 0.0,
                         f"polystep step {self.steps + steps}, best rounded cost {best_cost:g}")
        self.steps += steps
        self.seconds += time.perf_counter() - t0
        return best_x, best_cost


# Per polish engine, measured defaults (README, "Structured weighted partial MaxSAT"):
# WalkSAT after a long anneal on random 3-SAT; the clause-weighting search after
# a short one, with PolyStep returning three times under the search's weights.
# The race anneals as long as WalkSAT does; its kicks are the winner's.
ENGINE_DEFAULTS = {"walksat": dict(polish_share=0.75, kicks=0), "cwls": dict(polish_share=0.9, kicks=3),
                   "race": dict(polish_share=0.75, kicks=3)}


def run_polystep(formula, ctx, *, polish: bool = True, polish_share: float | None = None, engine: str = "auto",
                 kicks: int | None = None, kick_share: float = 0.1, objective: str = "relaxed",
                 epsilon: float = 1.0, final_epsilon: float = 1e-3, radius: float = 1.5,
                 final_radius: float | None = 0.5, update_fraction: float = 1.0, momentum: float = 0.0,
                 probes: int = 1, particle_dim: int = 2, max_steps: int | None = None, roundings: int = 4,
                 noise: float | None = None, init_noise: float = 0.02, report_every: float = 0.3,
                 backend: str | None = None, polystep: bool = True):
    """PolyStep on the relaxed formula, then rounding and a local-search polish.

    Parameters
    ----------
    polish : run the local-search polish after the PolyStep phase.
    polish_share : share of the time limit left to the polish (ignored
        without ``polish``; PolyStep then uses all the time). Default: 0.75
        with WalkSAT, 0.9 with cwls.
    engine : the polish: "walksat", "cwls" (the clause-weighting search),
        "race" (both, then the one ahead) or "auto" (see :func:`choose_engine`).
        The first anneal weighs the formula as it is (a hard clause at 1 +
        the total soft weight); PolyStep's returns during a cwls polish take
        the search's dynamic weights, so PolyStep sees the landscape the
        search is fighting.
    kicks : with "cwls", how many times PolyStep returns during the polish:
        the polish time is cut into ``kicks + 1`` segments; after each but the
        last, PolyStep anneals from the search's current assignment under its
        current weights for a share of a segment (``kick_share`` at first,
        then doubled after a return whose start led the search to a new best,
        halved after one that did not; KICK_SHARE_MIN to KICK_SHARE_MAX), and
        the search jumps to PolyStep's rounding when that is cheaper under
        those weights. Default: 3 with cwls (0 with WalkSAT, which has no
        weights to share).
    objective : "relaxed" (exact change of the expected falsified weight) or
        "rounded" (make - break of the rounded assignment, relaxed as tie-break).
    epsilon, final_epsilon : softmax temperature schedule (costs are
        normalised per step; cosine decay).
    radius, final_radius : step radius schedule in probability units. A
        radius above 1 lets every vertex reach the bounds (clipped), so the
        barycentre can commit a variable fully in one step: on random 3-SAT
        1.5 -> 0.5 beat 0.5 (99.60% vs 99.48% at 100k after 15 s).
    update_fraction : share of the particles moved per step.
    max_steps : the anneal ends after this many steps even if time remains
        (the polish then gets the rest). Default: none with a time limit (the
        schedules follow the clock), 1000 without one.
    roundings : Bernoulli(p) samples tried besides the threshold rounding.
    noise : WalkSAT noise of the polish. Default: :func:`polish_noise` (less on large
        formulas).
    init_noise : spread of the initial probabilities around 0.5.
    backend : "numpy" or "cupy" (default: the context's).
    polystep : False leaves PolyStep out (no anneal, no returns): the local
        search alone from the best start known, for the ablation.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of: {', '.join(OBJECTIVES)}")
    engine = choose_engine(formula, engine)
    noise = polish_noise(formula) if noise is None else noise
    polish_share = ENGINE_DEFAULTS[engine]["polish_share"] if polish_share is None else polish_share
    kicks = ENGINE_DEFAULTS[engine]["kicks"] if kicks is None else kicks
    if not 0.0 <= polish_share < 1.0:
        raise ValueError(f"polish_share must be in [0, 1), got {polish_share!r}")
    if int(kicks) < 0 or not 0.0 < kick_share < 1.0:
        raise ValueError(f"kicks must be >= 0 and kick_share in (0, 1), got {kicks!r}, {kick_share!r}")
    if max_steps is None:
        max_steps = 1000 if ctx.deadline is None else 2**62
    if int(max_steps) < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps!r}")
    backend = backend or getattr(ctx, "backend", "numpy") or "numpy"
    xp = get_array_module(backend)
    t_start = time.perf_counter()
    if not search_can_start(ctx):     # loading would take longer than the time left
        first_answer(formula, ctx)
        return
    with ctx.phase("kernels_load"):   # numba's start-up, before any phase's share is set
        load_search_kernels()
    n = formula.n_vars
    info = ctx.info
    info.update(method="polystep", backend=backend, objective=objective, engine=engine if polish else "none")
    if polish and engine != "cwls":
        info["walksat_noise"] = noise
    cap = POLYSTEP_MAX_LITERALS_PARTIAL if formula.is_partial else POLYSTEP_MAX_LITERALS
    if polish and backend == "numpy" and ctx.deadline is not None and formula.n_literals > cap:
        # On the CPU, PolyStep's set-up and steps grow faster than the formula past this
        # size: it would spend the time limit without handing the polish anything.
        info["polystep_skipped"] = f"{formula.n_literals:,} literals: past {cap:,} on the CPU"
        if engine == "race":  # no room for two searches at this size
            engine = info["engine"] = "walksat"
        # from the hard-feasible start, or the caller's (the command line's first answer), not at random
        init = getattr(ctx, "initial_assignment", None)
        init = getattr(ctx, "start_hint", None) if init is None else init
        with ctx.phase("polish"):
            if engine == "cwls":
                from .cwls import SCALED_START_MAX_VARS, run_cwls

                run_cwls(formula, ctx, init=init, greedy_start=formula.n_vars > SCALED_START_MAX_VARS)
            else:
                from .walksat import run_walksat

                run_walksat(formula, ctx, noise=noise, init=init)
        return

    with ctx.phase("polystep_setup"):
        obj = RelaxedObjective(formula, backend=backend)
        cm = SatCostMatrix(obj, objective)
        rng = np.random.default_rng(int(ctx.rng.integers(0, 2**63)))
        init = getattr(ctx, "initial_assignment", None)
        if init is not None:
            # lean towards the hard-feasible start, still far from the threshold's reach limit
            p0 = np.where(np.asarray(init, bool), 0.75, 0.25)
        else:
            p0 = 0.5 + init_noise * (rng.random(n) - 0.5)
        opt = PolyStep(xp.asarray(p0), radius=radius, final_radius=final_radius, epsilon=epsilon,
                       final_epsilon=final_epsilon, probes=probes, particle_dim=min(particle_dim, 2),
                       polytope="cross", subspace="blocks", update_fraction=update_fraction,
                       momentum=momentum, bounds=(0.0, 1.0), schedule="cosine", n_steps=max_steps,
                       seed=int(rng.integers(0, 2**63)), xp=xp)
        search = None
        if polish and engine == "cwls":
            from .clause_index import SetupInterrupted
            from .cwls import ClauseWeightingSearch

            try:
                search = ClauseWeightingSearch(formula, seed=int(rng.integers(1, 2**63)), stop=ctx.should_stop)
            except SetupInterrupted:  # the deadline or a signal came first: the answers so far stand
                info["setup_interrupted"] = True
                return
    anneal = _Anneal(obj, cm, opt, ctx, max_steps, report_every)

    # time budget of the PolyStep phase
    remaining = ctx.remaining()
    if not polystep:
        phase_budget, kicks = 0.0, 0    # one step, whose rounding loses to any start known
    elif polish and np.isfinite(remaining):
        phase_budget = max(0.0, remaining * (1.0 - polish_share))
    else:
        phase_budget = remaining
    with ctx.phase("polystep"):
        best_x, best_cost = anneal.run(phase_budget)
    info.update(polystep_evaluations=int(cm.evaluations),
                polystep_final_epsilon=opt.current_epsilon, polystep_final_radius=opt.current_radius)

    with ctx.phase("rounding"):
        x, cost = best_rounding(obj, opt.x, roundings if not ctx.should_stop() else 0,
                                rng=opt.rng, candidates=[best_x] if best_x is not None else [])
        if cost < best_cost or best_x is None:
            best_x, best_cost = x, cost
        h_unsat, rcost = anneal.report(best_x)
    # what PolyStep alone handed to the polish (exact)
    info["polystep_rounded_cost"] = int(rcost)
    info["polystep_rounded_hard_unsat"] = int(h_unsat)

    if polish and not ctx.should_stop():
        # PolyStep's rounding is the start where it beats the best known (a SAT model of the hard clauses)
        from_polystep = ctx.best_key is None or (h_unsat, rcost) <= ctx.best_key
        start = to_numpy(best_x) if from_polystep else ctx.best_assignment
        info["polish_start"] = "polystep" if from_polystep else "best known"
        flips = None if ctx.deadline is not None else max(100_000, 100 * n)
        with ctx.phase("polish"):
            if engine == "race":
                _race(formula, start, ctx, anneal, int(kicks), kick_share, flips, noise, rng)
            elif search is None:
                walksat_polish(formula, start, ctx, flips=flips, noise=noise)
            else:
                _weighted_polish(search, start, ctx, anneal, int(kicks), kick_share, flips)
    info.update(polystep_steps=anneal.steps, polystep_seconds=anneal.seconds)
    info["setup_seconds"] = ctx.timings.get("polystep_setup", 0.0)
    info["total_seconds"] = time.perf_counter() - t_start


def _normalised(weights):
    """Dynamic weights scaled to mean 1 over the clauses that carry any (the
    softmax sees normalised costs anyway; this keeps the floats tame)."""
    w = np.asarray(weights, dtype=np.float64)
    live = w > 0
    return w / (w[live].mean() if live.any() else 1.0)


def _race(formula, start, ctx, anneal, kicks, kick_share, flips, noise, rng):
    """WalkSAT and the clause-weighting search from ``start`` for RACE_SHARE
    of the time (or of ``flips``): side by side where a core is free for each
    (:func:`_race_side_by_side`), else taking turns in RACE_ROUNDS rounds; then
    the one with the better best point goes on alone from where it is (ties:
    the clause-weighting search)."""
    from .clause_index import SetupInterrupted
    from .cwls import ClauseWeightingSearch
    from .walksat import WalkSAT

    stop = ctx.should_stop
    try:
        ws = WalkSAT(formula, noise=noise, seed=int(rng.integers(1, 2**63)), stop=stop)
        ws.set_assignment(start, stop)
        cw = ClauseWeightingSearch(formula, seed=int(rng.integers(1, 2**63)), stop=stop)
        cw.set_assignment(start)
    except SetupInterrupted:  # the deadline or a signal came first: the answers so far stand
        ctx.info["setup_interrupted"] = True
        return
    if ctx.deadline is not None and (ctx.search_cores or cores()) >= 2:
        _race_side_by_side(ws, cw, ctx)
    else:
        turns = 2 * RACE_ROUNDS
        if ctx.deadline is not None:
            seconds = RACE_SHARE * max(ctx.remaining(), 0.0) / turns
        else:
            slice_flips = max(1_000, int(RACE_SHARE * flips / turns))
        for i in range(turns):
            searcher = (ws, cw)[i % 2]
            if ctx.deadline is not None:
                searcher.run(deadline=min(ctx.deadline, time.perf_counter() + seconds), ctx=ctx)
            else:
                searcher.run(max_flips=slice_flips, ctx=ctx)
            if searcher.solved or ctx.should_stop():
                break
    winner = cw if cw.best_key <= ws.best_key else ws
    ctx.info["race"] = {"walksat": [int(k) for k in ws.best_key], "cwls": [int(k) for k in cw.best_key],
                        "winner": "cwls" if winner is cw else "walksat"}
    ctx.info["engine"] = ctx.info["race"]["winner"]
    rest = None if flips is None else max(0, flips - winner.flips)
    if winner is cw:
        del ws
        _weighted_polish(cw, None, ctx, anneal, kicks, kick_share, rest)
    else:
        del cw
        if not (ws.solved or ctx.should_stop()):
            ws.run(max_flips=rest, deadline=ctx.deadline, ctx=ctx)
        ctx.report(*ws.best())
        ctx.info["polish_flips"] = ctx.info.get("polish_flips", 0) + ws.flips


def _race_side_by_side(ws, cw, ctx):
    """The race with a core free for each search: both run at once for RACE_SHARE
    of the time left (their kernels release the interpreter's lock), so the one
    that goes on has lost little time to the other. Random 3-SAT at 1M variables,
    60 s, two cores, same session: 7,109 / 7,558 falsified clauses, against
    8,212 / 8,200 with the race in turns (benchmarks/results/ksat_1m_race_side_by_side.md;
    since then formulas of that size skip the race, RACE_MAX_LITERALS)."""
    end = min(ctx.deadline, time.perf_counter() + RACE_SHARE * max(ctx.remaining(), 0.0))
    over = threading.Event()     # one search has nothing left to satisfy: the race is over
    failed = []

    def run(searcher):
        searcher.run(deadline=end, ctx=ctx, until=over.is_set)
        if searcher.solved:
            over.set()

    def run_cwls():
        try:
            run(cw)
        except BaseException as exc:  # re-raised here, in the thread that answers
            failed.append(exc)
            over.set()

    other = threading.Thread(target=run_cwls, name="race-cwls", daemon=True)
    other.start()
    try:
        run(ws)
    except BaseException:
        over.set()   # the other search ends at its next chunk, not at the race's end
        raise
    finally:
        other.join()
    if failed:
        raise failed[0]


# A kick's share of its segment follows its returns: times KICK_GAIN after a
# kick whose start led the search to a new best within the next segment,
# divided by it after one that did not (or was not taken), within these bounds.
KICK_SHARE_MIN, KICK_SHARE_MAX, KICK_GAIN = 0.02, 0.4, 2.0


def _weighted_polish(search, start, ctx, anneal, kicks, kick_share, flips):
    """The clause-weighting search from ``start`` (None: from where it is)
    until the deadline, with ``kicks`` PolyStep interludes under the search's
    current weights. Each interlude takes ``kick_share`` of its segment at
    first, then more or less as the earlier ones paid off."""
    obj, opt, xp = anneal.obj, anneal.opt, anneal.obj.xp
    if start is not None:
        search.set_assignment(start)
    if kicks == 0 or ctx.deadline is None:
        search.run(max_flips=flips, deadline=ctx.deadline, ctx=ctx)
    else:
        segment = max(ctx.remaining(), 0.0) / (kicks + 1)
        taken = improved = 0
        share, shares = kick_share, []
        key_at_kick = None               # the search's best when a kick's start was taken, until its segment ends
        for i in range(kicks + 1):
            last = i == kicks
            search.run(deadline=ctx.deadline if last else time.perf_counter() + segment * (1 - share), ctx=ctx)
            if key_at_kick is not None:
                paid = search.best_key < key_at_kick
                improved += paid
                share = min(KICK_SHARE_MAX, share * KICK_GAIN) if paid else max(KICK_SHARE_MIN, share / KICK_GAIN)
                key_at_kick = None
            if last or ctx.should_stop() or search.solved:
                break
            current = search.current_assignment()
            obj.set_clause_weights(_normalised(search.clause_weights()))
            opt.x = opt._clip(xp.asarray(np.where(current, 0.75, 0.25)))
            shares.append(round(share, 4))
            with ctx.phase("polystep"):
                x, _ = anneal.run(segment * share)
            # both sides costed by the same summation, so ties compare as ties
            if x is not None and obj.discrete_cost(x) < obj.discrete_cost(xp.asarray(current)):
                search.restart(to_numpy(x))  # weights and the best point are kept
                taken += 1
                key_at_kick = search.best_key
            else:
                share = max(KICK_SHARE_MIN, share / KICK_GAIN)
        ctx.info.update(kicks_taken=taken, kicks_improved=improved, kick_shares=shares)
    ctx.report(*search.best())
    ctx.info["polish_flips"] = ctx.info.get("polish_flips", 0) + search.flips
