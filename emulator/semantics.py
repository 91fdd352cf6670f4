"""The helpers that instruction semantics call, bound for one XLEN.

The ISA modules import these names (so they read and lint as ordinary Python, bound for
RV64); each engine compiles the semantic functions again in a namespace made by
`namespace(xlen)`, which is how one description serves RV32 and RV64. Registers hold XLEN-bit
values sign-extended to Python ints in [-2**63, 2**63).
"""

from __future__ import annotations

import time

from . import softfloat
from .cpu import (
    CAUSE_BREAKPOINT,
    CAUSE_ECALL_U,
    CAUSE_ILLEGAL_INSTRUCTION,
    FCSR,
    INSTRET,
    RESERVATION,
    VL,
    VLENB,
    VSTART,
    VTYPE,
    VXRM,
    VXSAT,
    Trap,
)

CSR_FFLAGS = 0x001
CSR_FRM = 0x002
CSR_FCSR = 0x003
CSR_CYCLE = 0xC00
CSR_TIME = 0xC01
CSR_INSTRET = 0xC02
CSR_CYCLEH = 0xC80
CSR_TIMEH = 0xC81
CSR_INSTRETH = 0xC82
CSR_VSTART = 0x008
CSR_VXSAT = 0x009
CSR_VXRM = 0x00A
CSR_VCSR = 0x00F
CSR_VL = 0xC20
CSR_VTYPE = 0xC21
CSR_VLENB = 0xC22

TIMEBASE_HZ = 10_000_000  # what Linux on QEMU's virt board reports for rdtime
CANONICAL_NAN_S = 0x7FC00000
NAN_BOX = 0xFFFF_FFFF_0000_0000
MASK32 = 0xFFFF_FFFF
MASK64 = 0xFFFF_FFFF_FFFF_FFFF
F32 = softfloat.F32
F64 = softfloat.F64


def sx32(v: int) -> int:
    """Sign-extend the low 32 bits (results of the *W instructions)."""
    v &= MASK32
    return v - ((v >> 31) << 32)


def ltu(a: int, b: int) -> bool:
    """Unsigned less-than of two sign-extended register values (any XLEN)."""
    return (a ^ -(1 << 63)) < (b ^ -(1 << 63))


def illegal(word: int = 0) -> None:
    raise Trap(CAUSE_ILLEGAL_INSTRUCTION, word)


def ecall() -> None:
    raise Trap(CAUSE_ECALL_U)


def ebreak(pc: int) -> None:
    raise Trap(CAUSE_BREAKPOINT, pc)


def reserve(C, addr: int) -> None:
    C[RESERVATION] = addr


def reserved(C, addr: int) -> bool:
    return C[RESERVATION] == addr


def take_reservation(C, addr: int) -> bool:
    """SC succeeds only on the reserved address; any SC clears the reservation."""
    held = C[RESERVATION] == addr
    C[RESERVATION] = -1
    return held


# ---------------------------------------------------------------- floating point


def rounding(C, rm: int) -> int:
    """The rounding mode an instruction uses: its static rm, or frm when rm is DYN (7)."""
    if rm == 7:
        rm = (C[FCSR] >> 5) & 7
    if rm > 4:
        illegal()
    return rm


def fflags(C, result: tuple[int, int]) -> int:
    """Accrue a softfloat result's exception flags in fcsr and return its bits."""
    bits, flags = result
    C[FCSR] |= flags
    return bits


def box_s(bits: int) -> int:
    return bits | NAN_BOX


def unbox_s(value: int) -> int:
    """A single from an f register: a value not properly NaN-boxed reads as the canonical NaN."""
    return value & MASK32 if value >> 32 == MASK32 else CANONICAL_NAN_S


def host_time() -> int:
    return time.monotonic_ns() // (1_000_000_000 // TIMEBASE_HZ)


def namespace(xlen: int, clock=host_time) -> dict:
    """The helper names, bound for `xlen`, in which semantic functions are compiled."""
    xmask = (1 << xlen) - 1
    sign = 1 << (xlen - 1)

    def sx(v: int) -> int:
        """Wrap a result to XLEN bits, sign-extended."""
        v &= xmask
        return v - ((v & sign) << 1)

    def ux(v: int) -> int:
        """A register value as an unsigned XLEN-bit number (addresses, unsigned operands)."""
        return v & xmask

    # Upper halves of the double-width products (signed x signed, signed x unsigned, unsigned).
    def mulh(a: int, b: int) -> int:
        return sx((a * b) >> xlen)

    def mulhsu(a: int, b: int) -> int:
        return sx((a * (b & xmask)) >> xlen)

    def mulhu(a: int, b: int) -> int:
        return sx(((a & xmask) * (b & xmask)) >> xlen)

    def csr_read(C, csr: int) -> int:
        if csr == CSR_FFLAGS:
            return C[FCSR] & 0x1F
        if csr == CSR_FRM:
            return (C[FCSR] >> 5) & 7
        if csr == CSR_FCSR:
            return C[FCSR] & 0xFF
        if csr in (CSR_CYCLE, CSR_INSTRET):
            return sx(C[INSTRET])
        if csr == CSR_TIME:
            return sx(clock())
        if xlen == 32 and csr in (CSR_CYCLEH, CSR_INSTRETH):
            return sx(C[INSTRET] >> 32)
        if xlen == 32 and csr == CSR_TIMEH:
            return sx(clock() >> 32)
        if csr == CSR_VL:
            return C[VL]
        if csr == CSR_VTYPE:  # vill (kept as bit 63) is bit XLEN-1
            return sx(C[VTYPE]) if C[VTYPE] >= 0 else -(1 << (xlen - 1))
        if csr == CSR_VLENB:
            return C[VLENB]
        if csr == CSR_VSTART:
            return C[VSTART]
        if csr == CSR_VXSAT:
            return C[VXSAT]
        if csr == CSR_VXRM:
            return C[VXRM]
        if csr == CSR_VCSR:
            return C[VXRM] << 1 | C[VXSAT]
        illegal()

    def csr_write(C, csr: int, value: int) -> None:
        if csr == CSR_FFLAGS:
            C[FCSR] = (C[FCSR] & ~0x1F) | (value & 0x1F)
        elif csr == CSR_FRM:
            C[FCSR] = (C[FCSR] & 0x1F) | ((value & 7) << 5)
        elif csr == CSR_FCSR:
            C[FCSR] = value & 0xFF
        elif csr == CSR_VSTART:  # as many bits as an element index of the longest group
            C[VSTART] = value & (C[VLENB] * 8 - 1)
        elif csr == CSR_VXSAT:
            C[VXSAT] = value & 1
        elif csr == CSR_VXRM:
            C[VXRM] = value & 3
        elif csr == CSR_VCSR:
            C[VXRM], C[VXSAT] = (value >> 1) & 3, value & 1
        else:  # the counters, vl, vtype and vlenb are read-only
            illegal()

    names = {k: v for k, v in globals().items() if not k.startswith("__")}
    names.update(XLEN=xlen, sx=sx, ux=ux, mulh=mulh, mulhsu=mulhsu, mulhu=mulhu,
                 csr_read=csr_read, csr_write=csr_write)
    return names


_rv64 = namespace(64)
sx = _rv64["sx"]
ux = _rv64["ux"]
mulh = _rv64["mulh"]
mulhsu = _rv64["mulhsu"]
mulhu = _rv64["mulhu"]
csr_read = _rv64["csr_read"]
csr_write = _rv64["csr_write"]
XLEN = 64
