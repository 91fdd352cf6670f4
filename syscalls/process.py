"""Process identity, limits, exit and the self-directed signals a single process can send."""

from __future__ import annotations

import os
import resource
import struct

from .errors import EBUSY, EINVAL, ESRCH, SyscallError
from .kernel import Kernel, ProcessExit, signed

RLIM_INFINITY = (1 << 64) - 1
RLIMIT_STACK = 3
GUEST_STACK_LIMIT = 8 << 20


def exit(k: Kernel, status: int) -> int:
    raise ProcessExit(status & 0xFF)


def exit_group(k: Kernel, status: int) -> int:
    raise ProcessExit(status & 0xFF)


def getpid(k: Kernel) -> int:
    return k.process.pid


def gettid(k: Kernel) -> int:
    return k.process.pid


def getppid(k: Kernel) -> int:
    return os.getppid()


def getuid(k: Kernel) -> int:
    return os.getuid()


def geteuid(k: Kernel) -> int:
    return os.geteuid()


def getgid(k: Kernel) -> int:
    return os.getgid()


def getegid(k: Kernel) -> int:
    return os.getegid()


def set_tid_address(k: Kernel, tidptr: int) -> int:
    k.process.clear_child_tid = tidptr
    return k.process.pid


def umask(k: Kernel, mask: int) -> int:
    old, k.process.umask = k.process.umask, mask & 0o777
    os.umask(k.process.umask)
    return old


def prlimit64(k: Kernel, pid: int, resource_id: int, new_limit: int, old_limit: int) -> int:
    if pid and pid != k.process.pid:
        raise SyscallError(ESRCH)
    if resource_id >= 16:
        raise SyscallError(EINVAL)
    if old_limit:
        if resource_id == RLIMIT_STACK:
            soft, hard = GUEST_STACK_LIMIT, RLIM_INFINITY
        else:
            soft, hard = (RLIM_INFINITY if v == resource.RLIM_INFINITY else v
                          for v in resource.getrlimit(resource_id))
        k.mem.write(old_limit, struct.pack("<QQ", soft, hard))
    if new_limit:
        soft, hard = struct.unpack("<QQ", k.mem.read(new_limit, 16))
        if soft > hard:
            raise SyscallError(EINVAL)
    return 0


ROBUST_LIST_HEAD_SIZE = 24  # struct robust_list_head on riscv64
RSEQ_SIZE = 32
RSEQ_CPU_ID_START, RSEQ_CPU_ID = 0, 4


def set_robust_list(k: Kernel, head: int, length: int) -> int:
    if length != ROBUST_LIST_HEAD_SIZE:
        raise SyscallError(EINVAL)
    k.process.robust_list = head
    return 0


def get_robust_list(k: Kernel, pid: int, head_ptr: int, len_ptr: int) -> int:
    if pid and signed(pid) != k.process.pid:
        raise SyscallError(ESRCH)
    k.mem.write(head_ptr, k.process.robust_list.to_bytes(k.xlen // 8, "little"))
    k.mem.write(len_ptr, ROBUST_LIST_HEAD_SIZE.to_bytes(k.xlen // 8, "little"))
    return 0


def rseq(k: Kernel, addr: int, length: int, flags: int, signature: int) -> int:
    """Registers the area and fills in the CPU number (always CPU 0: one hart)."""
    if flags & ~1 or length < RSEQ_SIZE or addr & 31:
        raise SyscallError(EINVAL)
    if flags & 1:  # RSEQ_FLAG_UNREGISTER
        if addr != k.process.rseq_area:
            raise SyscallError(EINVAL)
        k.process.rseq_area = 0
        return 0
    if k.process.rseq_area:
        raise SyscallError(EBUSY if addr == k.process.rseq_area else EINVAL)
    k.mem.write(addr + RSEQ_CPU_ID_START, struct.pack("<II", 0, 0))
    k.process.rseq_area = addr
    return 0
