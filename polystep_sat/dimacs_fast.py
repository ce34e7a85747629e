"""The DIMACS reader's vectorised path for well-formed text.

Most files are a header (comments and the ``p`` line) followed by clauses and
nothing else. For those, :func:`scan_vectorised` reads the clause text with a
few NumPy passes and ``np.fromstring``: about 20 ms for a 1.6 MB file, where
the byte kernel takes 0.3 s per MB interpreted, or about 1 s to load numba
and its cached kernel in a fresh process (Security-CPS test66, 1.6 MB: 1.06 s
of a 3.7 s proof went to that load). Up to VECTORISED_MAX_BYTES (8 MB): no
single call of it holds the interpreter's lock for more than ~30 ms.

It takes only what it can check in bulk. Anything else (a comment or ``%``
among the clauses, an empty clause, a token of 19 or more
digits, a malformed header, any byte it does not expect) makes it return
None, and the byte kernel reads the file as before, with its line-exact
errors. So the two paths never disagree on a file both accept; the tests
compare them on every file the suite has.
"""

from __future__ import annotations

import numpy as np

from .dimacs_scan import F_CNF, F_NEW_WCNF, INT32_MAX

# Above this size the byte kernel's compiled, multi-threaded scan is worth its load time.
VECTORISED_MAX_BYTES = 8 << 20
# np.fromstring holds the interpreter's lock: it reads the clause text this many bytes at a
# time (about 12 ms each; the whole 3.8 MB at once took 45 ms), so that signals get through.
READ_PIECE_BYTES = 1 << 20
# A header (comments and the p line) longer than this is left to the byte kernel.
HEADER_MAX_BYTES = 1 << 20
# Tokens of up to this many characters (sign included) fit in 64 bits.
MAX_DIGITS = 18

_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
_NUMERIC = _WHITESPACE.copy()
_NUMERIC[list(range(48, 58)) + [45]] = True     # digits and '-'
_NUMERIC_OR_H = _NUMERIC.copy()
_NUMERIC_OR_H[104] = True                       # 'h': a hard clause of the new WCNF format


class Scanned:
    """What the byte kernel's state would hold after reading the whole file."""

    def __init__(self, fmt, lits, indptr, weights, hard, max_var, p_line, header):
        self.fmt = fmt
        self.lits, self.indptr, self.weights, self.hard = lits, indptr, weights, hard
        self.max_var = max_var
        self.p_line = p_line            # the p line's number (0: none)
        self.header = header            # _header's (fmt, nv, nc, top, has_top, end), or None


def scan_vectorised(data: np.ndarray, require_header: bool, strict: bool, parse_header) -> Scanned | None:
    """The clauses of ``data`` (uint8 DIMACS text), or None where the byte kernel must read it.
    ``parse_header(pos, line)`` parses the p line at ``pos`` (the reader's own, which raises on a
    malformed one: then None here too)."""
    if not 0 < data.size <= VECTORISED_MAX_BYTES:
        return None
    found = _header_end(data)
    if found is None:
        return None
    body_start, p_pos, p_line = found
    header = None
    if p_pos is not None:
        try:
            header = parse_header(p_pos, p_line)
        except ValueError:
            return None
        fmt = header[0]
    elif require_header:
        return None
    else:
        fmt = F_NEW_WCNF
    body = data[body_start:]
    allowed = _NUMERIC_OR_H if fmt == F_NEW_WCNF else _NUMERIC
    if body.size == 0 or not allowed[body].all():
        return None
    ws = _WHITESPACE[body]
    starts = ~ws
    starts[1:] &= ws[:-1]
    ends = ~ws
    ends[:-1] &= ws[1:]
    start_pos, end_pos = np.flatnonzero(starts), np.flatnonzero(ends)
    if start_pos.size == 0 or int((end_pos - start_pos).max()) + 1 > MAX_DIGITS:
        return None                     # no clause, or a token that may not fit 64 bits
    dash = np.flatnonzero(body == 45)
    if dash.size and not (starts[dash].all() and not ends[dash].any()):
        return None                     # '-' only as a sign, never alone
    h_pos = np.flatnonzero(body == 104) if fmt == F_NEW_WCNF else np.zeros(0, dtype=np.int64)
    if h_pos.size:
        if not (starts[h_pos].all() and ends[h_pos].all()):
            return None                 # 'h' only as a token of its own
        body = body.copy()
        body[h_pos] = 48                # read as 0, told apart below
    pieces = [body]
    if body.size > READ_PIECE_BYTES:       # cut at whitespace, READ_PIECE_BYTES apart
        gaps = np.flatnonzero(ws)
        if gaps.size:
            at = gaps[np.minimum(np.searchsorted(gaps, np.arange(READ_PIECE_BYTES, body.size, READ_PIECE_BYTES)),
                                 gaps.size - 1)]
            # (sorted: drop repeats without np.unique, whose first call imports numpy.ma, 15 ms)
            pieces = np.split(body, at[np.concatenate(([True], at[1:] != at[:-1]))])
    values = np.concatenate([np.fromstring(p.tobytes(), dtype=np.int64, sep=" ") for p in pieces])
    if values.size != start_pos.size:
        return None
    is_h = np.zeros(values.size, dtype=bool)
    is_h[np.searchsorted(start_pos, h_pos)] = True
    zero = (values == 0) & ~is_h        # clause ends, and in WCNF weights of 0
    if fmt != F_CNF:
        # A weight of 0 opens a clause: the first token, or the second of two 0s, followed by a
        # literal (the Security-CPS files of META4ICS' first benchmark have 5,000-20,000 of them; the
        # byte kernel took 0.8 s more to read one in a fresh process, for loading numba).
        weight_zero = np.flatnonzero(zero[:-1] & zero[1:]) + 1
        if zero[0]:
            weight_zero = np.concatenate(([0], weight_zero))
        if weight_zero.size and (weight_zero[-1] + 1 >= values.size or zero[weight_zero + 1].any()):
            return None                 # an empty clause (a weight, then 0): left to the byte kernel
        zero[weight_zero] = False
    # a 0 right after a clause end is an empty clause: left to the byte kernel, as is text
    # after the last clause end
    if zero[0] or not zero[-1] or (zero[1:] & zero[:-1]).any():
        return None
    clause_ends = np.flatnonzero(zero)
    literal = ~zero
    if fmt == F_CNF:
        weights = hard = None
    else:
        clause_starts = np.concatenate(([0], clause_ends[:-1] + 1))
        opens = np.zeros(values.size, dtype=bool)
        opens[clause_starts] = True
        if (is_h & ~opens).any():
            return None
        weights = values[clause_starts]
        if (weights < 0).any():
            return None
        hard = is_h[clause_starts]
        if header is not None and header[4]:        # old WCNF with a top weight
            hard |= weights >= header[3]
        literal &= ~opens
    lits64 = values[literal]
    max_var = int(np.abs(lits64).max()) if lits64.size else 0
    if max_var > INT32_MAX or (strict and header is not None and max_var > header[1]):
        return None
    counted = np.cumsum(literal)
    idx_dtype = np.int32 if lits64.size <= INT32_MAX else np.int64
    indptr = np.zeros(clause_ends.size + 1, dtype=idx_dtype)
    indptr[1:] = counted[clause_ends]
    return Scanned(fmt, lits64.astype(np.int32), indptr, weights, hard, max_var, p_line, header)


def _header_end(data: np.ndarray):
    """(where the first clause line starts, the p line's position or None, its line number),
    reading comment, blank and p lines from the top; None for a header this path leaves to
    the byte kernel (two p lines, a NUL in a comment, a header over HEADER_MAX_BYTES)."""
    head = data[:HEADER_MAX_BYTES].tobytes()
    pos, line, p_pos, p_line = 0, 1, None, 0
    while pos < len(head):
        nl = head.find(b"\n", pos)
        end = len(head) if nl < 0 else nl
        text = head[pos:end]
        stripped = text.lstrip(b" \t\r\v\f")
        if stripped and stripped[:1] not in (b"c", b"p"):
            return pos, p_pos, p_line
        if stripped[:1] == b"p":
            if p_pos is not None:
                return None
            p_pos, p_line = pos + len(text) - len(stripped), line
        elif b"\0" in text:
            return None
        if nl < 0:
            return None                 # header only, or one longer than HEADER_MAX_BYTES
        pos, line = nl + 1, line + 1
    return None
