"""Zfhmin: half-precision loads, stores, moves and conversions (unprivileged spec, chapter
"Zfh and Zfhmin", version 1.0). A half lives NaN-boxed in an f register (its upper 48 bits
ones); one not properly boxed reads as the canonical NaN, as singles do.
"""

from .. import softfloat
from ..semantics import fflags, loop_helper, rounding, ux
from .base import Extension, I, S
from .rv_fd import FORMATS, FP_R, fread, fwrite

zfhmin = Extension("Zfhmin")
NAN_BOX_H = 0xFFFF_FFFF_FFFF_0000
F16 = softfloat.F16
CANONICAL_NAN_H = F16.canonical_nan
BOX_BITS_H = 0xFFFF_FFFF_FFFF


@loop_helper
def box_h(bits: int) -> int:
    return (bits & 0xFFFF) | NAN_BOX_H


@loop_helper
def unbox_h(value: int) -> int:
    """(Masked after the shift: the loop's registers are signed words, the reference
    engine's unsigned.)"""
    return value & 0xFFFF if (value >> 16) & BOX_BITS_H == BOX_BITS_H else CANONICAL_NAN_H


@zfhmin.insn("imm......... rs1.. 001 rd... 0000111", I, name="flh", syntax="frd, imm(rs1)")
def flh(F, X, M, rd, rs1, imm):
    F[rd] = box_h(M.load(ux(X[rs1] + imm), 2, False))


@zfhmin.insn("imm.... rs2.. rs1.. 001 imm.. 0100111", S, name="fsh", syntax="frs2, imm(rs1)")
def fsh(F, X, M, rs1, rs2, imm):
    M.store(ux(X[rs1] + imm), 2, F[rs2])


@zfhmin.insn("1110010 00000 rs1.. 000 rd... 1010011", FP_R, name="fmv.x.h", syntax="rd, frs1")
def fmv_x_h(X, F, rd, rs1):
    X[rd] = ((F[rs1] & 0xFFFF) ^ 0x8000) - 0x8000


@zfhmin.insn("1111010 00000 rs1.. 000 rd... 1010011", FP_R, name="fmv.h.x", syntax="frd, rs1")
def fmv_h_x(X, F, rd, rs1):
    F[rd] = box_h(X[rs1])


# From a half: exact (assemblers encode rm 0 and do not show it); fmt is the result's (S, D).
@zfhmin.insn("0100000 00010 rs1.. rm. rd... 1010011", FP_R, name="fcvt.s.h",
             syntax="frd, frs1, rm0")
@zfhmin.insn("0100001 00010 rs1.. rm. rd... 1010011", FP_R, name="fcvt.d.h",
             syntax="frd, frs1, rm0")
def fcvt_from_h(F, C, rd, rs1, rm, fmt):
    result = softfloat.convert(F16, FORMATS[fmt], unbox_h(F[rs1]), rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


# To a half: rs2 is the source's format (S, D).
@zfhmin.insn("0100010 00000 rs1.. rm. rd... 1010011", FP_R, name="fcvt.h.s",
             syntax="frd, frs1, rm")
@zfhmin.insn("0100010 00001 rs1.. rm. rd... 1010011", FP_R, name="fcvt.h.d",
             syntax="frd, frs1, rm")
def fcvt_to_h(F, C, rd, rs1, rs2, rm):
    result = softfloat.convert(FORMATS[rs2], F16, fread(F, rs1, rs2), rounding(C, rm))
    F[rd] = box_h(fflags(C, result))
