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

from .memory import FAST_TLB_SIZE, L1_SHIFT, PAGE_SHIFT, PTE_CODE, PTE_FRAME_SHIFT, VA_BITS

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


# ---------------------------------------------------------------- floating point
# The loop does IEEE arithmetic on the host only where that is provably exact and its flags
# are cheap to tell: round-to-nearest-even, finite operands and results away from the
# overflow and underflow ranges. Error-free transformations (TwoSum, Dekker's product) tell
# whether the result is inexact. Everything else (other rounding modes, NaNs, infinities,
# subnormal results, fused multiply-add, conversions) is left to the reference engine and its
# exact softfloat, by setting the status word.

FCSR = 1
NX = 1
# Compiled as functions of their own, not inlined into every instruction that uses them.
OUT_OF_LINE = ("_operands", "_two_product_error", "_finish", "_easy", "_compare_operands",
               "sf_add", "sf_sub", "sf_mul", "sf_div", "sf_sqrt", "sf_eq", "sf_lt", "sf_le")
MASK32 = 0xFFFFFFFF
MASK64 = -1
NAN_BOX = -4294967296  # 0xFFFFFFFF00000000
CANONICAL_NAN_S = 0x7FC00000
FORMATS = (0, 1)
SIGN = (2147483648, -9223372036854775808)
SMALLEST_SAFE = 2.0 ** -960  # below this, products and quotients may lose bits to underflow
LARGEST_SAFE = 2.0 ** 995  # above this, Dekker's splitting may overflow
MIN_NORMAL_S = 2.0 ** -126
MIN_NORMAL_D = 2.0 ** -1022
MAX_FINITE_D = 1.7976931348623157e308
MAX_FINITE_S = 3.4028234663852886e38


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


def _two_product_error(x, y, p):
    """x * y - p exactly (Dekker), for operands whose halves neither overflow nor underflow."""
    c = 134217729.0 * x
    x_hi = c - (c - x)
    x_lo = x - x_hi
    c = 134217729.0 * y
    y_hi = c - (c - y)
    y_lo = y - y_hi
    return ((x_hi * y_hi - p) + x_hi * y_lo + x_lo * y_hi) + x_lo * y_lo


def _finish(st, fs_i, fs_f, fs_s, fmt, value, inexact):
    """Bits and flags of a double result, rounded to the format; fallback when near a limit."""
    magnitude = abs(value)
    if fmt == 1:
        if not magnitude < MAX_FINITE_D or (magnitude != 0.0 and magnitude < MIN_NORMAL_D):
            st[0] = 1
            return np.int64(0), np.int64(0)
        fs_f[0] = value
        return fs_i[0], np.int64(NX if inexact else 0)
    single = np.float32(value)
    size = abs(np.float64(single))
    if not size <= MAX_FINITE_S or (size != 0.0 and size < MIN_NORMAL_S):
        st[0] = 1
        return np.int64(0), np.int64(0)
    singles = fs_s
    fs_i[0] = 0
    singles[0] = single
    return fs_i[0] & MASK32, np.int64(NX if inexact or np.float64(single) != value else 0)


def _easy(x, y):
    return abs(x) < LARGEST_SAFE and abs(y) < LARGEST_SAFE


def sf_add(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    if rm != 0 or not _easy(x, y):
        st[0] = 1
        return np.int64(0), np.int64(0)
    s = x + y
    virtual = s - x
    error = (x - (s - virtual)) + (y - virtual)
    return _finish(st, fs_i, fs_f, fs_s, fmt, s, error != 0.0)


def sf_sub(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    return sf_add(st, fs_i, fs_f, fs_s, fmt, a, np.int64(b) ^ SIGN[fmt], rm)  # a + (-b)


def sf_mul(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    p = x * y
    if rm != 0 or not _easy(x, y) or not abs(p) > SMALLEST_SAFE or abs(x) < SMALLEST_SAFE \
            or abs(y) < SMALLEST_SAFE:
        st[0] = 1
        return np.int64(0), np.int64(0)
    return _finish(st, fs_i, fs_f, fs_s, fmt, p, _two_product_error(x, y, p) != 0.0)


def sf_div(st, fs_i, fs_f, fs_s, fmt, a, b, rm):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    if rm != 0 or not _easy(x, y) or not abs(y) > SMALLEST_SAFE or not abs(x) > SMALLEST_SAFE:
        st[0] = 1
        return np.int64(0), np.int64(0)
    q = x / y
    if not abs(q) > SMALLEST_SAFE or not abs(q) < LARGEST_SAFE:
        st[0] = 1
        return np.int64(0), np.int64(0)
    p = q * y
    remainder = (x - p) - _two_product_error(q, y, p)
    return _finish(st, fs_i, fs_f, fs_s, fmt, q, remainder != 0.0)


def sf_sqrt(st, fs_i, fs_f, fs_s, fmt, a, rm):
    x, _ = _operands(fs_i, fs_f, fs_s, fmt, a, a)
    if rm != 0 or not x > SMALLEST_SAFE or not x < LARGEST_SAFE:
        st[0] = 1
        return np.int64(0), np.int64(0)
    r = np.sqrt(x)
    p = r * r
    return _finish(st, fs_i, fs_f, fs_s, fmt, r, p != x or _two_product_error(r, r, p) != 0.0)


def _compare_operands(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _operands(fs_i, fs_f, fs_s, fmt, a, b)
    if np.isnan(x) or np.isnan(y):  # NaNs: the flags depend on their kind
        st[0] = 1
    return x, y


def sf_eq(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _compare_operands(st, fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x == y), np.int64(0)


def sf_lt(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _compare_operands(st, fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x < y), np.int64(0)


def sf_le(st, fs_i, fs_f, fs_s, fmt, a, b):
    x, y = _compare_operands(st, fs_i, fs_f, fs_s, fmt, a, b)
    return np.int64(x <= y), np.int64(0)
