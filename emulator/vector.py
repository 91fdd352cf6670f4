"""The machinery of the vector extension (V 1.0) that its declarations in isa/rv_v.py call.

Registers are the bytes of a bytearray V (v0..v31, VLENB bytes each, element i of a register
group starting at register r is at r * VLENB + i * SEW / 8: a group's registers are
contiguous); vl, vtype, vstart, vxrm, vxsat and VLENB are entries of the control array C.
Elements are handled as unsigned Python ints of their width, one at a time: this is the
reference, written for exactness rather than speed.

Policies: like qemu (whose rvv_ta_all_1s and rvv_ma_all_1s are off), tail and masked-off
elements are left undisturbed whatever vta and vma say, which the specification allows.
"""

from __future__ import annotations

from .cpu import (
    CAUSE_ILLEGAL_INSTRUCTION,
    VL,
    VLENB,
    VSTART,
    VTYPE,
    VXRM,
    VXSAT,
    Trap,
)
from .memory import GuestFault

ELEN = 64


def illegal() -> None:
    raise Trap(CAUSE_ILLEGAL_INSTRUCTION, 0)


def signed(value: int, bits: int) -> int:
    return value - ((value >> (bits - 1) & 1) << bits)


# ---------------------------------------------------------------- vtype and vl


def lmul_log(vlmul: int) -> int:
    """log2 of LMUL from vtype's vlmul field (5, 6, 7: 1/8, 1/4, 1/2)."""
    return vlmul - 8 if vlmul & 4 else vlmul


def vlmax(vlenb: int, sew_bytes: int, lmul: int) -> int:
    """Elements of a register group: VLEN * LMUL / SEW."""
    return (vlenb << max(lmul, 0)) // (sew_bytes << max(-lmul, 0))


def vtype_legal(vtype: int, xlen: int) -> bool:
    """Whether a vtype value is one this hart supports (else setting it sets vill)."""
    vlmul, vsew = vtype & 7, (vtype >> 3) & 7
    if vtype >> 8 & ((1 << (xlen - 9)) - 1) or vtype >> (xlen - 1) & 1:
        return False  # reserved bits, or vill itself
    if vsew > 3 or vlmul == 4:
        return False
    # A fractional LMUL must leave room for one element of SEW: SEW <= ELEN * LMUL.
    return not (vlmul & 4 and (8 << vsew) > ELEN >> (8 - vlmul))


def set_vtype(C, vtype: int, avl: int | None, xlen: int) -> int:
    """vsetvl/vsetvli/vsetivli: vtype and vl from the requested AVL (None: VLMAX; the current
    vl when both rs1 and rd are x0, which the caller passes); returns the new vl."""
    C[VSTART] = 0
    vtype &= (1 << xlen) - 1
    if not vtype_legal(vtype, xlen):
        C[VTYPE], C[VL] = -(1 << 63), 0
        return 0
    longest = vlmax(C[VLENB], 1 << ((vtype >> 3) & 7), lmul_log(vtype & 7))
    # AVL above VLMAX: vl = VLMAX (the spec allows less below 2 * VLMAX; qemu gives VLMAX).
    C[VTYPE] = vtype
    C[VL] = longest if avl is None else min(avl, longest)
    return C[VL]


class Shape:
    """The vtype in force, for one instruction: SEW in bytes and bits, log2 LMUL, VLMAX."""

    __slots__ = ("bits", "lmul", "mask", "sew", "vl", "vlenb", "vstart")

    def __init__(self, C):
        vtype = C[VTYPE]
        if vtype < 0:
            illegal()  # vill: only vsetvl* and the whole-register moves run
        self.sew = 1 << ((vtype >> 3) & 7)
        self.bits = 8 * self.sew
        self.lmul = lmul_log(vtype & 7)
        self.vl = C[VL]
        self.vstart = C[VSTART]
        self.vlenb = C[VLENB]
        self.mask = (1 << self.bits) - 1

    def elements(self):
        return range(self.vstart, self.vl)


def check_group(register: int, lmul: int) -> None:
    """A register group of 2**lmul registers starts at a multiple of its size."""
    if lmul > 3 or lmul < -3:
        illegal()
    if lmul > 0 and register & ((1 << lmul) - 1):
        illegal()


def overlaps(a: int, a_lmul: int, b: int, b_lmul: int) -> bool:
    a_end = a + (1 << max(a_lmul, 0))
    b_end = b + (1 << max(b_lmul, 0))
    return a < b_end and b < a_end


def check_mask_destination(vd: int, sources: tuple[int, ...], lmul: int) -> None:
    """A mask result may overlap a source group only in its lowest-numbered register."""
    for source in sources:
        if source != vd and overlaps(vd, 0, source, lmul):
            illegal()


def check_mask_overlap(vd: int, vm: int) -> None:
    """A masked instruction may not write v0 with a result wider than a mask."""
    if not vm and vd == 0:
        illegal()


# ---------------------------------------------------------------- elements


def get(V, vlenb: int, register: int, i: int, size: int) -> int:
    at = register * vlenb + i * size
    return int.from_bytes(V[at:at + size], "little")


def put(V, vlenb: int, register: int, i: int, size: int, value: int) -> None:
    at = register * vlenb + i * size
    V[at:at + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def mask_bit(V, vlenb: int, register: int, i: int) -> int:
    return V[register * vlenb + (i >> 3)] >> (i & 7) & 1


def put_mask_bit(V, vlenb: int, register: int, i: int, bit: int) -> None:
    at = register * vlenb + (i >> 3)
    V[at] = (V[at] & ~(1 << (i & 7))) | (bit << (i & 7))


def active(V, vm: int, i: int) -> bool:
    """Whether element i takes part: unmasked instructions (vm = 1) use them all."""
    return vm or V[i >> 3] >> (i & 7) & 1


def done(C) -> None:
    C[VSTART] = 0


# ---------------------------------------------------------------- fixed point


def rounding_increment(C, value: int, shift: int) -> int:
    """The rounding increment of value >> shift under vxrm (spec: "Vector Fixed-Point
    Rounding Mode Register")."""
    if shift == 0:
        return 0
    mode = C[VXRM]
    bit = value >> (shift - 1) & 1
    if mode == 0:  # rnu: round to nearest, ties up
        return bit
    if mode == 1:  # rne: to nearest, ties to even
        rest = value & ((1 << (shift - 1)) - 1)
        return bit & (1 if rest else value >> shift & 1)
    if mode == 2:  # rdn: truncate
        return 0
    return int(not value >> shift & 1 and bool(value & ((1 << shift) - 1)))  # rod: jam


def rounded_shift(C, value: int, shift: int) -> int:
    return (value >> shift) + rounding_increment(C, value, shift)


def saturate(C, value: int, low: int, high: int) -> int:
    if value < low or value > high:
        C[VXSAT] = 1
        return low if value < low else high
    return value


# ---------------------------------------------------------------- arithmetic loops
# op(a, b, bits, C) on elements as unsigned ints of `bits` bits; the loops mask results.


def binary(C, V, vd: int, vs2: int, vm: int, op, vs1: int | None = None, scalar: int = 0,
           accumulate: bool = False):
    """vd[i] = op(vs2[i], vs1[i] or the scalar, bits, C) at SEW, for active elements; with
    `accumulate` (vmacc and friends), op(vd[i], vs1[i] or the scalar, vs2[i], bits, C)."""
    s = Shape(C)
    for register in (vd, vs2) if vs1 is None else (vd, vs2, vs1):
        check_group(register, s.lmul)
    check_mask_overlap(vd, vm)
    scalar &= s.mask
    n, size, vlenb = s.bits, s.sew, s.vlenb
    for i in s.elements():
        if active(V, vm, i):
            b = scalar if vs1 is None else get(V, vlenb, vs1, i, size)
            a = get(V, vlenb, vs2, i, size)
            if accumulate:
                result = op(get(V, vlenb, vd, i, size), b, a, n, C)
            else:
                result = op(a, b, n, C)
            put(V, vlenb, vd, i, size, result)
    done(C)


def widening(C, V, vd: int, vs2: int, vm: int, op, vs1: int | None = None, scalar: int = 0,
             wide_vs2: bool = False, accumulate: bool = False):
    """vd[i] (2 * SEW) = op(vs2[i] (SEW, or 2 * SEW for the .w forms), vs1[i] or the scalar
    (SEW), bits, C); with `accumulate`, op(vd[i], b, vs2[i], bits, C) instead."""
    s = Shape(C)
    if s.bits * 2 > ELEN or s.lmul == 3:
        illegal()
    wide = s.lmul + 1
    check_group(vd, wide)
    check_group(vs2, wide if wide_vs2 else s.lmul)
    if vs1 is not None:
        check_group(vs1, s.lmul)
    check_mask_overlap(vd, vm)
    # A narrow source may overlap the wide destination only in its highest-numbered part.
    for narrow in ((vs1,) if vs1 is not None else ()) + (() if wide_vs2 else (vs2,)):
        if overlaps(vd, wide, narrow, s.lmul) and not (
                s.lmul >= 0 and narrow == vd + (1 << s.lmul)):
            illegal()
    scalar &= s.mask
    n, size, vlenb = s.bits, s.sew, s.vlenb
    for i in s.elements():
        if active(V, vm, i):
            a = get(V, vlenb, vs2, i, 2 * size if wide_vs2 else size)
            b = scalar if vs1 is None else get(V, vlenb, vs1, i, size)
            if accumulate:
                result = op(get(V, vlenb, vd, i, 2 * size), b, a, n, C)
            else:
                result = op(a, b, n, C)
            put(V, vlenb, vd, i, 2 * size, result)
    done(C)


def narrowing(C, V, vd: int, vs2: int, vm: int, op, vs1: int | None = None, scalar: int = 0):
    """vd[i] (SEW) = op(vs2[i] (2 * SEW), vs1[i] or the scalar (SEW), bits, C)."""
    s = Shape(C)
    if s.bits * 2 > ELEN or s.lmul == 3:
        illegal()
    check_group(vd, s.lmul)
    check_group(vs2, s.lmul + 1)
    if vs1 is not None:
        check_group(vs1, s.lmul)
    check_mask_overlap(vd, vm)
    if overlaps(vd, s.lmul, vs2, s.lmul + 1) and not (vd == vs2 and s.lmul <= 0) \
            and not (s.lmul >= 0 and vd == vs2):
        illegal()
    scalar &= s.mask
    n, size, vlenb = s.bits, s.sew, s.vlenb
    for i in s.elements():
        if active(V, vm, i):
            b = scalar if vs1 is None else get(V, vlenb, vs1, i, size)
            put(V, vlenb, vd, i, size, op(get(V, vlenb, vs2, i, 2 * size), b, n, C))
    done(C)


def compare(C, V, vd: int, vs2: int, vm: int, op, vs1: int | None = None, scalar: int = 0):
    """Mask register vd, bit i = op(vs2[i], vs1[i] or the scalar, bits, C)."""
    s = Shape(C)
    sources = (vs2,) if vs1 is None else (vs2, vs1)
    for register in sources:
        check_group(register, s.lmul)
    check_mask_destination(vd, sources, s.lmul)
    scalar &= s.mask
    n, size, vlenb = s.bits, s.sew, s.vlenb
    for i in s.elements():
        if active(V, vm, i):
            b = scalar if vs1 is None else get(V, vlenb, vs1, i, size)
            put_mask_bit(V, vlenb, vd, i, int(bool(op(get(V, vlenb, vs2, i, size), b, n, C))))
    done(C)


def carry(C, V, vd: int, vs2: int, vm: int, subtract: bool, to_mask: bool,
          vs1: int | None = None, scalar: int = 0):
    """vadc/vsbc (vm = 0: with v0's carry/borrow) and vmadc/vmsbc (their carry-out, a mask)."""
    s = Shape(C)
    sources = (vs2,) if vs1 is None else (vs2, vs1)
    for register in sources:
        check_group(register, s.lmul)
    if to_mask:
        check_mask_destination(vd, sources, s.lmul)
    else:
        check_group(vd, s.lmul)
        if vd == 0:
            illegal()
    scalar &= s.mask
    n, size, vlenb = s.bits, s.sew, s.vlenb
    for i in s.elements():
        a = get(V, vlenb, vs2, i, size)
        b = scalar if vs1 is None else get(V, vlenb, vs1, i, size)
        c = 0 if vm else mask_bit(V, vlenb, 0, i)
        total = a - b - c if subtract else a + b + c
        if to_mask:
            put_mask_bit(V, vlenb, vd, i, int(total < 0 or total >> n != 0))
        else:
            put(V, vlenb, vd, i, size, total)
    done(C)


def merge(C, V, vd: int, vs2: int, vm: int, vs1: int | None = None, scalar: int = 0):
    """vmerge (vm = 0: v0 picks vs1/the scalar over vs2) and vmv.v (vm = 1, vs2 = 0)."""
    s = Shape(C)
    check_group(vd, s.lmul)
    if vs1 is not None:
        check_group(vs1, s.lmul)
    if not vm:
        check_group(vs2, s.lmul)
        if vd == 0:
            illegal()
    elif vs2:
        illegal()
    size, vlenb = s.sew, s.vlenb
    for i in s.elements():
        if vm or mask_bit(V, vlenb, 0, i):
            value = scalar if vs1 is None else get(V, vlenb, vs1, i, size)
        else:
            value = get(V, vlenb, vs2, i, size)
        put(V, vlenb, vd, i, size, value)
    done(C)


def reduction(C, V, vd: int, vs2: int, vs1: int, vm: int, op, widen: int = 0):
    """vd[0] = op(... op(vs1[0], vs2[first active]) ...) over the active elements of vs2
    (widen: 1 unsigned, -1 signed, the widening sums, with a 2 * SEW accumulator)."""
    s = Shape(C)
    if s.vstart:
        illegal()
    check_group(vs2, s.lmul)
    n, size, vlenb = s.bits, s.sew, s.vlenb
    if widen and 2 * n > ELEN:
        illegal()
    wide = 2 * size if widen else size
    accumulator = get(V, vlenb, vs1, 0, wide)
    if s.vl == 0:
        done(C)
        return  # vd is left as it is
    for i in range(s.vl):
        if active(V, vm, i):
            value = get(V, vlenb, vs2, i, size)
            if widen < 0:
                value = signed(value, n) & ((1 << (2 * n)) - 1)
            accumulator = op(accumulator, value, 8 * wide, C) & ((1 << (8 * wide)) - 1)
    put(V, vlenb, vd, 0, wide, accumulator)
    done(C)


def mask_logical(C, V, vd: int, vs2: int, vs1: int, op):
    """vmand.mm and friends: bits 0 .. vl - 1 of mask registers."""
    vl, vlenb = C[VL], C[VLENB]
    if C[VTYPE] < 0:
        illegal()
    for i in range(C[VSTART], vl):
        bit = op(mask_bit(V, vlenb, vs2, i), mask_bit(V, vlenb, vs1, i)) & 1
        put_mask_bit(V, vlenb, vd, i, bit)
    done(C)


def extend(C, V, vd: int, vs2: int, vm: int, factor: int, sign: bool):
    """vzext/vsext.vf2/4/8: vd[i] (SEW) from vs2[i] (SEW / factor)."""
    s = Shape(C)
    narrow = s.sew // factor
    source_lmul = s.lmul - factor.bit_length() + 1
    if narrow == 0 or source_lmul < -3:
        illegal()
    check_group(vd, s.lmul)
    check_group(vs2, source_lmul)
    check_mask_overlap(vd, vm)
    if overlaps(vd, s.lmul, vs2, source_lmul) and not (
            source_lmul >= 0 and vs2 == vd + (1 << s.lmul) - (1 << source_lmul)):
        illegal()
    size, vlenb = s.sew, s.vlenb
    for i in s.elements():
        if active(V, vm, i):
            value = get(V, vlenb, vs2, i, narrow)
            put(V, vlenb, vd, i, size, signed(value, 8 * narrow) if sign else value)
    done(C)


# ---------------------------------------------------------------- mask instructions


def count_population(C, V, vs2: int, vm: int) -> int:
    Shape(C)
    if C[VSTART]:
        illegal()
    vlenb = C[VLENB]
    return sum(mask_bit(V, vlenb, vs2, i) for i in range(C[VL]) if active(V, vm, i))


def find_first(C, V, vs2: int, vm: int) -> int:
    Shape(C)
    if C[VSTART]:
        illegal()
    vlenb = C[VLENB]
    for i in range(C[VL]):
        if active(V, vm, i) and mask_bit(V, vlenb, vs2, i):
            return i
    return -1


def set_before_first(C, V, vd: int, vs2: int, vm: int, kind: int):
    """vmsbf (kind 1), vmsof (2), vmsif (3): bits before, at, or up to the first set bit."""
    s = Shape(C)
    if s.vstart or vd == vs2 or (not vm and vd == 0):
        illegal()
    vlenb, found = s.vlenb, False
    for i in range(s.vl):
        if not active(V, vm, i):
            continue
        bit = mask_bit(V, vlenb, vs2, i)
        if kind == 1:
            value = int(not found and not bit)
        elif kind == 2:
            value = int(not found and bool(bit))
        else:
            value = int(not found)
        found = found or bool(bit)
        put_mask_bit(V, vlenb, vd, i, value)
    done(C)


def iota(C, V, vd: int, vs2: int, vm: int):
    s = Shape(C)
    check_group(vd, s.lmul)
    if s.vstart or overlaps(vd, s.lmul, vs2, 0) or (not vm and vd == 0):
        illegal()
    count, vlenb = 0, s.vlenb
    for i in range(s.vl):
        if active(V, vm, i):
            put(V, vlenb, vd, i, s.sew, count)
            count += mask_bit(V, vlenb, vs2, i)
    done(C)


def element_index(C, V, vd: int, vm: int):
    s = Shape(C)
    check_group(vd, s.lmul)
    check_mask_overlap(vd, vm)
    for i in s.elements():
        if active(V, vm, i):
            put(V, s.vlenb, vd, i, s.sew, i)
    done(C)


# ---------------------------------------------------------------- permutations


def scalar_of(C, V, vs2: int) -> int:
    """vs2[0] at SEW, sign-extended (vmv.x.s; vill makes it illegal as qemu does)."""
    s = Shape(C)
    return signed(get(V, s.vlenb, vs2, 0, s.sew), s.bits)


def set_scalar(C, V, vd: int, value: int):
    """vmv.s.x: vd[0] = value when vl > 0 (and vstart < vl)."""
    s = Shape(C)
    if s.vstart < s.vl:
        put(V, s.vlenb, vd, 0, s.sew, value)
    done(C)


def slide(C, V, vd: int, vs2: int, vm: int, offset: int, up: bool, fill: int | None = None):
    """vslideup/vslidedown by `offset`; vslide1up/vslide1down when `fill` (the scalar) is
    given (offset 1)."""
    s = Shape(C)
    check_group(vd, s.lmul)
    check_group(vs2, s.lmul)
    check_mask_overlap(vd, vm)
    if up and overlaps(vd, s.lmul, vs2, s.lmul):
        illegal()
    size, vlenb, longest = s.sew, s.vlenb, vlmax(s.vlenb, s.sew, s.lmul)
    for i in s.elements():
        if not active(V, vm, i):
            continue
        if up:
            if i < offset:
                if fill is not None:
                    put(V, vlenb, vd, i, size, fill)
                continue
            put(V, vlenb, vd, i, size, get(V, vlenb, vs2, i - offset, size))
        else:
            source = i + offset
            if fill is not None and i == s.vl - 1:
                value = fill
            else:
                value = get(V, vlenb, vs2, source, size) if source < longest else 0
            put(V, vlenb, vd, i, size, value)
    done(C)


def gather(C, V, vd: int, vs2: int, vm: int, vs1: int | None = None, scalar: int = 0,
           index_size: int = 0):
    """vrgather (index_size 0: indices of SEW) and vrgatherei16 (index_size 2)."""
    s = Shape(C)
    size, vlenb = s.sew, s.vlenb
    index_lmul = s.lmul if not index_size else s.lmul + index_size.bit_length() - \
        size.bit_length()
    check_group(vd, s.lmul)
    check_group(vs2, s.lmul)
    if vs1 is not None:
        check_group(vs1, index_lmul)
        if overlaps(vd, s.lmul, vs1, index_lmul):
            illegal()
    if overlaps(vd, s.lmul, vs2, s.lmul):
        illegal()
    check_mask_overlap(vd, vm)
    longest = vlmax(vlenb, size, s.lmul)
    scalar &= (1 << 64) - 1
    for i in s.elements():
        if active(V, vm, i):
            index = scalar if vs1 is None else get(V, vlenb, vs1, i, index_size or size)
            put(V, vlenb, vd, i, size, get(V, vlenb, vs2, index, size) if index < longest else 0)
    done(C)


def compress(C, V, vd: int, vs2: int, vs1: int):
    s = Shape(C)
    check_group(vd, s.lmul)
    check_group(vs2, s.lmul)
    if s.vstart or overlaps(vd, s.lmul, vs2, s.lmul) or overlaps(vd, s.lmul, vs1, 0):
        illegal()
    out, vlenb = 0, s.vlenb
    for i in range(s.vl):
        if mask_bit(V, vlenb, vs1, i):
            put(V, vlenb, vd, out, s.sew, get(V, vlenb, vs2, i, s.sew))
            out += 1
    done(C)


def move_whole(C, V, vd: int, vs2: int, count: int):
    """vmv<count>r.v: registers, whatever vtype (even vill)."""
    if count not in (1, 2, 4, 8) or vd % count or vs2 % count:
        illegal()
    vlenb = C[VLENB]
    start = C[VSTART]
    total = count * vlenb
    if start < total:
        V[vd * vlenb + start:vd * vlenb + total] = V[vs2 * vlenb + start:vs2 * vlenb + total]
    done(C)


# ---------------------------------------------------------------- loads and stores

# Unit-stride variants (lumop/sumop, the rs2 field).
UNIT, WHOLE, MASK, FAULT_FIRST = 0b00000, 0b01000, 0b01011, 0b10000
# mop: addressing.
UNIT_STRIDE, INDEXED_UNORDERED, STRIDED, INDEXED_ORDERED = 0, 1, 2, 3
WIDTH_BYTES = {0: 1, 5: 2, 6: 4, 7: 8}


def memory_access(X, C, V, M, vd: int, rs1: int, rs2: int, vm: int, nf: int, mop: int,
                  width: int, store: bool, xlen: int):
    """Every vector load and store: unit-stride (with its whole-register, mask and
    fault-only-first forms), strided and indexed, with nf + 1 fields per segment."""
    eew = WIDTH_BYTES[width]
    vlenb = C[VLENB]
    base = X[rs1] & ((1 << xlen) - 1)
    fields = nf + 1
    if mop == UNIT_STRIDE and rs2 == WHOLE:
        if fields not in (1, 2, 4, 8) or vd % fields:
            illegal()
        access_elements(C, V, M, vd, base, eew, fields * vlenb // eew, store, xlen)
        return
    s = Shape(C)
    if mop == UNIT_STRIDE and rs2 == MASK:
        access_elements(C, V, M, vd, base, 1, (s.vl + 7) // 8, store, xlen)
        return
    indexed = mop in (INDEXED_ORDERED, INDEXED_UNORDERED)
    size = s.sew if indexed else eew
    # EMUL = EEW / SEW * LMUL of the data (indexed: of the index) in log2.
    data_lmul = s.lmul if indexed else s.lmul + eew.bit_length() - s.sew.bit_length()
    emul_registers = 1 << max(data_lmul, 0)
    if data_lmul > 3 or data_lmul < -3 or fields * emul_registers > 8 \
            or vd + fields * emul_registers > 32:
        illegal()
    check_group(vd, data_lmul)
    check_mask_overlap(vd, vm)
    if indexed:
        index_lmul = s.lmul + eew.bit_length() - s.sew.bit_length()
        check_group(rs2, index_lmul)
        if not store and fields > 1 and overlaps(vd, data_lmul + (fields - 1).bit_length(),
                                                  rs2, index_lmul):
            illegal()
    if mop == STRIDED:
        stride = X[rs2]
    if mop == UNIT_STRIDE:
        stride = fields * size
    xmask = (1 << xlen) - 1
    first_only = mop == UNIT_STRIDE and rs2 == FAULT_FIRST and not store
    if mop == UNIT_STRIDE and fields == 1 and vm and bulk_access(
            V, M, vd * vlenb + s.vstart * size, (base + s.vstart * size) & xmask,
            (s.vl - s.vstart) * size, store):
        done(C)
        return
    for i in s.elements():
        if not active(V, vm, i):
            continue
        if indexed:
            offset = get(V, vlenb, rs2, i, eew)
        else:
            offset = i * stride
        try:
            for f in range(fields):
                address = (base + offset + f * size) & xmask
                register = vd + f * emul_registers
                if store:
                    M.store(address, size, get(V, vlenb, register, i, size))
                else:
                    value = M.load(address, size, False)
                    put(V, vlenb, register, i, size, value)
        except GuestFault:
            if first_only and i > 0:
                C[VL] = i  # fault-only-first: vl trimmed to the elements loaded
                break
            C[VSTART] = i
            raise
    done(C)


def access_elements(C, V, M, vd: int, base: int, size: int, count: int, store: bool,
                    xlen: int):
    """Whole-register and mask loads and stores: `count` consecutive elements of `size`
    bytes, from vstart, ignoring the mask."""
    vlenb = C[VLENB]
    xmask = (1 << xlen) - 1
    start = C[VSTART]
    if bulk_access(V, M, vd * vlenb + start * size, (base + start * size) & xmask,
                   (count - start) * size, store):
        done(C)
        return
    for i in range(start, count):
        address = (base + i * size) & xmask
        try:
            if store:
                M.store(address, size, get(V, vlenb, vd, i, size))
            else:
                put(V, vlenb, vd, i, size, M.load(address, size, False))
        except GuestFault:
            C[VSTART] = i
            raise
    done(C)


def bulk_access(V, M, at: int, address: int, size: int, store: bool) -> bool:
    """Contiguous elements moved at once between V[at:] and memory, the common case of
    unit-stride and whole-register accesses; False where an element faults (then the element
    loop repeats the access, element by element, to stop with vstart at the faulting one:
    a partial write it may have left is written again with the same bytes)."""
    if size <= 0:
        return True
    try:
        if store:
            M.write(address, bytes(V[at:at + size]))
        else:
            V[at:at + size] = M.read(address, size)
    except GuestFault:
        return False
    return True
