"""V: the vector extension, version 1.0 (unprivileged spec, chapter "V"): its configuration,
loads and stores, integer and fixed-point arithmetic, mask instructions, reductions and
permutations. Its floating-point instructions are declared in rv_vf.py.

The OP-V encodings share one layout: funct6, vm, vs2, vs1 (or rs1, or a 5-bit immediate),
funct3 (the operand kind: OPIVV 0, OPMVV 2, OPIVI 3, OPIVX 4, OPMVX 6, OPCFG 7) and vd. Each
mnemonic is declared once here from tables of funct6 values; its semantic function serves
every operation of its kind and picks the operation by the funct6 operand, so the element
loops (emulator.vector) are written once. Elements are unsigned ints of SEW bits; the
operations below see (a, b, bits, C): a from vs2, b from vs1, the scalar or the immediate.
"""

from ..cpu import DISCARD, VL
from ..semantics import XLEN, ux
from ..vector import (
    FAULT_FIRST,
    INDEXED_ORDERED,
    INDEXED_UNORDERED,
    MASK,
    STRIDED,
    UNIT,
    UNIT_STRIDE,
    WHOLE,
    binary,
    carry,
    compare,
    compress,
    count_population,
    element_index,
    extend,
    find_first,
    gather,
    iota,
    mask_logical,
    memory_access,
    merge,
    move_whole,
    narrowing,
    reduction,
    rounded_shift,
    saturate,
    scalar_of,
    set_before_first,
    set_scalar,
    set_vtype,
    signed,
    slide,
    widening,
)
from .base import Extension, Format, field_, reg

v = Extension("V")

VD, VS2, VS1 = reg(11, 7), reg(24, 20), reg(19, 15)
VM = field_("0", 25, 25)
FUNCT6 = field_("5:0", 31, 26)
SIMM5 = field_("4:0", 19, 15, signed=True)
UIMM5 = field_("4:0", 19, 15)

VV = Format("VV", {"vd": VD, "vs2": VS2, "vs1": VS1, "vm": VM, "funct6": FUNCT6},
            "vd, vs2, vs1, vm")
VX = Format("VX", {"vd": VD, "vs2": VS2, "rs1": VS1, "vm": VM, "funct6": FUNCT6},
            "vd, vs2, rs1, vm")
VI = Format("VI", {"vd": VD, "vs2": VS2, "imm": SIMM5, "vm": VM, "funct6": FUNCT6},
            "vd, vs2, imm, vm")
VIU = Format("VIU", {"vd": VD, "vs2": VS2, "imm": UIMM5, "vm": VM, "funct6": FUNCT6},
             "vd, vs2, imm, vm")
# Unary forms name their operation in the vs1 field.
V_UNARY = Format("V_UNARY", {"vd": VD, "vs2": VS2, "vs1": VS1, "vm": VM}, "vd, vs2, vm")
X_UNARY = Format("X_UNARY", {"rd": VD, "vs2": VS2, "vm": VM}, "rd, vs2, vm")

OPIVV, OPMVV, OPIVI, OPIVX, OPMVX = "000", "010", "011", "100", "110"
KIND = {"vv": OPIVV, "vx": OPIVX, "vi": OPIVI}
MVKIND = {"vv": OPMVV, "vx": OPMVX}


def pattern(funct6: int, funct3: str, vm: str = ".", middle: str = "..... .....") -> str:
    return f"{funct6:06b} {vm} {middle} {funct3} ..... 1010111"


# ---------------------------------------------------------------- configuration

VSETVLI = Format("VSETVLI", {"rd": reg(11, 7), "rs1": reg(19, 15),
                             "imm": field_("10:0", 30, 20)}, "rd, rs1, vtypei")
VSETIVLI = Format("VSETIVLI", {"rd": reg(11, 7), "uimm": UIMM5, "imm": field_("9:0", 29, 20)},
                  "rd, uimm, vtypei")
VSETVL = Format("VSETVL", {"rd": reg(11, 7), "rs1": reg(19, 15), "rs2": reg(24, 20)},
                "rd, rs1, rs2")


def requested_avl(X, C, rd: int, rs1: int) -> int | None:
    """The AVL of vsetvl(i): rs1's value; VLMAX (None) when rs1 is x0; the current vl when
    rd is x0 too (a change of vtype that keeps vl)."""
    if rs1:
        return ux(X[rs1])
    return C[VL] if rd in (0, DISCARD) else None


@v.insn("0 imm........ rs1.. 111 rd... 1010111", VSETVLI)
def vsetvli(X, C, rd, rs1, imm):
    X[rd] = set_vtype(C, imm, requested_avl(X, C, rd, rs1), XLEN)


@v.insn("11 imm....... uimm. 111 rd... 1010111", VSETIVLI)
def vsetivli(X, C, rd, uimm, imm):
    X[rd] = set_vtype(C, imm, uimm, XLEN)


@v.insn("1000000 rs2.. rs1.. 111 rd... 1010111", VSETVL)
def vsetvl(X, C, rd, rs1, rs2):
    X[rd] = set_vtype(C, X[rs2], requested_avl(X, C, rd, rs1), XLEN)


# ---------------------------------------------------------------- integer operations


def _signed_div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def signed_quotient(a, b, n, C):
    x, y = signed(a, n), signed(b, n)
    if y == 0:
        return -1
    if x == -(1 << (n - 1)) and y == -1:
        return x  # overflow: the dividend
    return _signed_div(x, y)


def signed_remainder(a, b, n, C):
    x, y = signed(a, n), signed(b, n)
    if y == 0:
        return x
    if x == -(1 << (n - 1)) and y == -1:
        return 0
    return x - y * _signed_div(x, y)


def saturating_add(a, b, n, C):
    return saturate(C, signed(a, n) + signed(b, n), -(1 << (n - 1)), (1 << (n - 1)) - 1)


def saturating_sub(a, b, n, C):
    return saturate(C, signed(a, n) - signed(b, n), -(1 << (n - 1)), (1 << (n - 1)) - 1)


def fractional_multiply(a, b, n, C):
    """vsmul: the signed product, rounded and shifted right by SEW - 1, saturated."""
    product = rounded_shift(C, signed(a, n) * signed(b, n), n - 1)
    return saturate(C, product, -(1 << (n - 1)), (1 << (n - 1)) - 1)


OPI = {
    0x00: lambda a, b, n, C: a + b,  # vadd
    0x02: lambda a, b, n, C: a - b,  # vsub
    0x03: lambda a, b, n, C: b - a,  # vrsub
    0x04: lambda a, b, n, C: min(a, b),  # vminu
    0x05: lambda a, b, n, C: min(signed(a, n), signed(b, n)),  # vmin
    0x06: lambda a, b, n, C: max(a, b),  # vmaxu
    0x07: lambda a, b, n, C: max(signed(a, n), signed(b, n)),  # vmax
    0x09: lambda a, b, n, C: a & b,  # vand
    0x0A: lambda a, b, n, C: a | b,  # vor
    0x0B: lambda a, b, n, C: a ^ b,  # vxor
    0x20: lambda a, b, n, C: saturate(C, a + b, 0, (1 << n) - 1),  # vsaddu
    0x21: saturating_add,  # vsadd
    0x22: lambda a, b, n, C: saturate(C, a - b, 0, (1 << n) - 1),  # vssubu
    0x23: saturating_sub,  # vssub
    0x25: lambda a, b, n, C: a << (b & (n - 1)),  # vsll
    0x27: fractional_multiply,  # vsmul
    0x28: lambda a, b, n, C: a >> (b & (n - 1)),  # vsrl
    0x29: lambda a, b, n, C: signed(a, n) >> (b & (n - 1)),  # vsra
    0x2A: lambda a, b, n, C: rounded_shift(C, a, b & (n - 1)),  # vssrl
    0x2B: lambda a, b, n, C: rounded_shift(C, signed(a, n), b & (n - 1)),  # vssra
}
OPI_NAMES = {0x00: ("vadd", "vv vx vi"), 0x02: ("vsub", "vv vx"), 0x03: ("vrsub", "vx vi"),
             0x04: ("vminu", "vv vx"), 0x05: ("vmin", "vv vx"), 0x06: ("vmaxu", "vv vx"),
             0x07: ("vmax", "vv vx"), 0x09: ("vand", "vv vx vi"), 0x0A: ("vor", "vv vx vi"),
             0x0B: ("vxor", "vv vx vi"), 0x20: ("vsaddu", "vv vx vi"),
             0x21: ("vsadd", "vv vx vi"), 0x22: ("vssubu", "vv vx"), 0x23: ("vssub", "vv vx"),
             0x25: ("vsll", "vv vx viu"), 0x27: ("vsmul", "vv vx"),
             0x28: ("vsrl", "vv vx viu"), 0x29: ("vsra", "vv vx viu"),
             0x2A: ("vssrl", "vv vx viu"), 0x2B: ("vssra", "vv vx viu")}


def averaging(subtract: bool, signed_operands: bool):
    def op(a, b, n, C):
        if signed_operands:
            a, b = signed(a, n), signed(b, n)
        return rounded_shift(C, a - b if subtract else a + b, 1)
    return op


OPM = {
    0x08: averaging(False, False),  # vaaddu
    0x09: averaging(False, True),  # vaadd
    0x0A: averaging(True, False),  # vasubu
    0x0B: averaging(True, True),  # vasub
    0x20: lambda a, b, n, C: (1 << n) - 1 if b == 0 else a // b,  # vdivu
    0x21: signed_quotient,  # vdiv
    0x22: lambda a, b, n, C: a if b == 0 else a % b,  # vremu
    0x23: signed_remainder,  # vrem
    0x24: lambda a, b, n, C: (a * b) >> n,  # vmulhu
    0x25: lambda a, b, n, C: a * b,  # vmul
    0x26: lambda a, b, n, C: (signed(a, n) * b) >> n,  # vmulhsu (vs2 signed)
    0x27: lambda a, b, n, C: (signed(a, n) * signed(b, n)) >> n,  # vmulh
}
OPM_NAMES = {0x08: "vaaddu", 0x09: "vaadd", 0x0A: "vasubu", 0x0B: "vasub", 0x20: "vdivu",
             0x21: "vdiv", 0x22: "vremu", 0x23: "vrem", 0x24: "vmulhu", 0x25: "vmul",
             0x26: "vmulhsu", 0x27: "vmulh"}


def opi_vv(C, V, vd, vs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, OPI[funct6], vs1=vs1)


def opi_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, OPI[funct6], scalar=X[rs1])


def opi_vi(C, V, vd, imm, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, OPI[funct6], scalar=imm)


def opm_vv(C, V, vd, vs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, OPM[funct6], vs1=vs1)


def opm_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, OPM[funct6], scalar=X[rs1])


FORMS = {"vv": (VV, OPIVV, opi_vv), "vx": (VX, OPIVX, opi_vx), "vi": (VI, OPIVI, opi_vi),
         "viu": (VIU, OPIVI, opi_vi)}


def declare_opi() -> None:
    for funct6, (name, forms) in OPI_NAMES.items():
        for form in forms.split():
            fmt, funct3, semantics = FORMS[form]
            v.insn(pattern(funct6, funct3), fmt, name=f"{name}.{form[:2]}")(semantics)


declare_opi()


def declare_opm() -> None:
    for funct6, name in OPM_NAMES.items():
        v.insn(pattern(funct6, OPMVV), VV, name=f"{name}.vv")(opm_vv)
        v.insn(pattern(funct6, OPMVX), VX, name=f"{name}.vx")(opm_vx)


declare_opm()


# ---------------------------------------------------------------- multiply-add
# op(d, b, a, bits, C): d from vd, b from vs1 or rs1, a from vs2.

MULTIPLY_ADD = {
    0x29: lambda d, b, a, n, C: b * d + a,  # vmadd
    0x2B: lambda d, b, a, n, C: a - b * d,  # vnmsub
    0x2D: lambda d, b, a, n, C: b * a + d,  # vmacc
    0x2F: lambda d, b, a, n, C: d - b * a,  # vnmsac
}
MULTIPLY_ADD_NAMES = {0x29: "vmadd", 0x2B: "vnmsub", 0x2D: "vmacc", 0x2F: "vnmsac"}


def muladd_vv(C, V, vd, vs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, MULTIPLY_ADD[funct6], vs1=vs1, accumulate=True)


def muladd_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    binary(C, V, vd, vs2, vm, MULTIPLY_ADD[funct6], scalar=X[rs1], accumulate=True)


def declare_multiply_add() -> None:
    for funct6, name in MULTIPLY_ADD_NAMES.items():
        v.insn(pattern(funct6, OPMVV), VV, name=f"{name}.vv", syntax="vd, vs1, vs2, vm")(muladd_vv)
        v.insn(pattern(funct6, OPMVX), VX, name=f"{name}.vx", syntax="vd, rs1, vs2, vm")(muladd_vx)


declare_multiply_add()


# ---------------------------------------------------------------- widening and narrowing
# Widening op(a, b, bits, C) with a (SEW, or 2 * SEW for .w forms) from vs2; accumulating ones
# op(d, b, a, bits, C).

WIDENING = {
    0x30: lambda a, b, n, C: a + b,  # vwaddu
    0x31: lambda a, b, n, C: signed(a, n) + signed(b, n),  # vwadd
    0x32: lambda a, b, n, C: a - b,  # vwsubu
    0x33: lambda a, b, n, C: signed(a, n) - signed(b, n),  # vwsub
    0x34: lambda a, b, n, C: a + b,  # vwaddu.w
    0x35: lambda a, b, n, C: signed(a, 2 * n) + signed(b, n),  # vwadd.w
    0x36: lambda a, b, n, C: a - b,  # vwsubu.w
    0x37: lambda a, b, n, C: signed(a, 2 * n) - signed(b, n),  # vwsub.w
    0x38: lambda a, b, n, C: a * b,  # vwmulu
    0x3A: lambda a, b, n, C: signed(a, n) * b,  # vwmulsu (vs2 signed)
    0x3B: lambda a, b, n, C: signed(a, n) * signed(b, n),  # vwmul
    0x3C: lambda d, b, a, n, C: d + b * a,  # vwmaccu
    0x3D: lambda d, b, a, n, C: d + signed(b, n) * signed(a, n),  # vwmacc
    0x3E: lambda d, b, a, n, C: d + b * signed(a, n),  # vwmaccus (rs1 unsigned)
    0x3F: lambda d, b, a, n, C: d + signed(b, n) * a,  # vwmaccsu (vs1 signed)
}
WIDENING_NAMES = {0x30: ("vwaddu", "vv vx"), 0x31: ("vwadd", "vv vx"),
                  0x32: ("vwsubu", "vv vx"), 0x33: ("vwsub", "vv vx"),
                  0x34: ("vwaddu", "wv wx"), 0x35: ("vwadd", "wv wx"),
                  0x36: ("vwsubu", "wv wx"), 0x37: ("vwsub", "wv wx"),
                  0x38: ("vwmulu", "vv vx"), 0x3A: ("vwmulsu", "vv vx"),
                  0x3B: ("vwmul", "vv vx"), 0x3C: ("vwmaccu", "vv vx"),
                  0x3D: ("vwmacc", "vv vx"), 0x3E: ("vwmaccus", "vx"),
                  0x3F: ("vwmaccsu", "vv vx")}
WIDE_SOURCE = range(0x34, 0x38)
ACCUMULATING = range(0x3C, 0x40)


def widen_vv(C, V, vd, vs1, vs2, vm, funct6):
    widening(C, V, vd, vs2, vm, WIDENING[funct6], vs1=vs1, wide_vs2=funct6 in WIDE_SOURCE,
             accumulate=funct6 in ACCUMULATING)


def widen_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    widening(C, V, vd, vs2, vm, WIDENING[funct6], scalar=X[rs1],
             wide_vs2=funct6 in WIDE_SOURCE, accumulate=funct6 in ACCUMULATING)


def declare_widening(names, accumulating, vector_form, scalar_form) -> None:
    """Each widening mnemonic's forms (vv/wv from vs1, vx/wx or vf/wf from a scalar register):
    vector_form and scalar_form are (funct3, format, semantics, the scalar's syntax token)."""
    for funct6, (name, forms) in names.items():
        for form in forms.split():
            funct3, fmt, semantics, operand = vector_form if form.endswith("v") else scalar_form
            syntax = f"vd, {operand}, vs2, vm" if funct6 in accumulating else None
            v.insn(pattern(funct6, funct3), fmt, name=f"{name}.{form}", syntax=syntax)(semantics)


declare_widening(WIDENING_NAMES, ACCUMULATING, (OPMVV, VV, widen_vv, "vs1"),
                 (OPMVX, VX, widen_vx, "rs1"))


def clip(unsigned_result: bool):
    def op(a, b, n, C):
        shift = b & (2 * n - 1)
        if unsigned_result:
            return saturate(C, rounded_shift(C, a, shift), 0, (1 << n) - 1)
        result = rounded_shift(C, signed(a, 2 * n), shift)
        return saturate(C, result, -(1 << (n - 1)), (1 << (n - 1)) - 1)
    return op


NARROWING = {
    0x2C: lambda a, b, n, C: a >> (b & (2 * n - 1)),  # vnsrl
    0x2D: lambda a, b, n, C: signed(a, 2 * n) >> (b & (2 * n - 1)),  # vnsra
    0x2E: clip(True),  # vnclipu
    0x2F: clip(False),  # vnclip
}
NARROWING_NAMES = {0x2C: "vnsrl", 0x2D: "vnsra", 0x2E: "vnclipu", 0x2F: "vnclip"}


def narrow_vv(C, V, vd, vs1, vs2, vm, funct6):
    narrowing(C, V, vd, vs2, vm, NARROWING[funct6], vs1=vs1)


def narrow_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    narrowing(C, V, vd, vs2, vm, NARROWING[funct6], scalar=X[rs1])


def narrow_vi(C, V, vd, imm, vs2, vm, funct6):
    narrowing(C, V, vd, vs2, vm, NARROWING[funct6], scalar=imm)


def declare_narrowing() -> None:
    for funct6, name in NARROWING_NAMES.items():
        v.insn(pattern(funct6, OPIVV), VV, name=f"{name}.wv")(narrow_vv)
        v.insn(pattern(funct6, OPIVX), VX, name=f"{name}.wx")(narrow_vx)
        v.insn(pattern(funct6, OPIVI), VIU, name=f"{name}.wi")(narrow_vi)


declare_narrowing()


# ---------------------------------------------------------------- comparisons, carries, merge

COMPARE = {
    0x18: lambda a, b, n, C: a == b,  # vmseq
    0x19: lambda a, b, n, C: a != b,  # vmsne
    0x1A: lambda a, b, n, C: a < b,  # vmsltu
    0x1B: lambda a, b, n, C: signed(a, n) < signed(b, n),  # vmslt
    0x1C: lambda a, b, n, C: a <= b,  # vmsleu
    0x1D: lambda a, b, n, C: signed(a, n) <= signed(b, n),  # vmsle
    0x1E: lambda a, b, n, C: a > b,  # vmsgtu
    0x1F: lambda a, b, n, C: signed(a, n) > signed(b, n),  # vmsgt
}
COMPARE_NAMES = {0x18: ("vmseq", "vv vx vi"), 0x19: ("vmsne", "vv vx vi"),
                 0x1A: ("vmsltu", "vv vx"), 0x1B: ("vmslt", "vv vx"),
                 0x1C: ("vmsleu", "vv vx vi"), 0x1D: ("vmsle", "vv vx vi"),
                 0x1E: ("vmsgtu", "vx vi"), 0x1F: ("vmsgt", "vx vi")}


def compare_vv(C, V, vd, vs1, vs2, vm, funct6):
    compare(C, V, vd, vs2, vm, COMPARE[funct6], vs1=vs1)


def compare_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    compare(C, V, vd, vs2, vm, COMPARE[funct6], scalar=X[rs1])


def compare_vi(C, V, vd, imm, vs2, vm, funct6):
    compare(C, V, vd, vs2, vm, COMPARE[funct6], scalar=imm)


COMPARE_FORMS = {"vv": (VV, compare_vv), "vx": (VX, compare_vx), "vi": (VI, compare_vi)}


def declare_compares() -> None:
    for funct6, (name, forms) in COMPARE_NAMES.items():
        for form in forms.split():
            fmt, semantics = COMPARE_FORMS[form]
            v.insn(pattern(funct6, KIND[form]), fmt, name=f"{name}.{form}")(semantics)


declare_compares()


# vadc/vsbc (funct6 0x10/0x12) take v0's carries (vm = 0); vmadc/vmsbc (0x11/0x13) give the
# carry-out, with (vm = 0) or without v0's carries.
CARRY_NAMES = {0x10: "vadc", 0x11: "vmadc", 0x12: "vsbc", 0x13: "vmsbc"}


def carry_vv(C, V, vd, vs1, vs2, vm, funct6):
    carry(C, V, vd, vs2, vm, funct6 >= 0x12, funct6 & 1 == 1, vs1=vs1)


def carry_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    carry(C, V, vd, vs2, vm, funct6 >= 0x12, funct6 & 1 == 1, scalar=X[rs1])


def carry_vi(C, V, vd, imm, vs2, vm, funct6):
    carry(C, V, vd, vs2, vm, False, funct6 & 1 == 1, scalar=imm)


CARRY_FORMS = {"vv": (VV, carry_vv), "vx": (VX, carry_vx), "vi": (VI, carry_vi)}


def declare_carries() -> None:
    for funct6, name in CARRY_NAMES.items():
        for form in ("vv", "vx") if funct6 >= 0x12 else ("vv", "vx", "vi"):
            fmt, semantics = CARRY_FORMS[form]
            operands = fmt.syntax.removesuffix(", vm")
            v.insn(pattern(funct6, KIND[form], vm="0"), fmt, name=f"{name}.{form}m",
                   syntax=f"{operands}, v0")(semantics)
            if funct6 & 1:
                v.insn(pattern(funct6, KIND[form], vm="1"), fmt, name=f"{name}.{form}",
                       syntax=operands)(semantics)


declare_carries()


@v.insn(pattern(0x17, OPIVV, vm="0"), VV, name="vmerge.vvm", syntax="vd, vs2, vs1, v0")
@v.insn(pattern(0x17, OPIVV, vm="1", middle="00000 ....."), VV, name="vmv.v.v",
        syntax="vd, vs1")
def merge_vv(C, V, vd, vs1, vs2, vm):
    merge(C, V, vd, vs2, vm, vs1=vs1)


@v.insn(pattern(0x17, OPIVX, vm="0"), VX, name="vmerge.vxm", syntax="vd, vs2, rs1, v0")
@v.insn(pattern(0x17, OPIVX, vm="1", middle="00000 ....."), VX, name="vmv.v.x",
        syntax="vd, rs1")
def merge_vx(X, C, V, vd, rs1, vs2, vm):
    merge(C, V, vd, vs2, vm, scalar=X[rs1])


@v.insn(pattern(0x17, OPIVI, vm="0"), VI, name="vmerge.vim", syntax="vd, vs2, imm, v0")
@v.insn(pattern(0x17, OPIVI, vm="1", middle="00000 ....."), VI, name="vmv.v.i",
        syntax="vd, imm")
def merge_vi(C, V, vd, imm, vs2, vm):
    merge(C, V, vd, vs2, vm, scalar=imm)


# ---------------------------------------------------------------- reductions

REDUCTION = {
    0x00: lambda acc, x, n, C: acc + x,  # vredsum
    0x01: lambda acc, x, n, C: acc & x,  # vredand
    0x02: lambda acc, x, n, C: acc | x,  # vredor
    0x03: lambda acc, x, n, C: acc ^ x,  # vredxor
    0x04: lambda acc, x, n, C: min(acc, x),  # vredminu
    0x05: lambda acc, x, n, C: min(signed(acc, n), signed(x, n)),  # vredmin
    0x06: lambda acc, x, n, C: max(acc, x),  # vredmaxu
    0x07: lambda acc, x, n, C: max(signed(acc, n), signed(x, n)),  # vredmax
}
REDUCTION_NAMES = ("vredsum", "vredand", "vredor", "vredxor", "vredminu", "vredmin",
                   "vredmaxu", "vredmax")


@v.insn(pattern(0x00, OPMVV), VV, name="vredsum.vs")
@v.insn(pattern(0x01, OPMVV), VV, name="vredand.vs")
@v.insn(pattern(0x02, OPMVV), VV, name="vredor.vs")
@v.insn(pattern(0x03, OPMVV), VV, name="vredxor.vs")
@v.insn(pattern(0x04, OPMVV), VV, name="vredminu.vs")
@v.insn(pattern(0x05, OPMVV), VV, name="vredmin.vs")
@v.insn(pattern(0x06, OPMVV), VV, name="vredmaxu.vs")
@v.insn(pattern(0x07, OPMVV), VV, name="vredmax.vs")
def reduce_vs(C, V, vd, vs1, vs2, vm, funct6):
    reduction(C, V, vd, vs2, vs1, vm, REDUCTION[funct6])


# vwredsumu (0x30) and vwredsum (0x31): sums into a 2 * SEW accumulator.
@v.insn(pattern(0x30, OPIVV), VV, name="vwredsumu.vs")
@v.insn(pattern(0x31, OPIVV), VV, name="vwredsum.vs")
def widening_reduce_vs(C, V, vd, vs1, vs2, vm, funct6):
    reduction(C, V, vd, vs2, vs1, vm, REDUCTION[0x00], widen=-1 if funct6 & 1 else 1)


# ---------------------------------------------------------------- mask instructions

MASK_LOGICAL = {
    0x18: lambda a, b: a & ~b,  # vmandn
    0x19: lambda a, b: a & b,  # vmand
    0x1A: lambda a, b: a | b,  # vmor
    0x1B: lambda a, b: a ^ b,  # vmxor
    0x1C: lambda a, b: a | ~b,  # vmorn
    0x1D: lambda a, b: ~(a & b),  # vmnand
    0x1E: lambda a, b: ~(a | b),  # vmnor
    0x1F: lambda a, b: ~(a ^ b),  # vmxnor
}
MASK_LOGICAL_NAMES = {0x18: "vmandn", 0x19: "vmand", 0x1A: "vmor", 0x1B: "vmxor",
                      0x1C: "vmorn", 0x1D: "vmnand", 0x1E: "vmnor", 0x1F: "vmxnor"}


def mask_mm(C, V, vd, vs1, vs2, funct6):
    mask_logical(C, V, vd, vs2, vs1, MASK_LOGICAL[funct6])


def declare_mask_logical() -> None:
    for funct6, name in MASK_LOGICAL_NAMES.items():
        v.insn(pattern(funct6, OPMVV, vm="1"), VV, name=f"{name}.mm", syntax="vd, vs2, vs1")(mask_mm)


declare_mask_logical()


@v.insn(pattern(0x10, OPMVV, vm="1", middle="..... 00000"), X_UNARY, name="vmv.x.s",
        syntax="rd, vs2")
def vmv_x_s(X, C, V, rd, vs2):
    X[rd] = scalar_of(C, V, vs2)


@v.insn(pattern(0x10, OPMVV, middle="..... 10000"), X_UNARY, name="vcpop.m")
def vcpop_m(X, C, V, rd, vs2, vm):
    X[rd] = count_population(C, V, vs2, vm)


@v.insn(pattern(0x10, OPMVV, middle="..... 10001"), X_UNARY, name="vfirst.m")
def vfirst_m(X, C, V, rd, vs2, vm):
    X[rd] = find_first(C, V, vs2, vm)


@v.insn(pattern(0x10, OPMVX, vm="1", middle="00000 ....."), VX, name="vmv.s.x",
        syntax="vd, rs1")
def vmv_s_x(X, C, V, vd, rs1):
    set_scalar(C, V, vd, X[rs1])


# vzext/vsext: vs1 is 2 (vf8), 4 (vf4) or 6 (vf2), plus 1 for the signed ones.
@v.insn(pattern(0x12, OPMVV, middle="..... 00010"), V_UNARY, name="vzext.vf8")
@v.insn(pattern(0x12, OPMVV, middle="..... 00011"), V_UNARY, name="vsext.vf8")
@v.insn(pattern(0x12, OPMVV, middle="..... 00100"), V_UNARY, name="vzext.vf4")
@v.insn(pattern(0x12, OPMVV, middle="..... 00101"), V_UNARY, name="vsext.vf4")
@v.insn(pattern(0x12, OPMVV, middle="..... 00110"), V_UNARY, name="vzext.vf2")
@v.insn(pattern(0x12, OPMVV, middle="..... 00111"), V_UNARY, name="vsext.vf2")
def extend_vf(C, V, vd, vs1, vs2, vm):
    extend(C, V, vd, vs2, vm, 16 >> (vs1 >> 1), vs1 & 1 == 1)


@v.insn(pattern(0x14, OPMVV, middle="..... 00001"), V_UNARY, name="vmsbf.m")
@v.insn(pattern(0x14, OPMVV, middle="..... 00010"), V_UNARY, name="vmsof.m")
@v.insn(pattern(0x14, OPMVV, middle="..... 00011"), V_UNARY, name="vmsif.m")
def set_first_m(C, V, vd, vs1, vs2, vm):
    set_before_first(C, V, vd, vs2, vm, vs1)


@v.insn(pattern(0x14, OPMVV, middle="..... 10000"), V_UNARY, name="viota.m")
def viota_m(C, V, vd, vs2, vm):
    iota(C, V, vd, vs2, vm)


@v.insn(pattern(0x14, OPMVV, middle="00000 10001"), V_UNARY, name="vid.v", syntax="vd, vm")
def vid_v(C, V, vd, vm):
    element_index(C, V, vd, vm)


# ---------------------------------------------------------------- permutations


@v.insn(pattern(0x0E, OPIVX), VX, name="vslideup.vx")
@v.insn(pattern(0x0F, OPIVX), VX, name="vslidedown.vx")
def slide_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    slide(C, V, vd, vs2, vm, ux(X[rs1]), funct6 == 0x0E)


@v.insn(pattern(0x0E, OPIVI), VIU, name="vslideup.vi")
@v.insn(pattern(0x0F, OPIVI), VIU, name="vslidedown.vi")
def slide_vi(C, V, vd, imm, vs2, vm, funct6):
    slide(C, V, vd, vs2, vm, imm, funct6 == 0x0E)


@v.insn(pattern(0x0E, OPMVX), VX, name="vslide1up.vx")
@v.insn(pattern(0x0F, OPMVX), VX, name="vslide1down.vx")
def slide1_vx(X, C, V, vd, rs1, vs2, vm, funct6):
    slide(C, V, vd, vs2, vm, 1, funct6 == 0x0E, fill=X[rs1])


@v.insn(pattern(0x0C, OPIVV), VV, name="vrgather.vv")
@v.insn(pattern(0x0E, OPIVV), VV, name="vrgatherei16.vv")
def gather_vv(C, V, vd, vs1, vs2, vm, funct6):
    gather(C, V, vd, vs2, vm, vs1=vs1, index_size=2 if funct6 == 0x0E else 0)


@v.insn(pattern(0x0C, OPIVX), VX, name="vrgather.vx")
def gather_vx(X, C, V, vd, rs1, vs2, vm):
    gather(C, V, vd, vs2, vm, scalar=ux(X[rs1]))


@v.insn(pattern(0x0C, OPIVI), VIU, name="vrgather.vi")
def gather_vi(C, V, vd, imm, vs2, vm):
    gather(C, V, vd, vs2, vm, scalar=imm)


@v.insn(pattern(0x17, OPMVV, vm="1"), VV, name="vcompress.vm", syntax="vd, vs2, vs1")
def vcompress_vm(C, V, vd, vs1, vs2):
    compress(C, V, vd, vs2, vs1)


# vmv<n>r.v: funct6 0x27 with OPIVI, the immediate n - 1.
@v.insn(pattern(0x27, OPIVI, vm="1", middle="..... 00000"), VIU, name="vmv1r.v",
        syntax="vd, vs2")
@v.insn(pattern(0x27, OPIVI, vm="1", middle="..... 00001"), VIU, name="vmv2r.v",
        syntax="vd, vs2")
@v.insn(pattern(0x27, OPIVI, vm="1", middle="..... 00011"), VIU, name="vmv4r.v",
        syntax="vd, vs2")
@v.insn(pattern(0x27, OPIVI, vm="1", middle="..... 00111"), VIU, name="vmv8r.v",
        syntax="vd, vs2")
def move_whole_registers(C, V, vd, imm, vs2):
    move_whole(C, V, vd, vs2, imm + 1)


# ---------------------------------------------------------------- loads and stores

VMEM = Format("VMEM", {"vd": VD, "rs1": reg(19, 15), "rs2": reg(24, 20), "vm": VM,
                       "nf": field_("2:0", 31, 29), "mop": field_("1:0", 27, 26),
                       "width": field_("2:0", 14, 12)}, "vd, (rs1), vm")
VMEM_INDEXED = Format("VMEM_INDEXED", {**VMEM.operands, "vs2": reg(24, 20)},
                      "vd, (rs1), vs2, vm")
LOAD_FP, STORE_FP = "0000111", "0100111"
EEW_WIDTH = {8: "000", 16: "101", 32: "110", 64: "111"}


def vector_load(X, C, V, M, vd, rs1, rs2, vm, nf, mop, width):
    memory_access(X, C, V, M, vd, rs1, rs2, vm, nf, mop, width, False, XLEN)


def vector_store(X, C, V, M, vd, rs1, rs2, vm, nf, mop, width):
    memory_access(X, C, V, M, vd, rs1, rs2, vm, nf, mop, width, True, XLEN)


def memory_pattern(nf: int, mop: int, vm: str, rs2: str, width: str, opcode: str) -> str:
    return f"{nf:03b} 0 {mop:02b} {vm} {rs2} ..... {width} ..... {opcode}"


def _segment(nf: int, name: str) -> str:
    return f"{name}seg{nf + 1}" if nf else name


def declare_loads_and_stores() -> None:
    for eew, width in EEW_WIDTH.items():
        for nf in range(8):
            for opcode, kind, semantics in ((LOAD_FP, "l", vector_load),
                                            (STORE_FP, "s", vector_store)):
                v.insn(memory_pattern(nf, UNIT_STRIDE, ".", f"{UNIT:05b}", width, opcode), VMEM,
                       name=f"{_segment(nf, 'v' + kind)}e{eew}.v")(semantics)
                v.insn(memory_pattern(nf, STRIDED, ".", ".....", width, opcode), VMEM,
                       name=f"{_segment(nf, 'v' + kind + 's')}e{eew}.v",
                       syntax="vd, (rs1), rs2, vm")(semantics)
                for mop, order in ((INDEXED_UNORDERED, "u"), (INDEXED_ORDERED, "o")):
                    v.insn(memory_pattern(nf, mop, ".", ".....", width, opcode), VMEM_INDEXED,
                           name=f"{_segment(nf, 'v' + kind + order + 'x')}ei{eew}.v")(semantics)
            v.insn(memory_pattern(nf, UNIT_STRIDE, ".", f"{FAULT_FIRST:05b}", width, LOAD_FP),
                   VMEM, name=f"{_segment(nf, 'vl')}e{eew}ff.v")(vector_load)
        for registers in (1, 2, 4, 8):
            v.insn(memory_pattern(registers - 1, UNIT_STRIDE, "1", f"{WHOLE:05b}", width, LOAD_FP),
                   VMEM, name=f"vl{registers}re{eew}.v", syntax="vd, (rs1)")(vector_load)


declare_loads_and_stores()


def declare_whole_register_stores() -> None:
    for registers in (1, 2, 4, 8):
        v.insn(memory_pattern(registers - 1, UNIT_STRIDE, "1", f"{WHOLE:05b}", "000", STORE_FP),
               VMEM, name=f"vs{registers}r.v", syntax="vd, (rs1)")(vector_store)


declare_whole_register_stores()

v.insn(memory_pattern(0, UNIT_STRIDE, "1", f"{MASK:05b}", "000", LOAD_FP), VMEM, name="vlm.v",
       syntax="vd, (rs1)")(vector_load)
v.insn(memory_pattern(0, UNIT_STRIDE, "1", f"{MASK:05b}", "000", STORE_FP), VMEM, name="vsm.v",
       syntax="vd, (rs1)")(vector_store)

# ---------------------------------------------------------------- pseudo-instructions
# As binutils shows them.

v.alias("vneg.v", "vrsub.vx", "vd, vs2, vm", rs1=0)
v.alias("vnot.v", "vxor.vi", "vd, vs2, vm", imm=-1)
v.alias("vncvt.x.x.w", "vnsrl.wx", "vd, vs2, vm", rs1=0)
v.alias("vwcvt.x.x.v", "vwadd.vx", "vd, vs2, vm", rs1=0)
v.alias("vwcvtu.x.x.v", "vwaddu.vx", "vd, vs2, vm", rs1=0)
v.alias("vmmv.m", "vmand.mm", "vd, vs2", equal=("vs1", "vs2"))
v.alias("vmnot.m", "vmnand.mm", "vd, vs2", equal=("vs1", "vs2"))
v.alias("vmclr.m", "vmxor.mm", "vd", equal=("vd", "vs1", "vs2"))
v.alias("vmset.m", "vmxnor.mm", "vd", equal=("vd", "vs1", "vs2"))
for _registers in (1, 2, 4, 8):
    v.alias(f"vl{_registers}r.v", f"vl{_registers}re8.v", "vd, (rs1)")
