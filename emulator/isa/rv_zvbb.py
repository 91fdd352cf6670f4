"""Zvbb: vector basic bit manipulation (vector crypto spec, version 1.0), and Zvkt and Zkt,
which add no instructions: they promise data-independent timing, which an emulator keeps
by having no timing at all.

Zvbb's operations run through V's element loops (emulator.vector) with Zbb's helpers on
each element: rotates, and-not, bit and byte reversals, counts, and the widening shift left.
(ISA modules' globals share one namespace in translated blocks: a helper is defined once.)
"""

from ..vector import binary, widening
from .base import BitField, Extension, Format, Operand
from .rv_b import byte_reverse, leading_zeros, population, rotate_left, trailing_zeros
from .rv_v import OPIVI, OPIVV, OPIVX, OPMVV, V_UNARY, VIU, VV, VX, pattern

zvbb = Extension("Zvbb")
zvkt = Extension("Zvkt")
zkt = Extension("Zkt")

# vror.vi's rotate amount has six bits: imm[5] is funct6's low bit.
VI6 = Format("VI6", {"vd": VIU.operands["vd"], "vs2": VIU.operands["vs2"],
                     "imm": Operand((BitField("5", 26, 26), BitField("4:0", 19, 15))),
                     "vm": VIU.operands["vm"]}, "vd, vs2, imm, vm")


def reverse_bits(a: int, n: int) -> int:
    return int(f"{a:0{n}b}"[::-1], 2)


# op(a, b, bits, C) of the two-operand forms, by funct6.
ZVBB = {
    0x01: lambda a, b, n, C: a & ~b,  # vandn
    0x14: lambda a, b, n, C: rotate_left(a, -b, n),  # vror
    0x15: lambda a, b, n, C: rotate_left(a, b, n),  # vrol
}
# One-operand forms, by their vs1 field.
ZVBB_UNARY = {
    0b01000: lambda a, b, n, C: int.from_bytes(bytes(reverse_bits(x, 8)
                                                     for x in a.to_bytes(n // 8, "little")),
                                               "little"),  # vbrev8
    0b01001: lambda a, b, n, C: byte_reverse(a, n),  # vrev8
    0b01010: lambda a, b, n, C: reverse_bits(a, n),  # vbrev
    0b01100: lambda a, b, n, C: leading_zeros(a, n),  # vclz
    0b01101: lambda a, b, n, C: trailing_zeros(a, n),  # vctz
    0b01110: lambda a, b, n, C: population(a, n),  # vcpop.v
}
ZVBB_UNARY_NAMES = {0b01000: "vbrev8.v", 0b01001: "vrev8.v", 0b01010: "vbrev.v",
                    0b01100: "vclz.v", 0b01101: "vctz.v", 0b01110: "vcpop.v"}


def zvbb_vv(C, V, vd, vs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, ZVBB[funct6], vs1=vs1)


def zvbb_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, ZVBB[funct6], scalar=X[rs1])


@zvbb.insn("01010 . . ..... ..... 011 ..... 1010111", VI6, name="vror.vi")
def vror_vi(C, V, vd, imm, vs2, vm):
    binary(C, V, vd, vs2, vm, ZVBB[0x14], scalar=imm)


def zvbb_unary(C, V, vd, vs1, vs2, vm):
    binary(C, V, vd, vs2, vm, ZVBB_UNARY[vs1])


def widening_shift(a, b, n, C):
    """vwsll: vs2's element, zero-extended to 2 * SEW, shifted left."""
    return a << (b & (2 * n - 1))


def vwsll_vv(C, V, vd, vs1, vs2, vm):
    widening(C, V, vd, vs2, vm, widening_shift, vs1=vs1)


def vwsll_vx(X, C, V, vd, rs1, vs2, vm):
    widening(C, V, vd, vs2, vm, widening_shift, scalar=X[rs1])


def vwsll_vi(C, V, vd, imm, vs2, vm):
    widening(C, V, vd, vs2, vm, widening_shift, scalar=imm)


def declare_zvbb() -> None:
    for funct6, name in ((0x01, "vandn"), (0x14, "vror"), (0x15, "vrol")):
        zvbb.insn(pattern(funct6, OPIVV), VV, name=f"{name}.vv")(zvbb_vv)
        zvbb.insn(pattern(funct6, OPIVX), VX, name=f"{name}.vx")(zvbb_vx)
    for code, name in ZVBB_UNARY_NAMES.items():
        zvbb.insn(pattern(0x12, OPMVV, middle=f"..... {code:05b}"), V_UNARY,
                  name=name)(zvbb_unary)
    zvbb.insn(pattern(0x35, OPIVV), VV, name="vwsll.vv")(vwsll_vv)
    zvbb.insn(pattern(0x35, OPIVX), VX, name="vwsll.vx")(vwsll_vx)
    zvbb.insn(pattern(0x35, OPIVI), VIU, name="vwsll.vi")(vwsll_vi)


declare_zvbb()
