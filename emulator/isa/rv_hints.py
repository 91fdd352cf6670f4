"""Hints and waits of RVA23U64: Zihintntl, Zihintpause (unprivileged spec, chapters of those
names, version 1.0) and Zawrs (version 1.01).

The non-temporal locality hints are add x0, x0, xN (and c.add x0, xN) and pause is a fence
with pred = W, succ = 0: they run as those instructions, and only the disassembly names them.
The waits on a reservation set, wrs.nto and wrs.sto, may return at once, which is all a
single hart running one thread at a time can usefully do.
"""

from .base import NONE, Extension

zihintntl = Extension("Zihintntl")
for register, level in ((2, "p1"), (3, "pall"), (4, "s1"), (5, "all")):
    zihintntl.alias(f"ntl.{level}", "add", "", rd=0, rs1=0, rs2=register)
    zihintntl.alias(f"c.ntl.{level}", "c.add", "", rd=0, rs2=register)

zihintpause = Extension("Zihintpause")
zihintpause.alias("pause", "fence", "", fm=0, pred=0b0001, succ=0)

zawrs = Extension("Zawrs")


@zawrs.insn("000000001101 00000 000 00000 1110011", NONE, name="wrs.nto")
@zawrs.insn("000000011101 00000 000 00000 1110011", NONE, name="wrs.sto")
def wrs():
    """Waits for a store to the reservation set, or a timeout: returning at once is both."""
