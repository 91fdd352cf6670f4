"""Helpers of the compiled engine, written for numba's typed int64/uint64 world.

These functions are never called from Python: engine_fast copies their source into the
generated module, after constants that bind XLEN, and compiles them with numba. Each mirrors the
helper of the same name in emulator.semantics, which works on unbounded Python ints; the
differential tests keep the two equal. A memory access that cannot be served here (a TLB miss
the page walk cannot fill, a fault, a store into cached code, a page-crossing access) sets the
status word st[0] and changes nothing; the loop then leaves that instruction to the
reference engine. (A status word rather than an exception: numba compiles try/except in a loop
of this size many times slower, and the loop itself runs slower.)
"""

import numpy as np

from .cpu import CAUSE_MISALIGNED_LOAD, CAUSE_MISALIGNED_STORE, FCSR, INSTRET, RESERVATION  # noqa: F401
from .memory import FAST_TLB_SIZE, L1_SHIFT, PAGE_SHIFT, PTE_CODE, PTE_FRAME_SHIFT, VA_BITS
from .semantics import (
    CSR_CYCLE,
    CSR_CYCLEH,
    CSR_FCSR,
    CSR_FFLAGS,
    CSR_FRM,
    CSR_INSTRET,
    CSR_INSTRETH,
)
from .softfloat import NV, NX, OF, RDN, RMM, RNE, RTZ, RUP, UF

# The constants the helpers use: the generated module defines each module-level name of this
# file again, with XLEN set to the width it is generated for.
XLEN = 64
ADDRESS_LIMIT = 1 << VA_BITS
TLB_MASK = FAST_TLB_SIZE - 1


def sx(v):
    if XLEN == 64:
        return np.int64(v)
    return ((np.int64(v) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


def sx32(v):
    return ((np.int64(v) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


def ux(v):
    if XLEN == 64:
        return np.uint64(np.int64(v))
    return np.uint64(np.int64(v) & 0xFFFFFFFF)


def ltu(a, b):
    return (np.int64(a) ^ -9223372036854775808) < (np.int64(b) ^ -9223372036854775808)


def quotient(a, b, width):
    a = np.int64(a)
    b = np.int64(b)
    if b == 0:
        return np.int64(-1)
    if b == -1:
        return -a  # wraps for the most negative value, as RISC-V defines the overflow
    q = a // b
    if q < 0 and q * b != a:
        q += 1  # Python's // floors; RISC-V truncates toward zero
    return q


def remainder(a, b, width):
    a = np.int64(a)
    b = np.int64(b)
    if b == 0:
        return a
    if b == -1:
        return np.int64(0)
    return a - quotient(a, b, width) * b


def unsigned_quotient(a, b, width):
    a = np.uint64(a)
    b = np.uint64(b)
    if b == 0:
        return np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(64 - width)
    return a // b


def unsigned_remainder(a, b):
    a = np.uint64(a)
    b = np.uint64(b)
    if b == 0:
        return a
    return a % b


def _mulhu64(a, b):
    low = np.uint64(0xFFFFFFFF)
    half = np.uint64(32)
    a_lo, a_hi = a & low, a >> half
    b_lo, b_hi = b & low, b >> half
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    cross = (lo_lo >> half) + (hi_lo & low) + lo_hi
    return a_hi * b_hi + (hi_lo >> half) + (cross >> half)


def mulhu(a, b):
    if XLEN == 64:
        return np.int64(_mulhu64(np.uint64(np.int64(a)), np.uint64(np.int64(b))))
    return sx(((np.int64(a) & 0xFFFFFFFF) * (np.int64(b) & 0xFFFFFFFF)) >> 32)


def mulh(a, b):
    if XLEN == 64:
        a = np.int64(a)
        b = np.int64(b)
        high = _mulhu64(np.uint64(a), np.uint64(b))
        if a < 0:
            high -= np.uint64(b)
        if b < 0:
            high -= np.uint64(a)
        return np.int64(high)
    return sx((np.int64(a) * np.int64(b)) >> 32)


def mulhsu(a, b):
    if XLEN == 64:
        a = np.int64(a)
        high = _mulhu64(np.uint64(a), np.uint64(np.int64(b)))
        if a < 0:
            high -= np.uint64(np.int64(b))
        return np.int64(high)
    return sx((np.int64(a) * (np.int64(b) & 0xFFFFFFFF)) >> 32)


# ---------------------------------------------------------------- memory
# Memory helpers take the arrays of AddressSpace.fast_view() as separate parameters, never as
# one tuple: numba reference-counts every array taken out of a tuple, which costs more than the
# access itself. f8/f16/f32/f64 view the frame pool; l1/l2/l3 are the page-table levels;
# tlb_tag/tlb_base hold a direct-mapped TLB per access kind (0 read, 1 write); st is the status.


def translate(l1, l2, l3, tlb_tag, tlb_base, addr, kind):
    """Offset in the frame pool of `addr`, for a read (kind 0) or a write (kind 1); -1 when
    the access needs the reference engine (a fault, a page not yet backed, cached code)."""
    vpn = addr >> PAGE_SHIFT
    slot = vpn & TLB_MASK
    if tlb_tag[kind, slot] == vpn:
        return tlb_base[kind, slot] + (addr & 4095)
    if addr < 0 or addr >= ADDRESS_LIMIT:
        return -1
    t2 = l1[vpn >> L1_SHIFT]
    if t2 == 0:
        return -1
    t3 = l2[t2, (vpn >> 12) & 4095]
    if t3 == 0:
        return -1
    entry = l3[t3, vpn & 4095]
    frame = entry >> PTE_FRAME_SHIFT
    if frame == 0 or entry & (kind + 1) == 0 or (kind == 1 and entry & PTE_CODE):
        return -1
    tlb_tag[kind, slot] = vpn
    tlb_base[kind, slot] = frame << PAGE_SHIFT
    return (frame << PAGE_SHIFT) + (addr & 4095)


def mem_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, size, signed):
    addr = np.int64(addr)
    off = -1
    if (addr & 4095) + size <= 4096:
        off = translate(l1, l2, l3, tlb_tag, tlb_base, addr, 0)
    if off < 0:
        st[0] = 1
        return np.int64(0)
    if size == 1:
        value = np.int64(f8[off])
        return value - ((value & 0x80) << 1) if signed else value
    if size == 2 and off & 1 == 0:
        value = np.int64(f16[off >> 1])
        return value - ((value & 0x8000) << 1) if signed else value
    if size == 4 and off & 3 == 0:
        value = np.int64(f32[off >> 2])
        return value - ((value & 0x80000000) << 1) if signed else value
    if size == 8 and off & 7 == 0:
        return np.int64(f64[off >> 3])
    value = np.int64(0)
    for i in range(size):
        value |= np.int64(f8[off + i]) << (8 * i)
    if signed and size < 8:
        sign = np.int64(1) << (8 * size - 1)
        value = value - ((value & sign) << 1)
    return value


def mem_load_u16(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr):
    return mem_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, 2, False)


def mem_load_u32(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr):
    return mem_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, 4, False)


def mem_load_s32(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr):
    return mem_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, 4, True)


def mem_load_u64(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr):
    return mem_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, 8, False)


def mem_load_s64(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr):
    return mem_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, 8, True)


def mem_readable(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr):
    """Whether `addr` may be read here (False also when the page is only not backed yet: the
    reference engine then decides)."""
    return translate(l1, l2, l3, tlb_tag, tlb_base, np.int64(addr), 0) >= 0


def mem_store(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, size, value):
    addr = np.int64(addr)
    value = np.int64(value)
    off = -1
    if (addr & 4095) + size <= 4096:
        off = translate(l1, l2, l3, tlb_tag, tlb_base, addr, 1)
    if off < 0:
        st[0] = 1
    elif size == 8 and off & 7 == 0:
        f64[off >> 3] = np.uint64(value)
    elif size == 4 and off & 3 == 0:
        f32[off >> 2] = np.uint32(value & 0xFFFFFFFF)
    elif size == 2 and off & 1 == 0:
        f16[off >> 1] = np.uint16(value & 0xFFFF)
    else:
        for i in range(size):
            f8[off + i] = np.uint8((value >> (8 * i)) & 0xFF)


def atomic_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, size, signed):
    """mem_load, compiled out of line for the atomics."""
    return mem_load(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, size, signed)


def atomic_store(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, size, value):
    mem_store(f8, f16, f32, f64, l1, l2, l3, tlb_tag, tlb_base, st, addr, size, value)


# ---------------------------------------------------------------- floating point
# The loop does IEEE arithmetic on the host where that is provably exact and its flags are
# cheap to tell: finite operands and results away from the overflow and underflow ranges.
# Error-free transformations (TwoSum, Dekker's product) give the sign of what rounding to
# nearest left out, from which the directed rounding modes step one unit to the right
# neighbour. Everything else (NaN operands of arithmetic, infinities, subnormal or
# overflowing results, ties under round-to-max-magnitude, invalid rounding modes) is left to
# the reference engine and its exact softfloat, by setting the status word.

# Helpers that may leave the instruction to the reference engine as the memory helpers do:
# the generator passes them the status word first and checks it after each call.
STATUS_HELPERS = ("aligned", "csr_read", "csr_write", "leave")
# Helpers that also get the count of instructions the loop has run since it was entered (the
# instruction counter, C[INSTRET], is brought up to date only when it returns).
RETIRED_HELPERS = ("csr_read",)
# Compiled as functions of their own, not inlined into every instruction that uses them
# (which made the loop take far longer to compile): floating point, and the helpers of rare
# instructions (CSRs, atomics, bit manipulation). With fread, fwrite, rounding and fflags
# inlined into the 62 floating-point instructions, RV64's loop took 113 s to compile instead
# of 60 s, for 2-8% more speed on a loop of fdiv, fmadd and fsqrt.
OUT_OF_LINE = ("atomic_load", "atomic_store", "csr_read", "csr_write", "aligned",
               "leading_zeros", "trailing_zeros", "population", "rotate_left",
               "or_combine_bytes", "byte_reverse", "fread", "fwrite", "rounding", "fflags",
               "_operands", "_two_product_error", "_finish", "_easy", "_min_max",
               "sf_add", "sf_sub", "sf_mul", "sf_div", "sf_sqrt", "sf_fma", "sf_eq", "sf_lt",
               "sf_le", "sf_min", "sf_max", "sf_classify",
               "sf_to_int", "sf_from_int", "sf_convert", "sf_minimum", "sf_maximum",
               "sf_lt_quiet", "sf_le_quiet", "sf_round_to_integral", "sf_to_int_modular",
               "_half_to_double", "_round_to_half", "_nan_result", "_round_to_whole")
MASK32 = 0xFFFFFFFF
MASK64 = -1
NAN_BOX = -4294967296  # 0xFFFFFFFF00000000
CANONICAL_NAN_S = 0x7FC00000
# Indexed by fmt (0 single, 1 double, 2 half: Zfhmin's conversions), as the semantic functions
# index softfloat's formats.
FORMATS = (0, 1)
F16 = 2
SIGN = (2147483648, -9223372036854775808, 32768)
MAGNITUDE = (0x7FFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x7FFF)
INF_BITS = (0x7F800000, 0x7FF0000000000000, 0x7C00)
MIN_NORMAL_BITS = (0x00800000, 0x0010000000000000, 0x0400)
QUIET_BIT = (0x00400000, 0x0008000000000000, 0x0200)
CANONICAL_NAN = (0x7FC00000, 0x7FF8000000000000, 0x7E00)
FRACTION_BITS = (23, 52, 10)
FRACTION_MASK = (0x007FFFFF, 0x000FFFFFFFFFFFFF, 0x03FF)
EXPONENT_ONES = (0xFF, 0x7FF, 0x1F)
SMALLEST_SAFE = 2.0 ** -960  # below this, products and quotients may lose bits to underflow
LARGEST_SAFE = 2.0 ** 995  # above this, Dekker's splitting may overflow
TWO_TO_63 = 9.223372036854775808e18


def box_s(bits):
    return np.int64(bits) | NAN_BOX


def unbox_s(value):
    value = np.int64(value)
    return value & MASK32 if value >> 32 == -1 else np.int64(CANONICAL_NAN_S)


def fread(F, r, fmt):
    return unbox_s(F[r]) if fmt == 0 else F[r]


def fwrite(F, r, bits, fmt):
    F[r] = box_s(bits) if fmt == 0 else np.int64(bits)


def rounding(C, rm):
    """The effective rounding mode (invalid ones come back as they are: the arithmetic
    helpers then leave the instruction to the reference engine, which raises SIGILL)."""
    if rm == 7:
        return (C[FCSR] >> 5) & 7
    return rm


def fflags(C, result):
    C[FCSR] |= result[1]
    return result[0]


def _bail(st):
    """Leave the instruction to the reference engine (the result is never used)."""
    st[0] = 1
    return np.int64(0), np.int64(0)


def _operands(fs_i, fs_f, fs_s, fmt, a, b):
    """a and b as host doubles (singles widened exactly)."""
    if fmt == 1:
        fs_i[0] = a
        fs_i[1] = b
        return fs_f[0], fs_f[1]
    fs_i[0] = a
    fs_i[1] = b
    singles = fs_s  # the low halves of the two words (little-endian hosts)
    return np.float64(singles[0]), np.float64(singles[2])


def _two_sum_error(x, y, s):
    """x + y - s exactly, s being the rounded sum (Knuth's TwoSum)."""
    virtual = s - x
    return (x - (s - virtual)) + (y - virtual)


def _two_product_error(x, y, p):
    """x * y - p exactly (Dekker), for operands whose halves neither overflow nor underflow."""
    c = 134217729.0 * x
    x_hi = c - (c - x)
    x_lo = x - x_hi
    c = 134217729.0 * y
    y_hi = c - (c - y)
    y_lo = y - y_hi
    return ((x_hi * y_hi - p) + x_hi * y_lo + x_lo * y_hi) + x_lo * y_lo


def _finish(st, fs_i, fs_f, fs_s, fmt, value, error, rm):
    """Bits and flags of the exact result value + error rounded to the format under rm.
    value is a double, error has the sign of what value leaves out (zero when value is
    exact) and is small enough that value is the nearest double to the exact result. Leaves
    the instruction to the reference engine when the result is not a normal number or zero."""
    fs_f[0] = value
    direction = error
    if fmt == 1:
        bits = fs_i[0]
    else:
        if rm == RNE and error != 0.0 and fs_i[0] & 0x1FFFFFFF == 0x10000000:
            return _bail(st)  # value is halfway between two singles: it would round twice
        single = np.float32(value)
        if np.float64(single) != value:
            direction = value - np.float64(single)  # exact; it outweighs error
        fs_i[0] = 0
        fs_s[0] = single
        bits = fs_i[0] & MASK32
    magnitude = bits & MAGNITUDE[fmt]
    negative = bits & SIGN[fmt] != 0
    # Round-to-max-magnitude differs from RNE only on ties, unseen here. The smallest normal
    # number itself may have been rounded up from below it: the exact result, rounded to the
    # precision with no bound on the exponent, is then tiny, and RISC-V raises underflow.
    if rm > RMM or (rm == RMM and direction != 0.0) or magnitude >= INF_BITS[fmt] \
            or magnitude <= MIN_NORMAL_BITS[fmt] and (magnitude != 0 or direction != 0.0):
        return _bail(st)
    if direction == 0.0:
        return bits, np.int64(0)
    if rm == RTZ and (direction < 0.0) != negative:
        magnitude -= 1
    elif rm == RDN and direction < 0.0 or rm == RUP and direction > 0.0:
        magnitude += -1 if (direction > 0.0) == negative else 1
    if magnitude >= INF_BITS[fmt] or magnitude < MIN_NORMAL_BITS[fmt]:
        return _bail(st)  # stepped to an infinity or below the normal range
    return (bits & SIGN[fmt]) | magnitude, np.int64(NX)


def _easy(x, y):
    return abs(x) < LARGEST_SAFE and abs(y) < LARGEST_SAFE


def sf_add(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    s = x + y
    if not _easy(x, y) or s == 0.0 and rm == RDN:  # an exact zero sum is -0 in RDN
        return _bail(st)
    return _finish(st, fs_i, fs_f, fs_s, fmt, s, _two_sum_error(x, y, s), rm)


def sf_sub(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    return sf_add(st, fs_i, fs_f, fs_s, fmt, a, np.int64(b) ^ SIGN[fmt], rm)  # a + (-b)


def sf_mul(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    p = x * y
    if not _easy(x, y) or not abs(p) > SMALLEST_SAFE or abs(x) < SMALLEST_SAFE \
            or abs(y) < SMALLEST_SAFE:
        return _bail(st)
    return _finish(st, fs_i, fs_f, fs_s, fmt, p, _two_product_error(x, y, p), rm)


def sf_div(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    if not _easy(x, y) or not abs(y) > SMALLEST_SAFE or not abs(x) > SMALLEST_SAFE:
        return _bail(st)
    q = x / y
    if not abs(q) > SMALLEST_SAFE or not abs(q) < LARGEST_SAFE:
        return _bail(st)
    p = q * y
    remainder = (x - p) - _two_product_error(q, y, p)  # x - q * y, of the right sign
    return _finish(st, fs_i, fs_f, fs_s, fmt, q, remainder if y > 0.0 else -remainder, rm)


def sf_sqrt(st, fs_i, fs_f, fs_s, fmt, a, rm):
    x, _ = _operands(fs_i, fs_f, fs_s, fmt, a, a)
    if not x > SMALLEST_SAFE or not x < LARGEST_SAFE:
        return _bail(st)
    r = np.sqrt(x)
    p = r * r
    return _finish(st, fs_i, fs_f, fs_s, fmt, r, (x - p) - _two_product_error(r, r, p), rm)


def sf_fma(st, fs_i, fs_f, fs_s, fmt, a, b, c, rm, negate_product, negate_addend):
    """a * b + c rounded once. A single product is exact in a double, so one TwoSum gives
    the exact sum; a double product is split by Dekker, its parts added by TwoSums, and the
    sum is nearest only when what is left is clearly less than half a unit of it."""
    if negate_product:
        a = np.int64(a) ^ SIGN[fmt]
    if negate_addend:
        c = np.int64(c) ^ SIGN[fmt]
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    z, _ = _operands(fs_i, fs_f, fs_s, fmt, c, c)
    if fmt == 0:
        if not (_easy(x, y) and abs(z) < LARGEST_SAFE):
            return _bail(st)
        p = x * y
        s = p + z
        if s == 0.0 and rm == RDN:
            return _bail(st)
        return _finish(st, fs_i, fs_f, fs_s, fmt, s, _two_sum_error(p, z, s), rm)
    p = x * y
    if not (_easy(x, y) and abs(z) < LARGEST_SAFE) or not abs(p) > SMALLEST_SAFE \
            or abs(x) < SMALLEST_SAFE or abs(y) < SMALLEST_SAFE:
        return _bail(st)
    product_error = _two_product_error(x, y, p)
    s = p + z
    sum_error = _two_sum_error(p, z, s)
    t = sum_error + product_error
    tail = _two_sum_error(sum_error, product_error, t)
    v = s + t
    left = _two_sum_error(s, t, v)  # exactly: a * b + c = v + left + tail
    if v == 0.0 or not abs(v) < LARGEST_SAFE:
        return _bail(st)
    if tail != 0.0:
        # v is the nearest double when |left + tail| is below half the smaller gap next to v.
        fs_f[0] = abs(v)
        fs_i[0] -= 1
        half_gap = (abs(v) - fs_f[0]) * 0.5
        if not half_gap - abs(left) > 2.0 * abs(tail):
            return _bail(st)
    return _finish(st, fs_i, fs_f, fs_s, fmt, v, left + tail, rm)


def _round_to_whole(x, rm):
    """x rounded to an integral double under rm, and the fraction that was dropped (exact:
    x - trunc(x) loses no bits); an infinity is its own whole."""
    whole = np.trunc(x)
    fraction = x - whole if abs(x) < np.inf else 0.0
    half = abs(fraction)
    if rm == RNE:
        away = half > 0.5 or half == 0.5 and np.fmod(whole, 2.0) != 0.0
    elif rm == RMM:
        away = half >= 0.5
    else:
        away = rm == RDN and fraction < 0.0 or rm == RUP and fraction > 0.0
    if away:
        whole += 1.0 if x > 0.0 else -1.0
    return whole, fraction


def sf_to_int(st, fs_i, fs_f, fs_s, fmt, a, rm, width, signed):
    """fcvt to an integer: round to an integral double, then saturate with NV if it does
    not fit (NaN counts as +inf)."""
    x, _ = _operands(fs_i, fs_f, fs_s, fmt, a, a)
    if rm > RMM:
        return _bail(st)
    limit = 2.0 ** (width - 1) if signed else 2.0 ** width
    lowest = -limit if signed else 0.0
    if np.isnan(x):
        x = np.inf
    whole, fraction = _round_to_whole(x, rm)
    if whole < lowest:
        return np.int64(lowest), np.int64(NV)
    if whole >= limit:  # the highest value: its bits as int64 for unsigned 64-bit
        bits = width - 1 if signed else width
        return (np.int64(-1) if bits == 64 else (np.int64(1) << bits) - 1), np.int64(NV)
    if whole >= TWO_TO_63:  # an unsigned 64-bit value: its bits as int64
        value = np.int64(whole - TWO_TO_63) ^ -9223372036854775808
    else:
        value = np.int64(whole)
    return value, np.int64(NX if fraction != 0.0 else 0)


def sf_from_int(st, fs_i, fs_f, fs_s, fmt, value, rm, unsigned):
    value = np.int64(value)
    if rm > RMM or unsigned and value < 0:  # unsigned 64-bit values from 2**63 up
        return _bail(st)
    nearest = np.float64(value)
    if nearest >= TWO_TO_63:
        error = -1.0  # rounded up to 2**63
    else:
        error = np.float64(value - np.int64(nearest))
    return _finish(st, fs_i, fs_f, fs_s, fmt, nearest, error, rm)


def _nan_result(fmt, a, b):
    """The canonical NaN of fmt (0, 1, or 2: half), NV if a or b is a signalling NaN of the
    format it came in (a and b of the same format)."""
    return np.int64(CANONICAL_NAN[fmt]), _nan_flags(fmt, a, b)


def _half_to_double(a):
    """A half's value as a double (exact: every half is a double)."""
    a = np.int64(a)
    field = (a >> 10) & 0x1F
    if field == 0x1F:
        magnitude = np.nan if a & 0x3FF else np.inf
    elif field == 0:
        magnitude = np.float64(a & 0x3FF) * 2.0 ** -24
    else:
        magnitude = np.float64((a & 0x3FF) | 0x400) * 2.0 ** (field - 25)
    return -magnitude if a & 0x8000 else magnitude


def _round_to_half(fs_i, fs_f, x, rm):
    """A finite double rounded to a half under rm: its bits and flags (tininess detected
    after rounding, as RISC-V does: softfloat.round_pack's rule)."""
    fs_f[0] = x
    bits = fs_i[0]
    sign = np.int64(0x8000) if bits < 0 else np.int64(0)
    field = (bits >> 52) & 0x7FF
    sig = bits & 0x000FFFFFFFFFFFFF
    if field == 0 and sig == 0:
        return sign, np.int64(0)
    exp = np.int64(-1074)  # the value is sig * 2**exp
    if field:
        sig |= 0x0010000000000000
        exp = field - 1075
    top = exp + 52 if field else exp + _bit_length(sig) - 1  # the leading one's exponent
    shift = top - 10 - exp if top >= -14 else -24 - exp  # the last place kept: 11 bits, or 2**-24
    negative = sign != 0
    mant, inexact = _round_magnitude(sig, shift, negative, rm)
    last_place = exp + shift
    if mant >> 11:
        mant >>= 1
        last_place += 1
    if last_place > 5:  # past 65504, the largest half
        toward_zero = rm == RTZ or rm == RDN and not negative or rm == RUP and negative
        return sign | (0x7BFF if toward_zero else 0x7C00), np.int64(OF | NX)
    result = sign | (((last_place + 24) << 10) + mant)
    if not inexact:
        return result, np.int64(0)
    if top < -14 and (mant < 0x400 or _round_magnitude(sig, top - 10 - exp, negative, rm)[0]
                      >> 11 == 0):
        return result, np.int64(UF | NX)
    return result, np.int64(NX)


def _round_magnitude(sig, shift, negative, rm):
    """sig / 2**shift rounded to an integer under rm, and whether that was inexact (sig and the
    result under 2**63)."""
    if shift <= 0:
        return sig << -shift, False
    if shift > 62:
        kept = np.int64(0)
        dropped_nonzero = sig != 0
        above_half = False
        at_half = False
        at_least_half = False
    else:
        kept = sig >> shift
        dropped = sig & ((np.int64(1) << shift) - 1)
        half = np.int64(1) << (shift - 1)
        dropped_nonzero = dropped != 0
        above_half = dropped > half
        at_half = dropped == half
        at_least_half = dropped >= half
    if not dropped_nonzero:
        return kept, False
    if rm == RNE:
        up = above_half or at_half and kept & 1 == 1
    elif rm == RDN:
        up = negative
    elif rm == RUP:
        up = not negative
    elif rm == RMM:
        up = at_least_half
    else:
        up = False
    return (kept + 1 if up else kept), True


def sf_convert(st, fs_i, fs_f, fs_s, source, destination, a, rm):
    if rm > RMM:
        return _bail(st)
    a = np.int64(a)
    if source == F16:
        x = _half_to_double(a)
    else:
        x, _ = _operands(fs_i, fs_f, fs_s, source, a, a)
    if np.isnan(x):
        flags = _nan_flags(source, a, a)
        return np.int64(CANONICAL_NAN[destination]), flags
    if np.isinf(x):
        return np.int64(SIGN[destination] | INF_BITS[destination]) if x < 0.0 \
            else np.int64(INF_BITS[destination]), np.int64(0)
    if destination == F16:
        return _round_to_half(fs_i, fs_f, x, rm)
    return _finish(st, fs_i, fs_f, fs_s, destination, x, 0.0, rm)


def sf_to_int_modular(st, fs_i, fs_f, fs_s, fmt, a, bits):
    """fcvtmod.w.d: truncated toward zero, modulo 2**bits (0 for infinities and NaNs), with the
    flags of the saturating conversion toward zero."""
    flags = sf_to_int(st, fs_i, fs_f, fs_s, fmt, a, RTZ, bits, True)[1]
    a = np.int64(a)
    if a & MAGNITUDE[fmt] >= INF_BITS[fmt]:
        return np.int64(0), flags
    field = (a >> FRACTION_BITS[fmt]) & EXPONENT_ONES[fmt]
    sig = a & FRACTION_MASK[fmt]
    exp = np.int64(1) - FRACTION_BITS[fmt] - (EXPONENT_ONES[fmt] >> 1)  # of a subnormal
    if field:
        sig |= FRACTION_MASK[fmt] + 1
        exp += field - 1
    if exp >= bits or exp <= -64:
        magnitude = np.int64(0)
    else:
        magnitude = sig << exp if exp >= 0 else sig >> -exp
    value = -magnitude if a & SIGN[fmt] else magnitude
    return value & ((np.int64(1) << bits) - 1), flags


def sf_round_to_integral(st, fs_i, fs_f, fs_s, fmt, a, rm, exact):
    """fround/froundnx: to an integral value in the same format; NaNs give the canonical NaN,
    zeros and infinities themselves."""
    if rm > RMM:
        return _bail(st)
    a = np.int64(a)
    x, _ = _operands(fs_i, fs_f, fs_s, fmt, a, a)
    if np.isnan(x):
        return _nan_result(fmt, a, a)
    if np.isinf(x) or x == 0.0:
        return a, np.int64(0)
    whole, fraction = _round_to_whole(x, rm)
    if fraction == 0.0:
        return a, np.int64(0)
    flags = np.int64(NX if exact else 0)
    if whole == 0.0:
        return a & SIGN[fmt], flags  # a zero keeps the sign of what was rounded
    if fmt == 1:
        fs_f[0] = whole
        return fs_i[0], flags
    fs_i[0] = 0
    fs_s[0] = np.float32(whole)  # exact: an integer no longer than the single it came from
    return fs_i[0] & MASK32, flags


def _is_nan(fmt, a):
    return np.int64(a) & MAGNITUDE[fmt] > INF_BITS[fmt]


def _nan_flags(fmt, a, b):
    """NV when a or b is a signalling NaN."""
    signalling = _is_nan(fmt, a) and np.int64(a) & QUIET_BIT[fmt] == 0 \
        or _is_nan(fmt, b) and np.int64(b) & QUIET_BIT[fmt] == 0
    return np.int64(NV if signalling else 0)


def sf_eq(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x == y), _nan_flags(fmt, a, b)


def sf_lt(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x < y), np.int64(NV if np.isnan(x) or np.isnan(y) else 0)


def sf_le(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x <= y), np.int64(NV if np.isnan(x) or np.isnan(y) else 0)


def _order_key(fmt, a):
    magnitude = np.int64(a) & MAGNITUDE[fmt]
    return -magnitude if np.int64(a) & SIGN[fmt] else magnitude


def _min_max(fmt, a, b, maximum):
    """fmin/fmax: the other operand when one is NaN; of +0 and -0, -0 is the smaller."""
    a = np.int64(a)
    b = np.int64(b)
    a_nan = _is_nan(fmt, a)
    b_nan = _is_nan(fmt, b)
    if a_nan or b_nan:
        if a_nan and b_nan:
            return np.int64(CANONICAL_NAN[fmt]), _nan_flags(fmt, a, b)
        return (b if a_nan else a), _nan_flags(fmt, a, b)
    key_a = _order_key(fmt, a)
    key_b = _order_key(fmt, b)
    if key_a == key_b:
        return (a & b if maximum else a | b), np.int64(0)
    return (a if (key_a > key_b) == maximum else b), np.int64(0)


def sf_lt_quiet(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x < y), _nan_flags(fmt, a, b)


def sf_le_quiet(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x <= y), _nan_flags(fmt, a, b)


def sf_minimum(st, fs_i, fs_f, fs_s, fmt, a, b):
    """fminm: IEEE 754-2019 minimum (any NaN operand gives the canonical NaN)."""
    if _is_nan(fmt, a) or _is_nan(fmt, b):
        return _nan_result(fmt, a, b)
    return _min_max(fmt, a, b, False)


def sf_maximum(st, fs_i, fs_f, fs_s, fmt, a, b):
    if _is_nan(fmt, a) or _is_nan(fmt, b):
        return _nan_result(fmt, a, b)
    return _min_max(fmt, a, b, True)


def sf_min(st, fs_i, fs_f, fs_s, fmt, a, b):
    return _min_max(fmt, a, b, False)


def sf_max(st, fs_i, fs_f, fs_s, fmt, a, b):
    return _min_max(fmt, a, b, True)


def sf_classify(st, fs_i, fs_f, fs_s, fmt, a):
    """fclass's one-hot mask: bit 0 -inf, 1 -normal, 2 -subnormal, 3 -0, 4 +0, 5 +subnormal,
    6 +normal, 7 +inf, 8 signalling NaN, 9 quiet NaN."""
    a = np.int64(a)
    negative = a & SIGN[fmt] != 0
    field = (a >> FRACTION_BITS[fmt]) & EXPONENT_ONES[fmt]
    fraction = a & FRACTION_MASK[fmt]
    if field == EXPONENT_ONES[fmt]:
        if fraction:
            bit = 9 if a & QUIET_BIT[fmt] else 8
        else:
            bit = 0 if negative else 7
    elif field:
        bit = 1 if negative else 6
    elif fraction:
        bit = 2 if negative else 5
    else:
        bit = 3 if negative else 4
    return np.int64(1) << bit


# ---------------------------------------------------------------- control and status registers
# The floating-point CSRs and the instruction counters; time is the reference engine's (the host
# clock is out of numba's reach). Like the memory helpers, these take the status word.


def csr_read(st, retired, C, csr):
    if csr == CSR_CYCLE or csr == CSR_INSTRET:
        return sx(C[INSTRET] + retired)
    if XLEN == 32 and (csr == CSR_CYCLEH or csr == CSR_INSTRETH):
        return sx((C[INSTRET] + retired) >> 32)
    if csr == CSR_FFLAGS:
        return C[FCSR] & 0x1F
    if csr == CSR_FRM:
        return (C[FCSR] >> 5) & 7
    if csr == CSR_FCSR:
        return C[FCSR] & 0xFF
    st[0] = 1
    return np.int64(0)


def csr_write(st, C, csr, value):
    value = np.int64(value)
    if csr == CSR_FFLAGS:
        C[FCSR] = (C[FCSR] & ~0x1F) | (value & 0x1F)
    elif csr == CSR_FRM:
        C[FCSR] = (C[FCSR] & 0x1F) | ((value & 7) << 5)
    elif csr == CSR_FCSR:
        C[FCSR] = value & 0xFF
    else:
        st[0] = 1


def leave(st):
    """A fault (an illegal instruction, a cache-block operation on memory it may not touch):
    the reference engine runs the instruction again and raises it."""
    st[0] = 1


# ---------------------------------------------------------------- atomics
# The loop runs one hart at a time, as the reference engine does, so these are its helpers
# of the same names in emulator.semantics and emulator.isa.rv_a.


def aligned(st, addr, w, cause):
    """A misaligned atomic traps: the reference engine raises it."""
    addr = np.int64(addr)
    if addr & ((1 << w) - 1):
        st[0] = 1
    return addr


def operand(value, w):
    return sx32(value) if w == 2 else np.int64(value)


def reserve(C, addr):
    C[RESERVATION] = np.int64(addr)


def reserved(C, addr):
    return C[RESERVATION] == np.int64(addr)


def take_reservation(C, addr):
    held = C[RESERVATION] == np.int64(addr)
    C[RESERVATION] = -1
    return held


# ---------------------------------------------------------------- bit manipulation
# The helpers of emulator.isa.rv_b, on int64 words.


def _bit_length(value):
    value = np.int64(value)
    if value < 0:
        return np.int64(64)
    length = np.int64(0)
    for shift in (32, 16, 8, 4, 2, 1):
        if value >> shift:
            value >>= shift
            length += shift
    return length + value


def _width_mask(width):
    return np.int64(-1) if width == 64 else (np.int64(1) << width) - 1


def leading_zeros(value, width):
    return width - _bit_length(np.int64(value) & _width_mask(width))


def trailing_zeros(value, width):
    value = np.int64(value) & _width_mask(width)
    return _bit_length(value & -value) - 1 if value else np.int64(width)


def population(value, width):
    v = np.uint64(np.int64(value) & _width_mask(width))
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((v * np.uint64(0x0101010101010101)) >> np.uint64(56))


def rotate_left(value, amount, width):
    v = np.uint64(np.int64(value) & _width_mask(width))
    amount = np.int64(amount) & (width - 1)
    if amount == 0:
        return np.int64(v)
    rotated = (v << np.uint64(amount)) | (v >> np.uint64(width - amount))
    return np.int64(rotated) & _width_mask(width)


def or_combine_bytes(value, width):
    value = np.int64(value)
    out = np.int64(0)
    for shift in range(0, width, 8):
        if (value >> shift) & 0xFF:
            out |= np.int64(0xFF) << shift
    return out


def byte_reverse(value, width):
    value = np.int64(value)
    out = np.int64(0)
    for shift in range(0, width, 8):
        out = (out << 8) | ((value >> shift) & 0xFF)
    return out
