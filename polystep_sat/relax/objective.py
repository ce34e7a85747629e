"""The relaxed MAX-SAT objective and its sparse delta evaluation.

Each variable becomes a probability ``p_v`` of being true. A clause is
falsified with probability ``prod_{l in c} (1 - P[l true])``, so the relaxed
cost is the *expected* falsified weight

    f(p) = sum_c w_c * prod_{l in c} q_l,   q_l = 1 - p_v (l = +v),  p_v (l = -v).

``f`` is the multilinear extension of the discrete cost: at a 0/1 point it
equals the exact cost, and it is linear in each variable separately, so the
change of moving one variable (or a pair) with the others fixed is exact from
per-clause products -- no finite differences.

Hard clauses (partial MaxSAT) get the float weight ``1 + total soft weight``:
one falsified hard clause then outweighs every soft clause together.

Everything is evaluated by gathers over the Formula's CSR arrays, grouped in
*length buckets* (all clauses of length k as an ``(m_k, k)`` block), so a
product over a clause is a plain ``prod(axis=-1)`` that runs the same on NumPy
and CuPy. Empty clauses are always falsified and add a constant.
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module, to_numpy

try:  # the CPU fast path; the array code below is the reference and the GPU path
    from numba import njit
except ImportError:  # pragma: no cover
    njit = None

# Memory a batch evaluation may use for its temporaries (bytes); the
# population is processed in chunks that fit.
DEFAULT_CHUNK_BYTES = 512 * 2**20


class _Bucket:
    """All clauses of one length k: variables (m_k, k), signs, weights."""

    __slots__ = ("k", "clause_ids", "var", "neg", "pos", "w")

    def __init__(self, xp, k, clause_ids, blk, w):
        self.k = k
        self.clause_ids = xp.asarray(clause_ids)
        # Column-major (k, m_k): a column is contiguous, gathers stay cheap.
        self.var = xp.asarray(np.ascontiguousarray((np.abs(blk) - 1).T.astype(np.int32)))
        self.neg = xp.asarray(np.ascontiguousarray((blk < 0).T))
        self.pos = xp.asarray(np.ascontiguousarray((blk > 0).T.astype(np.float64)))
        self.w = xp.asarray(w)


class RelaxedObjective:
    """Expected falsified weight of a product distribution over assignments.

    Parameters
    ----------
    formula : Formula
    backend : "numpy" or "cupy"; arrays passed in and returned live there.
    hard_weight : float weight of a hard clause; default ``1 + total soft weight``.
    chunk_bytes : memory budget for the temporaries of :meth:`batch_cost`.
    kernel_precision : storage precision of :meth:`pair_gradient`'s CPU kernel
        ("auto": float32 above 2**20 literals, where it runs ~1.6x faster;
        float64 below). Its products and the rounded cost are in float64.

    Attributes
    ----------
    xp : the array module.
    clause_weight : float64 weight per clause (hard clauses at ``hard_weight``).
    """

    def __init__(self, formula, backend="numpy", hard_weight=None, chunk_bytes=DEFAULT_CHUNK_BYTES,
                 kernel_precision="auto"):
        self.formula = formula
        self.backend = backend
        self.xp = xp = get_array_module(backend)
        self.n_vars = formula.n_vars
        self.chunk_bytes = int(chunk_bytes)
        if kernel_precision not in ("auto", "float32", "float64"):
            raise ValueError("kernel_precision must be 'auto', 'float32' or 'float64'")
        if kernel_precision == "auto":
            # above ~1M literals the gradient pass is bound by cache misses:
            # float32 storage halves them (products still in float64)
            kernel_precision = "float32" if formula.n_literals > 2**20 else "float64"
        self.kernel_dtype = np.dtype(kernel_precision).type
        soft_total = float(formula.total_soft_weight)
        self.hard_weight = float(1.0 + soft_total) if hard_weight is None else float(hard_weight)
        w = formula.weights.astype(np.float64)
        w[formula.hard] = self.hard_weight
        self.clause_weight = xp.asarray(w)
        # Length buckets. Clauses that repeat a variable are normalised first
        # (duplicate literals merged, tautologies dropped: always satisfied)
        # so that f stays multilinear and the deltas below stay exact.
        groups = {}  # k -> list of (clause ids, (m, k) literal block)
        lengths = formula.clause_lengths
        lits = formula.literals
        odd_ids, odd_lits = [], []
        for k in np.unique(lengths).tolist():
            ids = np.flatnonzero(lengths == k).astype(np.int64)
            blk = lits[formula.indptr[ids][:, None].astype(np.int64) + np.arange(k)]
            if k > 1:
                sv = np.sort(np.abs(blk), axis=1)
                rep = (sv[:, 1:] == sv[:, :-1]).any(axis=1)
                for i, row in zip(ids[rep].tolist(), blk[rep].tolist()):
                    odd_ids.append(i)
                    odd_lits.append(row)
                ids, blk = ids[~rep], blk[~rep]
            groups.setdefault(k, []).append((ids, blk))
        for i, row in zip(odd_ids, odd_lits):
            s = set(row)
            if any(-lit in s for lit in s):
                continue  # tautology
            groups.setdefault(len(s), []).append((np.array([i]), np.array([sorted(s)])))
        # Empty clauses are falsified by every assignment: a constant.
        self.constant = 0.0
        self.buckets = []
        for k in sorted(groups):
            ids = np.concatenate([g[0] for g in groups[k]])
            blk = np.concatenate([np.asarray(g[1], np.int64).reshape(len(g[0]), k) for g in groups[k]])
            if ids.size == 0:
                continue
            if k == 0:
                self.constant = float(w[ids].sum())
                continue
            # Discrete costs use the same float weights (hard = hard_weight);
            # exact integer costs come from exact_cost / verify.evaluate.
            self.buckets.append(_Bucket(xp, int(k), ids, blk, w[ids]))

    # ------------------------------------------------------------ helpers
    def _falsity(self, P, b):
        """Per-literal falsity q for bucket b, one (c, m_k) array per column.

        ``q = |pos - p|`` with pos = 1.0 for a positive literal: 1 - p for
        ``+v``, p for ``-v``; column-wise gathers are much faster than one
        (c, m_k, k) gather.
        """
        return [self.xp.abs(b.pos[j] - P[:, b.var[j]]) for j in range(b.k)]

    def _chunk(self):
        per_member = 8 * 3 * max(1, self.formula.n_literals)  # gather + where + prod temporaries
        return max(1, self.chunk_bytes // per_member)

    # ------------------------------------------------------------ costs
    def batch_cost(self, P):
        """Relaxed cost of each row of ``P`` (shape (pop, n_vars), values in [0, 1]).

        Returns a (pop,) float64 array on the backend. Rows are processed in
        chunks so temporaries stay within ``chunk_bytes``.
        """
        xp = self.xp
        P = xp.asarray(P, dtype=xp.float64)
        if P.ndim != 2 or P.shape[1] != self.n_vars:
            raise ValueError(f"P must have shape (pop, {self.n_vars}), got {P.shape}")
        out = xp.full(P.shape[0], self.constant, dtype=xp.float64)
        step = self._chunk()
        for s in range(0, P.shape[0], step):
            Pc = P[s:s + step]
            acc = out[s:s + step]
            for b in self.buckets:
                q = self._falsity(Pc, b)
                prod = q[0]
                for qj in q[1:]:
                    prod = prod * qj
                acc += prod @ b.w
        return out

    def cost(self, p):
        """Relaxed cost of a single probability vector (a Python float)."""
        xp = self.xp
        return float(self.batch_cost(xp.asarray(p, dtype=xp.float64)[None, :])[0])

    def gradient(self, p):
        """Exact gradient of the relaxed cost at ``p`` (n_vars,), O(literals).

        Because ``f`` is multilinear, ``f(p + t e_v) - f(p) = t * grad_v``
        exactly for any t (other variables fixed).
        """
        xp = self.xp
        p = xp.asarray(p, dtype=xp.float64)
        g = xp.zeros(self.n_vars, dtype=xp.float64)
        for b in self.buckets:
            q = [qj[0] for qj in self._falsity(p[None, :], b)]
            rest = _products_except_self(q)
            for j in range(b.k):
                dq = 2.0 * b.neg[j] - 1.0                   # dq/dp: +1 for -v, -1 for +v
                g += xp.bincount(b.var[j], weights=rest[j] * dq * b.w, minlength=self.n_vars)
        return g

    def pair_gradient(self, p, partner=None, x=None):
        """Gradient, pair curvature and (optionally) a rounded cost in one O(literals) pass.

        Parameters
        ----------
        p : (n,) probabilities.
        partner : (n,) int array or None: ``partner[v]`` is the variable paired
            with v (-1 for none), pairs symmetric.
        x : (n,) bool assignment or None.

        Returns
        -------
        g : (n,) exact gradient of f at p.
        h : (n,) ``h[v] = d2f / dp_v dp_partner[v]`` (zeros without partners);
            moving the pair (a, b) by (da, db) changes f by exactly
            ``da g_a + db g_b + da db h_a`` (f is multilinear).
        cost : float discrete cost of ``x`` (hard clauses at ``hard_weight``),
            or None.

        On NumPy a numba kernel does it in one pass over the clauses; on CuPy
        (or without numba) the bucketed array code does.
        """
        xp = self.xp
        if xp is np and njit is not None:
            cptr, cvar, cneg, cw, maxk = self._flat()
            n = self.n_vars
            ft = self.kernel_dtype
            if getattr(self, "_buffers", None) is None:
                it = np.int32 if ft == np.float32 else np.int64
                self._buffers = (np.empty((n, 2), it), np.empty((n, 2), ft))
            # p and partner side by side (one buffer, seen as floats and as
            # ints), g next to h: one cache miss fetches both, which matters
            # in this memory-bound pass
            pint, gh = self._buffers
            pf = pint.view(ft)
            pf[:, 0] = p
            pint[:, 1] = -1 if partner is None else partner
            xx = np.zeros(1, np.bool_) if x is None else np.asarray(x, np.bool_)
            cost = _pair_gradient_kernel(pf, pint, partner is not None, xx, x is not None,
                                         cptr, cvar, cneg, cw, maxk, gh)
            g = gh[:, 0].astype(np.float64)
            h = gh[:, 1].astype(np.float64)
            return g, h, (None if x is None else cost + self.constant)
        g = self.gradient(p)
        h = xp.zeros(self.n_vars, dtype=xp.float64)
        if partner is not None:
            partner = xp.asarray(partner)
            for b in self.buckets:
                for i in range(b.k):
                    for j in range(i + 1, b.k):
                        hit = xp.nonzero(partner[b.var[i]] == b.var[j])[0]
                        if hit.size == 0:
                            continue
                        val = b.w[hit] * (2.0 * b.neg[i][hit] - 1.0) * (2.0 * b.neg[j][hit] - 1.0)
                        for l in range(b.k):
                            if l != i and l != j:
                                val = val * xp.abs(b.pos[l][hit] - p[b.var[l][hit]])
                        h += xp.bincount(b.var[i][hit], weights=val, minlength=self.n_vars)
                        h += xp.bincount(b.var[j][hit], weights=val, minlength=self.n_vars)
        cost = None if x is None else self.discrete_cost(x)
        return g, h, cost

    def _flat(self):
        """The normalised clauses as flat CSR arrays (host), for the numba kernel."""
        if getattr(self, "_flat_cache", None) is None:
            parts_var, parts_neg, parts_w, parts_ids, lens = [], [], [], [], []
            for b in self.buckets:
                # clauses in order of their smallest variable: that literal's
                # accesses become sequential (about 2x faster on random 3-SAT)
                var = to_numpy(b.var)
                key = var.min(axis=0)
                order = (_counting_order(key, self.n_vars) if njit is not None
                         else np.argsort(key, kind="stable"))
                parts_var.append(np.ascontiguousarray(var[:, order].T).ravel())
                parts_neg.append(np.ascontiguousarray(to_numpy(b.neg)[:, order].T).ravel())
                parts_w.append(to_numpy(b.w)[order])
                parts_ids.append(to_numpy(b.clause_ids)[order])
                lens.append(np.full(b.w.shape[0], b.k, np.int64))
            if parts_w:
                cvar, cneg = np.concatenate(parts_var), np.concatenate(parts_neg)
                cw, ln = np.concatenate(parts_w), np.concatenate(lens)
                self._flat_ids = np.concatenate(parts_ids)
            else:
                self._flat_ids = np.zeros(0, np.int64)
                cvar, cneg = np.zeros(0, np.int32), np.zeros(0, bool)
                cw, ln = np.zeros(0), np.zeros(0, np.int64)
            cptr = np.zeros(ln.size + 1, np.int64)
            np.cumsum(ln, out=cptr[1:])
            maxk = int(ln.max()) if ln.size else 1
            self._flat_cache = (cptr, cvar.astype(np.int32), cneg.astype(np.bool_), cw.astype(np.float64), maxk)
        return self._flat_cache

    def set_clause_weights(self, weights):
        """Weigh clause i by ``weights[i]`` (float, one per clause of the formula)
        from now on, e.g. a local search's dynamic clause weights, so that the
        relaxed landscape is the one the search is fighting. Empty clauses keep
        their constant; :meth:`exact_cost` is unaffected (original weights).
        """
        w = np.asarray(to_numpy(weights), dtype=np.float64)
        if w.shape != (self.formula.n_clauses,):
            raise ValueError(f"weights must have shape ({self.formula.n_clauses},), got {w.shape}")
        xp = self.xp
        self.clause_weight = xp.asarray(w)
        for b in self.buckets:
            b.w = xp.asarray(w[to_numpy(b.clause_ids)])
        if getattr(self, "_flat_cache", None) is not None:
            self._flat_cache[3][:] = w[self._flat_ids]  # the kernel's weights, in its clause order

    def exact_cost(self, assignment):
        """``(hard_unsat, cost)`` of a 0/1 assignment, integer-exact (on the host)."""
        from ..verify import evaluate

        ev = evaluate(self.formula, to_numpy(assignment).astype(bool))
        return ev.n_hard_unsat, ev.cost

    # ------------------------------------------------- discrete deltas
    def true_counts(self, x):
        """Number of true literals of each clause for a bool assignment ``x``,
        as a list with one (m_k,) int32 array per bucket."""
        xp = self.xp
        out = []
        for b in self.buckets:
            tc = xp.zeros(b.w.shape[0], dtype=xp.int32)
            for j in range(b.k):
                tc += x[b.var[j]] != b.neg[j]
            out.append(tc)
        return out

    def discrete_cost(self, x):
        """Float cost (hard clauses at ``hard_weight``) of a bool assignment."""
        c = self.constant
        for b, tc in zip(self.buckets, self.true_counts(x)):
            c += float(((tc == 0) * b.w).sum())
        return c

    def flip_deltas(self, x, counts=None):
        """Cost change of flipping each variable alone: ``break - make`` (n_vars,).

        ``make`` is the weight of falsified clauses the flip satisfies,
        ``break`` the weight of clauses in which the variable holds the only
        true literal. O(literals), vectorized with bincount (NumPy or CuPy).
        """
        xp = self.xp
        if counts is None:
            counts = self.true_counts(x)
        d = xp.zeros(self.n_vars, dtype=xp.float64)
        for b, tc in zip(self.buckets, counts):
            make = tc == 0                                # each literal of a falsified clause makes it
            one = tc == 1
            for j in range(b.k):
                brk = one & (x[b.var[j]] != b.neg[j])     # the only true literal
                d += xp.bincount(b.var[j], weights=(brk.astype(xp.float64) - make) * b.w,
                                 minlength=self.n_vars)
        return d


def _products_except_self(q):
    """For columns q[0..k-1] (equal-length arrays): the product of the others (no division)."""
    k = len(q)
    if k == 1:
        return [q[0] * 0.0 + 1.0]
    pre = [None] * k
    acc = None
    for j in range(k):
        pre[j] = acc
        acc = q[j] if acc is None else acc * q[j]
    out = [None] * k
    acc = None
    for j in range(k - 1, -1, -1):
        out[j] = acc if pre[j] is None else (pre[j] if acc is None else pre[j] * acc)
        acc = q[j] if acc is None else acc * q[j]
    return out


if njit is not None:
    @njit(cache=True, nogil=True)
    def _counting_order(key, n_keys):
        """Stable argsort of small non-negative int keys in O(len + n_keys)."""
        start = np.zeros(n_keys + 1, np.int64)
        for k in key:
            start[k + 1] += 1
        for i in range(n_keys):
            start[i + 1] += start[i]
        order = np.empty(key.size, np.int64)
        for i in range(key.size):
            order[start[key[i]]] = i
            start[key[i]] += 1
        return order

    @njit(cache=True, nogil=True)  # the lock stays free for timers, output, signals
    def _pair_gradient_kernel(pf, pint, use_partner, x, use_x, cptr, cvar, cneg, cw, maxk, gh):
        gh[:] = 0.0
        q = np.empty(maxk)
        pre = np.empty(maxk)
        vv = np.empty(maxk, np.int64)
        cost = 0.0
        for c in range(cptr.size - 1):
            s = cptr[c]
            k = cptr[c + 1] - s
            w = cw[c]
            if k == 3:  # unrolled: 2-3x faster than the general loop below
                v0, v1, v2 = cvar[s], cvar[s + 1], cvar[s + 2]
                n0, n1, n2 = cneg[s], cneg[s + 1], cneg[s + 2]
                p0, p1, p2 = np.float64(pf[v0, 0]), np.float64(pf[v1, 0]), np.float64(pf[v2, 0])
                q0 = p0 if n0 else 1.0 - p0
                q1 = p1 if n1 else 1.0 - p1
                q2 = p2 if n2 else 1.0 - p2
                r = w * q1 * q2
                gh[v0, 0] += r if n0 else -r
                r = w * q0 * q2
                gh[v1, 0] += r if n1 else -r
                r = w * q0 * q1
                gh[v2, 0] += r if n2 else -r
                if use_partner:
                    a0, a1 = pint[v0, 1], pint[v1, 1]
                    if a0 == v1:
                        r = w * q2 if n0 == n1 else -w * q2
                        gh[v0, 1] += r
                        gh[v1, 1] += r
                    elif a0 == v2:
                        r = w * q1 if n0 == n2 else -w * q1
                        gh[v0, 1] += r
                        gh[v2, 1] += r
                    if a1 == v2:
                        r = w * q0 if n1 == n2 else -w * q0
                        gh[v1, 1] += r
                        gh[v2, 1] += r
                if use_x and x[v0] == n0 and x[v1] == n1 and x[v2] == n2:
                    cost += w
                continue
            acc = 1.0
            for j in range(k):
                v = cvar[s + j]
                vv[j] = v
                pv = np.float64(pf[v, 0])
                qj = pv if cneg[s + j] else 1.0 - pv
                q[j] = qj
                pre[j] = acc
                acc *= qj
            acc = 1.0
            for j in range(k - 1, -1, -1):
                rest = w * pre[j] * acc
                if cneg[s + j]:
                    gh[vv[j], 0] += rest
                else:
                    gh[vv[j], 0] -= rest
                acc *= q[j]
            if use_partner:
                for i in range(k - 1):
                    pi = pint[vv[i], 1]
                    if pi < 0:
                        continue
                    for j in range(i + 1, k):
                        if vv[j] == pi:
                            val = w
                            for l in range(k):
                                if l != i and l != j:
                                    val *= q[l]
                            if cneg[s + i] != cneg[s + j]:
                                val = -val
                            gh[vv[i], 1] += val
                            gh[vv[j], 1] += val
            if use_x:
                sat = False
                for j in range(k):
                    if x[vv[j]] != cneg[s + j]:
                        sat = True
                        break
                if not sat:
                    cost += w
        return cost
