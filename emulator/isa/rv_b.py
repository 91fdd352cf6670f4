"""Zba, Zbb, Zbc, Zbs: bit manipulation (the B extension's parts, bitmanip spec 1.0)."""

from ..semantics import XLEN, loop_helper, ltu, sx, sx32
from .base import R1, SHIFT, SHIFTW, Extension, R

zba = Extension("Zba")
zbb = Extension("Zbb")
zbc = Extension("Zbc")
zbs = Extension("Zbs")
RV32, RV64 = (32,), (64,)
MASK32 = 0xFFFF_FFFF


def _shift_fits(ops: dict, xlen: int) -> bool:
    return ops["imm"] < xlen


def leading_zeros(value: int, width: int) -> int:
    return width - (value & ((1 << width) - 1)).bit_length()


def trailing_zeros(value: int, width: int) -> int:
    value &= (1 << width) - 1
    return (value & -value).bit_length() - 1 if value else width


def population(value: int, width: int) -> int:
    return (value & ((1 << width) - 1)).bit_count()


def rotate_left(value: int, amount: int, width: int) -> int:
    value &= (1 << width) - 1
    amount %= width
    return ((value << amount) | (value >> (width - amount))) & ((1 << width) - 1)


@loop_helper
def carryless_low(a: int, b: int, width: int) -> int:
    """The low `width` bits of the carry-less product of two width-bit values (any sign
    extension of them: only their low bits matter)."""
    product = 0
    for i in range(width):
        if (b >> i) & 1:
            product ^= a << i
    return product


@loop_helper
def carryless_high(a: int, b: int, width: int) -> int:
    """The high `width` bits of the carry-less product (each term is under 64 bits wide, so
    that numba's words hold it as Python's ints do)."""
    product = 0
    for i in range(1, width):
        if (b >> i) & 1:
            product ^= (a >> (width - i)) & ((1 << i) - 1)
    return product


def or_combine_bytes(value: int, width: int) -> int:
    out = 0
    for shift in range(0, width, 8):
        if (value >> shift) & 0xFF:
            out |= 0xFF << shift
    return out


def byte_reverse(value: int, width: int) -> int:
    return int.from_bytes((value & ((1 << width) - 1)).to_bytes(width // 8, "little"), "big")


# ---------------------------------------------------------------- Zba: address generation


@zba.insn("0010000 rs2.. rs1.. 010 rd... 0110011", R)
def sh1add(X, rd, rs1, rs2):
    X[rd] = sx((X[rs1] << 1) + X[rs2])


@zba.insn("0010000 rs2.. rs1.. 100 rd... 0110011", R)
def sh2add(X, rd, rs1, rs2):
    X[rd] = sx((X[rs1] << 2) + X[rs2])


@zba.insn("0010000 rs2.. rs1.. 110 rd... 0110011", R)
def sh3add(X, rd, rs1, rs2):
    X[rd] = sx((X[rs1] << 3) + X[rs2])


@zba.insn("0000100 rs2.. rs1.. 000 rd... 0111011", R, xlens=RV64)
def add_uw(X, rd, rs1, rs2):
    X[rd] = sx((X[rs1] & MASK32) + X[rs2])


zba.alias("zext.w", "add.uw", "rd, rs1", rs2=0)


@zba.insn("0010000 rs2.. rs1.. 010 rd... 0111011", R, xlens=RV64)
def sh1add_uw(X, rd, rs1, rs2):
    X[rd] = sx(((X[rs1] & MASK32) << 1) + X[rs2])


@zba.insn("0010000 rs2.. rs1.. 100 rd... 0111011", R, xlens=RV64)
def sh2add_uw(X, rd, rs1, rs2):
    X[rd] = sx(((X[rs1] & MASK32) << 2) + X[rs2])


@zba.insn("0010000 rs2.. rs1.. 110 rd... 0111011", R, xlens=RV64)
def sh3add_uw(X, rd, rs1, rs2):
    X[rd] = sx(((X[rs1] & MASK32) << 3) + X[rs2])


@zba.insn("000010 shamt. rs1.. 001 rd... 0011011", SHIFT, xlens=RV64)
def slli_uw(X, rd, rs1, imm):
    X[rd] = sx((X[rs1] & MASK32) << imm)


# ---------------------------------------------------------------- Zbb: basic bit manipulation


@zbb.insn("0100000 rs2.. rs1.. 111 rd... 0110011", R)
def andn(X, rd, rs1, rs2):
    X[rd] = X[rs1] & ~X[rs2]


@zbb.insn("0100000 rs2.. rs1.. 110 rd... 0110011", R)
def orn(X, rd, rs1, rs2):
    X[rd] = X[rs1] | ~X[rs2]


@zbb.insn("0100000 rs2.. rs1.. 100 rd... 0110011", R)
def xnor(X, rd, rs1, rs2):
    X[rd] = ~(X[rs1] ^ X[rs2])


@zbb.insn("0110000 00000 rs1.. 001 rd... 0010011", R1)
def clz(X, rd, rs1):
    X[rd] = leading_zeros(X[rs1], XLEN)


@zbb.insn("0110000 00000 rs1.. 001 rd... 0011011", R1, xlens=RV64)
def clzw(X, rd, rs1):
    X[rd] = leading_zeros(X[rs1], 32)


@zbb.insn("0110000 00001 rs1.. 001 rd... 0010011", R1)
def ctz(X, rd, rs1):
    X[rd] = trailing_zeros(X[rs1], XLEN)


@zbb.insn("0110000 00001 rs1.. 001 rd... 0011011", R1, xlens=RV64)
def ctzw(X, rd, rs1):
    X[rd] = trailing_zeros(X[rs1], 32)


@zbb.insn("0110000 00010 rs1.. 001 rd... 0010011", R1)
def cpop(X, rd, rs1):
    X[rd] = population(X[rs1], XLEN)


@zbb.insn("0110000 00010 rs1.. 001 rd... 0011011", R1, xlens=RV64)
def cpopw(X, rd, rs1):
    X[rd] = population(X[rs1], 32)


@zbb.insn("0000101 rs2.. rs1.. 110 rd... 0110011", R)
def max_(X, rd, rs1, rs2):
    X[rd] = max(X[rs2], X[rs1])


@zbb.insn("0000101 rs2.. rs1.. 111 rd... 0110011", R)
def maxu(X, rd, rs1, rs2):
    X[rd] = X[rs2] if ltu(X[rs1], X[rs2]) else X[rs1]


@zbb.insn("0000101 rs2.. rs1.. 100 rd... 0110011", R)
def min_(X, rd, rs1, rs2):
    X[rd] = min(X[rs2], X[rs1])


@zbb.insn("0000101 rs2.. rs1.. 101 rd... 0110011", R)
def minu(X, rd, rs1, rs2):
    X[rd] = X[rs1] if ltu(X[rs1], X[rs2]) else X[rs2]


@zbb.insn("0110000 00100 rs1.. 001 rd... 0010011", R1)
def sext_b(X, rd, rs1):
    X[rd] = ((X[rs1] & 0xFF) ^ 0x80) - 0x80


@zbb.insn("0110000 00101 rs1.. 001 rd... 0010011", R1)
def sext_h(X, rd, rs1):
    X[rd] = ((X[rs1] & 0xFFFF) ^ 0x8000) - 0x8000


@zbb.insn("0000100 00000 rs1.. 100 rd... 0111011", R1, name="zext.h", xlens=RV64)
@zbb.insn("0000100 00000 rs1.. 100 rd... 0110011", R1, name="zext.h", xlens=RV32)
def zext_h(X, rd, rs1):
    X[rd] = X[rs1] & 0xFFFF


@zbb.insn("0110000 rs2.. rs1.. 001 rd... 0110011", R)
def rol(X, rd, rs1, rs2):
    X[rd] = sx(rotate_left(X[rs1], X[rs2], XLEN))


@zbb.insn("0110000 rs2.. rs1.. 101 rd... 0110011", R)
def ror(X, rd, rs1, rs2):
    X[rd] = sx(rotate_left(X[rs1], XLEN - (X[rs2] & (XLEN - 1)), XLEN))


@zbb.insn("011000 shamt. rs1.. 101 rd... 0010011", SHIFT, legal=_shift_fits)
def rori(X, rd, rs1, imm):
    X[rd] = sx(rotate_left(X[rs1], XLEN - imm, XLEN))


@zbb.insn("0110000 rs2.. rs1.. 001 rd... 0111011", R, xlens=RV64)
def rolw(X, rd, rs1, rs2):
    X[rd] = sx32(rotate_left(X[rs1], X[rs2], 32))


@zbb.insn("0110000 rs2.. rs1.. 101 rd... 0111011", R, xlens=RV64)
def rorw(X, rd, rs1, rs2):
    X[rd] = sx32(rotate_left(X[rs1], 32 - (X[rs2] & 31), 32))


@zbb.insn("0110000 shamt rs1.. 101 rd... 0011011", SHIFTW, xlens=RV64)
def roriw(X, rd, rs1, imm):
    X[rd] = sx32(rotate_left(X[rs1], 32 - imm, 32))


@zbb.insn("001010000111 rs1.. 101 rd... 0010011", R1, name="orc.b")
def orc_b(X, rd, rs1):
    X[rd] = sx(or_combine_bytes(X[rs1], XLEN))


@zbb.insn("011010111000 rs1.. 101 rd... 0010011", R1, name="rev8", xlens=RV64)
@zbb.insn("011010011000 rs1.. 101 rd... 0010011", R1, name="rev8", xlens=RV32)
def rev8(X, rd, rs1):
    X[rd] = sx(byte_reverse(X[rs1], XLEN))


# ---------------------------------------------------------------- Zbc: carry-less multiply


@zbc.insn("0000101 rs2.. rs1.. 001 rd... 0110011", R)
def clmul(X, rd, rs1, rs2):
    X[rd] = sx(carryless_low(X[rs1], X[rs2], XLEN))


@zbc.insn("0000101 rs2.. rs1.. 011 rd... 0110011", R)
def clmulh(X, rd, rs1, rs2):
    X[rd] = sx(carryless_high(X[rs1], X[rs2], XLEN))


@zbc.insn("0000101 rs2.. rs1.. 010 rd... 0110011", R)
def clmulr(X, rd, rs1, rs2):
    # bits XLEN-1 .. 2*XLEN-2: the high half shifted up, over the low half's top bit
    X[rd] = sx(carryless_high(X[rs1], X[rs2], XLEN) << 1
               | (carryless_low(X[rs1], X[rs2], XLEN) >> (XLEN - 1)) & 1)


# ---------------------------------------------------------------- Zbs: single bits


@zbs.insn("0100100 rs2.. rs1.. 001 rd... 0110011", R)
def bclr(X, rd, rs1, rs2):
    X[rd] = sx(X[rs1] & ~(1 << (X[rs2] & (XLEN - 1))))


@zbs.insn("010010 shamt. rs1.. 001 rd... 0010011", SHIFT, legal=_shift_fits)
def bclri(X, rd, rs1, imm):
    X[rd] = sx(X[rs1] & ~(1 << imm))


@zbs.insn("0100100 rs2.. rs1.. 101 rd... 0110011", R)
def bext(X, rd, rs1, rs2):
    X[rd] = (X[rs1] >> (X[rs2] & (XLEN - 1))) & 1


@zbs.insn("010010 shamt. rs1.. 101 rd... 0010011", SHIFT, legal=_shift_fits)
def bexti(X, rd, rs1, imm):
    X[rd] = (X[rs1] >> imm) & 1


@zbs.insn("0110100 rs2.. rs1.. 001 rd... 0110011", R)
def binv(X, rd, rs1, rs2):
    X[rd] = sx(X[rs1] ^ (1 << (X[rs2] & (XLEN - 1))))


@zbs.insn("011010 shamt. rs1.. 001 rd... 0010011", SHIFT, legal=_shift_fits)
def binvi(X, rd, rs1, imm):
    X[rd] = sx(X[rs1] ^ (1 << imm))


@zbs.insn("0010100 rs2.. rs1.. 001 rd... 0110011", R)
def bset(X, rd, rs1, rs2):
    X[rd] = sx(X[rs1] | (1 << (X[rs2] & (XLEN - 1))))


@zbs.insn("001010 shamt. rs1.. 001 rd... 0010011", SHIFT, legal=_shift_fits)
def bseti(X, rd, rs1, imm):
    X[rd] = sx(X[rs1] | (1 << imm))
