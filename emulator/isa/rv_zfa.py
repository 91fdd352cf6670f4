"""Zfa: additional floating-point instructions (unprivileged spec, chapter "Zfa", version 1.0).

Immediate loads, the IEEE 754-2019 minimum and maximum, rounding to an integral value, quiet
comparisons, the modular conversion JavaScript engines use, and for RV32 the moves of a double
to and from a pair of integer registers. As in F and D, one semantic function serves both
precisions through the format's `fmt` operand.
"""

import struct

from .. import softfloat
from ..semantics import MASK32, fflags, rounding, sx, sx32
from .base import Extension, syntax
from .rv_fd import FORMATS, FP_R, fread, fwrite

zfa = Extension("Zfa")
insn = zfa.insn
RV32 = (32,)
DOUBLE = 1  # the fmt operand of a double

# What fli loads, by its rs1 field (spec table "fli.s"): "min" is the smallest positive
# normal number, which differs between the precisions.
FLI_CONSTANTS = (-1.0, "min", 2.0**-16, 2.0**-15, 2.0**-8, 2.0**-7, 0.0625, 0.125, 0.25, 0.3125,
                 0.375, 0.4375, 0.5, 0.625, 0.75, 0.875, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0,
                 4.0, 8.0, 16.0, 128.0, 256.0, 2.0**15, 2.0**16, "inf", "nan")


def _fli_bits(fmt: softfloat.FloatFormat, pack: str) -> tuple[int, ...]:
    """The constants' bit patterns (the numbers are exact in both precisions)."""
    named = {"min": fmt.hidden_bit, "inf": fmt.inf, "nan": fmt.canonical_nan}
    return tuple(named[c] if isinstance(c, str) else
                 int.from_bytes(struct.pack("<" + pack, c), "little") for c in FLI_CONSTANTS)


FLI_BITS = (_fli_bits(softfloat.F32, "f"), _fli_bits(softfloat.F64, "d"))


def fli_text(index: int) -> str:
    """A fli constant as assemblers write it: min, inf, nan, or a decimal number."""
    constant = FLI_CONSTANTS[index]
    if isinstance(constant, str):
        return constant
    return f"{constant:.1f}" if constant == int(constant) else f"{constant:.12g}"


@insn("1111000 00001 rs1.. 000 rd... 1010011", FP_R, name="fli.s")
@insn("1111001 00001 rs1.. 000 rd... 1010011", FP_R, name="fli.d")
@syntax("frd, fli")
def fli(F, rd, rs1, fmt):
    fwrite(F, rd, FLI_BITS[fmt][rs1], fmt)


# funct3 (the rm field) is 2 for fminm, 3 for fmaxm.
@insn("0010100 rs2.. rs1.. 010 rd... 1010011", FP_R, name="fminm.s")
@insn("0010101 rs2.. rs1.. 010 rd... 1010011", FP_R, name="fminm.d")
@insn("0010100 rs2.. rs1.. 011 rd... 1010011", FP_R, name="fmaxm.s")
@insn("0010101 rs2.. rs1.. 011 rd... 1010011", FP_R, name="fmaxm.d")
@syntax("frd, frs1, frs2")
def fminm_fmaxm(F, C, rd, rs1, rs2, rm, fmt):
    a, b = fread(F, rs1, fmt), fread(F, rs2, fmt)
    if rm == 2:
        result = softfloat.minimum(FORMATS[fmt], a, b)
    else:
        result = softfloat.maximum(FORMATS[fmt], a, b)
    fwrite(F, rd, fflags(C, result), fmt)


# rs2 is 4 for fround, 5 for froundnx (which also raises NX when the value changes).
@insn("0100000 00100 rs1.. rm. rd... 1010011", FP_R, name="fround.s")
@insn("0100000 00101 rs1.. rm. rd... 1010011", FP_R, name="froundnx.s")
@insn("0100001 00100 rs1.. rm. rd... 1010011", FP_R, name="fround.d")
@insn("0100001 00101 rs1.. rm. rd... 1010011", FP_R, name="froundnx.d")
@syntax("frd, frs1, rm")
def fround(F, C, rd, rs1, rs2, rm, fmt):
    result = softfloat.round_to_integral(FORMATS[fmt], fread(F, rs1, fmt), rounding(C, rm),
                                         rs2 == 5)
    fwrite(F, rd, fflags(C, result), fmt)


@insn("1100001 01000 rs1.. 001 rd... 1010011", FP_R, name="fcvtmod.w.d")
@syntax("rd, frs1, rm")
def fcvtmod_w_d(X, F, C, rd, rs1):
    X[rd] = sx32(fflags(C, softfloat.to_int_modular(FORMATS[DOUBLE], F[rs1], 32)))


# funct3 (the rm field) is 4 for fleq, 5 for fltq.
@insn("1010000 rs2.. rs1.. 100 rd... 1010011", FP_R, name="fleq.s")
@insn("1010001 rs2.. rs1.. 100 rd... 1010011", FP_R, name="fleq.d")
@insn("1010000 rs2.. rs1.. 101 rd... 1010011", FP_R, name="fltq.s")
@insn("1010001 rs2.. rs1.. 101 rd... 1010011", FP_R, name="fltq.d")
@syntax("rd, frs1, frs2")
def fleq_fltq(X, F, C, rd, rs1, rs2, rm, fmt):
    a, b = fread(F, rs1, fmt), fread(F, rs2, fmt)
    if rm == 4:
        result = softfloat.le_quiet(FORMATS[fmt], a, b)
    else:
        result = softfloat.lt_quiet(FORMATS[fmt], a, b)
    X[rd] = fflags(C, result)


@insn("1110001 00001 rs1.. 000 rd... 1010011", FP_R, xlens=RV32)
@syntax("rd, frs1")
def fmvh_x_d(X, F, rd, rs1):
    X[rd] = sx(F[rs1] >> 32)


@insn("1011001 rs2.. rs1.. 000 rd... 1010011", FP_R, xlens=RV32)
@syntax("frd, rs1, rs2")
def fmvp_d_x(X, F, rd, rs1, rs2):
    F[rd] = (X[rs2] & MASK32) << 32 | (X[rs1] & MASK32)
