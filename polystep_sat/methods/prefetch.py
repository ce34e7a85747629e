"""A cache prefetch hint for the numba kernels.

At 1M variables a WalkSAT flip waits on a chain of cache misses (the clause's
literals, their occurrence-list pointers, the lists, the clauses' counts),
one after the other. ``prefetch(arr, i)`` asks the CPU to start loading
``arr[i]`` now, so that independent misses overlap: the kernel issues the
loads of a step's whole chain level by level, and draws the next step's clause
a step early. It never changes a result: it is LLVM's ``llvm.prefetch`` (read,
high locality), a no-op where the target has no prefetch instruction.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_I8P = ir.IntType(8).as_pointer()
# LLVM names the intrinsic by its pointer type: "p0" with opaque pointers (LLVM 15+,
# where llvmlite prints every pointer as "ptr"), "p0i8" with typed ones.
_NAME = "llvm.prefetch.p0" if str(_I8P) == "ptr" else "llvm.prefetch.p0i8"


@intrinsic
def prefetch(typingctx, arr, idx):
    """Hint the cache to load ``arr[idx]`` (no bounds check: a hint never faults)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [_I8P, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _NAME)
        # (address, 0 = read, 3 = keep in all cache levels, 1 = data cache)
        builder.call(fn, [builder.bitcast(ptr, _I8P), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
