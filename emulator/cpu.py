"""Architectural state of one RISC-V hart, in numpy arrays both engines can share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Indices into CpuState.ctrl.
PC = 0
FCSR = 1
INSTRET = 2
RESERVATION = 3  # address held by LR, or -1
# The vector extension's CSRs (vtype sign-extended from XLEN bits: vill, its top bit, makes it
# negative) and VLEN in bytes, which semantics read like a CSR.
VL = 4
VTYPE = 5
VSTART = 6
VXRM = 7
VXSAT = 8
VLENB = 9
CTRL_SIZE = 10
VLENS = (128, 256, 512, 1024)  # the VLENs pyemu offers (qemu's default is 128)

# x0 is hard-wired to zero: instructions that name it as destination write this slot instead,
# so neither engine needs a test on every register write.
DISCARD = 32

ABI_NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]
FP_ABI_NAMES = ["ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"]


@dataclass(frozen=True)
class Trap(Exception):
    """A synchronous exception raised by an instruction, named by its RISC-V cause code."""

    cause: int
    tval: int = 0


# RISC-V exception cause codes (scause) that a user-mode hart can raise.
CAUSE_MISALIGNED_FETCH = 0
CAUSE_FETCH_ACCESS = 1
CAUSE_ILLEGAL_INSTRUCTION = 2
CAUSE_BREAKPOINT = 3
CAUSE_MISALIGNED_LOAD = 4
CAUSE_LOAD_ACCESS = 5
CAUSE_MISALIGNED_STORE = 6
CAUSE_STORE_ACCESS = 7
CAUSE_ECALL_U = 8
CAUSE_FETCH_PAGE_FAULT = 12
CAUSE_LOAD_PAGE_FAULT = 13
CAUSE_STORE_PAGE_FAULT = 15


class CpuState:
    """Registers of one hart. Values in x are XLEN-bit numbers sign-extended to 64 bits."""

    def __init__(self, xlen: int = 64, vlen: int = 128):
        if xlen not in (32, 64):
            raise ValueError(f"unsupported XLEN {xlen}")
        if vlen not in VLENS:
            raise ValueError(f"unsupported VLEN {vlen}")
        self.xlen = xlen
        self.vlen = vlen
        self.x = np.zeros(33, dtype=np.int64)
        self.f = np.zeros(32, dtype=np.int64)  # raw IEEE bits; singles are NaN-boxed
        self.v = np.zeros(32 * vlen // 8, dtype=np.uint8)  # v0..v31, each VLEN bits
        self.ctrl = np.zeros(CTRL_SIZE, dtype=np.int64)
        self.ctrl[RESERVATION] = -1
        self.ctrl[VTYPE] = -(1 << 63)  # vill until the first vsetvl, as qemu starts
        self.ctrl[VLENB] = vlen // 8

    def copy(self) -> CpuState:
        """Another hart with these registers, vectors and control registers (the pc, fcsr,
        instret, reservation and vector CSRs too): a new thread's, a snapshot."""
        twin = CpuState(self.xlen, self.vlen)
        twin.x[:] = self.x
        twin.f[:] = self.f
        twin.v[:] = self.v
        twin.ctrl[:] = self.ctrl
        return twin

    @property
    def pc(self) -> int:
        return int(self.ctrl[PC]) & ((1 << self.xlen) - 1)

    @pc.setter
    def pc(self, value: int) -> None:
        self.ctrl[PC] = _to_int64(value & ((1 << self.xlen) - 1))

    @property
    def fcsr(self) -> int:
        return int(self.ctrl[FCSR])

    @fcsr.setter
    def fcsr(self, value: int) -> None:
        self.ctrl[FCSR] = value & 0xFF

    @property
    def instret(self) -> int:
        return int(self.ctrl[INSTRET])

    def get(self, index: int) -> int:
        """Integer register `index` as an unsigned XLEN-bit number."""
        return int(self.x[index]) & ((1 << self.xlen) - 1) if index else 0

    def get_signed(self, index: int) -> int:
        return int(self.x[index]) if index else 0

    def set(self, index: int, value: int) -> None:
        if index:
            bits = self.xlen
            value &= (1 << bits) - 1
            self.x[index] = _to_int64(value - ((value >> (bits - 1)) << bits))

    def get_f(self, index: int) -> int:
        return int(self.f[index]) & 0xFFFF_FFFF_FFFF_FFFF

    def set_f(self, index: int, bits: int) -> None:
        self.f[index] = _to_int64(bits & 0xFFFF_FFFF_FFFF_FFFF)


def _to_int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value
