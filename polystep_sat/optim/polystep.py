"""PolyStep: a gradient-free optimizer driven by a cost matrix over polytope vertices.

One step (see ``DESIGN.md``, "PolyStep as published"):

1. the coordinates are split into *particles* -- disjoint blocks of
   ``particle_dim`` coordinates, re-drawn at random each step (a compressed
   coordinate subspace), or blocks of ``block_size`` coordinates moved along a
   fresh random ``particle_dim``-dimensional projection;
2. around each particle, the vertices of a structured polytope (the
   cross-polytope ``+-e_i``, a regular simplex, or a cube) under a fresh random
   rotation, scaled by the step radius and clipped to the bounds;
3. the loss at every vertex (or at ``probes`` points on the way to it, the
   best probe standing for the vertex), each particle moved alone with every
   other particle fixed: a (particles x vertices) cost matrix;
4. per particle, a softmax over its row of costs with temperature
   ``epsilon``; costs are normalised per step (by their mean absolute
   deviation from the row mean) so that epsilon means the same thing whatever
   the scale of the loss;
5. the particle moves to the softmax-weighted barycentre of its vertices
   (plus optional heavy-ball momentum), clipped to the bounds.

Epsilon, the step radius and the probe radius follow schedules (cosine,
linear or constant) from their initial to their final value as the run
progresses; ``progress`` is ``step / n_steps`` unless the caller sets it (a
time-based run sets elapsed / budget).

The optimizer is ask/tell: ``ask()`` returns a :class:`Proposal` (particle
coordinates and candidate points), the caller computes the cost matrix, and
``tell(costs)`` moves the particles. The cost matrix may come from a plain
function (one evaluation per entry; see :func:`minimize`), from a batch
function, or from a structured ``cost_matrix(x, indices, points)`` that
computes every entry at once (the SAT pipeline's sparse delta evaluation).

Works with NumPy or CuPy arrays (``xp``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SCHEDULES = ("cosine", "linear", "constant")
POLYTOPES = ("cross", "simplex", "cube")
SUBSPACES = ("blocks", "fixed", "projection")


def schedule_value(kind: str, start: float, end: float, t: float) -> float:
    """Value of a schedule at progress ``t`` in [0, 1], from ``start`` to ``end``."""
    t = min(max(float(t), 0.0), 1.0)
    if kind == "constant" or end is None:
        return float(start)
    if kind == "linear":
        return float(start + (end - start) * t)
    if kind == "cosine":
        return float(end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * t)))
    raise ValueError(f"unknown schedule {kind!r}; choose one of: {', '.join(SCHEDULES)}")


def polytope_vertices(kind: str, d: int) -> np.ndarray:
    """Unit-norm vertices (V, d) of a polytope centred at the origin."""
    if kind == "cross":
        eye = np.eye(d)
        return np.concatenate([eye, -eye])
    if kind == "simplex":
        if d == 1:
            return np.array([[1.0], [-1.0]])
        # The d+1 standard basis vectors of R^(d+1), centred, expressed in an
        # orthonormal basis of their hyperplane.
        e = np.eye(d + 1) - 1.0 / (d + 1)
        q, _ = np.linalg.qr(e.T)
        v = e @ q[:, :d]
        return v / np.linalg.norm(v, axis=1, keepdims=True)
    if kind == "cube":
        if d > 10:
            raise ValueError("the cube polytope has 2**d vertices; use it with particle_dim <= 10")
        signs = ((np.arange(2 ** d)[:, None] >> np.arange(d)) & 1) * 2.0 - 1.0
        return signs / math.sqrt(d)
    raise ValueError(f"unknown polytope {kind!r}; choose one of: {', '.join(POLYTOPES)}")


class _Rng:
    """One seeded random source for NumPy or CuPy arrays."""

    def __init__(self, xp, seed):
        self.xp = xp
        if xp is np:
            self.g = np.random.default_rng(seed)
        else:  # CuPy: RandomState has permutation; seed it from numpy for reproducibility
            s = int(np.random.default_rng(seed).integers(0, 2**32))  # a seed both RandomStates take
            self.g = xp.random.RandomState(s)

    def random(self, shape):
        return self.g.random(shape) if self.xp is np else self.g.random_sample(shape)

    def normal(self, shape):
        return self.g.standard_normal(shape)

    def permutation(self, n):
        return self.g.permutation(n)


@dataclass
class Proposal:
    """What ``ask()`` returns.

    indices : (P, s) int array: the coordinates of each particle.
    points : (P, Q, s) candidate values of those coordinates, Q = vertices x
        probes (probe k of vertex j at column ``j * probes + k``), inside the bounds.
    x : the current point (n,), not to be modified.
    """

    indices: object
    points: object
    x: object
    n_vertices: int
    n_probes: int

    @property
    def shape(self):
        """Shape of the cost matrix ``tell`` expects: (P, Q)."""
        return self.points.shape[:2]


class PolyStep:
    """Ask/tell PolyStep optimizer (minimisation).

    Parameters
    ----------
    x0 : initial point (n,), NumPy or CuPy.
    radius, final_radius : step radius (distance of the vertices) and its final value.
    epsilon, final_epsilon : softmax temperature on per-step normalised costs.
    probe_radius, final_probe_radius : distance of the farthest probe; default
        the step radius (probes then sit on the segment to each vertex).
    probes : points evaluated on the way to each vertex (the best one stands
        for the vertex).
    particle_dim : dimension d of each particle's polytope.
    polytope : "cross" (2d vertices), "simplex" (d+1) or "cube" (2**d).
    subspace : "blocks" (random disjoint coordinate blocks each step, default),
        "fixed" (consecutive blocks, as published) or "projection" (blocks of
        ``block_size`` coordinates moved along a random d-dim projection).
    block_size : coordinates per particle in "projection" mode.
    update_fraction : share of the particles that move each step (the others
        keep their place); below 1 it damps conflicts between particles that
        interact through the loss.
    momentum : heavy-ball coefficient (0 = none).
    bounds : (low, high) scalars or arrays; the state is clipped to them.
    schedule : "cosine", "linear" or "constant" for the three schedules.
    n_steps : the step count at which the schedules reach their final values.
    seed : random seed (reproducible runs).
    xp : array module (numpy or cupy); default that of ``x0``.
    """

    def __init__(self, x0, *, radius=0.5, final_radius=None, epsilon=1.0, final_epsilon=None,
                 probe_radius=None, final_probe_radius=None, probes=1, particle_dim=2,
                 polytope="cross", subspace="blocks", block_size=None, update_fraction=1.0,
                 momentum=0.0, bounds=None, schedule="cosine", n_steps=100, seed=None, xp=None):
        if xp is None:
            xp = np if isinstance(x0, (np.ndarray, list, tuple, float, int)) else _module_of(x0)
        self.xp = xp
        x = xp.asarray(x0, dtype=xp.float64).ravel().copy()
        n = x.size
        if n == 0:
            raise ValueError("x0 is empty")
        if not radius > 0:
            raise ValueError(f"radius must be positive, got {radius!r}")
        if not epsilon > 0:
            raise ValueError(f"epsilon must be positive, got {epsilon!r}")
        if final_epsilon is not None and not final_epsilon > 0:
            raise ValueError(f"final_epsilon must be positive, got {final_epsilon!r}")
        if int(probes) < 1:
            raise ValueError(f"probes must be >= 1, got {probes!r}")
        if not 0 < update_fraction <= 1:
            raise ValueError(f"update_fraction must be in (0, 1], got {update_fraction!r}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}")
        if subspace not in SUBSPACES:
            raise ValueError(f"unknown subspace {subspace!r}; choose one of: {', '.join(SUBSPACES)}")
        if int(n_steps) < 1:
            raise ValueError(f"n_steps must be >= 1, got {n_steps!r}")
        d = min(int(particle_dim), n)
        if d < 1:
            raise ValueError(f"particle_dim must be >= 1, got {particle_dim!r}")
        if subspace == "projection":
            s = n if block_size is None else min(int(block_size), n)
            if s < d:
                raise ValueError(f"block_size ({block_size}) must be >= particle_dim ({particle_dim})")
        else:
            s = d
        self.n, self.d, self.s = n, d, s
        self.vertices = xp.asarray(polytope_vertices(polytope, d))   # (V, d)
        self.polytope, self.subspace = polytope, subspace
        self.probes = int(probes)
        self.radius = (float(radius), None if final_radius is None else float(final_radius))
        self.epsilon = (float(epsilon), None if final_epsilon is None else float(final_epsilon))
        pr = None if probe_radius is None else float(probe_radius)
        fpr = None if final_probe_radius is None else float(final_probe_radius)
        self.probe_radius = (pr, fpr)
        self.update_fraction = float(update_fraction)
        self.momentum = float(momentum)
        self.schedule = schedule
        self.n_steps = int(n_steps)
        if bounds is None:
            self.low = self.high = None
        else:
            low, high = bounds
            self.low = None if low is None else xp.asarray(low, dtype=xp.float64)
            self.high = None if high is None else xp.asarray(high, dtype=xp.float64)
            if self.low is not None and self.high is not None and bool(xp.any(self.low > self.high)):
                raise ValueError("bounds: low must not exceed high")
        self.x = self._clip(x)
        self.velocity = xp.zeros(n, dtype=xp.float64) if self.momentum > 0 else None
        self.rng = _Rng(xp, seed)
        self.step = 0          # completed tell() calls
        self.nfev = 0          # cost-matrix entries told so far
        self.progress = None   # set by the caller for time-based schedules
        self._pending = None
        self._relabel = None

    # --------------------------------------------------------- schedules
    def _t(self):
        if self.progress is not None:
            return min(max(float(self.progress), 0.0), 1.0)
        return min(self.step / max(self.n_steps - 1, 1), 1.0)

    @property
    def current_radius(self) -> float:
        return schedule_value(self.schedule, *self.radius, self._t())

    @property
    def current_epsilon(self) -> float:
        return schedule_value(self.schedule, *self.epsilon, self._t())

    @property
    def current_probe_radius(self) -> float:
        start, end = self.probe_radius
        if start is None:
            return self.current_radius
        return schedule_value(self.schedule, start, end, self._t())

    # --------------------------------------------------------- geometry
    def _clip(self, x, idx=None):
        xp = self.xp
        low = self.low if (self.low is None or self.low.ndim == 0 or idx is None) else self.low[idx]
        high = self.high if (self.high is None or self.high.ndim == 0 or idx is None) else self.high[idx]
        if low is None and high is None:
            return x
        return xp.clip(x, low, high)

    def _permutation(self):
        """A random permutation of the coordinates.

        Up to 2**16 coordinates a uniform one; above, a random affine map
        ``k -> (a k + b) mod n`` (gcd(a, n) = 1) composed with a fixed random
        relabelling: as good for pairing coordinates at random, and 5-10x
        cheaper than a fresh permutation of a million entries.
        """
        xp, n = self.xp, self.n
        if n <= 1 << 16:
            return self.rng.permutation(n)
        if self._relabel is None:
            self._relabel = self.rng.permutation(n)
        while True:
            a = int(self.rng.random(1)[0] * (n - 1)) + 1
            if math.gcd(a, n) == 1:
                break
        b = int(self.rng.random(1)[0] * n)
        k = xp.arange(n, dtype=xp.int64)
        k *= a
        k += b
        k %= n
        return self._relabel[k]

    def _layout(self):
        """Particle coordinates (s, P) and unit directions (s, V, P) for this step.

        Coordinate-major layout: every (coordinate, vertex) slice is
        contiguous, so the element-wise work below streams through memory
        (and coalesces on a GPU). The public views are (P, s) and (P, V, s).
        """
        xp, n, d, s = self.xp, self.n, self.d, self.s
        if self.subspace == "fixed":
            P = n // d
            idx = xp.arange(P * d).reshape(P, d).T.copy()
        else:
            P = n // s
            idx = self._permutation()[:P * s].reshape(s, P)
        V = self.vertices
        if self.subspace == "projection":
            # an orthonormal d-frame in R^s per particle
            B, _ = np.linalg.qr(np.asarray(_to_host(self.rng.normal((P, s, d)))))
            dirs = (xp.asarray(B)[:, None, :, :] * V[None, :, None, :]).sum(axis=-1)   # (P, V, s)
            dirs = xp.ascontiguousarray(dirs.transpose(2, 1, 0))
        elif d == 2 and self.polytope == "cross":
            # the rotated cross in closed form: +-(c, s), +-(-s, c)
            th = self.rng.random(P) * (2 * math.pi)
            c, sn = xp.cos(th), xp.sin(th)
            dirs = xp.empty((2, 4, P))
            dirs[0, 0], dirs[1, 0] = c, sn
            dirs[0, 1], dirs[1, 1] = -sn, c
            xp.negative(dirs[:, :2], out=dirs[:, 2:])
        else:
            R = self._rotations(P)                       # (P, d, d)
            dirs = (R[:, None, :, :] * V[None, :, None, :]).sum(axis=-1)   # R @ v for every vertex
            dirs = xp.ascontiguousarray(dirs.transpose(2, 1, 0))
        return idx, dirs

    def _rotations(self, P):
        """P random rotations of R^d (Haar for d > 2)."""
        xp, d = self.xp, self.d
        if d == 1:
            return xp.where(self.rng.random((P, 1, 1)) < 0.5, -1.0, 1.0)
        if d == 2:
            th = self.rng.random(P) * (2 * math.pi)
            c, s = xp.cos(th), xp.sin(th)
            return xp.stack([xp.stack([c, -s], -1), xp.stack([s, c], -1)], -2)
        g = np.asarray(_to_host(self.rng.normal((P, d, d))))
        q, r = np.linalg.qr(g)
        q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[:, None, :]
        return xp.asarray(q)

    def _clip_inplace(self, a, idx):
        """Clip ``a`` (s, ..., P) in place to the bounds of coordinates ``idx`` (s, P)."""
        xp = self.xp
        for bound, op in ((self.low, xp.maximum), (self.high, xp.minimum)):
            if bound is None:
                continue
            if bound.ndim == 0:
                op(a, bound, out=a)
            else:
                b = bound[idx].reshape(idx.shape[:1] + (1,) * (a.ndim - 2) + idx.shape[1:])
                op(a, b, out=a)
        return a

    # --------------------------------------------------------- ask / tell
    def ask(self) -> Proposal:
        """Candidate points for this step (a :class:`Proposal`)."""
        xp = self.xp
        idx, dirs = self._layout()                                  # (s, P), (s, V, P)
        xi = self.x[idx]                                            # (s, P)
        r = self.current_radius
        targets = dirs * r
        targets += xi[:, None, :]
        self._clip_inplace(targets, idx)                            # (s, V, P)
        K = self.probes
        s, V, P = dirs.shape
        if K == 1 and self.probe_radius[0] is None:
            pts = targets
        else:
            rp = self.current_probe_radius
            frac = xp.arange(1, K + 1, dtype=xp.float64) / K       # (K,)
            pts = xi[:, None, None, :] + rp * frac[None, None, :, None] * dirs[:, :, None, :]
            pts = self._clip_inplace(pts, idx).reshape(s, V * K, P)
        self._pending = (idx, targets, pts)
        return Proposal(idx.T, pts.transpose(2, 1, 0), self.x, V, K)

    def tell(self, costs):
        """Move the particles given the (P, Q) cost matrix of the last ``ask``.

        Each vertex's cost is the best of its probes; a vertex whose best probe
        is not the vertex itself moves the particle to that probe (the point
        actually evaluated).
        """
        if self._pending is None:
            raise RuntimeError("tell() without a matching ask()")
        xp = self.xp
        idx, targets, pts = self._pending
        self._pending = None
        s, V, P = targets.shape
        K = self.probes
        costs = xp.asarray(costs, dtype=xp.float64)
        if costs.shape != (P, V * K):
            raise ValueError(f"cost matrix has shape {costs.shape}, expected {(P, V * K)}")
        if K > 1 or self.probe_radius[0] is not None:
            c3 = costs.T.reshape(V, K, P)
            best = xp.argmin(c3, axis=1)                                        # (V, P)
            vcost = xp.take_along_axis(c3, best[:, None, :], axis=1)[:, 0, :].T  # (P, V)
            p4 = pts.reshape(s, V, K, P)
            targets = xp.take_along_axis(p4, best[None, :, None, :], axis=2)[:, :, 0, :]
        else:
            vcost = costs
        w = softmax_weights(xp, vcost, self.current_epsilon)                  # (P, V)
        new = None
        for j in range(V):                                                     # barycentre
            term = targets[:, j, :] * w[:, j]
            new = term if new is None else new + term                          # (s, P)
        xi = self.x[idx]
        if self.velocity is not None:
            new += self.momentum * self.velocity[idx]
            self._clip_inplace(new, idx)
        if self.update_fraction < 1.0:
            keep = self.rng.random(P) >= self.update_fraction
            new = xp.where(keep[None, :], xi, new)
        if self.velocity is not None:
            self.velocity[idx] = new - xi
        self.x[idx] = new
        self.step += 1
        self.nfev += int(P * V * K)
        return self.x


def _row_reduce(a, op):
    """``op``-reduce over axis 1 of a (P, V, ...) array, column by column:
    much faster than a NumPy reduction over a short inner axis."""
    acc = a[:, 0]
    for j in range(1, a.shape[1]):
        acc = op(acc, a[:, j])
    return acc


def softmax_weights(xp, costs, epsilon):
    """Row-wise softmax of ``-costs / (scale * epsilon)``.

    ``scale`` is the mean absolute deviation of the costs from their row mean
    over the whole matrix: the normalisation that makes epsilon scale-free.
    A matrix with no spread gives uniform weights.
    """
    V = costs.shape[1]
    c = costs - (_row_reduce(costs, xp.add) / V)[:, None]
    scale = float(xp.abs(c).mean())
    if not scale > 0 or not math.isfinite(scale):
        return xp.full(costs.shape, 1.0 / V)
    z = c * (-1.0 / (scale * epsilon))
    z -= _row_reduce(z, xp.maximum)[:, None]
    e = xp.exp(z)
    e /= _row_reduce(e, xp.add)[:, None]
    return e


def _module_of(a):
    try:
        import cupy
        if isinstance(a, cupy.ndarray):
            return cupy
    except ImportError:
        pass
    return np


def _to_host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


# ------------------------------------------------------------------ minimize
class OptimizeResult(dict):
    """Like ``scipy.optimize.OptimizeResult``: a dict with attribute access."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __repr__(self):
        return "OptimizeResult(" + ", ".join(f"{k}={v!r}" for k, v in self.items() if k != "x") + ")"


def minimize(fun=None, x0=None, *, fun_batch=None, cost_matrix=None, maxiter=200, callback=None, **options):
    """Minimise with PolyStep; a ``scipy.optimize.minimize``-style front.

    Give one of:

    * ``fun(x) -> float``: the cost matrix is built by one call per entry
      (particles x vertices x probes per step; fine for small dimensions);
    * ``fun_batch(X) -> (m,)`` for a stack of points X (m, n);
    * ``cost_matrix(x, indices, points) -> (P, Q)``: all entries at once, for
      structured problems (rows may be shifted by any constant: only
      differences within a row matter). ``fun`` is then only used, if given,
      to track the best point.

    ``options`` go to :class:`PolyStep` (``n_steps`` defaults to ``maxiter``).
    ``callback(x, step)`` runs after each step; returning True stops.

    Returns an :class:`OptimizeResult` with ``x`` (the best point evaluated
    by ``fun``/``fun_batch``, else the last point), ``fun``, ``nit``,
    ``nfev``, ``success`` and ``message``.
    """
    if fun is None and fun_batch is None and cost_matrix is None:
        raise ValueError("give fun, fun_batch or cost_matrix")
    if x0 is None:
        raise ValueError("x0 is required")
    options.setdefault("n_steps", maxiter)
    opt = PolyStep(x0, **options)
    xp = opt.xp
    nfev = 0

    def f_of(x):
        nonlocal nfev
        nfev += 1
        if fun is not None:
            return float(fun(x))
        return float(fun_batch(x[None, :])[0])

    track = fun is not None or fun_batch is not None
    best_x = opt.x.copy()
    best_f = f_of(opt.x) if track else None
    message = "maximum number of iterations reached"
    nit = 0
    for nit in range(1, int(maxiter) + 1):
        prop = opt.ask()
        if cost_matrix is not None:
            C = cost_matrix(opt.x, prop.indices, prop.points)
        else:
            C = _cost_matrix_from_fun(xp, opt.x, prop, fun, fun_batch)
            nfev += int(np.prod(prop.shape))
        opt.tell(C)
        if track:
            fx = f_of(opt.x)
            if fx < best_f:
                best_f, best_x = fx, opt.x.copy()
        if callback is not None and callback(opt.x, nit):
            message = "stopped by the callback"
            break
    if not track:
        best_x = opt.x.copy()
    return OptimizeResult(x=best_x, fun=best_f, nit=nit, nfev=nfev, success=True, message=message,
                          optimizer=opt)


def _cost_matrix_from_fun(xp, x, prop, fun, fun_batch):
    P, Q = prop.shape
    idx, pts = prop.indices, prop.points
    if fun_batch is not None:
        C = xp.empty((P, Q))
        for p in range(P):  # one batch of Q points per particle keeps memory at Q x n
            X = xp.repeat(x[None, :], Q, axis=0)
            X[:, idx[p]] = pts[p]
            C[p] = xp.asarray(fun_batch(X))
        return C
    C = np.empty((P, Q))
    y = x.copy()
    for p in range(P):
        ip = idx[p]
        old = y[ip].copy()
        for q in range(Q):
            y[ip] = pts[p, q]
            C[p, q] = fun(y)
        y[ip] = old
    return xp.asarray(C)
