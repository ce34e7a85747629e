"""The byte-level scanning kernel of the DIMACS reader.

One function, :func:`_scan`, written for numba and plain Python alike (the
reader compiles it for large inputs and runs it interpreted for small ones),
the layout of the state vector it carries between chunk calls, and
:func:`_kernel`, which compiles such a function (the writer's too) once, and
:func:`_in_threads`, which runs compiled kernels on several cores. The
reader (:mod:`polystep_sat.dimacs`) turns its events and error codes into a
Formula or a :class:`~polystep_sat.dimacs.DimacsError`.
"""

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


# Slots of the int64 state vector carried between chunk calls.
S_POS, S_LINE, S_LINE_START, S_FMT, S_NV, S_NC_DECL, S_TOP, S_HAS_TOP, S_P_LINE, \
    S_NLITS, S_NCLAUSES, S_IN_CLAUSE, S_CLAUSE_LINE, S_MAX_VAR, S_SEEN, S_REQUIRE_HEADER, \
    S_ERR_POS, S_ERR_VAL = range(18)
N_STATE = 18

# Formats.
F_UNKNOWN, F_CNF, F_OLD_WCNF, F_NEW_WCNF = 0, 1, 2, 3
_FORMAT_NAMES = {F_CNF: "cnf", F_OLD_WCNF: "wcnf-old", F_NEW_WCNF: "wcnf"}

# What the kernel returns.
EV_BUDGET, EV_EOF, EV_PLINE, EV_END, EV_FORMAT = 0, 1, 2, 3, 4
E_TOKEN, E_OVERFLOW, E_LIT_OVERFLOW, E_VAR_RANGE, E_NEG_WEIGHT, E_NO_HEADER = 10, 11, 12, 13, 14, 15


_jitted = {}


def _kernel(func, jit: bool):
    """``func`` itself, or its numba-compiled twin (compiled once, cached on disk)."""
    if not jit:
        return func
    if func not in _jitted:
        from numba import njit

        _jitted[func] = njit(cache=True, nogil=True)(func)
    return _jitted[func]


def _cores() -> int:
    """The cores this process may run on, at most 8: the kernels' thread count."""
    from .backend import cores

    return max(1, min(8, cores()))


def _in_threads(calls) -> None:
    """Run the zero-argument callables ``calls``: the first on this thread, each
    other one on a thread of its own (compiled kernels release the GIL).
    Re-raises the first exception any of them raised."""
    import threading

    errors = []

    def guarded(fn):
        try:
            fn()
        except BaseException as e:  # re-raised below, on the caller's thread
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(fn,), daemon=True) for fn in calls[1:]]
    for t in threads:
        t.start()
    guarded(calls[0])
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _scan(buf, stop, st, lits, indptr, weights, hard):
    """Scan ``buf`` from ``st[S_POS]`` until ``stop`` (or an event).

    Written for numba and plain Python alike: ``buf`` is a uint8 array
    (compiled) or ``bytes`` (interpreted); plain ints only.

    Only stops between tokens, so ``stop`` is a soft limit. Literals go to
    ``lits``, clause ends to ``indptr[1:]``, weights and the hard flags (WCNF
    only) to ``weights`` / ``hard``. Returns an EV_* or E_* code; on an error
    ``st[S_ERR_POS]`` is the offending byte and ``st[S_LINE]`` its line.
    EV_FORMAT: the first clause of a new-format WCNF file, but ``weights`` is
    still empty (allocated only for WCNF); call again once it is there.
    """
    n = len(buf)
    i = int(st[S_POS])
    line = int(st[S_LINE])
    line_start = st[S_LINE_START] != 0
    fmt = int(st[S_FMT])
    nv = int(st[S_NV])
    top = int(st[S_TOP])
    has_top = st[S_HAS_TOP] != 0
    nl = int(st[S_NLITS])
    nc = int(st[S_NCLAUSES])
    in_clause = st[S_IN_CLAUSE] != 0
    clause_line = int(st[S_CLAUSE_LINE])
    max_var = int(st[S_MAX_VAR])
    seen = st[S_SEEN] != 0
    require_header = st[S_REQUIRE_HEADER] != 0
    err_pos = -1
    err_val = 0
    code = EV_BUDGET
    while i < n:
        b = buf[i]
        if b == 10:
            line += 1
            line_start = True
            i += 1
            if i >= stop:
                break
            continue
        if b == 32 or (b >= 9 and b <= 13):
            i += 1
            continue
        if (b >= 48 and b <= 57) or b == 45:
            # ---- an integer token
            neg = b == 45
            j = i + 1 if neg else i
            first_digit = j
            val = 0
            while j < n:
                d = buf[j] - 48
                if d < 0 or d > 9:
                    break
                val = val * 10 + d
                j += 1
            # 19+ digits may have wrapped around (compiled): redo with checks
            overflow = False
            if j - first_digit > 18:
                val = 0
                for k in range(first_digit, j):
                    dk = buf[k] - 48
                    if val > (9223372036854775807 - dk) // 10:
                        overflow = True
                        break
                    val = val * 10 + dk
            if fmt == F_UNKNOWN and not overflow:
                if require_header:
                    code = E_NO_HEADER
                    err_pos = i
                    break
                if weights.size == 0:
                    code = EV_FORMAT
                    break
                fmt = F_NEW_WCNF
            if overflow:
                code = E_OVERFLOW
                err_pos = i
                break
            if j == first_digit:
                code = E_TOKEN
                err_pos = i
                break
            if j < n:
                c2 = buf[j]
                if not (c2 == 32 or (c2 >= 9 and c2 <= 13)):
                    code = E_TOKEN
                    err_pos = i
                    break
            seen = True
            line_start = False
            if fmt != F_CNF and not in_clause:
                # the weight that opens a WCNF clause
                if neg and val != 0:
                    code = E_NEG_WEIGHT
                    err_pos = i
                    break
                weights[nc] = val
                hard[nc] = has_top and val >= top
                in_clause = True
                clause_line = line
            elif val == 0:
                nc += 1
                indptr[nc] = nl
                in_clause = False
            else:
                if val > 2147483647:
                    code = E_LIT_OVERFLOW
                    err_pos = i
                    break
                if fmt != F_NEW_WCNF and val > nv:
                    code = E_VAR_RANGE
                    err_pos = i
                    err_val = -val if neg else val
                    break
                if val > max_var:
                    max_var = val
                lits[nl] = -val if neg else val
                nl += 1
                if not in_clause:
                    in_clause = True
                    clause_line = line
            # consume the separator (checked above) and maybe end the chunk:
            # stopping between tokens keeps the state simple
            i = j + 1
            if j < n and buf[j] == 10:
                line += 1
                line_start = True
            if i >= stop:
                break
            continue
        if line_start:
            if b == 99:  # 'c': a comment line
                bad = False
                while i < n and buf[i] != 10:
                    if buf[i] == 0:
                        bad = True
                        break
                    i += 1
                if bad:
                    code = E_TOKEN
                    err_pos = i
                    break
                continue
            if b == 112:  # 'p': the problem line, parsed in Python
                code = EV_PLINE
                err_pos = i
                break
            if b == 37:  # '%': SATLIB's end-of-formula marker
                code = EV_END
                err_pos = i
                break
        if b == 104 and not in_clause and (i + 1 >= n or buf[i + 1] == 32 or (buf[i + 1] >= 9 and buf[i + 1] <= 13)) \
                and (fmt == F_NEW_WCNF or (fmt == F_UNKNOWN and not require_header)):
            # 'h': a hard clause of the new WCNF format
            if weights.size == 0:
                code = EV_FORMAT
                break
            fmt = F_NEW_WCNF
            seen = True
            line_start = False
            hard[nc] = True
            weights[nc] = 0
            in_clause = True
            clause_line = line
            i += 1
            continue
        code = E_TOKEN
        err_pos = i
        break
    if code == EV_BUDGET and i >= n:
        code = EV_EOF
        i = n
    st[S_POS] = i
    st[S_LINE] = line
    st[S_LINE_START] = 1 if line_start else 0
    st[S_FMT] = fmt
    st[S_NLITS] = nl
    st[S_NCLAUSES] = nc
    st[S_IN_CLAUSE] = 1 if in_clause else 0
    st[S_CLAUSE_LINE] = clause_line
    st[S_MAX_VAR] = max_var
    st[S_SEEN] = 1 if seen else 0
    st[S_ERR_POS] = err_pos
    st[S_ERR_VAL] = err_val
    return code
