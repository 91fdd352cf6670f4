"""F and D: single- and double-precision floating point (unprivileged spec, chapters 20-21).

One semantic function serves both precisions: the format's `fmt` operand is the instruction's
fmt field (0: single, 1: double), and `fread`/`fwrite` unbox and NaN-box singles. Arithmetic
is exact IEEE 754 from emulator.softfloat, with the exception flags accrued in fcsr.
"""

from .. import softfloat
from ..semantics import MASK32, MASK64, box_s, fflags, rounding, sx, sx32, unbox_s, ux
from .base import RD, RM, RS1, RS2, RS3, Extension, Format, I, S, field_, syntax

f_ext = Extension("F")
d_ext = Extension("D")
RV64 = (64,)

FMT = field_("1:0", 26, 25)
WIDTH = field_("2:0", 14, 12)
FP_R = Format("FP_R", {"rd": RD, "rs1": RS1, "rs2": RS2, "rm": RM, "fmt": FMT},
              "frd, frs1, frs2, rm")
FP_R4 = Format("FP_R4", {"rd": RD, "rs1": RS1, "rs2": RS2, "rs3": RS3, "rm": RM, "fmt": FMT},
               "frd, frs1, frs2, frs3, rm")
FP_LOAD = Format("FP_LOAD", {**I.operands, "w": WIDTH}, "frd, imm(rs1)")
FP_STORE = Format("FP_STORE", {**S.operands, "w": WIDTH}, "frs2, imm(rs1)")

# Conversions to double from a 32-bit integer are exact: assemblers encode rm 0 and do not
# show it.
EXACT = "frd, rs1, rm0"
FORMATS = (softfloat.F32, softfloat.F64)
SIGN = (1 << 31, 1 << 63)


def fread(F, r: int, fmt: int) -> int:
    return unbox_s(F[r]) if fmt == 0 else F[r]


def fwrite(F, r: int, bits: int, fmt: int) -> None:
    F[r] = box_s(bits) if fmt == 0 else bits


# ---------------------------------------------------------------- loads and stores


@f_ext.insn("imm......... rs1.. 010 rd... 0000111", FP_LOAD, name="flw")
@d_ext.insn("imm......... rs1.. 011 rd... 0000111", FP_LOAD, name="fld")
def fl(F, X, M, rd, rs1, imm, w):
    bits = M.load(ux(X[rs1] + imm), 1 << w, False)
    F[rd] = box_s(bits) if w == 2 else bits


@f_ext.insn("imm.... rs2.. rs1.. 010 imm.. 0100111", FP_STORE, name="fsw")
@d_ext.insn("imm.... rs2.. rs1.. 011 imm.. 0100111", FP_STORE, name="fsd")
def fs(F, X, M, rs1, rs2, imm, w):
    M.store(ux(X[rs1] + imm), 1 << w, F[rs2])


# ---------------------------------------------------------------- arithmetic


@f_ext.insn("0000000 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fadd.s")
@d_ext.insn("0000001 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fadd.d")
def fadd(F, C, rd, rs1, rs2, rm, fmt):
    result = softfloat.add(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt), rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("0000100 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fsub.s")
@d_ext.insn("0000101 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fsub.d")
def fsub(F, C, rd, rs1, rs2, rm, fmt):
    result = softfloat.sub(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt), rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("0001000 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fmul.s")
@d_ext.insn("0001001 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fmul.d")
def fmul(F, C, rd, rs1, rs2, rm, fmt):
    result = softfloat.mul(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt), rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("0001100 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fdiv.s")
@d_ext.insn("0001101 rs2.. rs1.. rm. rd... 1010011", FP_R, name="fdiv.d")
def fdiv(F, C, rd, rs1, rs2, rm, fmt):
    result = softfloat.div(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt), rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("0101100 00000 rs1.. rm. rd... 1010011", FP_R, name="fsqrt.s")
@d_ext.insn("0101101 00000 rs1.. rm. rd... 1010011", FP_R, name="fsqrt.d")
@syntax("frd, frs1, rm")
def fsqrt(F, C, rd, rs1, rm, fmt):
    result = softfloat.sqrt(FORMATS[fmt], fread(F, rs1, fmt), rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("rs3.. 00 rs2.. rs1.. rm. rd... 1000011", FP_R4, name="fmadd.s")
@d_ext.insn("rs3.. 01 rs2.. rs1.. rm. rd... 1000011", FP_R4, name="fmadd.d")
def fmadd(F, C, rd, rs1, rs2, rs3, rm, fmt):
    a, b, c = fread(F, rs1, fmt), fread(F, rs2, fmt), fread(F, rs3, fmt)
    result = softfloat.fma(FORMATS[fmt], a, b, c, rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("rs3.. 00 rs2.. rs1.. rm. rd... 1000111", FP_R4, name="fmsub.s")
@d_ext.insn("rs3.. 01 rs2.. rs1.. rm. rd... 1000111", FP_R4, name="fmsub.d")
def fmsub(F, C, rd, rs1, rs2, rs3, rm, fmt):
    a, b, c = fread(F, rs1, fmt), fread(F, rs2, fmt), fread(F, rs3, fmt)
    result = softfloat.fma(FORMATS[fmt], a, b, c, rounding(C, rm), negate_addend=True)
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("rs3.. 00 rs2.. rs1.. rm. rd... 1001011", FP_R4, name="fnmsub.s")
@d_ext.insn("rs3.. 01 rs2.. rs1.. rm. rd... 1001011", FP_R4, name="fnmsub.d")
def fnmsub(F, C, rd, rs1, rs2, rs3, rm, fmt):
    a, b, c = fread(F, rs1, fmt), fread(F, rs2, fmt), fread(F, rs3, fmt)
    result = softfloat.fma(FORMATS[fmt], a, b, c, rounding(C, rm), negate_product=True)
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("rs3.. 00 rs2.. rs1.. rm. rd... 1001111", FP_R4, name="fnmadd.s")
@d_ext.insn("rs3.. 01 rs2.. rs1.. rm. rd... 1001111", FP_R4, name="fnmadd.d")
def fnmadd(F, C, rd, rs1, rs2, rs3, rm, fmt):
    a, b, c = fread(F, rs1, fmt), fread(F, rs2, fmt), fread(F, rs3, fmt)
    result = softfloat.fma(
        FORMATS[fmt], a, b, c, rounding(C, rm), negate_product=True, negate_addend=True
    )
    fwrite(F, rd, fflags(C, result), fmt)


# ---------------------------------------------------------------- sign injection, min/max


@f_ext.insn("0010000 rs2.. rs1.. 000 rd... 1010011", FP_R, name="fsgnj.s")
@d_ext.insn("0010001 rs2.. rs1.. 000 rd... 1010011", FP_R, name="fsgnj.d")
@syntax("frd, frs1, frs2")
def fsgnj(F, rd, rs1, rs2, fmt):
    a, b = fread(F, rs1, fmt), fread(F, rs2, fmt)
    fwrite(F, rd, (a & ~SIGN[fmt]) | (b & SIGN[fmt]), fmt)


@f_ext.insn("0010000 rs2.. rs1.. 001 rd... 1010011", FP_R, name="fsgnjn.s")
@d_ext.insn("0010001 rs2.. rs1.. 001 rd... 1010011", FP_R, name="fsgnjn.d")
@syntax("frd, frs1, frs2")
def fsgnjn(F, rd, rs1, rs2, fmt):
    a, b = fread(F, rs1, fmt), fread(F, rs2, fmt)
    fwrite(F, rd, (a & ~SIGN[fmt]) | (~b & SIGN[fmt]), fmt)


@f_ext.insn("0010000 rs2.. rs1.. 010 rd... 1010011", FP_R, name="fsgnjx.s")
@d_ext.insn("0010001 rs2.. rs1.. 010 rd... 1010011", FP_R, name="fsgnjx.d")
@syntax("frd, frs1, frs2")
def fsgnjx(F, rd, rs1, rs2, fmt):
    a, b = fread(F, rs1, fmt), fread(F, rs2, fmt)
    fwrite(F, rd, a ^ (b & SIGN[fmt]), fmt)


@f_ext.insn("0010100 rs2.. rs1.. 000 rd... 1010011", FP_R, name="fmin.s")
@d_ext.insn("0010101 rs2.. rs1.. 000 rd... 1010011", FP_R, name="fmin.d")
@syntax("frd, frs1, frs2")
def fmin(F, C, rd, rs1, rs2, fmt):
    result = softfloat.min(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("0010100 rs2.. rs1.. 001 rd... 1010011", FP_R, name="fmax.s")
@d_ext.insn("0010101 rs2.. rs1.. 001 rd... 1010011", FP_R, name="fmax.d")
@syntax("frd, frs1, frs2")
def fmax(F, C, rd, rs1, rs2, fmt):
    result = softfloat.max(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt))
    fwrite(F, rd, fflags(C, result), fmt)


# ---------------------------------------------------------------- comparisons, class


@f_ext.insn("1010000 rs2.. rs1.. 010 rd... 1010011", FP_R, name="feq.s")
@d_ext.insn("1010001 rs2.. rs1.. 010 rd... 1010011", FP_R, name="feq.d")
@syntax("rd, frs1, frs2")
def feq(X, F, C, rd, rs1, rs2, fmt):
    X[rd] = fflags(C, softfloat.eq(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt)))


@f_ext.insn("1010000 rs2.. rs1.. 001 rd... 1010011", FP_R, name="flt.s")
@d_ext.insn("1010001 rs2.. rs1.. 001 rd... 1010011", FP_R, name="flt.d")
@syntax("rd, frs1, frs2")
def flt(X, F, C, rd, rs1, rs2, fmt):
    X[rd] = fflags(C, softfloat.lt(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt)))


@f_ext.insn("1010000 rs2.. rs1.. 000 rd... 1010011", FP_R, name="fle.s")
@d_ext.insn("1010001 rs2.. rs1.. 000 rd... 1010011", FP_R, name="fle.d")
@syntax("rd, frs1, frs2")
def fle(X, F, C, rd, rs1, rs2, fmt):
    X[rd] = fflags(C, softfloat.le(FORMATS[fmt], fread(F, rs1, fmt), fread(F, rs2, fmt)))


@f_ext.insn("1110000 00000 rs1.. 001 rd... 1010011", FP_R, name="fclass.s")
@d_ext.insn("1110001 00000 rs1.. 001 rd... 1010011", FP_R, name="fclass.d")
@syntax("rd, frs1")
def fclass(X, F, rd, rs1, fmt):
    X[rd] = softfloat.classify(FORMATS[fmt], fread(F, rs1, fmt))


# ---------------------------------------------------------------- conversions and moves
# In fcvt between integers and floats, rs2 selects the integer: 0 w, 1 wu, 2 l, 3 lu.


@f_ext.insn("1100000 00000 rs1.. rm. rd... 1010011", FP_R, name="fcvt.w.s")
@f_ext.insn("1100000 00001 rs1.. rm. rd... 1010011", FP_R, name="fcvt.wu.s")
@f_ext.insn("1100000 00010 rs1.. rm. rd... 1010011", FP_R, name="fcvt.l.s", xlens=RV64)
@f_ext.insn("1100000 00011 rs1.. rm. rd... 1010011", FP_R, name="fcvt.lu.s", xlens=RV64)
@d_ext.insn("1100001 00000 rs1.. rm. rd... 1010011", FP_R, name="fcvt.w.d")
@d_ext.insn("1100001 00001 rs1.. rm. rd... 1010011", FP_R, name="fcvt.wu.d")
@d_ext.insn("1100001 00010 rs1.. rm. rd... 1010011", FP_R, name="fcvt.l.d", xlens=RV64)
@d_ext.insn("1100001 00011 rs1.. rm. rd... 1010011", FP_R, name="fcvt.lu.d", xlens=RV64)
@syntax("rd, frs1, rm")
def fcvt_to_int(X, F, C, rd, rs1, rs2, rm, fmt):
    width = 32 if rs2 < 2 else 64
    value = softfloat.to_int(FORMATS[fmt], fread(F, rs1, fmt), rounding(C, rm), width,
                             rs2 % 2 == 0)
    X[rd] = sx32(fflags(C, value)) if width == 32 else sx(fflags(C, value))


@f_ext.insn("1101000 00000 rs1.. rm. rd... 1010011", FP_R, name="fcvt.s.w")
@f_ext.insn("1101000 00001 rs1.. rm. rd... 1010011", FP_R, name="fcvt.s.wu")
@f_ext.insn("1101000 00010 rs1.. rm. rd... 1010011", FP_R, name="fcvt.s.l", xlens=RV64)
@f_ext.insn("1101000 00011 rs1.. rm. rd... 1010011", FP_R, name="fcvt.s.lu", xlens=RV64)
@d_ext.insn("1101001 00000 rs1.. rm. rd... 1010011", FP_R, name="fcvt.d.w", syntax=EXACT)
@d_ext.insn("1101001 00001 rs1.. rm. rd... 1010011", FP_R, name="fcvt.d.wu", syntax=EXACT)
@d_ext.insn("1101001 00010 rs1.. rm. rd... 1010011", FP_R, name="fcvt.d.l", xlens=RV64)
@d_ext.insn("1101001 00011 rs1.. rm. rd... 1010011", FP_R, name="fcvt.d.lu", xlens=RV64)
@syntax("frd, rs1, rm")
def fcvt_from_int(X, F, C, rd, rs1, rs2, rm, fmt):
    value = X[rs1]
    if rs2 < 2:
        value = sx32(value) if rs2 == 0 else value & MASK32
    result = softfloat.from_int(FORMATS[fmt], value, rounding(C, rm), unsigned=rs2 == 3)
    fwrite(F, rd, fflags(C, result), fmt)


@d_ext.insn("0100000 00001 rs1.. rm. rd... 1010011", FP_R, name="fcvt.s.d")
@d_ext.insn("0100001 00000 rs1.. rm. rd... 1010011", FP_R, name="fcvt.d.s",
            syntax="frd, frs1, rm0")
@syntax("frd, frs1, rm")
def fcvt_between(F, C, rd, rs1, rm, fmt):
    source = 1 - fmt
    result = softfloat.convert(FORMATS[source], FORMATS[fmt], fread(F, rs1, source),
                               rounding(C, rm))
    fwrite(F, rd, fflags(C, result), fmt)


@f_ext.insn("1110000 00000 rs1.. 000 rd... 1010011", FP_R, name="fmv.x.w")
@d_ext.insn("1110001 00000 rs1.. 000 rd... 1010011", FP_R, name="fmv.x.d", xlens=RV64)
@syntax("rd, frs1")
def fmv_to_int(X, F, rd, rs1, fmt):
    X[rd] = sx32(F[rs1]) if fmt == 0 else sx(F[rs1])


@f_ext.insn("1111000 00000 rs1.. 000 rd... 1010011", FP_R, name="fmv.w.x")
@d_ext.insn("1111001 00000 rs1.. 000 rd... 1010011", FP_R, name="fmv.d.x", xlens=RV64)
@syntax("frd, rs1")
def fmv_from_int(X, F, rd, rs1, fmt):
    fwrite(F, rd, X[rs1] & (MASK32 if fmt == 0 else MASK64), fmt)


# ---------------------------------------------------------------- pseudo-instructions

for extension, suffix in ((f_ext, "s"), (d_ext, "d")):
    for pseudo, base in (("fmv", "fsgnj"), ("fneg", "fsgnjn"), ("fabs", "fsgnjx")):
        extension.alias(f"{pseudo}.{suffix}", f"{base}.{suffix}", "frd, frs1",
                        equal=("rs1", "rs2"))
