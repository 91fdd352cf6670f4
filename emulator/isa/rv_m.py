"""M: integer multiplication and division (unprivileged spec, chapter 13)."""

from ..semantics import XLEN, mulh, mulhsu, mulhu, sx, sx32, ux
from .base import Extension, R

ext = Extension("M")
insn = ext.insn
RV64 = (64,)


def quotient(a: int, b: int, width: int) -> int:
    """Signed division rounding toward zero, with RISC-V's results for /0 and overflow."""
    if b == 0:
        return -1
    if a == -(1 << (width - 1)) and b == -1:
        return a
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def remainder(a: int, b: int, width: int) -> int:
    if b == 0:
        return a
    if a == -(1 << (width - 1)) and b == -1:
        return 0
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def unsigned_quotient(a: int, b: int, width: int) -> int:
    return a // b if b else (1 << width) - 1


def unsigned_remainder(a: int, b: int) -> int:
    return a % b if b else a


@insn("0000001 rs2.. rs1.. 000 rd... 0110011", R)
def mul(X, rd, rs1, rs2):
    X[rd] = sx(X[rs1] * X[rs2])


@insn("0000001 rs2.. rs1.. 001 rd... 0110011", R)
def mulh_(X, rd, rs1, rs2):
    X[rd] = mulh(X[rs1], X[rs2])


@insn("0000001 rs2.. rs1.. 010 rd... 0110011", R)
def mulhsu_(X, rd, rs1, rs2):
    X[rd] = mulhsu(X[rs1], X[rs2])


@insn("0000001 rs2.. rs1.. 011 rd... 0110011", R)
def mulhu_(X, rd, rs1, rs2):
    X[rd] = mulhu(X[rs1], X[rs2])


@insn("0000001 rs2.. rs1.. 100 rd... 0110011", R)
def div(X, rd, rs1, rs2):
    X[rd] = sx(quotient(X[rs1], X[rs2], XLEN))


@insn("0000001 rs2.. rs1.. 101 rd... 0110011", R)
def divu(X, rd, rs1, rs2):
    X[rd] = sx(unsigned_quotient(ux(X[rs1]), ux(X[rs2]), XLEN))


@insn("0000001 rs2.. rs1.. 110 rd... 0110011", R)
def rem(X, rd, rs1, rs2):
    X[rd] = remainder(X[rs1], X[rs2], XLEN)


@insn("0000001 rs2.. rs1.. 111 rd... 0110011", R)
def remu(X, rd, rs1, rs2):
    X[rd] = sx(unsigned_remainder(ux(X[rs1]), ux(X[rs2])))


@insn("0000001 rs2.. rs1.. 000 rd... 0111011", R, xlens=RV64)
def mulw(X, rd, rs1, rs2):
    X[rd] = sx32(X[rs1] * X[rs2])


@insn("0000001 rs2.. rs1.. 100 rd... 0111011", R, xlens=RV64)
def divw(X, rd, rs1, rs2):
    X[rd] = sx32(quotient(sx32(X[rs1]), sx32(X[rs2]), 32))


@insn("0000001 rs2.. rs1.. 101 rd... 0111011", R, xlens=RV64)
def divuw(X, rd, rs1, rs2):
    X[rd] = sx32(unsigned_quotient(X[rs1] & 0xFFFF_FFFF, X[rs2] & 0xFFFF_FFFF, 32))


@insn("0000001 rs2.. rs1.. 110 rd... 0111011", R, xlens=RV64)
def remw(X, rd, rs1, rs2):
    X[rd] = sx32(remainder(sx32(X[rs1]), sx32(X[rs2]), 32))


@insn("0000001 rs2.. rs1.. 111 rd... 0111011", R, xlens=RV64)
def remuw(X, rd, rs1, rs2):
    X[rd] = sx32(unsigned_remainder(X[rs1] & 0xFFFF_FFFF, X[rs2] & 0xFFFF_FFFF))
