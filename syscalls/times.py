"""struct timespec as the guest reads and writes it (64-bit fields: riscv32 has only the
time64 calls, so both XLENs)."""

from __future__ import annotations

import struct

from .errors import EINVAL, SyscallError
from .kernel import Kernel


def timespec(ns: int) -> bytes:
    """A duration or time in nanoseconds as a struct timespec."""
    return struct.pack("<qq", ns // 1_000_000_000, ns % 1_000_000_000)


def read_timespec(k: Kernel, addr: int) -> int:
    """The struct timespec at `addr` in nanoseconds (EINVAL when negative or denormal)."""
    seconds, nanoseconds = struct.unpack("<qq", k.mem.read(addr, 16))
    if seconds < 0 or not 0 <= nanoseconds < 1_000_000_000:
        raise SyscallError(EINVAL)
    return seconds * 1_000_000_000 + nanoseconds
