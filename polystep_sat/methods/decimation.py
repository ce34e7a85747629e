"""A greedy start for local search: unit propagation, hard clauses first.

The anytime winners' local searches (SATLike 3.0, NuWLS) begin each try
from such an assignment when they have no SAT model of the hard clauses:
variables are fixed one at a time; a clause left with one unassigned literal
(and none true) is a unit, and units are served first, hard ones before soft
ones; only when no unit is left does a random variable get a random value.

* a hard unit is obeyed; when two hard units disagree about a variable, the
  side with more soft weight wins (a coin when neither has any);
* among the soft units, the best of a sample of 15 by soft weight at stake
  (the larger of its true-side and false-side soft weight, over the soft
  clauses not yet satisfied) is served first, with its clause's sign (a coin
  when soft units disagree).

Works on the cleaned clauses of :mod:`.clause_index` (literal code
``2 * var + negated``). O(literal occurrences) per call.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .local_search import xs_below, xs_next

_SOFT_SAMPLE = 15
_UNSET = 2


@njit
def _queue_unit(code, is_hard, hsense, ssense, hq, sq, he, se):
    """Queue the unit literal ``code`` (hard or soft); return the queues' new ends.
    A variable is queued once per kind; a second unit of the other sign marks it -2."""
    v = code >> 1
    s = 1 - (code & 1)
    if is_hard:
        if hsense[v] == -1:
            hsense[v] = s
            hq[he] = v
            he += 1
        elif hsense[v] != s:
            hsense[v] = -2
    elif hsense[v] == -1:                # a variable a hard unit decides is no soft unit's
        if ssense[v] == -1:
            ssense[v] = s
            sq[se] = v
            se += 1
        elif ssense[v] != s:
            ssense[v] = -2
    return he, se


@njit(cache=True, nogil=True)  # the lock stays free for timers, output, signals
def decimate(n, cptr, clits, optr, occ, hard, weight, a, rng):
    """Fill ``a`` (uint8, n) with a greedy assignment; ``weight`` is each
    active clause's soft weight (ignored for hard clauses); ``rng`` a
    one-element uint64 xorshift state, advanced."""
    x = rng[0]
    ma = cptr.size - 1
    left = np.empty(ma, np.int32)       # unassigned literals of a clause not yet satisfied
    ux = np.empty(ma, np.int64)         # XOR of their codes: the last one, when one is left
    live = np.ones(ma, np.bool_)        # not yet satisfied
    s_pos = np.zeros(n, np.int64)       # soft weight at stake if the variable is set true / false
    s_neg = np.zeros(n, np.int64)
    hsense = np.full(n, -1, np.int8)    # queued by a hard unit: its value; -2 when hard units disagree
    ssense = np.full(n, -1, np.int8)    # the same for soft units (-2: they disagree)
    hq = np.empty(n, np.int32)
    sq = np.empty(n, np.int32)
    hb = he = sb = se = 0
    free = np.arange(n).astype(np.int32)  # the unassigned variables, and where each sits
    where = np.arange(n).astype(np.int32)
    n_free = n
    for v in range(n):
        a[v] = _UNSET
    for c in range(ma):
        left[c] = cptr[c + 1] - cptr[c]
        t = 0
        for p in range(cptr[c], cptr[c + 1]):
            code = clits[p]
            t ^= code
            if not hard[c]:
                if code & 1:
                    s_neg[code >> 1] += weight[c]
                else:
                    s_pos[code >> 1] += weight[c]
        ux[c] = t
    for c in range(ma):                  # the clauses that are units from the start
        if left[c] == 1:
            he, se = _queue_unit(ux[c], hard[c], hsense, ssense, hq, sq, he, se)
    while n_free > 0:
        # ---- the next variable and its value
        if hb < he:
            v = hq[hb]
            hb += 1
            if a[v] != _UNSET:
                continue
            s = hsense[v]
            if s == -2:                  # hard units disagree: the side with more soft weight
                if s_pos[v] > s_neg[v]:
                    s = 1
                elif s_neg[v] > s_pos[v]:
                    s = 0
                else:
                    x = xs_next(x)
                    s = xs_below(x, 2)
        elif sb < se:
            best = sb
            if se - sb > _SOFT_SAMPLE:
                for _ in range(_SOFT_SAMPLE):
                    x = xs_next(x)
                    i = sb + xs_below(x, se - sb)
                    u, b = sq[i], sq[best]
                    if max(s_pos[u], s_neg[u]) > max(s_pos[b], s_neg[b]):
                        best = i
            else:
                for i in range(sb + 1, se):
                    u, b = sq[i], sq[best]
                    if max(s_pos[u], s_neg[u]) > max(s_pos[b], s_neg[b]):
                        best = i
            v = sq[best]
            sq[best] = sq[sb]
            sq[sb] = v
            sb += 1
            if a[v] != _UNSET:
                continue
            s = ssense[v]
            if s == -2:
                x = xs_next(x)
                s = xs_below(x, 2)
        else:
            x = xs_next(x)
            v = free[xs_below(x, n_free)]
            x = xs_next(x)
            s = xs_below(x, 2)
        # ---- assign it: satisfied clauses leave, the others lose a literal
        a[v] = s
        n_free -= 1
        last = free[n_free]
        free[where[v]] = last
        where[last] = where[v]
        for code in (2 * v, 2 * v + 1):
            true_lit = (code & 1) != s
            for q in range(optr[code], optr[code + 1]):
                c = occ[q]
                if not live[c]:
                    continue
                if true_lit:
                    live[c] = False
                    if not hard[c]:
                        for p in range(cptr[c], cptr[c + 1]):
                            cu = clits[p]
                            if cu & 1:
                                s_neg[cu >> 1] -= weight[c]
                            else:
                                s_pos[cu >> 1] -= weight[c]
                    continue
                left[c] -= 1
                ux[c] ^= code
                if left[c] == 1:
                    he, se = _queue_unit(ux[c], hard[c], hsense, ssense, hq, sq, he, se)
    rng[0] = x
