"""Process identity, limits, exit and the self-directed signals a single process can send."""

from __future__ import annotations

import os
import resource
import struct

from .errors import EBUSY, EINVAL, EPERM, ESRCH, SyscallError
from .kernel import Kernel, ProcessExit, signed

SIGKILL, SIGSTOP = 9, 19
SIG_DFL, SIG_IGN = 0, 1
# Signals whose default action is to be ignored (signal(7)).
IGNORED_BY_DEFAULT = {17, 23, 28}  # SIGCHLD, SIGURG, SIGWINCH
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


def rt_sigaction(k: Kernel, signum: int, act: int, oldact: int, sigsetsize: int) -> int:
    """Records actions; delivery of caught signals is not implemented yet."""
    if not 1 <= signum <= 64 or signum in (SIGKILL, SIGSTOP) and act or sigsetsize != 8:
        raise SyscallError(EINVAL)
    layout = struct.Struct("<QQQ" if k.xlen == 64 else "<IIQ")  # handler, flags, mask
    if oldact:
        k.mem.write(oldact, layout.pack(*k.process.signal_actions.get(signum, (SIG_DFL, 0, 0))))
    if act:
        handler, flags, mask = layout.unpack(k.mem.read(act, layout.size))
        k.process.signal_actions[signum] = (handler, flags, mask)
    return 0


def rt_sigprocmask(k: Kernel, how: int, new_set: int, old_set: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        raise SyscallError(EINVAL)
    if old_set:
        k.mem.write(old_set, struct.pack("<Q", k.process.signal_mask))
    if new_set:
        (mask,) = struct.unpack("<Q", k.mem.read(new_set, 8))
        mask &= ~((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)))
        if how == 0:
            k.process.signal_mask |= mask
        elif how == 1:
            k.process.signal_mask &= ~mask
        elif how == 2:
            k.process.signal_mask = mask
        else:
            raise SyscallError(EINVAL)
    return 0


def send_to_self(k: Kernel, signum: int) -> int:
    """A signal the process sends itself takes its default action, or is ignored."""
    if signum == 0:
        return 0
    if not 1 <= signum <= 64:
        raise SyscallError(EINVAL)
    handler = k.process.signal_actions.get(signum, (SIG_DFL, 0, 0))[0]
    if handler == SIG_IGN or (handler == SIG_DFL and signum in IGNORED_BY_DEFAULT):
        return 0
    if handler == SIG_DFL:
        raise ProcessExit(signal=signum)
    k.warn_once(-signum, f"signal {signum} has a handler, but signal delivery is not "
                         "implemented yet: ignored")
    return 0


def kill(k: Kernel, pid: int, signum: int) -> int:
    pid = signed(pid)
    if pid not in (0, -1, k.process.pid):
        raise SyscallError(EPERM if pid > 0 else ESRCH)
    return send_to_self(k, signum)


def tkill(k: Kernel, tid: int, signum: int) -> int:
    if signed(tid) != k.process.pid:
        raise SyscallError(ESRCH)
    return send_to_self(k, signum)


def tgkill(k: Kernel, tgid: int, tid: int, signum: int) -> int:
    if signed(tgid) != k.process.pid:
        raise SyscallError(ESRCH)
    return tkill(k, tid, signum)


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
