"""V's floating point (V 1.0, "Vector Floating-Point Instructions" and the floating-point
reductions): arithmetic, fused multiply-add, min/max, sign injection, comparisons, classes,
the 7-bit estimates (vfrsqrt7, vfrec7), moves, merges, slides, conversions (widening and
narrowing, rtz and rod) and reductions, at SEW 32 and 64 (Zvfhmin adds the conversions
between halves and singles; qemu's rva23u64 has no Zvfh, the half arithmetic). Elements are
computed by emulator.softfloat, as the scalar F and D instructions are, with the flags
accrued in fcsr.

These are V instructions (declared on rv_v's extension) in a module of their own. The
funct3 values: OPFVV 1 (vs1), OPFVF 5 (f[rs1]). Operations see (a, b, bits, C) like V's
integer ones: a from vs2, b from vs1 or the scalar, `bits` the SEW of the operation; fused
multiply-adds see (d, b, a, bits, C) with d from vd. The rounding mode is frm, which must
hold a valid mode (qemu raises illegal instruction otherwise) except for the conversions
with a static one (rtz, rod).
"""

from .. import softfloat
from ..cpu import FCSR, VLENB, VSTART, VTYPE
from ..semantics import box_s, fflags, illegal, rounding, unbox_s
from ..vector import (
    binary,
    compare,
    get,
    merge,
    narrowing,
    reduction,
    set_scalar,
    signed,
    slide,
    widening,
)
from .base import Extension, Format, reg
from .rv_v import FUNCT6, V_UNARY, VM, VV, declare_widening, pattern, v

# Zvfhmin has no instructions of its own: it lets vfwcvt.f.f.v and vfncvt.f.f.w run at SEW 16.
zvfhmin = Extension("Zvfhmin")
OPFVV, OPFVF = "001", "101"
VF = Format("VF", {"vd": reg(11, 7), "vs2": reg(24, 20), "rs1": reg(19, 15), "vm": VM,
                   "funct6": FUNCT6}, "vd, vs2, frs1, vm")
F_UNARY = Format("F_UNARY", {"rd": reg(11, 7), "vs2": reg(24, 20), "vm": VM},
                 "frd, vs2")

FLOAT_FORMATS = {16: softfloat.F16, 32: softfloat.F32, 64: softfloat.F64}
# The SEWs an operation accepts, by the widths its operands and result have in floating
# point: V's own (single, double), and those with halves that Zvfhmin's conversions add.
SAME_WIDTH, WIDENING_SEW, HALF_TO_SINGLE = (32, 64), (32,), (16, 32)
DYNAMIC = 7


def float_operation(C, sews: tuple[int, ...], rm: int = DYNAMIC) -> None:
    """The checks every vector floating-point instruction makes before touching an element:
    vtype legal, SEW among `sews`, and (rm dynamic) frm a valid rounding mode."""
    vtype = C[VTYPE]
    if vtype < 0 or 8 << ((vtype >> 3) & 7) not in sews:
        illegal()
    rounding(C, rm)


def frm(C) -> int:
    return (C[FCSR] >> 5) & 7


def scalar_operand(F, rs1: int, C) -> int:
    """f[rs1] at SEW: a single must be NaN-boxed (else it reads as the canonical NaN)."""
    bits = 8 << ((C[VTYPE] >> 3) & 7)
    return unbox_s(F[rs1]) if bits == 32 else F[rs1]


def scalar_result(value: int, bits: int) -> int:
    """An element put in an f register: singles NaN-boxed."""
    return box_s(value) if bits == 32 else value


# ---------------------------------------------------------------- arithmetic


def sign_injection(keep: int, sign_from: int, n: int, how: int) -> int:
    """vfsgnj (how 0), vfsgnjn (1), vfsgnjx (2): the magnitude of `keep` with a sign taken
    from `sign_from`, its opposite, or the two signs' exclusive or."""
    top = 1 << (n - 1)
    if how == 0:
        return (keep & (top - 1)) | (sign_from & top)
    if how == 1:
        return (keep & (top - 1)) | (~sign_from & top)
    return keep ^ (sign_from & top)


FLOAT_BINARY = {
    0x00: lambda a, b, n, C: fflags(C, softfloat.add(FLOAT_FORMATS[n], a, b, frm(C))),  # vfadd
    0x02: lambda a, b, n, C: fflags(C, softfloat.sub(FLOAT_FORMATS[n], a, b, frm(C))),  # vfsub
    0x04: lambda a, b, n, C: fflags(C, softfloat.min(FLOAT_FORMATS[n], a, b)),  # vfmin
    0x06: lambda a, b, n, C: fflags(C, softfloat.max(FLOAT_FORMATS[n], a, b)),  # vfmax
    0x08: lambda a, b, n, C: sign_injection(a, b, n, 0),  # vfsgnj
    0x09: lambda a, b, n, C: sign_injection(a, b, n, 1),  # vfsgnjn
    0x0A: lambda a, b, n, C: sign_injection(a, b, n, 2),  # vfsgnjx
    0x20: lambda a, b, n, C: fflags(C, softfloat.div(FLOAT_FORMATS[n], a, b, frm(C))),  # vfdiv
    0x21: lambda a, b, n, C: fflags(C, softfloat.div(FLOAT_FORMATS[n], b, a, frm(C))),  # vfrdiv
    0x24: lambda a, b, n, C: fflags(C, softfloat.mul(FLOAT_FORMATS[n], a, b, frm(C))),  # vfmul
    0x27: lambda a, b, n, C: fflags(C, softfloat.sub(FLOAT_FORMATS[n], b, a, frm(C))),  # vfrsub
}
FLOAT_BINARY_NAMES = {0x00: ("vfadd", "vv vf"), 0x02: ("vfsub", "vv vf"),
                      0x04: ("vfmin", "vv vf"), 0x06: ("vfmax", "vv vf"),
                      0x08: ("vfsgnj", "vv vf"), 0x09: ("vfsgnjn", "vv vf"),
                      0x0A: ("vfsgnjx", "vv vf"), 0x20: ("vfdiv", "vv vf"),
                      0x21: ("vfrdiv", "vf"), 0x24: ("vfmul", "vv vf"), 0x27: ("vfrsub", "vf")}


def fused(b: int, c: int, d: int, n: int, C, negate_product: bool, negate_addend: bool) -> int:
    return fflags(C, softfloat.fma(FLOAT_FORMATS[n], b, c, d, frm(C), negate_product,
                                   negate_addend))


# vfmacc and friends multiply vs1 (or f) by vs2 and add vd; vfmadd and friends multiply it
# by vd and add vs2.
FLOAT_MULTIPLY_ADD = {
    0x28: lambda d, b, a, n, C: fused(b, d, a, n, C, False, False),  # vfmadd
    0x29: lambda d, b, a, n, C: fused(b, d, a, n, C, True, True),  # vfnmadd
    0x2A: lambda d, b, a, n, C: fused(b, d, a, n, C, False, True),  # vfmsub
    0x2B: lambda d, b, a, n, C: fused(b, d, a, n, C, True, False),  # vfnmsub
    0x2C: lambda d, b, a, n, C: fused(b, a, d, n, C, False, False),  # vfmacc
    0x2D: lambda d, b, a, n, C: fused(b, a, d, n, C, True, True),  # vfnmacc
    0x2E: lambda d, b, a, n, C: fused(b, a, d, n, C, False, True),  # vfmsac
    0x2F: lambda d, b, a, n, C: fused(b, a, d, n, C, True, False),  # vfnmsac
}
FLOAT_MULTIPLY_ADD_NAMES = {0x28: "vfmadd", 0x29: "vfnmadd", 0x2A: "vfmsub", 0x2B: "vfnmsub",
                            0x2C: "vfmacc", 0x2D: "vfnmacc", 0x2E: "vfmsac", 0x2F: "vfnmsac"}


# ---------------------------------------------------------------- comparisons

FLOAT_COMPARE = {
    0x18: lambda a, b, n, C: fflags(C, softfloat.eq(FLOAT_FORMATS[n], a, b)),  # vmfeq
    0x19: lambda a, b, n, C: fflags(C, softfloat.le(FLOAT_FORMATS[n], a, b)),  # vmfle
    0x1B: lambda a, b, n, C: fflags(C, softfloat.lt(FLOAT_FORMATS[n], a, b)),  # vmflt
    0x1C: lambda a, b, n, C: 1 - fflags(C, softfloat.eq(FLOAT_FORMATS[n], a, b)),  # vmfne
    0x1D: lambda a, b, n, C: fflags(C, softfloat.lt(FLOAT_FORMATS[n], b, a)),  # vmfgt
    0x1F: lambda a, b, n, C: fflags(C, softfloat.le(FLOAT_FORMATS[n], b, a)),  # vmfge
}
FLOAT_COMPARE_NAMES = {0x18: ("vmfeq", "vv vf"), 0x19: ("vmfle", "vv vf"),
                       0x1B: ("vmflt", "vv vf"), 0x1C: ("vmfne", "vv vf"),
                       0x1D: ("vmfgt", "vf"), 0x1F: ("vmfge", "vf")}


def elementwise(C, V, vd, vs2, vm, funct6, vs1, scalar):
    """The same-width operations of OPFVV/OPFVF: arithmetic, multiply-adds, comparisons."""
    float_operation(C, SAME_WIDTH)
    if funct6 in FLOAT_COMPARE:
        compare(C, V, vd, vs2, vm, FLOAT_COMPARE[funct6], vs1=vs1, scalar=scalar)
    elif funct6 in FLOAT_MULTIPLY_ADD:
        binary(C, V, vd, vs2, vm, FLOAT_MULTIPLY_ADD[funct6], vs1=vs1, scalar=scalar,
               accumulate=True)
    else:
        binary(C, V, vd, vs2, vm, FLOAT_BINARY[funct6], vs1=vs1, scalar=scalar)


def float_vv(C, V, vd, vs1, vs2, vm, funct6):
    elementwise(C, V, vd, vs2, vm, funct6, vs1, 0)


def float_vf(F, C, V, vd, rs1, vs2, vm, funct6):
    elementwise(C, V, vd, vs2, vm, funct6, None, scalar_operand(F, rs1, C))


def declare_float_arithmetic() -> None:
    for funct6, (name, forms) in (FLOAT_BINARY_NAMES | FLOAT_COMPARE_NAMES).items():
        for form in forms.split():
            if form == "vv":
                v.insn(pattern(funct6, OPFVV), VV, name=f"{name}.vv")(float_vv)
            else:
                v.insn(pattern(funct6, OPFVF), VF, name=f"{name}.vf")(float_vf)
    for funct6, name in FLOAT_MULTIPLY_ADD_NAMES.items():
        v.insn(pattern(funct6, OPFVV), VV, name=f"{name}.vv", syntax="vd, vs1, vs2, vm")(float_vv)
        v.insn(pattern(funct6, OPFVF), VF, name=f"{name}.vf", syntax="vd, frs1, vs2, vm")(float_vf)


declare_float_arithmetic()


# ---------------------------------------------------------------- widening arithmetic
# Narrow operands are converted to 2 * SEW first (exactly; a signalling NaN raises NV), then
# the operation rounds once at 2 * SEW.


def widened(x: int, n: int, C) -> int:
    return fflags(C, softfloat.convert(FLOAT_FORMATS[n], FLOAT_FORMATS[2 * n], x, frm(C)))


FLOAT_WIDENING = {
    0x30: lambda a, b, n, C: fflags(C, softfloat.add(  # vfwadd
        FLOAT_FORMATS[2 * n], widened(a, n, C), widened(b, n, C), frm(C))),
    0x32: lambda a, b, n, C: fflags(C, softfloat.sub(  # vfwsub
        FLOAT_FORMATS[2 * n], widened(a, n, C), widened(b, n, C), frm(C))),
    0x34: lambda a, b, n, C: fflags(C, softfloat.add(  # vfwadd.w
        FLOAT_FORMATS[2 * n], a, widened(b, n, C), frm(C))),
    0x36: lambda a, b, n, C: fflags(C, softfloat.sub(  # vfwsub.w
        FLOAT_FORMATS[2 * n], a, widened(b, n, C), frm(C))),
    0x38: lambda a, b, n, C: fflags(C, softfloat.mul(  # vfwmul
        FLOAT_FORMATS[2 * n], widened(a, n, C), widened(b, n, C), frm(C))),
    0x3C: lambda d, b, a, n, C: fused(  # vfwmacc
        widened(b, n, C), widened(a, n, C), d, 2 * n, C, False, False),
    0x3D: lambda d, b, a, n, C: fused(  # vfwnmacc
        widened(b, n, C), widened(a, n, C), d, 2 * n, C, True, True),
    0x3E: lambda d, b, a, n, C: fused(  # vfwmsac
        widened(b, n, C), widened(a, n, C), d, 2 * n, C, False, True),
    0x3F: lambda d, b, a, n, C: fused(  # vfwnmsac
        widened(b, n, C), widened(a, n, C), d, 2 * n, C, True, False),
}
FLOAT_WIDENING_NAMES = {0x30: ("vfwadd", "vv vf"), 0x32: ("vfwsub", "vv vf"),
                        0x34: ("vfwadd", "wv wf"), 0x36: ("vfwsub", "wv wf"),
                        0x38: ("vfwmul", "vv vf"), 0x3C: ("vfwmacc", "vv vf"),
                        0x3D: ("vfwnmacc", "vv vf"), 0x3E: ("vfwmsac", "vv vf"),
                        0x3F: ("vfwnmsac", "vv vf")}
FLOAT_WIDE_SOURCE = (0x34, 0x36)
FLOAT_ACCUMULATING = range(0x3C, 0x40)


def float_widen_vv(C, V, vd, vs1, vs2, vm, funct6):
    float_operation(C, WIDENING_SEW)
    widening(C, V, vd, vs2, vm, FLOAT_WIDENING[funct6], vs1=vs1,
             wide_vs2=funct6 in FLOAT_WIDE_SOURCE, accumulate=funct6 in FLOAT_ACCUMULATING)


def float_widen_vf(F, C, V, vd, rs1, vs2, vm, funct6):
    float_operation(C, WIDENING_SEW)
    widening(C, V, vd, vs2, vm, FLOAT_WIDENING[funct6], scalar=scalar_operand(F, rs1, C),
             wide_vs2=funct6 in FLOAT_WIDE_SOURCE, accumulate=funct6 in FLOAT_ACCUMULATING)


declare_widening(FLOAT_WIDENING_NAMES, FLOAT_ACCUMULATING,
                 (OPFVV, VV, float_widen_vv, "vs1"), (OPFVF, VF, float_widen_vf, "frs1"))


# ---------------------------------------------------------------- unary operations
# VFUNARY1 (funct6 0x13): the operation in vs1.

FLOAT_UNARY = {
    0b00000: lambda a, b, n, C: fflags(C, softfloat.sqrt(FLOAT_FORMATS[n], a, frm(C))),
    0b00100: lambda a, b, n, C: fflags(C, softfloat.rsqrt_estimate(FLOAT_FORMATS[n], a)),
    0b00101: lambda a, b, n, C: fflags(C, softfloat.reciprocal_estimate(FLOAT_FORMATS[n], a,
                                                                        frm(C))),
    0b10000: lambda a, b, n, C: softfloat.classify(FLOAT_FORMATS[n], a),
}


@v.insn(pattern(0x13, OPFVV, middle="..... 00000"), V_UNARY, name="vfsqrt.v")
@v.insn(pattern(0x13, OPFVV, middle="..... 00100"), V_UNARY, name="vfrsqrt7.v")
@v.insn(pattern(0x13, OPFVV, middle="..... 00101"), V_UNARY, name="vfrec7.v")
@v.insn(pattern(0x13, OPFVV, middle="..... 10000"), V_UNARY, name="vfclass.v")
def float_unary(C, V, vd, vs1, vs2, vm):
    float_operation(C, SAME_WIDTH)
    binary(C, V, vd, vs2, vm, FLOAT_UNARY[vs1])


# ---------------------------------------------------------------- conversions
# VFUNARY0 (funct6 0x12), the conversion in vs1: (shape, SEWs, static rounding mode, op),
# `bits` being SEW; a widening conversion's result and a narrowing one's source are 2 * SEW.


def float_to_integer(fmt_bits: int, a: int, rm: int, bits: int, signed_result: bool, C) -> int:
    return fflags(C, softfloat.to_int(FLOAT_FORMATS[fmt_bits], a, rm, bits, signed_result))


def integer_to_float(fmt_bits: int, value: int, rm: int, C) -> int:
    return fflags(C, softfloat.from_int(FLOAT_FORMATS[fmt_bits], value, rm))


def float_to_float(from_bits: int, to_bits: int, a: int, rm: int, C) -> int:
    return fflags(C, softfloat.convert(FLOAT_FORMATS[from_bits], FLOAT_FORMATS[to_bits], a, rm))


RTZ, ROD = softfloat.RTZ, softfloat.ROD
SAME, WIDEN, NARROW = 0, 1, 2
CONVERSIONS = {
    0b00000: ("vfcvt.xu.f.v", SAME, SAME_WIDTH, DYNAMIC,
              lambda a, b, n, C: float_to_integer(n, a, frm(C), n, False, C)),
    0b00001: ("vfcvt.x.f.v", SAME, SAME_WIDTH, DYNAMIC,
              lambda a, b, n, C: float_to_integer(n, a, frm(C), n, True, C)),
    0b00010: ("vfcvt.f.xu.v", SAME, SAME_WIDTH, DYNAMIC,
              lambda a, b, n, C: integer_to_float(n, a, frm(C), C)),
    0b00011: ("vfcvt.f.x.v", SAME, SAME_WIDTH, DYNAMIC,
              lambda a, b, n, C: integer_to_float(n, signed(a, n), frm(C), C)),
    0b00110: ("vfcvt.rtz.xu.f.v", SAME, SAME_WIDTH, RTZ,
              lambda a, b, n, C: float_to_integer(n, a, RTZ, n, False, C)),
    0b00111: ("vfcvt.rtz.x.f.v", SAME, SAME_WIDTH, RTZ,
              lambda a, b, n, C: float_to_integer(n, a, RTZ, n, True, C)),
    0b01000: ("vfwcvt.xu.f.v", WIDEN, WIDENING_SEW, DYNAMIC,
              lambda a, b, n, C: float_to_integer(n, a, frm(C), 2 * n, False, C)),
    0b01001: ("vfwcvt.x.f.v", WIDEN, WIDENING_SEW, DYNAMIC,
              lambda a, b, n, C: float_to_integer(n, a, frm(C), 2 * n, True, C)),
    0b01010: ("vfwcvt.f.xu.v", WIDEN, HALF_TO_SINGLE, DYNAMIC,
              lambda a, b, n, C: integer_to_float(2 * n, a, frm(C), C)),
    0b01011: ("vfwcvt.f.x.v", WIDEN, HALF_TO_SINGLE, DYNAMIC,
              lambda a, b, n, C: integer_to_float(2 * n, signed(a, n), frm(C), C)),
    0b01100: ("vfwcvt.f.f.v", WIDEN, HALF_TO_SINGLE, DYNAMIC,
              lambda a, b, n, C: float_to_float(n, 2 * n, a, frm(C), C)),
    0b01110: ("vfwcvt.rtz.xu.f.v", WIDEN, WIDENING_SEW, RTZ,
              lambda a, b, n, C: float_to_integer(n, a, RTZ, 2 * n, False, C)),
    0b01111: ("vfwcvt.rtz.x.f.v", WIDEN, WIDENING_SEW, RTZ,
              lambda a, b, n, C: float_to_integer(n, a, RTZ, 2 * n, True, C)),
    0b10000: ("vfncvt.xu.f.w", NARROW, HALF_TO_SINGLE, DYNAMIC,
              lambda a, b, n, C: float_to_integer(2 * n, a, frm(C), n, False, C)),
    0b10001: ("vfncvt.x.f.w", NARROW, HALF_TO_SINGLE, DYNAMIC,
              lambda a, b, n, C: float_to_integer(2 * n, a, frm(C), n, True, C)),
    0b10010: ("vfncvt.f.xu.w", NARROW, WIDENING_SEW, DYNAMIC,
              lambda a, b, n, C: integer_to_float(n, a, frm(C), C)),
    0b10011: ("vfncvt.f.x.w", NARROW, WIDENING_SEW, DYNAMIC,
              lambda a, b, n, C: integer_to_float(n, signed(a, 2 * n), frm(C), C)),
    0b10100: ("vfncvt.f.f.w", NARROW, HALF_TO_SINGLE, DYNAMIC,
              lambda a, b, n, C: float_to_float(2 * n, n, a, frm(C), C)),
    0b10101: ("vfncvt.rod.f.f.w", NARROW, WIDENING_SEW, RTZ,
              lambda a, b, n, C: float_to_float(2 * n, n, a, ROD, C)),
    0b10110: ("vfncvt.rtz.xu.f.w", NARROW, HALF_TO_SINGLE, RTZ,
              lambda a, b, n, C: float_to_integer(2 * n, a, RTZ, n, False, C)),
    0b10111: ("vfncvt.rtz.x.f.w", NARROW, HALF_TO_SINGLE, RTZ,
              lambda a, b, n, C: float_to_integer(2 * n, a, RTZ, n, True, C)),
}
CONVERSION_LOOPS = {SAME: binary, WIDEN: widening, NARROW: narrowing}


def float_convert(C, V, vd, vs1, vs2, vm):
    _, shape, sews, rm, op = CONVERSIONS[vs1]
    float_operation(C, sews, rm)
    CONVERSION_LOOPS[shape](C, V, vd, vs2, vm, op)


def declare_conversions() -> None:
    for operation, (name, *_) in CONVERSIONS.items():
        v.insn(pattern(0x12, OPFVV, middle=f"..... {operation:05b}"), V_UNARY,
               name=name)(float_convert)


declare_conversions()


# ---------------------------------------------------------------- moves, merges, slides


@v.insn(pattern(0x17, OPFVF, vm="0"), VF, name="vfmerge.vfm", syntax="vd, vs2, frs1, v0")
@v.insn(pattern(0x17, OPFVF, vm="1", middle="00000 ....."), VF, name="vfmv.v.f",
        syntax="vd, frs1")
def float_merge(F, C, V, vd, rs1, vs2, vm):
    float_operation(C, SAME_WIDTH)
    merge(C, V, vd, vs2, vm, scalar=scalar_operand(F, rs1, C))


@v.insn(pattern(0x10, OPFVV, vm="1", middle="..... 00000"), F_UNARY, name="vfmv.f.s")
def vfmv_f_s(F, C, V, rd, vs2):
    """f[rd] = vs2[0], whatever vl and vstart."""
    float_operation(C, SAME_WIDTH)
    bits = 8 << ((C[VTYPE] >> 3) & 7)
    F[rd] = scalar_result(get(V, C[VLENB], vs2, 0, bits // 8), bits)
    C[VSTART] = 0


@v.insn(pattern(0x10, OPFVF, vm="1", middle="00000 ....."), VF, name="vfmv.s.f",
        syntax="vd, frs1")
def vfmv_s_f(F, C, V, vd, rs1):
    float_operation(C, SAME_WIDTH)
    set_scalar(C, V, vd, scalar_operand(F, rs1, C))


@v.insn(pattern(0x0E, OPFVF), VF, name="vfslide1up.vf")
@v.insn(pattern(0x0F, OPFVF), VF, name="vfslide1down.vf")
def float_slide1(F, C, V, vd, rs1, vs2, vm, funct6):
    float_operation(C, SAME_WIDTH)
    slide(C, V, vd, vs2, vm, 1, funct6 == 0x0E, fill=scalar_operand(F, rs1, C))


# ---------------------------------------------------------------- reductions
# In element order, both the ordered sums and the unordered ones (as qemu does); the widening
# sums convert each element to 2 * SEW first. `bits` is the accumulator's width.

FLOAT_REDUCTION = {
    0x01: lambda acc, x, n, C: fflags(C, softfloat.add(FLOAT_FORMATS[n], acc, x, frm(C))),
    0x03: lambda acc, x, n, C: fflags(C, softfloat.add(FLOAT_FORMATS[n], acc, x, frm(C))),
    0x05: lambda acc, x, n, C: fflags(C, softfloat.min(FLOAT_FORMATS[n], acc, x)),
    0x07: lambda acc, x, n, C: fflags(C, softfloat.max(FLOAT_FORMATS[n], acc, x)),
    0x31: lambda acc, x, n, C: fflags(C, softfloat.add(
        FLOAT_FORMATS[n], acc, widened(x, n // 2, C), frm(C))),
    0x33: lambda acc, x, n, C: fflags(C, softfloat.add(
        FLOAT_FORMATS[n], acc, widened(x, n // 2, C), frm(C))),
}


FLOAT_REDUCTION_NAMES = {0x01: "vfredusum", 0x03: "vfredosum", 0x05: "vfredmin",
                         0x07: "vfredmax", 0x31: "vfwredusum", 0x33: "vfwredosum"}


def float_reduce_vs(C, V, vd, vs1, vs2, vm, funct6):
    wide = funct6 >= 0x30
    float_operation(C, WIDENING_SEW if wide else SAME_WIDTH)
    reduction(C, V, vd, vs2, vs1, vm, FLOAT_REDUCTION[funct6], widen=int(wide))


def declare_float_reductions() -> None:
    for funct6, name in FLOAT_REDUCTION_NAMES.items():
        v.insn(pattern(funct6, OPFVV), VV, name=f"{name}.vs")(float_reduce_vs)


declare_float_reductions()


# ---------------------------------------------------------------- pseudo-instructions

v.alias("vfneg.v", "vfsgnjn.vv", "vd, vs2, vm", equal=("vs1", "vs2"))
v.alias("vfabs.v", "vfsgnjx.vv", "vd, vs2, vm", equal=("vs1", "vs2"))
