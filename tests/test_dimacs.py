"""DIMACS CNF / WCNF reading and writing: formats, layouts, errors, round trips.

PySAT is the referee where it can read the text (it cannot when a clause is
split across lines); hypothesis generates the formulas.
"""

import bz2
import gzip
import io
import lzma
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pysat.formula import CNF, WCNF

import polystep_sat.dimacs as dimacs
import polystep_sat.dimacs_fast as dimacs_fast
from polystep_sat.dimacs import DimacsError, parse_dimacs_bytes, read_dimacs, write_dimacs
from polystep_sat.formula import Formula

INT64_MAX = 2**63 - 1


@pytest.fixture(params=["interpreted", "compiled", "vectorised"])
def kernel_mode(request, monkeypatch):
    """Run a test with the kernels interpreted (small inputs) and compiled by numba, and with
    the reader's vectorised path where it takes the file (the byte kernel reads the rest)."""
    threshold = 0 if request.param == "compiled" else 10**15
    monkeypatch.setattr(dimacs, "JIT_MIN_BYTES", threshold)
    monkeypatch.setattr(dimacs, "JIT_MIN_LITERALS", threshold)
    if request.param != "vectorised":
        monkeypatch.setattr(dimacs_fast, "VECTORISED_MAX_BYTES", 0)
    return request.param


@pytest.fixture(params=["sequential", "segments"])
def scan_mode(request, monkeypatch):
    """Scan in one pass, or cut into tiny segments scanned by three threads (the byte kernel)."""
    if request.param == "segments":
        monkeypatch.setattr(dimacs_fast, "VECTORISED_MAX_BYTES", 0)
        monkeypatch.setattr(dimacs, "PARALLEL_MIN_BYTES", 4)
        monkeypatch.setattr(dimacs, "WORKERS", 3)
    else:
        monkeypatch.setattr(dimacs, "WORKERS", 1)
    return request.param


def parse(text, name="t.wcnf", strict=False):
    return parse_dimacs_bytes(text.encode() if isinstance(text, str) else text, name, strict=strict)


def clauses(f):
    return list(f.clauses())


def same(a: Formula, b: Formula):
    assert a.n_vars == b.n_vars
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.literals, b.literals)
    assert np.array_equal(a.hard, b.hard)
    assert np.array_equal(a.weights, b.weights)


# ---------------------------------------------------------------- formats

def test_p_cnf():
    f = parse("c a comment\np cnf 5 3\n1 -2 0\n3 4 0\n-5 0\n", "t.cnf")
    assert f.n_vars == 5 and not f.weighted and not f.is_partial
    assert clauses(f) == [[1, -2], [3, 4], [-5]]
    assert f.weights.tolist() == [1, 1, 1]


def test_header_variables_may_be_unused():
    f = parse("p cnf 10 1\n1 0\n", "t.cnf")
    assert f.n_vars == 10


def test_old_wcnf_with_top():
    f = parse("p wcnf 3 4 10\n10 1 -2 0\n3 2 0\n12 -3 0\n0 1 3 0\n")
    assert f.weighted
    assert clauses(f) == [[1, -2], [2], [-3], [1, 3]]
    assert f.hard.tolist() == [True, False, True, False]  # weight >= top is hard
    assert f.weights.tolist() == [0, 3, 0, 0]


def test_old_wcnf_without_top_is_all_soft():
    f = parse("p wcnf 3 2\n1000 1 0\n2 -3 0\n")
    assert not f.is_partial and f.weights.tolist() == [1000, 2] and f.n_vars == 3


def test_new_wcnf():
    f = parse("c new format\nh 1 -2 0\n5 2 3 0\nh -4 0\n0 1 0\n")
    assert f.weighted and f.n_vars == 4
    assert clauses(f) == [[1, -2], [2, 3], [-4], [1]]
    assert f.hard.tolist() == [True, False, True, False]
    assert f.weights.tolist() == [0, 5, 0, 0]


def test_layouts_comments_spanning_and_shared_lines():
    text = ("c head\n  p cnf 4 4  \nc between\n1 -2\nc inside a clause\n 3 0 -4 0\n"
            "\t0\r\n2\n\n4\n0\nc tail\n")
    f = parse(text, "t.cnf")
    assert clauses(f) == [[1, -2, 3], [-4], [], [2, 4]]


def test_empty_clause_and_weight_zero():
    f = parse("h 0\n0 0\n7 0\n")
    assert clauses(f) == [[], [], []]
    assert f.hard.tolist() == [True, False, False]
    assert f.weights.tolist() == [0, 0, 7]
    assert f.n_vars == 0


def test_satlib_percent_trailer():
    f = parse("p cnf 3 2\n 1 -2 3 0\n-1 2 0\n%\n0\n\n", "uf.cnf")
    assert clauses(f) == [[1, -2, 3], [-1, 2]]


def test_huge_weights():
    f = parse(f"{INT64_MAX} 1 0\n{INT64_MAX} -1 0\n{INT64_MAX} 2 0\n")
    assert f.weights.tolist() == [INT64_MAX] * 3
    assert f.total_soft_weight == 3 * INT64_MAX  # exact beyond 2**64
    with pytest.raises(DimacsError) as e:
        parse(f"1 1 0\n{INT64_MAX + 1} 1 0\n", "w.wcnf")
    assert "w.wcnf:2:" in str(e.value) and "overflow" in str(e.value)
    for wrap in (2**64 + 5, 10**30):  # would silently wrap without the check
        with pytest.raises(DimacsError, match="overflow"):
            parse(f"{wrap} 1 0\n")
    assert parse("0000000000000000000000000007 1 0\n").weights.tolist() == [7]  # leading zeros


def test_largest_literal():
    f = parse(f"p cnf {2**31 - 1} 1\n-{2**31 - 1} 0\n", "t.cnf")
    assert f.literals.tolist() == [-(2**31 - 1)]


def test_new_format_n_vars_is_largest_used():
    assert parse("3 1 -7 0\n").n_vars == 7


# ---------------------------------------------------------------- errors

BAD = [
    # (text, name, line, words in the message)
    ("p cnf 3 2\n1 2 0\n1 x 0\n", "t.cnf", 3, ["non-integer", "'x'"]),
    ("p cnf 3 1\n1 2.5 0\n", "t.cnf", 2, ["non-integer", "'2.5'"]),
    ("p cnf 3 1\n1 - 0\n", "t.cnf", 2, ["non-integer"]),
    ("p cnf 3 2\n1 0\n2 3\n\nc end\n", "t.cnf", 3, ["not terminated", "'0'"]),
    ("p cnf 3 2\n1 0\n2 3\n%\n0\n", "t.cnf", 3, ["not terminated", "%"]),
    ("h 1 2 0\n3 1", "t.wcnf", 2, ["not terminated"]),
    ("1 1 0\n-3 1 0\n", "t.wcnf", 2, ["negative weight"]),
    ("p wcnf 2 1 5\n-1 1 0\n", "t.wcnf", 2, ["negative weight"]),
    ("p cnf 3 1\n1 3000000000 0\n", "t.cnf", 2, ["32 bits"]),
    ("p cnf 3 1\n1 99999999999999999999 0\n", "t.cnf", 2, ["overflow"]),
    ("1 1 0\n9223372036854775808 2 0\n", "t.wcnf", 2, ["weight", "overflow"]),
    ("p cnf 3 1\n1 \x00 0\n", "t.cnf", 2, ["binary"]),
    ("p cnf 3 1\n1 0\n\xff\xfe\n", "t.cnf", 3, ["binary", "0xff"]),
    ("c ok\nc bad \x00 comment\n", "t.cnf", 2, ["binary"]),
    ("p cnf 3\n1 0\n", "t.cnf", 1, ["malformed", "p cnf NV NC"]),
    ("p cnf 3 1 7\n1 0\n", "t.cnf", 1, ["malformed"]),
    ("p cnf -3 1\n1 0\n", "t.cnf", 1, ["malformed"]),
    ("p knf 3 1\n1 0\n", "t.cnf", 1, ["malformed"]),
    ("p wcnf 3 1 x\n1 1 0\n", "t.wcnf", 1, ["malformed"]),
    ("p wcnf 3 1 0\n1 1 0\n", "t.wcnf", 1, ["top"]),
    ("p cnf 3000000000 1\n1 0\n", "t.cnf", 1, ["32 bits"]),
    ("c\np cnf 3 1\np cnf 3 1\n1 0\n", "t.cnf", 3, ["second problem line", "line 2"]),
    ("3 1 0\np wcnf 3 1\n3 1 0\n", "t.wcnf", 2, ["after clauses"]),
    ("c no header\n1 2 0\n", "t.cnf", 2, ["before any problem line", "p cnf"]),
    ("p cnf 3 1\nh 1 0\n", "t.cnf", 2, ["'h'", "new WCNF"]),
    ("h 1 0\n2 3 h 0\n", "t.wcnf", 2, ["non-integer", "'h'"]),
    ("p cnf 3 1\n1 0 c trailing\n", "t.cnf", 2, ["'c'"]),
]

# Header counts that disagree with the file: errors only with strict=True
# (by default they are read as the file is, with a warning).
HEADER_COUNTS = [
    ("p cnf 3 1\n1 -2 4 0\n", "t.cnf", 2, ["out of range", "3 variables", "4"]),
    ("p cnf 3 1\n1 -4 0\n", "t.cnf", 2, ["-4", "out of range"]),
    ("p wcnf 3 1 9\n2 1 5 0\n", "t.wcnf", 2, ["out of range"]),
    ("p cnf 3 3\n1 0\n2 0\n", "t.cnf", 1, ["clause count", "declares 3", "has 2"]),
    ("p cnf 3 1\n1 0\n2 0\n", "t.cnf", 1, ["clause count", "declares 1", "has 2"]),
    ("p wcnf 3 2 9\n1 1 0\n", "t.wcnf", 1, ["clause count"]),
]


@pytest.mark.parametrize("text,name,line,words,strict",
                         [b + (False,) for b in BAD] + [h + (True,) for h in HEADER_COUNTS])
def test_bad_input(text, name, line, words, strict, kernel_mode, scan_mode):
    with pytest.raises(DimacsError) as e:
        parse(text.encode("latin-1"), name, strict=strict)
    msg = str(e.value)
    assert msg.startswith(f"{name}:{line}: "), msg
    assert e.value.path == name and e.value.line == line
    assert "\n" not in msg
    assert "expected" in msg, msg
    for w in words:
        assert w in msg, (w, msg)


@pytest.mark.parametrize("chunk", [1, 3, 7])
@pytest.mark.parametrize("text,name,line,words", BAD[:6] + HEADER_COUNTS)
def test_bad_input_same_line_when_scanned_in_tiny_chunks(monkeypatch, chunk, text, name, line, words, kernel_mode):
    monkeypatch.setattr(dimacs, "SCAN_CHUNK", chunk)
    with pytest.raises(DimacsError) as e:
        parse(text.encode(), name, strict=True)
    assert e.value.line == line


# ---------------------------------------------------------------- lenient header counts

@pytest.mark.parametrize("text,name,line,words", HEADER_COUNTS)
def test_wrong_header_counts_read_by_default_with_one_warning(text, name, line, words, kernel_mode, scan_mode):
    f = parse(text, name)
    assert len(f.warnings) == 1 and f.warnings[0].startswith(f"{name}:1: the problem line declares ")
    assert "\n" not in f.warnings[0]


def test_more_clauses_declared_than_present(kernel_mode, scan_mode):
    text = "c head\np wcnf 4 5 10\n10 1 -2 0\n3 2 0\n4 -3 4 0\n"
    f = parse(text, "t.wcnf")
    assert clauses(f) == [[1, -2], [2], [-3, 4]] and f.n_vars == 4
    assert f.hard.tolist() == [True, False, False] and f.weights.tolist() == [0, 3, 4]
    assert f.warnings == ["t.wcnf:2: the problem line declares 5 clauses but the file has 3; read the 3 present"]
    with pytest.raises(DimacsError, match=r"^t\.wcnf:2: wrong clause count: .*declares 5 clauses but the file has 3"):
        parse(text, "t.wcnf", strict=True)


def test_fewer_clauses_declared_than_present(kernel_mode, scan_mode):
    text = "p cnf 3 1\n1 -2 0\n2 3 0\n-1 0\n"
    f = parse(text, "t.cnf")
    assert clauses(f) == [[1, -2], [2, 3], [-1]] and f.n_vars == 3
    assert f.warnings == ["t.cnf:1: the problem line declares 1 clauses but the file has 3; read the 3 present"]
    with pytest.raises(DimacsError, match="declares 1 clauses but the file has 3"):
        parse(text, "t.cnf", strict=True)


def test_literal_beyond_declared_variables_extends_the_formula(kernel_mode, scan_mode):
    text = "p cnf 3 3\n1 -2 0\n-7 3 0\n5 0\n"
    f = parse(text, "t.cnf")
    assert f.n_vars == 7 and clauses(f) == [[1, -2], [-7, 3], [5]]
    assert f.warnings == ["t.cnf:1: the problem line declares 3 variables but the file uses variables "
                          "up to 7; read 7 variables"]
    with pytest.raises(DimacsError, match=r"^t\.cnf:3: literal -7 is out of range"):
        parse(text, "t.cnf", strict=True)


def test_both_header_counts_wrong_gives_two_warnings():
    f = parse("p wcnf 2 9\n1 1 0\n2 -4 0\n", "t.wcnf")
    assert f.n_vars == 4 and f.n_clauses == 2 and len(f.warnings) == 2


def test_correct_headers_and_unused_variables_give_no_warning():
    assert parse("p cnf 10 1\n1 0\n", "t.cnf").warnings == []
    assert parse("p cnf 10 1\n1 0\n", "t.cnf", strict=True).n_vars == 10  # declared unused variables kept
    assert parse("h 1 -9 0\n3 2 0\n").warnings == []  # the new format has no counts to disagree with


def test_read_dimacs_strict_on_a_compressed_file(tmp_path):
    path = tmp_path / "short.wcnf.xz"
    with lzma.open(path, "wt") as fh:
        fh.write("p wcnf 3 4 100\n100 1 2 0\n5 -1 0\n")
    f = read_dimacs(path)
    assert f.n_clauses == 2 and f.warnings[0].startswith(f"{path}:1: the problem line declares 4 clauses")
    with pytest.raises(DimacsError, match="wrong clause count"):
        read_dimacs(path, strict=True)


def test_file_errors(tmp_path):
    missing = tmp_path / "nope.cnf"
    with pytest.raises(DimacsError, match="nope.cnf: no such file"):
        read_dimacs(missing)
    with pytest.raises(DimacsError, match="is a directory"):
        read_dimacs(tmp_path)
    empty = tmp_path / "empty.cnf"
    empty.write_bytes(b"")
    with pytest.raises(DimacsError, match="empty.cnf: empty file"):
        read_dimacs(empty)
    blank = tmp_path / "blank.wcnf"
    blank.write_bytes(b"  \n\n\t\n")
    with pytest.raises(DimacsError, match="empty file"):
        read_dimacs(blank)
    only_comments = tmp_path / "comments.cnf"
    only_comments.write_bytes(b"c nothing here\n")
    with pytest.raises(DimacsError, match="no problem line and no clauses"):
        read_dimacs(only_comments)
    # the new WCNF format has no header: only comments is an empty formula
    only_comments = only_comments.rename(tmp_path / "comments.wcnf")
    f = read_dimacs(only_comments)
    assert f.n_vars == 0 and f.n_clauses == 0 and f.weighted
    garbage = tmp_path / "garbage.cnf"
    garbage.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DimacsError, match=r"garbage.cnf:1: binary data"):
        read_dimacs(garbage)
    zst = tmp_path / "x.cnf.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(20))
    with pytest.raises(DimacsError, match="zstd"):
        read_dimacs(zst)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    p = tmp_path / "locked.cnf"
    p.write_bytes(b"p cnf 1 1\n1 0\n")
    p.chmod(0)
    with pytest.raises(DimacsError, match="permission denied"):
        read_dimacs(p)


def test_unreadable_file_simulated(tmp_path, monkeypatch):
    p = tmp_path / "locked.cnf"
    p.write_bytes(b"p cnf 1 1\n1 0\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dimacs, "open", denied, raising=False)
    with pytest.raises(DimacsError, match="locked.cnf: permission denied"):
        read_dimacs(p)


@pytest.mark.parametrize("opener,ext", [(gzip.open, "gz"), (bz2.open, "bz2"), (lzma.open, "xz")])
def test_corrupt_compressed_streams(tmp_path, opener, ext):
    good = tmp_path / f"f.cnf.{ext}"
    with opener(good, "wb") as f:
        f.write(b"p cnf 200 100\n" + b"1 -2 3 0\n" * 100)
    data = good.read_bytes()
    truncated = tmp_path / f"truncated.cnf.{ext}"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DimacsError, match=f"truncated.cnf.{ext}: corrupt"):
        read_dimacs(truncated)
    mangled = tmp_path / f"mangled.cnf.{ext}"
    mangled.write_bytes(data[:10] + bytes(len(data) - 10))
    with pytest.raises(DimacsError, match="corrupt"):
        read_dimacs(mangled)


def test_compression_detected_by_magic_not_extension(tmp_path):
    p = tmp_path / "really_gzip.cnf"
    p.write_bytes(gzip.compress(b"p cnf 2 1\n1 -2 0\n"))
    assert clauses(read_dimacs(p)) == [[1, -2]]


def test_progress_reaches_one(tmp_path, monkeypatch):
    monkeypatch.setattr(dimacs, "SCAN_CHUNK", 64)
    monkeypatch.setattr(dimacs_fast, "VECTORISED_MAX_BYTES", 0)   # the byte kernel, chunk by chunk
    p = tmp_path / "p.cnf"
    p.write_bytes(b"p cnf 3 100\n" + b"1 -2 3 0\n" * 100)
    seen = []
    f = read_dimacs(p, progress=seen.append)
    assert f.n_clauses == 100
    assert len(seen) > 3 and seen[-1] == 1.0 and all(0 <= x <= 1 for x in seen)
    assert seen == sorted(seen)


# ---------------------------------------------------------------- writing

def test_write_cnf_text_and_roundtrip(tmp_path):
    f = Formula.from_clauses([[1, -2], [], [3]], n_vars=5)
    buf = io.BytesIO()
    write_dimacs(f, buf)
    assert buf.getvalue() == b"p cnf 5 3\n1 -2 0\n0\n3 0\n"
    text = io.StringIO()
    write_dimacs(f, text)
    assert text.getvalue() == buf.getvalue().decode()
    same(parse(buf.getvalue(), "t.cnf"), f)


def test_write_new_wcnf_keeps_unused_variables():
    f = Formula.from_clauses([[1, -2], [2]], n_vars=9, weights=np.array([0, 4]),
                             hard=np.array([True, False]), weighted=True)
    buf = io.BytesIO()
    write_dimacs(f, buf)
    assert buf.getvalue() == b"c polystep-sat n_vars 9\nh 1 -2 0\n4 2 0\n"
    same(parse(buf.getvalue()), f)
    # other tools see the largest variable used
    assert WCNF(from_string=buf.getvalue().decode()).nv == 2


def test_write_old_wcnf_top_above_huge_weights():
    f = Formula.from_clauses([[1], [-1], [2]], weights=np.array([INT64_MAX - 1, 5, 0]),
                             hard=np.array([False, False, True]), weighted=True)
    buf = io.BytesIO()
    write_dimacs(f, buf, fmt="wcnf-old")
    text = buf.getvalue().decode()
    assert text.splitlines()[0] == f"p wcnf 2 3 {INT64_MAX}"  # sum + 1 overflows: max + 1
    same(parse(text), f)
    g = Formula.from_clauses([[1], [2]], weights=np.array([INT64_MAX, 1]), weighted=True)
    with pytest.raises(ValueError, match="no room for TOP"):
        write_dimacs(g, io.BytesIO(), fmt="wcnf-old")
    write_dimacs(g, buf := io.BytesIO())  # the new format has no TOP
    same(parse(buf.getvalue()), g)


def test_write_rejects_weights_in_cnf_and_unknown_format():
    f = Formula.from_clauses([[1]], weights=np.array([3]), weighted=True)
    with pytest.raises(ValueError, match="p cnf"):
        write_dimacs(f, io.BytesIO(), fmt="cnf")
    with pytest.raises(ValueError, match="fmt"):
        write_dimacs(f, io.BytesIO(), fmt="opb")


@pytest.mark.parametrize("ext", ["", ".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("fmt", ["cnf", "wcnf", "wcnf-old"])
def test_file_roundtrip_compressed(tmp_path, ext, fmt, kernel_mode):
    from polystep_sat.generate import random_ksat, random_weighted_partial

    f = random_ksat(60, 4.0, seed=2) if fmt == "cnf" else random_weighted_partial(40, 30, 50, seed=2)
    p = tmp_path / f"r.{'cnf' if fmt == 'cnf' else 'wcnf'}{ext}"
    write_dimacs(f, p, fmt=fmt)
    head = p.read_bytes()[:6]
    assert {"": head[:1] in (b"p", b"c"), ".gz": head[:2] == b"\x1f\x8b", ".bz2": head[:3] == b"BZh",
            ".xz": head == b"\xfd7zXZ\x00"}[ext]
    g = read_dimacs(p)
    same(g, f)
    assert g.weighted == (fmt != "cnf")


def test_large_write_read_in_many_chunks(monkeypatch, kernel_mode, scan_mode):
    from polystep_sat.generate import random_ksat

    f = random_ksat(3000, 4.26, seed=5)
    buf = io.BytesIO()
    write_dimacs(f, buf)
    monkeypatch.setattr(dimacs, "SCAN_CHUNK", 997)
    same(parse(buf.getvalue(), "big.cnf"), f)
    if scan_mode == "segments":  # an error deep in a later segment keeps its absolute line
        monkeypatch.setattr(dimacs, "PARALLEL_MIN_BYTES", 20_000)
        lines = buf.getvalue().split(b"\n")
        lines[9000] = b"1 2 x 0"
        with pytest.raises(DimacsError, match=r"big.cnf:9001: non-integer token 'x'"):
            parse(b"\n".join(lines), "big.cnf")
    assert CNF(from_string=buf.getvalue().decode()).clauses == clauses(f)



@pytest.mark.parametrize("text", [
    b"p cnf 3 2\n1 -2 0\n3 0",                  # no final newline: the mapping ends mid-token
    b"1",                                         # one byte
    b"c only a comment",
    b"p cnf 2 1\n1 2 0\n\x00",                  # binary data at the very end
    b"p wcnf 2 2 9\n9 1 0\n3 -2 0\n",
    b"h 1 2 0\n4 -1 0\n",
    b"p cnf 2 2\n1 0\n2 x 0\n",                # an error, with its line
])
def test_mapped_file_reads_as_read(tmp_path, monkeypatch, text, kernel_mode, scan_mode):
    # large plain files are mapped instead of read: same formula, same errors
    path = tmp_path / "t.wcnf"
    path.write_bytes(text)
    results = []
    for threshold in (10**15, 1):
        monkeypatch.setattr(dimacs, "MAP_MIN_BYTES", threshold)
        try:
            results.append(read_dimacs(path))
        except DimacsError as e:
            results.append(str(e))
    if isinstance(results[0], str):
        assert results[0] == results[1]
    else:
        same(results[0], results[1])
        assert results[0].warnings == results[1].warnings


# ---------------------------------------------------------------- properties

@st.composite
def formulas(draw, weighted=True, partial=True):
    n_vars = draw(st.integers(0, 12))
    lits = st.integers(1, n_vars).flatmap(lambda v: st.sampled_from([v, -v])) if n_vars else st.nothing()
    cls = draw(st.lists(st.lists(lits, max_size=5 if n_vars else 0), max_size=25))
    m = len(cls)
    hard = draw(st.lists(st.booleans(), min_size=m, max_size=m)) if partial else [False] * m
    big = st.one_of(st.integers(0, 20), st.integers(0, INT64_MAX), st.just(INT64_MAX))
    weights = draw(st.lists(big, min_size=m, max_size=m)) if weighted else [1] * m
    n_vars += draw(st.integers(0, 3))  # declared but unused variables
    return Formula.from_clauses(cls, n_vars, np.array(weights, dtype=np.int64).reshape(m),
                                np.array(hard, dtype=bool).reshape(m), weighted=weighted)


def pysat_agrees(text: str, f: Formula, fmt: str):
    """Compare our reading with PySAT's (it drops weight-0 soft clauses)."""
    cl = clauses(f)
    if fmt == "cnf":
        assert CNF(from_string=text).clauses == cl
        return
    if np.any(f.weights[~f.hard] == 0):
        return
    w = WCNF(from_string=text)
    assert w.hard == [c for c, h in zip(cl, f.hard) if h]
    assert w.soft == [c for c, h in zip(cl, f.hard) if not h]
    assert w.wght == f.weights[~f.hard].tolist()


SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@SETTINGS
@given(formulas(weighted=False, partial=False))
def test_property_cnf_roundtrip_and_pysat(kernel_mode, f):
    buf = io.BytesIO()
    write_dimacs(f, buf)
    g = parse(buf.getvalue(), "h.cnf")
    same(g, f)
    pysat_agrees(buf.getvalue().decode(), g, "cnf")


@SETTINGS
@given(formulas(), st.sampled_from(["wcnf", "wcnf-old"]))
def test_property_wcnf_roundtrip_and_pysat(kernel_mode, f, fmt):
    buf = io.BytesIO()
    try:
        write_dimacs(f, buf, fmt=fmt)
    except ValueError:  # old format with a soft weight of 2**63-1: no room for TOP
        assert fmt == "wcnf-old" and np.any(f.weights[~f.hard] == INT64_MAX)
        return
    g = parse(buf.getvalue(), "h.wcnf")
    same(g, f)
    assert g.weighted
    pysat_agrees(buf.getvalue().decode(), g, fmt)


@SETTINGS
@given(formulas(), st.sampled_from(["cnf", "wcnf", "wcnf-old"]), st.data())
def test_property_any_layout(kernel_mode, scan_mode, f, fmt, data):
    """Split clauses over lines, share lines, add comments and blank lines:
    the parse must not change (PySAT cannot read these layouts)."""
    if fmt == "cnf":
        f = Formula(f.n_vars, f.indptr, f.literals)
    elif fmt == "wcnf-old" and np.any(f.weights[~f.hard] == INT64_MAX):
        fmt = "wcnf"
    buf = io.BytesIO()
    write_dimacs(f, buf, fmt=fmt)
    lines = buf.getvalue().decode().splitlines()
    head, body = lines[:1], lines[1:]
    tokens = " ".join(body).split()
    seps = data.draw(st.lists(st.sampled_from([" ", "\n", "  \t", "\nc comment 1 2 0\n", "\r\n", " \n\n "]),
                              min_size=len(tokens), max_size=len(tokens)))
    text = "\n".join(head) + "\nc after head\n" + "".join(t + s for t, s in zip(tokens, seps))
    if data.draw(st.booleans()):
        text += "\n%\n0\n"
    chunk = data.draw(st.sampled_from([dimacs.SCAN_CHUNK, 1, 5]))
    old = dimacs.SCAN_CHUNK
    dimacs.SCAN_CHUNK = chunk
    try:
        g = parse(text, "layout." + ("cnf" if fmt == "cnf" else "wcnf"))
    finally:
        dimacs.SCAN_CHUNK = old
    same(g, f)


def test_small_inputs_do_not_need_numba():
    """Parsing a small file must not pay numba's start-up (the CLI's first answer)."""
    import subprocess
    import sys

    code = ("import sys; from polystep_sat.dimacs import parse_dimacs_bytes, write_dimacs; import io; "
            "f = parse_dimacs_bytes(b'p cnf 3 2\\n1 -2 0\\n3 0\\n', 'a.cnf'); write_dimacs(f, io.BytesIO()); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
