"""Zicbom, Zicbop, Zicboz: cache-block operations (unprivileged spec, chapter "Cache
Management Operations", version 1.0.1; 64-byte blocks, as qemu and Linux's riscv,cbo*-block-size).

A user program sees no cache: cbo.clean and cbo.flush only check that the block may be
accessed (else a store page fault); Linux lets user programs run them (senvcfg.CBCFE) but not
cbo.inval (CBIE is 0), which is an illegal instruction there. qemu's user mode refuses all
three (SIGILL): Linux is the reference here. The prefetches (hints in ori's encoding with
rd = x0) do nothing, and cbo.zero writes zeros over the whole aligned block.
"""

from ..semantics import illegal, store_page_fault, ux
from .base import RS1, Extension, Format, field_

BLOCK = 64

CBO = Format("CBO", {"rs1": RS1}, "(rs1)")
# The prefetches' offset is imm[11:5]: the low five bits of ori's immediate name the hint.
PREFETCH = Format("PREFETCH", {"rs1": RS1, "imm": field_("11:5", 31, 25, signed=True)},
                  "imm(rs1)")

zicbom = Extension("Zicbom")
zicbop = Extension("Zicbop")
zicboz = Extension("Zicboz")


@zicbom.insn("0000000 00001 rs1.. 010 00000 0001111", CBO, name="cbo.clean")
@zicbom.insn("0000000 00010 rs1.. 010 00000 0001111", CBO, name="cbo.flush")
def cbo_manage(X, M, rs1):
    """A store page fault unless the block may be read (a block lies within a page)."""
    if not M.readable(ux(X[rs1] & -BLOCK)):
        store_page_fault(ux(X[rs1]))


@zicbom.insn("0000000 00000 rs1.. 010 00000 0001111", CBO, name="cbo.inval")
def cbo_inval():
    illegal()  # not enabled for user mode by Linux (senvcfg.CBIE = 0)


@zicboz.insn("0000000 00100 rs1.. 010 00000 0001111", CBO)
def cbo_zero(X, M, rs1):
    for offset in range(0, BLOCK, 8):  # a block lies within a page: all stores fault or none
        M.store(ux((X[rs1] & -BLOCK) + offset), 8, 0)


@zicbop.insn("imm.... 00000 rs1.. 110 00000 0010011", PREFETCH, name="prefetch.i")
@zicbop.insn("imm.... 00001 rs1.. 110 00000 0010011", PREFETCH, name="prefetch.r")
@zicbop.insn("imm.... 00011 rs1.. 110 00000 0010011", PREFETCH, name="prefetch.w")
def prefetch():
    """A hint: nothing to do without a cache."""
