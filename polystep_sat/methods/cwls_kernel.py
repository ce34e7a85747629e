"""The clause-weighting search's compiled kernels (see :mod:`.cwls` for the search they serve).

``_init_state`` builds the counts, XORs, lists, cost, scores and improving stack of an
assignment; ``_search_chunk`` flips until a flip count, a work limit (clause updates and
occurrences visited: a step's cost varies a thousandfold) or a satisfied formula. Both run
without the interpreter's lock. The slots of the state and parameter vectors are here.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .local_search import (BCOST, BESTLEN, BNH, COST, DIVERGED, FLIPS, IMPROVED, LOGLEN, N_COMMON, NH, NS,
                           sync_best, xs_below, xs_draw, xs_next)

# Slots of the int64 state vector after the ones every local search shares.
(_STEP, _NGOOD, _FEASIBLE, _TRY_BEST, _TRY_END, _TRY_OVER, _SOFT_DUE, _WORK, _WORK_LIMIT,
 _NRAISE) = range(N_COMMON, N_COMMON + 10)
_NSTATE = N_COMMON + 10
# Slots of the int64 parameter vector.
_HD, _HINC, _SINC, _RD, _RW, _HSMOOTH, _SSMOOTH, _HAS_HARD, _STALL, _SCHEME, _SOFT_EVERY = range(11)

# ------------------------------------------------------------------ kernels
@njit(cache=True, nogil=True)  # the lock stays free for timers, output, signals
def _init_state(a, cptr, clits, w, hard, ow, nt, tx, score, good, gpos, hl, fl, pos, st):
    """True-literal counts, the XOR of each clause's true variables, falsified
    lists, cost, scores and the improving stack for ``a``."""
    ma = cptr.size - 1
    score[:] = 0
    gpos[:] = -1
    nh = 0
    ns = 0
    cost = 0
    for c in range(ma):
        k = 0
        t = 0
        for p in range(cptr[c], cptr[c + 1]):
            code = clits[p]
            if a[code >> 1] != (code & 1):
                k += 1
                t ^= code >> 1
        nt[c] = k
        tx[c] = t
        if k == 0:
            for p in range(cptr[c], cptr[c + 1]):
                score[clits[p] >> 1] += w[c]
            if hard[c]:
                hl[nh] = c
                pos[c] = nh
                nh += 1
            else:
                fl[ns] = c
                pos[c] = ns
                ns += 1
                cost += ow[c]
        elif k == 1:
            score[t] -= w[c]
    ng = 0
    for v in range(a.size):
        if score[v] > 0:
            good[ng] = v
            gpos[v] = ng
            ng += 1
    st[NH] = nh
    st[NS] = ns
    st[COST] = cost
    st[_NGOOD] = ng


@njit(cache=True, nogil=True)  # the lock stays free for timers, output, signals
def _search_chunk(max_flips, a, cptr, clits, optr, occ, w, hard, ow, cap, floor, nt, tx, score, good, gpos,
                  stamp, hl, fl, pos, rl, rpos, buf_c, buf_inc, soft_idx, tuned, snap, log, st, prm, rng):
    """Run up to ``max_flips`` steps; return the number of flips done.

    Stops early when every active clause is satisfied. Invariants kept on
    every score change: ``good[:ng]`` holds exactly the variables with score
    > 0 (``gpos`` their places), ``tx[c]`` is the XOR of clause c's true
    variables, so that the one true variable of a clause with ``nt[c] == 1``
    is ``tx[c]`` without a scan of the clause. ``rl[:nr]`` holds the falsified
    soft clauses below their cap (``rpos`` their places, -1 elsewhere): the ones
    NuWLS's soft raise moves, found without a scan of every falsified soft clause.
    """
    x = rng[0]
    nh = st[NH]
    ns = st[NS]
    cost = st[COST]
    ng = st[_NGOOD]
    nr = st[_NRAISE]
    hd = prm[_HD]
    h_inc = prm[_HINC]
    s_inc = prm[_SINC]
    p_rd = np.uint64(prm[_RD])
    p_rw = np.uint64(prm[_RW])
    p_hsmooth = np.uint64(prm[_HSMOOTH])
    p_ssmooth = np.uint64(prm[_SSMOOTH])
    has_hard = prm[_HAS_HARD] != 0
    ma = cptr.size - 1
    cap_log = log.size
    done = 0
    # work: clause updates and occurrences visited. A flip's cost varies a thousandfold (a batch
    # of NuWLS-c's soft raises touches every soft clause), so a chunk ends at a work limit too
    work = 0
    work_limit = st[_WORK_LIMIT]
    while done < max_flips and nh + ns > 0 and work < work_limit:
        # ============ choose a variable
        if ng > 0:
            x = xs_next(x)
            if xs_draw(x) < p_rd:
                x = xs_next(x)
                v = good[xs_below(x, ng)]
            else:
                # best from multiple selection: all when few, else hd samples
                if ng <= hd:
                    v = good[0]
                    m = ng - 1
                else:
                    x = xs_next(x)
                    v = good[xs_below(x, ng)]
                    m = hd - 1
                bs = score[v]
                bt = stamp[v]
                for i in range(m):
                    if ng <= hd:
                        u = good[i + 1]
                    else:
                        x = xs_next(x)
                        u = good[xs_below(x, ng)]
                    su = score[u]
                    if su > bs or (su == bs and stamp[u] < bt):
                        v = u
                        bs = su
                        bt = stamp[u]
        else:
            # ============ no variable improves: weights move (collected, then applied)
            k = 0
            scanned = 0      # clauses looked at; with every falsified soft clause at its cap, a step
                             # scans them all and changes none (500k MIS: ~1 ms a step, uncounted
                             # it kept one chunk running for 9 s)
            if has_hard and prm[_SCHEME] == 1:
                # NuWLS-c: falsified hard clauses gain h_inc; at a hard-feasible point every
                # soft clause, satisfied or not, gains its scaled weight (no cap, no smoothing)
                for i in range(nh):
                    buf_c[k] = hl[i]
                    buf_inc[k] = h_inc
                    k += 1
                if nh == 0:
                    # batched: every SOFT_EVERY-th such point, SOFT_EVERY steps at once
                    st[_SOFT_DUE] += 1
                    if st[_SOFT_DUE] >= prm[_SOFT_EVERY]:
                        for i in range(soft_idx.size):
                            buf_c[k] = soft_idx[i]
                            buf_inc[k] = tuned[soft_idx[i]] * st[_SOFT_DUE]
                            k += 1
                        st[_SOFT_DUE] = 0
            elif has_hard:
                smooth = False
                if st[_FEASIBLE]:
                    x = xs_next(x)
                    smooth = xs_draw(x) < p_hsmooth
                if smooth:
                    scanned += ma
                    for c in range(ma):   # rare: a scan beats keeping a list of heavy clauses
                        if hard[c] and nt[c] > 0 and w[c] > h_inc:
                            buf_c[k] = c
                            buf_inc[k] = -h_inc
                            k += 1
                else:
                    for i in range(nh):
                        buf_c[k] = hl[i]
                        buf_inc[k] = h_inc
                        k += 1
                # soft weights move only while the current cost is no better than the best feasible one
                if st[BNH] > 0 or cost >= st[BCOST]:
                    x = xs_next(x)
                    if xs_draw(x) < p_ssmooth:
                        scanned += ma
                        for c in range(ma):
                            if not hard[c] and nt[c] > 0 and w[c] > floor[c]:
                                buf_c[k] = c
                                buf_inc[k] = -min(s_inc, w[c] - floor[c])
                                k += 1
                    elif nh == 0:
                        for i in range(nr):
                            buf_c[k] = rl[i]
                            buf_inc[k] = s_inc
                            k += 1
            else:
                x = xs_next(x)
                if xs_draw(x) < p_ssmooth:
                    scanned += ma
                    for c in range(ma):
                        if nt[c] > 0 and w[c] > floor[c]:
                            buf_c[k] = c
                            buf_inc[k] = -min(s_inc, w[c] - floor[c])
                            k += 1
                else:
                    for i in range(nr):
                        buf_c[k] = rl[i]
                        buf_inc[k] = s_inc
                        k += 1
            work += k + scanned
            for i in range(k):
                c = buf_c[i]
                inc = buf_inc[i]
                w[c] += inc
                if rpos[c] >= 0 and w[c] >= cap[c]:    # a raised clause at its cap leaves the list
                    j = rpos[c]
                    nr -= 1
                    last = rl[nr]
                    rl[j] = last
                    rpos[last] = j
                    rpos[c] = -1
                if nt[c] > 1:
                    continue
                falsified = nt[c] == 0
                # falsified: each of its variables makes it; else its one true variable breaks it
                for p in range(cptr[c], cptr[c + 1] if falsified else cptr[c] + 1):
                    if falsified:
                        u = clits[p] >> 1
                        score[u] += inc
                    else:
                        u = tx[c]
                        score[u] -= inc
                    if score[u] > 0:
                        if gpos[u] < 0:
                            good[ng] = u
                            gpos[u] = ng
                            ng += 1
                    elif gpos[u] >= 0:
                        j = gpos[u]
                        ng -= 1
                        last = good[ng]
                        good[j] = last
                        gpos[last] = j
                        gpos[u] = -1
            # ============ then a falsified clause (hard first) and its best variable
            x = xs_next(x)
            if nh > 0:
                c = hl[xs_below(x, nh)]
            else:
                c = fl[xs_below(x, ns)]
            lo = cptr[c]
            kc = cptr[c + 1] - lo
            x = xs_next(x)
            if xs_draw(x) < p_rw:
                x = xs_next(x)
                v = clits[lo + xs_below(x, kc)] >> 1
            else:
                v = clits[lo] >> 1
                bs = score[v]
                bt = stamp[v]
                for p in range(lo + 1, lo + kc):
                    u = clits[p] >> 1
                    su = score[u]
                    if su > bs or (su == bs and stamp[u] < bt):
                        v = u
                        bs = su
                        bt = stamp[u]
        # ============ flip v: counts, XORs, scores, the improving stack, the lists, the cost
        before = score[v]
        new = 1 - np.int64(a[v])
        a[v] = new
        lt = 2 * v + 1 - new              # the literal of v that becomes true
        for q in range(optr[lt], optr[lt + 1]):
            d = occ[q]
            t = tx[d]
            tx[d] = t ^ v
            kd = nt[d] + 1
            nt[d] = kd
            if kd == 2:                   # its one true variable (t) is no longer critical
                score[t] += w[d]
                if score[t] > 0 and gpos[t] < 0:
                    good[ng] = t
                    gpos[t] = ng
                    ng += 1
            elif kd == 1:                 # satisfied now: nobody makes it, v breaks it
                wd = w[d]
                for p in range(cptr[d], cptr[d + 1]):
                    u = clits[p] >> 1
                    score[u] -= wd
                    if score[u] <= 0 and gpos[u] >= 0:
                        j = gpos[u]
                        ng -= 1
                        last = good[ng]
                        good[j] = last
                        gpos[last] = j
                        gpos[u] = -1
                j = pos[d]
                if hard[d]:
                    nh -= 1
                    last = hl[nh]
                    hl[j] = last
                else:
                    ns -= 1
                    last = fl[ns]
                    fl[j] = last
                    cost -= ow[d]
                    if rpos[d] >= 0:
                        r = rpos[d]
                        nr -= 1
                        rlast = rl[nr]
                        rl[r] = rlast
                        rpos[rlast] = r
                        rpos[d] = -1
                pos[last] = j
        lf = lt ^ 1                       # the literal of v that becomes false
        work += optr[lt + 1] - optr[lt] + optr[lf + 1] - optr[lf] + 1
        for q in range(optr[lf], optr[lf + 1]):
            d = occ[q]
            t = tx[d] ^ v
            tx[d] = t
            kd = nt[d] - 1
            nt[d] = kd
            if kd == 1:                   # the remaining true variable (t) becomes critical
                score[t] -= w[d]
                if score[t] <= 0 and gpos[t] >= 0:
                    j = gpos[t]
                    ng -= 1
                    last = good[ng]
                    good[j] = last
                    gpos[last] = j
                    gpos[t] = -1
            elif kd == 0:                 # falsified: every variable of it makes it
                wd = w[d]
                for p in range(cptr[d], cptr[d + 1]):
                    u = clits[p] >> 1
                    score[u] += wd
                    if score[u] > 0 and gpos[u] < 0:
                        good[ng] = u
                        gpos[u] = ng
                        ng += 1
                if hard[d]:
                    hl[nh] = d
                    pos[d] = nh
                    nh += 1
                else:
                    fl[ns] = d
                    pos[d] = ns
                    ns += 1
                    cost += ow[d]
                    if w[d] < cap[d]:
                        rl[nr] = d
                        rpos[d] = nr
                        nr += 1
        score[v] = -before                # flipping back undoes exactly this flip
        if score[v] > 0:
            if gpos[v] < 0:
                good[ng] = v
                gpos[v] = ng
                ng += 1
        elif gpos[v] >= 0:
            j = gpos[v]
            ng -= 1
            last = good[ng]
            good[j] = last
            gpos[last] = j
            gpos[v] = -1
        st[_STEP] += 1
        stamp[v] = st[_STEP]
        done += 1
        if nh == 0:
            st[_FEASIBLE] = 1
        # ============ log the flip; remember where the best point is
        if st[DIVERGED] == 0:
            if st[LOGLEN] == cap_log:
                sync_best(snap, log, st)  # replay the prefix up to the best point onto the snapshot
                if st[LOGLEN] == cap_log:   # no new best for a whole log: stop logging
                    st[DIVERGED] = 1
                    st[LOGLEN] = 0
            if st[DIVERGED] == 0:
                log[st[LOGLEN]] = v
                st[LOGLEN] += 1
        if nh < st[BNH] or (nh == st[BNH] and cost < st[BCOST]):
            st[BNH] = nh
            st[BCOST] = cost
            st[IMPROVED] = 1
            if st[DIVERGED] == 1:
                for i in range(a.size):
                    snap[i] = a[i]
                st[DIVERGED] = 0
                st[LOGLEN] = 0
            st[BESTLEN] = st[LOGLEN]
        # ============ the try ends after `stall` flips without a better hard-feasible point in it
        if nh == 0 and cost < st[_TRY_BEST]:
            st[_TRY_BEST] = cost
            st[_TRY_END] = st[_STEP] + prm[_STALL]
        if st[_STEP] >= st[_TRY_END]:
            st[_TRY_OVER] = 1
            break
    st[NH] = nh
    st[NS] = ns
    st[COST] = cost
    st[_NGOOD] = ng
    st[_NRAISE] = nr
    st[_WORK] = work
    st[FLIPS] += done
    rng[0] = x
    return done
