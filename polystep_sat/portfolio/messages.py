"""The one-line messages between the search and the SAT side.

``KIND COST [HEX]``: KIND is ``model``, ``lb``, ``opt`` (SAT side to search),
``ub`` (search to SAT side) or ``done``; HEX is the assignment, bit-packed.
"""

from __future__ import annotations

import numpy as np

KINDS = ("model", "lb", "opt", "ub", "done")


def encode(kind: str, cost: int, assignment=None) -> str:
    if assignment is None:
        return f"{kind} {int(cost)}\n"
    return f"{kind} {int(cost)} {np.packbits(np.asarray(assignment, dtype=bool)).tobytes().hex()}\n"


def decode(line: str, n_vars: int):
    """``(kind, cost, assignment or None)``, or None for a line that is not a message."""
    parts = line.split()
    if len(parts) not in (2, 3) or parts[0] not in KINDS:
        return None
    try:
        cost = int(parts[1])
        a = None
        if len(parts) == 3:
            packed = np.frombuffer(bytes.fromhex(parts[2]), dtype=np.uint8)
            if packed.size * 8 < n_vars:
                return None
            a = np.unpackbits(packed, count=n_vars).astype(bool)
    except ValueError:
        return None
    return parts[0], cost, a
