"""DIMACS CNF and WCNF reading and writing: fast, with clear errors.

Formats, detected by content:

* ``p cnf NV NC``: plain CNF; every clause soft with weight 1 (MAX-SAT).
* ``p wcnf NV NC [TOP]``: the old weighted format; each clause starts with
  its weight, a weight >= TOP marks a hard clause (no TOP: all soft).
* the new WCNF format (MaxSAT Evaluation 2022+): no ``p`` line, hard clauses
  start with ``h``, soft ones with their weight; the number of variables is
  the largest one used.

Files may be compressed with gzip, bzip2 or xz (recognised by their magic
bytes, whatever the extension). Comments (``c ...`` lines) may appear
anywhere, a clause may span lines and several may share one, a lone ``0`` is
the empty clause, soft weight 0 is accepted, and SATLIB's ``%`` trailer ends
the formula.

Header counts are lenient by default, as in other solvers: a ``p`` line whose
clause count disagrees with the clauses present, or whose variable count is
below the largest variable used, is read as the file is, and the reader says
so in ``Formula.warnings``; ``strict=True`` makes these errors.

Files up to 8 MB that hold a header and then clauses only (most do) are read
by a few NumPy passes (:mod:`polystep_sat.dimacs_fast`); the rest, and every
file with an error, go to the byte kernel. It is a single pass over the file, compiled
with numba for inputs above ``JIT_MIN_BYTES``; the very same function runs
interpreted on small inputs, where loading numba (~0.5-1 s per process) would
cost more than the parse. Large files are cut at line starts into segments
scanned by one thread per core. The main thread scans in chunks of a few
megabytes so that Python signal handlers (SIGINT/SIGTERM) get control several
times a second, and so that a progress callback can be called between chunks.
Bad input raises
:class:`DimacsError`, whose text is a single ``FILE:LINE: what was wrong;
what was expected`` line.
"""

from __future__ import annotations

import os
import re
import stat
import threading

import numpy as np

from .dimacs_scan import (
    EV_BUDGET, EV_END, EV_EOF, EV_FORMAT, EV_PLINE, E_LIT_OVERFLOW, E_NEG_WEIGHT, E_NO_HEADER, E_OVERFLOW,
    E_VAR_RANGE, F_CNF, F_NEW_WCNF, F_OLD_WCNF, F_UNKNOWN, INT32_MAX, INT64_MAX, N_STATE, S_CLAUSE_LINE,
    S_ERR_POS, S_ERR_VAL, S_FMT, S_HAS_TOP, S_IN_CLAUSE, S_LINE, S_LINE_START, S_MAX_VAR, S_NCLAUSES,
    S_NC_DECL, S_NLITS, S_NV, S_POS, S_P_LINE, S_REQUIRE_HEADER, S_SEEN, S_TOP, _cores, _kernel, _scan,
)
from .dimacs_fast import scan_vectorised
from .dimacs_write import JIT_MIN_LITERALS, write_dimacs  # noqa: F401  (the writer's public home stays here)
from .formula import Formula

# Bytes the kernel scans per call: small enough to return to Python (signals,
# progress) every ~10-30 ms, large enough that the call overhead is nothing.
SCAN_CHUNK = 8 << 20
# Bytes read (or decompressed) per call, for the same reason.
READ_CHUNK = 4 << 20
# Plain files from this size are mapped into memory instead of read.
MAP_MIN_BYTES = 64 << 20
# Below this many bytes the kernel runs interpreted: about 0.3 s per MB,
# against 0.5-1.5 s to import numba and load the cached kernels in a fresh
# process.
JIT_MIN_BYTES = 1 << 20
# Clause text beyond the header is split at line starts into segments of at
# least this many bytes, scanned by threads (the compiled kernel releases the
# GIL) and stitched together; a clause spanning a cut falls back to sequential.
PARALLEL_MIN_BYTES = 16 << 20
WORKERS = _cores()

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_UNSUPPORTED_MAGIC = (
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
    (b"\x5d\x00\x00", "lzma (legacy)"),
)
# First line of the new WCNF format as written by write_dimacs: that format
# has no header, so declared-but-unused variables would otherwise be lost.
_NVARS_COMMENT = re.compile(rb"c polystep-sat n_vars (\d+)[ \t\r]*(?:\n|$)")


class DimacsError(ValueError):
    """Bad DIMACS input. ``str(e)`` is one line: ``FILE:LINE: message``.

    Attributes
    ----------
    path : the file name (or the name given to :func:`parse_dimacs_bytes`).
    line : 1-based line number, or None when the problem is the file as a
        whole (missing, unreadable, corrupt compression, empty).
    reason : the message without the location.
    """

    def __init__(self, path, line, reason):
        self.path = str(path)
        self.line = None if line is None else int(line)
        self.reason = reason
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        super().__init__(f"{where}: {reason}")


# --------------------------------------------------------------------------
# Reading bytes
# --------------------------------------------------------------------------

def _compression(head: bytes):
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def _read_all(path, progress=None) -> np.ndarray:
    """The file's (decompressed) bytes as a writable uint8 array, read in
    chunks so signals get through."""
    name = os.fspath(path)
    try:
        f = open(name, "rb")
    except FileNotFoundError:
        raise DimacsError(name, None, "no such file; expected the path of a DIMACS CNF or WCNF file") from None
    except IsADirectoryError:
        raise DimacsError(name, None, "is a directory; expected a DIMACS CNF or WCNF file") from None
    except PermissionError:
        raise DimacsError(name, None, "permission denied; expected a readable file") from None
    except OSError as e:
        raise DimacsError(name, None, f"cannot open: {e.strerror or e}") from None
    with f:
        try:
            st = os.fstat(f.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise DimacsError(name, None, "is a directory; expected a DIMACS CNF or WCNF file")
            head = f.read(8)
            kind = _compression(head)
            for magic, other in _UNSUPPORTED_MAGIC:
                if head.startswith(magic):
                    raise DimacsError(name, None, f"{other}-compressed data is not supported; "
                                                  "expected plain text, gzip, bzip2 or xz")
            f.seek(0)
            size = st.st_size if stat.S_ISREG(st.st_mode) else 0
            if kind is None and size >= MAP_MIN_BYTES:
                return _map_plain(f, size, progress)
            if kind is None:
                return _read_plain(f, size, progress)
            return _read_compressed(f, name, kind, size, progress)
        except DimacsError:
            raise
        except OSError as e:
            raise DimacsError(name, None, f"cannot read: {e.strerror or e}") from None


def _map_plain(f, size, progress):
    """The file mapped copy-on-write: the kernel's cached pages themselves, no
    copy into gigabytes of fresh memory (1-4 s at 1.16 GB on a VM that hands
    out memory slowly), and nothing to read before the scan starts. Writable,
    so numba sees the same array type as from a read. (A file truncated while
    it is scanned would end the process with SIGBUS; nobody truncates a solver's
    input under it.)"""
    import mmap

    mm = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_COPY)
    if progress is not None:
        progress(0.5)
    return np.frombuffer(mm, dtype=np.uint8)


def _read_plain(f, size, progress):
    # np.empty, not bytearray: no zero-filling pass over the whole file
    data = np.empty(size, dtype=np.uint8)
    view = memoryview(data)
    got = 0
    while got < size:
        k = f.readinto(view[got:got + READ_CHUNK])
        if not k:
            break
        got += k
        if progress is not None:
            progress(0.5 * got / size)
    view.release()
    rest = f.read()  # a pipe (size 0), or a file that grew since fstat
    if rest or got < size:
        data = np.concatenate([data[:got], np.frombuffer(rest, dtype=np.uint8)])
    return data


def _read_compressed(f, name, kind, size, progress):
    import zlib

    if kind == "gzip":
        import gzip
        z = gzip.GzipFile(fileobj=f, mode="rb")
        errors = (OSError, EOFError, zlib.error)
    elif kind == "bzip2":
        import bz2
        z = bz2.BZ2File(f, mode="rb")
        errors = (OSError, EOFError, ValueError)
    else:
        import lzma
        z = lzma.LZMAFile(f, mode="rb")
        errors = (OSError, EOFError, lzma.LZMAError)
    buf = bytearray()
    try:
        with z:
            while True:
                chunk = z.read(READ_CHUNK)
                if not chunk:
                    break
                buf += chunk
                if progress is not None and size:
                    progress(0.5 * min(1.0, f.tell() / size))
    except errors as e:
        raise DimacsError(name, None, f"corrupt {kind} stream ({e}); expected a valid {kind} file") from None
    return np.frombuffer(buf, dtype=np.uint8)


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

def read_dimacs(path, *, progress=None, strict=False) -> Formula:
    """Read a DIMACS CNF or WCNF file (optionally gzip/bzip2/xz compressed).

    Parameters
    ----------
    path : str or os.PathLike.
    progress : optional ``callable(fraction)``, called between chunks with
        the share of the work done (0..1).
    strict : header counts must match the file. By default a ``p`` line
        declaring more or fewer clauses than the file has, or fewer
        variables than it uses, is tolerated (and reported in ``warnings``).

    Returns
    -------
    Formula
        ``weighted`` is True for the WCNF formats. For ``p cnf`` / ``p wcnf``
        the number of variables is the header's (or the largest variable
        used, when that is larger); for the new WCNF format it is the largest
        variable used. ``warnings`` lists what was tolerated, one
        ``FILE:LINE: message`` string each (empty for a correct file).

    Raises
    ------
    DimacsError
        On any bad input, with the file, the line and what was expected.
    """
    name = os.fspath(path)
    # no local reference to the bytes: _parse frees them before building the Formula
    return _parse(_read_all(name, progress), name, require_header=_needs_header(name), progress=progress,
                  strict=strict)


def _needs_header(name: str) -> bool:
    """A ``.cnf`` file must have its ``p cnf`` line: without one it would be
    silently misread as the new WCNF format (first literal taken as weight)."""
    return re.sub(r"\.(gz|bz2|xz)$", "", os.path.basename(name).lower()).endswith(".cnf")


def parse_dimacs_bytes(data, name: str = "<bytes>", *, strict=False) -> Formula:
    """Parse DIMACS CNF/WCNF text given as ``bytes`` or ``str`` (not compressed);
    ``strict`` and the result as in :func:`read_dimacs`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _parse(np.frombuffer(bytearray(data), dtype=np.uint8), name, require_header=_needs_header(name),
                  strict=strict)


def _token_at(data, pos: int) -> bytes:
    tok = bytes(data[pos:pos + 24])
    cut = [i for i, c in enumerate(tok) if c in b" \t\r\n\v\f"]
    return tok[:cut[0]] if cut else tok


def _show(tok: bytes) -> str:
    text = tok.decode("ascii", "backslashreplace")
    return repr(text if len(tok) < 24 else text + "...")


def _is_text(tok: bytes) -> bool:
    return all(32 < c < 127 for c in tok)


def _header(data, pos, line, name):
    """Parse the ``p`` line starting at ``pos``: (fmt, nv, nc, top, end)."""
    raw = bytes(data[pos:pos + 4096])  # a longer p line is malformed anyway
    end = raw.find(b"\n")
    end = len(raw) if end < 0 else end
    raw = raw[:end]
    end += pos
    expected = "expected 'p cnf NV NC' or 'p wcnf NV NC [TOP]'"
    if not _is_text(raw.replace(b" ", b"").replace(b"\t", b"").replace(b"\r", b"")):
        raise DimacsError(name, line, f"binary data in the problem line; {expected}")
    text = raw.decode("ascii").strip()
    shown = text if len(text) <= 60 else text[:60] + "..."
    parts = text.split()
    if len(parts) < 2 or parts[0] != "p" or parts[1] not in ("cnf", "wcnf"):
        raise DimacsError(name, line, f"malformed problem line {shown!r}; {expected}")
    fmt = F_CNF if parts[1] == "cnf" else F_OLD_WCNF
    nums = parts[2:]
    wanted = "'p cnf NV NC'" if fmt == F_CNF else "'p wcnf NV NC [TOP]'"
    if len(nums) not in ((2,) if fmt == F_CNF else (2, 3)) or not all(x.isdigit() and x.isascii() for x in nums):
        raise DimacsError(name, line, f"malformed problem line {shown!r}; expected {wanted} "
                                      "with non-negative integers")
    nv, nc = int(nums[0]), int(nums[1])
    if nv > INT32_MAX:
        raise DimacsError(name, line, f"variable count {nv} in the problem line does not fit 32 bits; "
                                      f"expected at most {INT32_MAX}")
    if nc > INT64_MAX:
        raise DimacsError(name, line, f"clause count {nc} in the problem line overflows; "
                                      f"expected at most {INT64_MAX}")
    top, has_top = 0, False
    if len(nums) == 3:
        top, has_top = int(nums[2]), True
        if top > INT64_MAX:
            raise DimacsError(name, line, f"top weight {top} overflows 64 bits; expected at most {INT64_MAX}")
        if top < 1:
            raise DimacsError(name, line, "top weight 0 would make every clause hard; expected TOP >= 1")
    return fmt, nv, nc, top, has_top, end


def _scan_error(code, st, data, name, require_header):
    line = int(st[S_LINE])
    pos = int(st[S_ERR_POS])
    tok = _token_at(data, pos)
    fmt = int(st[S_FMT])
    weight_expected = fmt in (F_OLD_WCNF, F_NEW_WCNF) and not st[S_IN_CLAUSE] or \
        (fmt == F_UNKNOWN and not require_header)
    what = "a clause weight (or 'h')" if fmt == F_NEW_WCNF or (fmt == F_UNKNOWN and weight_expected) \
        else "a clause weight" if weight_expected else "a literal (non-zero integer) or 0"
    if code == E_NO_HEADER:
        return DimacsError(name, line, f"clause data {_show(tok)} before any problem line; "
                                       "expected 'p cnf NV NC' first (a .cnf file needs one)")
    if code == E_OVERFLOW:
        kind = "weight" if weight_expected else "literal"
        return DimacsError(name, line, f"{kind} {_show(tok)} overflows 64 bits; expected at most {INT64_MAX}")
    if code == E_LIT_OVERFLOW:
        return DimacsError(name, line, f"literal {_show(tok)} does not fit 32 bits; "
                                       f"expected variables up to {INT32_MAX}")
    if code == E_VAR_RANGE:
        nv = int(st[S_NV])
        return DimacsError(name, line, f"literal {int(st[S_ERR_VAL])} is out of range: the problem line "
                                       f"(line {int(st[S_P_LINE])}) declares {nv} variables; "
                                       f"expected literals between -{nv} and {nv}")
    if code == E_NEG_WEIGHT:
        return DimacsError(name, line, f"negative weight {_show(tok)}; expected a weight >= 0")
    # E_TOKEN: something that is not an integer where one was expected
    if not _is_text(tok):
        bad = next((c for c in tok if not 32 < c < 127), tok[0] if tok else 0)
        return DimacsError(name, line, f"binary data (byte 0x{bad:02x}); expected a DIMACS text file "
                                       f"({what} here)")
    if tok == b"h" and fmt in (F_CNF, F_OLD_WCNF):
        return DimacsError(name, line, "'h' marks hard clauses only in the new WCNF format (no 'p' line); "
                                       f"expected {what}")
    if tok == b"h" and require_header and fmt == F_UNKNOWN:
        return DimacsError(name, line, "clause data 'h' before any problem line; "
                                       "expected 'p cnf NV NC' first (a .cnf file needs one)")
    if tok[:1] == b"%":
        return DimacsError(name, line, f"unexpected {_show(tok)}: '%' ends the formula only at the start of "
                                       f"a line; expected {what}")
    if tok[:1] in (b"p", b"c") and not st[S_LINE_START]:
        return DimacsError(name, line, f"unexpected {_show(tok)}: comment and problem lines must start "
                                       f"the line; expected {what}")
    return DimacsError(name, line, f"non-integer token {_show(tok)}; expected {what}")


def _scan_segment(scan, buf, st, end, lits, indptr, weights, hard, cancel, progress=None, total=1):
    """Scan ``buf[st[S_POS]:end]`` in chunks; ``end`` is a line start, where
    the kernel stops exactly. Returns the kernel's last code."""
    start = int(st[S_POS])
    while True:
        code = scan(buf, min(int(st[S_POS]) + SCAN_CHUNK, end), st, lits, indptr, weights, hard)
        if code != EV_BUDGET or st[S_POS] >= end or cancel.is_set():
            return code
        if progress is not None:
            progress(0.5 + 0.5 * min(1.0, (int(st[S_POS]) - start) / total))


def _scan_parallel(scan, buf, data, st, lits, indptr, weights, hard, progress):
    """Scan the rest of the file in segments on several threads, then stitch
    the segments' output onto the main arrays in file order.

    Returns a kernel code as the sequential scan would: an event or error
    (with ``st`` pointing at it, line numbers made absolute), EV_EOF, or
    EV_BUDGET where a clause spans a cut and the sequential scan must go on.
    """
    n = len(buf)
    pos = int(st[S_POS])
    k = int(min(WORKERS, (n - pos) // PARALLEL_MIN_BYTES))
    cuts = [pos]
    for j in range(1, k):
        nl = np.flatnonzero(data[pos + j * (n - pos) // k:][:1 << 20] == 10)
        if nl.size:
            cut = pos + j * (n - pos) // k + int(nl[0]) + 1
            if cuts[-1] < cut < n:
                cuts.append(cut)
    cuts.append(n)
    cancel = threading.Event()
    segments = []  # (start, state, arrays, thread, result holder)
    for a, b in zip(cuts[1:-1], cuts[2:]):
        s2 = st.copy()
        s2[S_POS], s2[S_LINE], s2[S_LINE_START], s2[S_IN_CLAUSE] = a, 1, 1, 0
        s2[S_NLITS] = s2[S_NCLAUSES] = s2[S_MAX_VAR] = s2[S_SEEN] = s2[S_CLAUSE_LINE] = 0
        cap = (b - a) // 2 + 2
        wcap = (b - a) // 4 + 2 if weights.size else 0
        arrays = (np.empty(cap, dtype=lits.dtype), np.zeros(cap + 1, dtype=indptr.dtype),
                  np.empty(wcap, dtype=weights.dtype), np.empty(wcap, dtype=hard.dtype))
        out = {}

        def work(s2=s2, b=b, arrays=arrays, out=out):
            try:
                out["code"] = _scan_segment(scan, buf, s2, b, *arrays, cancel)
            except BaseException as e:  # re-raised by the main thread
                out["error"] = e

        t = threading.Thread(target=work, name="polystep-dimacs-scan", daemon=True)
        segments.append((a, s2, arrays, t, out))
        t.start()
    try:
        # the first segment on this thread, so signals are handled between chunks
        code = _scan_segment(scan, buf, st, cuts[1], lits, indptr, weights, hard, cancel,
                             progress, cuts[1] - pos)
        for a, s2, (l2, p2, w2, h2), t, out in segments:
            if code != EV_BUDGET or st[S_IN_CLAUSE] or int(st[S_POS]) != a:
                break  # an event or error to report, or a clause across the cut
            while t.is_alive():
                t.join(0.05)  # a short timeout keeps the wait interruptible
            if "error" in out:
                raise out["error"]
            nl, nc = int(st[S_NLITS]), int(st[S_NCLAUSES])
            nl2, nc2 = int(s2[S_NLITS]), int(s2[S_NCLAUSES])
            lits[nl:nl + nl2] = l2[:nl2]
            indptr[nc + 1:nc + nc2 + 1] = p2[1:nc2 + 1] + nl
            if w2.size:  # with the weight of a clause left open at the segment's end
                m2 = nc2 + int(s2[S_IN_CLAUSE])
                weights[nc:nc + m2] = w2[:m2]
                hard[nc:nc + m2] = h2[:m2]
            offset = int(st[S_LINE]) - 1  # segment lines count from 1 at its cut
            st[S_NLITS], st[S_NCLAUSES] = nl + nl2, nc + nc2
            st[S_MAX_VAR] = max(int(st[S_MAX_VAR]), int(s2[S_MAX_VAR]))
            st[S_SEEN] = int(st[S_SEEN] or s2[S_SEEN])
            for slot in (S_POS, S_LINE_START, S_IN_CLAUSE, S_ERR_POS, S_ERR_VAL):
                st[slot] = s2[slot]
            st[S_LINE] = int(s2[S_LINE]) + offset
            st[S_CLAUSE_LINE] = int(s2[S_CLAUSE_LINE]) + offset
            code = out["code"]
        return code
    finally:
        cancel.set()


def _parse(data: np.ndarray, name: str, *, require_header: bool, progress=None, strict=False) -> Formula:
    """Parse a writable uint8 array of DIMACS text."""
    n = data.size
    empty = DimacsError(name, None, "empty file; expected a DIMACS CNF ('p cnf NV NC') or WCNF formula")
    if n == 0:
        raise empty
    # Upper bounds: every literal and every clause-ending 0 takes >= 2 bytes
    # (but the last); a WCNF clause (weight, 0) >= 4. np.empty only reserves
    # address space: pages never written cost no memory, and the arrays are
    # shrunk in place below. Weights exist only for the WCNF formats.
    fast = scan_vectorised(data, require_header, strict, lambda pos, line, d=data: _header(d, pos, line, name))
    if fast is not None:
        return _formula(bytes(data[:80]), name, fast.fmt, fast.lits, fast.indptr, fast.weights, fast.hard, fast.max_var,
                        fast.p_line, fast.header[2] if fast.header else 0, fast.header[1] if fast.header else 0,
                        strict, progress)
    cap = n // 2 + 2
    idx_dtype = np.int32 if cap <= INT32_MAX else np.int64
    lits = np.empty(cap, dtype=np.int32)
    indptr = np.empty(cap + 1, dtype=idx_dtype)
    indptr[0] = 0
    weights = np.empty(0, dtype=np.int64)
    hard = np.empty(0, dtype=np.bool_)
    st = np.zeros(N_STATE, dtype=np.int64)
    st[S_LINE] = 1
    st[S_LINE_START] = 1
    st[S_REQUIRE_HEADER] = int(require_header)
    declared_nv = 0

    jit = n >= JIT_MIN_BYTES
    scan = _kernel(_scan, jit)
    buf = data if jit else data.tobytes()  # interpreted: bytes index faster
    parallel_tried = False
    while True:
        if not parallel_tried and st[S_FMT] != F_UNKNOWN and WORKERS > 1 \
                and n - st[S_POS] >= 2 * PARALLEL_MIN_BYTES:
            parallel_tried = True
            code = _scan_parallel(scan, buf, data, st, lits, indptr, weights, hard, progress)
        else:
            stop = min(int(st[S_POS]) + SCAN_CHUNK, n)
            code = scan(buf, stop, st, lits, indptr, weights, hard)
        if code == EV_BUDGET:
            if progress is not None:
                progress(0.5 + 0.5 * float(st[S_POS]) / n)
            continue
        if code == EV_PLINE:
            line = int(st[S_LINE])
            if st[S_SEEN]:
                raise DimacsError(name, line, "problem line after clauses; expected it before the first clause")
            if st[S_P_LINE]:
                raise DimacsError(name, line, f"second problem line (the first is on line {int(st[S_P_LINE])}); "
                                              "expected exactly one")
            fmt, nv, nc, top, has_top, end = _header(data, int(st[S_ERR_POS]), line, name)
            # Lenient: the kernel's range check gets no bound below 32 bits; it
            # tracks the largest variable anyway, which n_vars then grows to.
            declared_nv = nv
            st[S_NV] = nv if strict else INT32_MAX
            st[S_FMT], st[S_NC_DECL], st[S_TOP], st[S_HAS_TOP] = fmt, nc, top, int(has_top)
            st[S_P_LINE] = line
            st[S_POS] = end
            if fmt == F_OLD_WCNF:
                weights, hard = np.empty(n // 4 + 2, dtype=np.int64), np.empty(n // 4 + 2, dtype=np.bool_)
            continue
        if code == EV_FORMAT:
            weights, hard = np.empty(n // 4 + 2, dtype=np.int64), np.empty(n // 4 + 2, dtype=np.bool_)
            continue
        if code in (EV_EOF, EV_END):
            break
        raise _scan_error(code, st, data, name, require_header)

    fmt = int(st[S_FMT])
    nl, nc = int(st[S_NLITS]), int(st[S_NCLAUSES])
    if st[S_IN_CLAUSE]:
        where = "before the '%' end marker" if code == EV_END else "at the end of the file"
        raise DimacsError(name, int(st[S_CLAUSE_LINE]),
                          f"the clause starting on this line is not terminated {where}; "
                          "expected '0' after its last literal")
    if fmt == F_UNKNOWN:
        if not data.tobytes().strip():  # only here: the file holds no clause
            raise empty
        if require_header:
            raise DimacsError(name, None, "no problem line and no clauses; expected 'p cnf NV NC' "
                                          "(a .cnf file needs one)")
        fmt = F_NEW_WCNF  # only comments: an empty formula in the new WCNF format
    head = bytes(data[:80])
    del data, buf   # the file's bytes go before the Formula is built
    # Shrink in place (realloc: no copy). Safe: nothing else refers to them.
    lits.resize(nl, refcheck=False)
    indptr.resize(nc + 1, refcheck=False)
    if fmt != F_CNF:
        weights.resize(nc, refcheck=False)
        hard.resize(nc, refcheck=False)
    return _formula(head, name, fmt, lits, indptr, weights, hard, int(st[S_MAX_VAR]), int(st[S_P_LINE]),
                    int(st[S_NC_DECL]), declared_nv, strict, progress)


def _formula(head, name, fmt, lits, indptr, weights, hard, max_var, p_line, nc_decl, declared_nv, strict,
             progress) -> Formula:
    """The Formula from a scan's arrays (shrunk to their lengths) and the file's first 80 bytes,
    with the header's warnings."""
    nc = indptr.size - 1
    warnings = []
    if fmt == F_NEW_WCNF:
        n_vars = max_var
        m = _NVARS_COMMENT.match(head)
        if m is not None and int(m.group(1)) >= n_vars:
            n_vars = min(int(m.group(1)), INT32_MAX)
    else:
        if nc != nc_decl:
            if strict:
                raise DimacsError(name, p_line,
                                  f"wrong clause count: the problem line declares {nc_decl} clauses "
                                  f"but the file has {nc}; expected exactly {nc_decl} clauses")
            warnings.append(f"{name}:{p_line}: the problem line declares {nc_decl} clauses "
                            f"but the file has {nc}; read the {nc} present")
        n_vars = declared_nv
        if max_var > declared_nv:  # only when lenient: strict stopped at the literal
            warnings.append(f"{name}:{p_line}: the problem line declares {declared_nv} variables "
                            f"but the file uses variables up to {max_var}; read {max_var} variables")
            n_vars = max_var
    if fmt == F_CNF:
        weights, hard = None, None
    else:
        weights[hard] = 0
    if progress is not None:
        progress(1.0)
    # the scan put no 0 among the literals, none beyond n_vars, and the clause ends in order
    formula = Formula(n_vars, indptr, lits, weights, hard, weighted=fmt != F_CNF, check=False)
    formula.warnings = warnings
    return formula
