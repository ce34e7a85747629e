"""The reader's vectorised path reads every file it takes exactly as the byte kernel does."""

from __future__ import annotations

import glob
import lzma
import random
from pathlib import Path

import numpy as np
import pytest

import polystep_sat.dimacs as dimacs
import polystep_sat.dimacs_fast as dimacs_fast
from polystep_sat.dimacs import DimacsError, parse_dimacs_bytes

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(glob.glob(str(ROOT / "instances" / "*.*nf")) + glob.glob(str(ROOT / "instances" / "real*" / "*.xz")))

SEEDS = [
    b"p cnf 3 2\n1 -2 3 0\n-1 2 0\n",
    b"c a comment\np wcnf 4 3 10\n10 1 2 0\n3 -3 4 0\n5 -1 0\n",
    b"p wcnf 4 3\n1 1 2 0\n3 -3 4 0\n5 -1 0\n",
    b"c new format\nh 1 2 0\n3 -3 4 0\nh -1 0\n7 2 -4 0\n",
    b"p cnf 3 2\n 1 -2\n 3 0 -1\n2 0\n",
    b"c x\n\np cnf 2 1\r\n1 -2 0\r\n",
    # weights of 0: first, after a clause, in both WCNF formats (META4ICS' Security-CPS files)
    b"p wcnf 3 4 100\n0 1 2 0\n100 -1 3 0\n0 -3 0\n5 2 0\n",
    b"0 1 2 0\nh -1 3 0\n0 -3 0\n0 2 0\n",
]


def _both(data: bytes, name: str, strict: bool, monkeypatch):
    """(the default reader's answer, the byte kernel's), each a Formula or a DimacsError's text."""
    def read():
        try:
            return parse_dimacs_bytes(data, name, strict=strict)
        except DimacsError as e:
            return str(e)

    default = read()
    with monkeypatch.context() as m:
        m.setattr(dimacs_fast, "VECTORISED_MAX_BYTES", 0)
        kernel = read()
    return default, kernel


def _assert_same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, str):
        assert a == b
        return
    assert (a.n_vars, a.weighted, a.warnings) == (b.n_vars, b.weighted, b.warnings)
    for field in ("indptr", "literals", "hard", "weights"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None) and (x is None or np.array_equal(x, y)), field


@pytest.mark.parametrize("piece", [dimacs_fast.READ_PIECE_BYTES, 61])
@pytest.mark.parametrize("path", FILES, ids=lambda p: Path(p).name[:40])
def test_bundled_files_read_alike(path, piece, monkeypatch):
    monkeypatch.setattr(dimacs_fast, "READ_PIECE_BYTES", piece)   # 61: the text read in many pieces
    data = lzma.decompress(Path(path).read_bytes()) if path.endswith(".xz") else Path(path).read_bytes()
    default, kernel = _both(data, Path(path).name.removesuffix(".xz"), False, monkeypatch)
    _assert_same(default, kernel)


def test_the_vectorised_path_takes_well_formed_files():
    for seed in SEEDS:
        assert dimacs_fast.scan_vectorised(np.frombuffer(seed, dtype=np.uint8).copy(), False, False,
                                           lambda pos, line: dimacs._header(np.frombuffer(seed, np.uint8), pos,
                                                                            line, "t")) is not None, seed


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_mutated_files_read_alike(seed, monkeypatch):
    """Random byte edits (deletions, insertions and swaps of the characters DIMACS uses and a few
    it does not): each mutant is read alike, or refused with the same error."""
    rng = random.Random(seed)
    alphabet = b"0123456789- \n\t\rhcp%x\0"
    for _ in range(400):
        data = bytearray(SEEDS[seed])
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data) + 1)
            op = rng.random()
            if op < 0.35 and i < len(data):
                del data[i]
            elif op < 0.7:
                data.insert(i, rng.choice(alphabet))
            elif i < len(data):
                data[i] = rng.choice(alphabet)
        for name, strict in (("t.wcnf", False), ("t.cnf", False), ("t.wcnf", True)):
            _assert_same(*_both(bytes(data), name, strict, monkeypatch))


def test_tokens_too_long_for_64_bits_go_to_the_kernel(monkeypatch):
    for text in (f"p wcnf 2 1\n{2**63} 1 0\n", f"p cnf 2 1\n1 {'0' * 30}2 0\n", f"{2**63 - 1} 1 0\n"):
        _assert_same(*_both(text.encode(), "t.wcnf", False, monkeypatch))
