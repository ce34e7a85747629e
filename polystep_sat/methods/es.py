"""Evolution-strategy baselines: OpenAI-ES and CMA-ES on the relaxed objective.

Both strategies search over *logits* ``theta`` in R^n; a candidate is the
probability vector ``p = sigmoid(theta)`` and its fitness is the relaxed cost
``RelaxedObjective.batch_cost`` (expected falsified weight, the objective the
PolyStep core uses) divided by the total clause weight, i.e. the expected
falsified *fraction*. Both ES are rank based (centred ranks for OpenAI-ES,
recombination weights for CMA-ES), so this scale never changes a step; it only
makes the logged figures comparable across sizes. Step sizes (``sigma``,
``lr``) are in logit units: at ``theta = 0`` a logit change of 1 moves ``p``
from 0.5 to 0.73.

The discrete answer is the *threshold rounding* of the mean (``theta > 0``),
evaluated exactly with :func:`polystep_sat.verify.evaluate` and offered to
``ctx.report`` (hard-clause violations reported honestly; the context keeps
the lexicographically best ``(hard_unsat, cost)``).

Memory: noise is never stored for a whole population. Member ``k`` of a
generation draws its Gaussian from its own seed, derived from one per-generation
seed taken from ``ctx.rng``, so it is regenerated when the update needs it.
Candidates are built and evaluated a chunk at a time within ``memory_bytes``,
and ``ctx.should_stop()`` is checked between chunks. At 1M variables the state
is a handful of n-vectors (logits, Adam moments or diagonal covariance and
evolution paths) plus one chunk of candidates.

Strategies are ask/tell objects with explicit state (``ask(start, stop)``
returns the candidate logits of members ``start..stop-1``; ``tell(fitness)``
takes the fitness of the whole population), so they can be tested on plain
functions without any SAT code.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from ..backend import get_array_module, to_numpy
from ..relax.objective import RelaxedObjective
from ..verify import evaluate

# Memory for one chunk of candidate rows (float64), on top of the objective's
# own temporaries (RelaxedObjective's chunk_bytes, set to the same budget).
DEFAULT_MEMORY_BYTES = 256 * 2**20
# Evaluate at most about this many literal occurrences between two stop checks
# (keeps a stop request fast at 1M variables).
LITERALS_PER_CHUNK = 4_000_000
# Minimum seconds between two ctx.report calls during a run (plus the final one).
REPORT_EVERY = 0.3
# Full-covariance CMA-ES (the ``cma`` package) up to this many variables; above,
# sep-CMA-ES (diagonal covariance): the full one costs O(n^2) memory and
# O(n^2)-O(n^3) time per generation.
FULL_CMA_MAX_N = 1000
# variant="auto" picks the full CMA only when at least this many seconds
# remain, unless cma is imported already (its import alone takes seconds).
AUTO_FULL_MIN_SECONDS = 10.0
# With polish=True, this share of the remaining time is left to the polish.
POLISH_SHARE = 0.2


# ---------------------------------------------------------------- noise
def _member_seed(base: int, k: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(base), int(k)])


def _gaussian(xp, base: int, k: int, n: int):
    """The standard normal vector of member/pair ``k`` of the generation with seed ``base``."""
    ss = _member_seed(base, k)
    if xp is np:
        return np.random.default_rng(ss).standard_normal(n)
    seed = int(ss.generate_state(1, np.uint32)[0])
    return xp.random.RandomState(seed).standard_normal(n, dtype=xp.float64)


def _host_fitness(fitness, popsize: int) -> np.ndarray:
    """One float64 host value per member, or a clear error."""
    fitness = np.asarray(to_numpy(fitness), dtype=np.float64)
    if fitness.shape != (popsize,):
        raise ValueError(f"expected {popsize} fitness values, got {fitness.shape}")
    return fitness


def _new_base(rng) -> int:
    return int(rng.integers(0, 2**63 - 1))


def sigmoid(xp, theta):
    """Numerically safe logistic function."""
    return 0.5 * (1.0 + xp.tanh(0.5 * theta))


def centred_ranks(f) -> np.ndarray:
    """Ranks of ``f`` mapped linearly to [-0.5, 0.5] (Salimans et al. 2017), ties averaged."""
    f = np.asarray(f, dtype=np.float64)
    n = f.size
    if n < 2:
        return np.zeros(n)
    order = np.argsort(f, kind="stable")
    r = np.empty(n)
    r[order] = np.arange(n, dtype=np.float64)
    # Average the ranks of equal fitness values, so that ties carry no signal.
    uniq, inv = np.unique(f, return_inverse=True)
    if uniq.size < n:
        r = (np.bincount(inv, weights=r) / np.bincount(inv))[inv]
    return r / (n - 1) - 0.5


# ---------------------------------------------------------------- OpenAI-ES
class OpenAIES:
    """OpenAI-ES (Salimans et al. 2017): mirrored Gaussian sampling, centred
    rank fitness shaping, Adam on the search-gradient estimate. Minimises.

    Parameters
    ----------
    x0 : initial mean (n,), array of the backend ``xp``.
    sigma : perturbation scale.
    lr : Adam learning rate (per-coordinate step size, roughly).
    popsize : number of members, rounded up to an even number (mirrored pairs).
    l2 : weight decay coefficient (pulls the mean towards 0), as in the paper.
    clip : the mean is kept in [-clip, clip] (None: unbounded); bounded logits
        keep every coordinate able to cross the rounding threshold.
    rng : numpy Generator for the per-generation seeds.
    xp : numpy or cupy.
    """

    def __init__(self, x0, sigma=0.5, lr=0.1, popsize=32, l2=0.0, clip=None, rng=None,
                 xp=np, beta1=0.9, beta2=0.999, adam_eps=1e-8):
        if sigma <= 0 or lr <= 0:
            raise ValueError("sigma and lr must be positive")
        if popsize < 2:
            raise ValueError("popsize must be at least 2")
        self.xp = xp
        self.mean = xp.asarray(x0, dtype=xp.float64).copy()
        self.n = int(self.mean.size)
        self.sigma, self.lr, self.l2, self.clip = float(sigma), float(lr), float(l2), clip
        self.popsize = int(popsize) + (int(popsize) % 2)
        self.rng = np.random.default_rng() if rng is None else rng
        self.beta1, self.beta2, self.adam_eps = beta1, beta2, adam_eps
        self.m = xp.zeros(self.n)
        self.v = xp.zeros(self.n)
        self.t = 0
        self.generation = 0
        self._base = _new_base(self.rng)

    def ask(self, start=0, stop=None):
        """Candidate logits of members ``start..stop-1`` (member 2j = mean + sigma*eps_j,
        2j+1 = mean - sigma*eps_j)."""
        xp = self.xp
        stop = self.popsize if stop is None else min(stop, self.popsize)
        X = xp.empty((stop - start, self.n))
        eps = None
        for i, k in enumerate(range(start, stop)):
            if eps is None or k % 2 == 0:
                eps = _gaussian(xp, self._base, k // 2, self.n)
            X[i] = self.mean + (self.sigma if k % 2 == 0 else -self.sigma) * eps
        return X

    def tell(self, fitness):
        """Update the mean from the fitness (lower is better) of all members."""
        xp = self.xp
        fitness = _host_fitness(fitness, self.popsize)
        r = centred_ranks(fitness)
        pair_w = r[0::2] - r[1::2]          # mirrored pair j contributes (r+ - r-) eps_j
        g = xp.zeros(self.n)
        for j, w in enumerate(pair_w.tolist()):
            if w != 0.0:
                g += w * _gaussian(xp, self._base, j, self.n)
        g /= self.popsize * self.sigma
        if self.l2:
            g += self.l2 * self.mean
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        a = self.lr * math.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t)
        self.mean -= a * self.m / (xp.sqrt(self.v) + self.adam_eps)
        if self.clip is not None:
            xp.clip(self.mean, -self.clip, self.clip, out=self.mean)
        self.generation += 1
        self._base = _new_base(self.rng)


# ---------------------------------------------------------------- sep-CMA-ES
class SepCMAES:
    """sep-CMA-ES (Ros & Hansen 2008): CMA-ES with a diagonal covariance, O(n)
    memory and time per sample, learning rates scaled by (n + 2) / 3. Minimises.

    Noise is regenerated from per-member seeds, so a generation holds only the
    chunk of candidates being evaluated.
    """

    def __init__(self, x0, sigma=0.5, popsize=None, rng=None, xp=np):
        self.xp = xp
        self.mean = xp.asarray(x0, dtype=xp.float64).copy()
        n = self.n = int(self.mean.size)
        self.sigma = float(sigma)
        lam = self.popsize = int(popsize) if popsize else 4 + int(3 * math.log(n))
        if lam < 2:
            raise ValueError("popsize must be at least 2")
        self.rng = np.random.default_rng() if rng is None else rng
        mu = self.mu = lam // 2
        w = np.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
        self.weights = w / w.sum()
        self.mueff = mueff = 1.0 / float(np.sum(self.weights ** 2))
        self.cs = (mueff + 2) / (n + mueff + 5)
        self.ds = 1 + 2 * max(0.0, math.sqrt((mueff - 1) / (n + 1)) - 1) + self.cs
        self.cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
        c1 = 2 / ((n + 1.3) ** 2 + mueff)
        cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
        scale = (n + 2) / 3.0               # sep-CMA: faster learning of the diagonal
        self.c1 = min(1.0, c1 * scale)
        self.cmu = min(1.0 - self.c1, cmu * scale)
        self.chin = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        self.diag = xp.ones(n)              # variances C_ii
        self.ps = xp.zeros(n)
        self.pc = xp.zeros(n)
        self.generation = 0
        self._base = _new_base(self.rng)

    def ask(self, start=0, stop=None):
        xp = self.xp
        stop = self.popsize if stop is None else min(stop, self.popsize)
        X = xp.empty((stop - start, self.n))
        sd = xp.sqrt(self.diag)
        for i, k in enumerate(range(start, stop)):
            X[i] = self.mean + self.sigma * sd * _gaussian(xp, self._base, k, self.n)
        return X

    def tell(self, fitness):
        xp = self.xp
        fitness = _host_fitness(fitness, self.popsize)
        best = np.argsort(fitness, kind="stable")[:self.mu]
        sd = xp.sqrt(self.diag)
        zw = xp.zeros(self.n)               # sum w_i z_i
        yy = xp.zeros(self.n)               # sum w_i y_i^2, y = sd * z
        for w, k in zip(self.weights.tolist(), best.tolist()):
            z = _gaussian(xp, self._base, k, self.n)
            zw += w * z
            yy += w * (z * z)
        yy *= self.diag
        yw = sd * zw
        self.mean += self.sigma * yw
        g = self.generation + 1
        self.ps = (1 - self.cs) * self.ps + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * zw
        ps_norm = float(xp.sqrt((self.ps * self.ps).sum()))
        hsig = ps_norm / math.sqrt(1 - (1 - self.cs) ** (2 * g)) / self.chin < 1.4 + 2 / (self.n + 1)
        self.pc = (1 - self.cc) * self.pc + (math.sqrt(self.cc * (2 - self.cc) * self.mueff) * yw if hsig else 0.0)
        c1a = self.c1 * (1 - (0.0 if hsig else self.cc * (2 - self.cc)))
        self.diag = (1 - c1a - self.cmu) * self.diag + self.c1 * self.pc * self.pc + self.cmu * yy
        self.sigma *= math.exp(min(1.0, (self.cs / self.ds) * (ps_norm / self.chin - 1)))
        self.generation = g
        self._base = _new_base(self.rng)


class FullCMAES:
    """Full-covariance CMA-ES from the ``cma`` package, behind the same ask/tell
    (whole population sampled at ask(0); small n only)."""

    def __init__(self, x0, sigma=0.5, popsize=None, rng=None, xp=np):
        cma = _import_cma()
        self.xp = xp
        rng = np.random.default_rng() if rng is None else rng
        opts = {"seed": int(rng.integers(1, 2**31 - 1)), "verbose": -9, "verb_log": 0,
                "verb_disp": 0, "tolfun": 0, "tolx": 0, "tolfunhist": 0, "tolstagnation": 10**9,
                "tolflatfitness": 10**9, "maxiter": float("inf")}
        if popsize:
            opts["popsize"] = int(popsize)
        self.es = cma.CMAEvolutionStrategy(np.asarray(to_numpy(x0), dtype=np.float64), float(sigma), opts)
        self.popsize = self.es.popsize
        self.n = int(np.size(to_numpy(x0)))
        self._pop = None

    @property
    def mean(self):
        return self.xp.asarray(self.es.mean)

    @property
    def sigma(self):
        return float(self.es.sigma)

    @property
    def generation(self):
        return int(self.es.countiter)

    def ask(self, start=0, stop=None):
        if start == 0 or self._pop is None:
            self._pop = self.es.ask()
        stop = self.popsize if stop is None else min(stop, self.popsize)
        return self.xp.asarray(np.array(self._pop[start:stop]))

    def tell(self, fitness):
        self.es.tell(self._pop, np.asarray(to_numpy(fitness), dtype=np.float64).tolist())
        self._pop = None


def _import_cma():
    try:
        import cma
    except ImportError as exc:
        raise ImportError('full-covariance CMA-ES needs the "cma" package: pip install "polystep-sat[es]" '
                          '(or pass variant="sep", which needs nothing extra)') from exc
    return cma


# ---------------------------------------------------------------- driver
def _threshold(xp, theta, tie):
    """Threshold rounding of logits: True where theta > 0; exact zeros follow ``tie``."""
    x = to_numpy(theta > 0)
    zero = to_numpy(theta == 0)
    if zero.any():
        x = np.where(zero, tie, x)
    return x


def _initial_mean(formula, ctx, xp, warm_logit):
    """Logits 0 (p = 1/2), or a mild pull towards ctx.initial_assignment (a
    hard-feasible start found by solve() for partial MaxSAT)."""
    a0 = getattr(ctx, "initial_assignment", None)
    if a0 is None or not warm_logit:
        return xp.zeros(formula.n_vars)
    return xp.asarray(np.where(np.asarray(a0, bool), warm_logit, -warm_logit).astype(np.float64))


def _run_strategy(formula, ctx, make_strategy, name, polish, memory_bytes, report_every, max_generations):
    xp = get_array_module(ctx.backend)
    n = formula.n_vars
    obj = RelaxedObjective(formula, backend=ctx.backend, chunk_bytes=memory_bytes)
    total = float(to_numpy(obj.clause_weight).sum()) + 0.0
    scale = 1.0 / total if total > 0 else 1.0
    tie = ctx.rng.random(n) < 0.5            # fixed tie-break for logits exactly 0
    a0 = getattr(ctx, "initial_assignment", None)
    if a0 is not None:
        ev = evaluate(formula, a0)
        ctx.report(a0, ev.n_hard_unsat, ev.cost)

    with ctx.phase("es_setup"):
        es = make_strategy(xp)
    pop = es.popsize
    per_chunk = max(1, min(pop, memory_bytes // (8 * max(1, n)),
                           LITERALS_PER_CHUNK // max(1, formula.n_literals)))
    deadline_polish = None
    if polish and ctx.deadline is not None:
        deadline_polish = ctx.deadline - POLISH_SHARE * max(0.0, ctx.remaining())

    def stop():
        return ctx.should_stop() or (deadline_polish is not None and time.perf_counter() >= deadline_polish)

    best = {"key": None, "x": None, "generation": None}
    last_report = [-math.inf]

    def consider(final=False):
        """Round the mean (unless it is unchanged since the last call), keep the
        best rounding, and report it (throttled, except the final report)."""
        if best["generation"] != es.generation:
            x = _threshold(xp, es.mean, tie)
            ev = evaluate(formula, x)
            key = (ev.n_hard_unsat, ev.cost)
            best["generation"] = es.generation
            if best["key"] is None or key < best["key"]:
                best["key"], best["x"] = key, x
        now = time.perf_counter()
        if final or now - last_report[0] >= report_every:
            ctx.report(best["x"], *best["key"])
            last_report[0] = now

    evaluations = 0
    chunk_s = 0.0                               # longest chunk evaluation so far
    best_relaxed = math.inf
    interrupted = False
    with ctx.phase("es_search"):
        consider()
        while not stop() and best["key"] != (0, 0):
            if max_generations is not None and es.generation >= max_generations:
                break
            fit = np.empty(pop)
            for s in range(0, pop, per_chunk):
                t_chunk = time.perf_counter()
                X = es.ask(s, s + per_chunk)
                fit[s:s + X.shape[0]] = to_numpy(obj.batch_cost(sigmoid(xp, X))) * scale
                evaluations += X.shape[0]
                del X
                chunk_s = max(chunk_s, time.perf_counter() - t_chunk)
                # Stop now rather than start a chunk (up to ~0.5 s each at 1M
                # variables) that would end past the deadline.
                if stop() or ctx.remaining() < chunk_s:
                    interrupted = True
                    break
            if interrupted:
                break                           # a partial generation is dropped
            best_relaxed = min(best_relaxed, float(fit.min()))
            es.tell(fit)
            consider()
            ctx.tick(min(1.0, ctx.elapsed() / ctx.time_limit) if ctx.time_limit else 0.0,
                     f"{name} gen {es.generation} best {best['key']}")
        consider(final=True)

    ctx.info.update({
        "es": name, "finished": not interrupted and not ctx.should_stop(), "generations": int(es.generation), "evaluations": int(evaluations),
        "popsize": int(pop), "members_per_chunk": int(per_chunk), "sigma": float(es.sigma),
        "best_relaxed_fraction": best_relaxed if best_relaxed < math.inf else None,
        "mean_relaxed_fraction": obj.cost(sigmoid(xp, es.mean)) * scale,
    })
    if polish:
        _polish(formula, ctx, best["x"])


def _polish(formula, ctx, x):
    """The local-search polish of the PolyStep pipeline (rounding.polish: WalkSAT)
    on the ES answer, until the deadline (or 10 n flips without a time limit).
    It reports its own improvements, with exact costs."""
    from .walksat import walksat_polish as polish

    with ctx.phase("polish"):
        flips = None if ctx.deadline is not None else 10 * max(1, formula.n_vars)
        polish(formula, x, ctx, flips=flips)


def run_openai_es(formula, ctx, *, sigma=0.5, lr=0.3, popsize=32, l2=0.0, clip=6.0, warm_logit=1.0,
                  polish=False, max_generations=None, memory_bytes=DEFAULT_MEMORY_BYTES,
                  report_every=REPORT_EVERY):
    """Method "openai-es": OpenAI-ES on the logits of the relaxed objective.

    Parameters
    ----------
    sigma : perturbation scale in logit units. The PolyStep paper's baseline
        used 1.0 on logits thresholded at 0, i.e. random sampling. Here the
        fitness is the smooth relaxed cost, and sigma = 0.5 with lr = 0.3 did
        best in a sweep (random 3-SAT, ratio 4.26, 1k and 10k variables, equal
        generations: sigma 0.25-1, lr 0.03-1, popsize 8-128 were within
        about 1 point of clause satisfaction).
    lr : Adam learning rate (about the per-coordinate logit step per generation).
    popsize : members per generation (even: mirrored pairs).
    l2 : weight decay on the logits.
    clip : the mean logits stay in [-clip, clip] (p within sigmoid(+-clip)).
    warm_logit : start at +-warm_logit towards ctx.initial_assignment when
        solve() found a hard-feasible start (partial MaxSAT); 0 to ignore it.
    polish : stop the ES at 80% of the remaining time and give the rest to the
        pipeline's local-search polish of the rounded answer (default False:
        the pure ES baseline).
    max_generations : stop after this many generations (None: until ctx stops it).
    memory_bytes : budget for one chunk of candidate rows (and the objective's temporaries).
    """
    def make(xp):
        x0 = _initial_mean(formula, ctx, xp, warm_logit)
        return OpenAIES(x0, sigma=sigma, lr=lr, popsize=popsize, l2=l2, clip=clip, rng=ctx.rng, xp=xp)

    _run_strategy(formula, ctx, make, "openai-es", polish, memory_bytes, report_every, max_generations)


def run_cma_es(formula, ctx, *, sigma=None, popsize=None, variant="auto", warm_logit=1.0,
               full_max_n=FULL_CMA_MAX_N, polish=False, memory_bytes=DEFAULT_MEMORY_BYTES,
               max_generations=None, report_every=REPORT_EVERY):
    """Method "cma-es": CMA-ES on the logits of the relaxed objective.

    Parameters
    ----------
    sigma : initial step size in logit units; default 0.5 for "full", 1.0
        for "sep" (the best of 0.25-2 in a sweep on random 3-SAT at 1k/10k).
    popsize : default 4 + floor(3 ln n).
    variant : "full" (the ``cma`` package, full covariance), "sep" (diagonal
        covariance, ours: O(n) memory, chunked sampling) or "auto" (full up to
        ``full_max_n`` variables, sep above; sep also when less than
        ``AUTO_FULL_MIN_SECONDS`` remain and cma is not imported yet, since
        importing it takes seconds).
    warm_logit, polish, max_generations, memory_bytes : as for :func:`run_openai_es`.
    """
    if variant not in ("auto", "full", "sep"):
        raise ValueError(f"variant must be 'auto', 'full' or 'sep', got {variant!r}")
    if variant == "auto":
        # Importing cma takes 1.5-3.5 s here (it loads scipy.stats and
        # matplotlib), counted in the time limit: not worth it for short runs.
        cheap = "cma" in sys.modules or ctx.remaining() >= AUTO_FULL_MIN_SECONDS
        variant = "full" if 2 <= formula.n_vars <= full_max_n and cheap else "sep"
    if variant == "full" and formula.n_vars < 2:
        raise ValueError("full-covariance CMA-ES needs at least 2 variables; use variant='sep'")
    if variant == "full":
        with ctx.phase("import_cma"):       # cma imports scipy.stats and more: seconds, once
            _import_cma()

    def make(xp):
        x0 = _initial_mean(formula, ctx, xp, warm_logit)
        cls = FullCMAES if variant == "full" else SepCMAES
        s0 = sigma if sigma is not None else (0.5 if variant == "full" else 1.0)
        return cls(x0, sigma=s0, popsize=popsize, rng=ctx.rng, xp=xp)

    _run_strategy(formula, ctx, make, f"cma-es/{variant}", polish, memory_bytes, report_every,
                  max_generations)
