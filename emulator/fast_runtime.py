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

# The constants the helpers use; the generated module defines each of them again, with XLEN
# set to the width it is generated for.
XLEN = 64
ADDRESS_LIMIT = 1 << VA_BITS
TLB_MASK = FAST_TLB_SIZE - 1
CONSTANTS = ("ADDRESS_LIMIT", "TLB_MASK", "PAGE_SHIFT", "PTE_CODE", "PTE_FRAME_SHIFT", "L1_SHIFT")


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
