"""Descriptors that deliver events: eventfd and timerfd, both the host's own (reads, writes
and polls on them go through the ordinary descriptor calls)."""

from __future__ import annotations

import ctypes

from .errors import EINVAL, SyscallError
from .fs import host_fd, install_fd
from .host import buffer, libc_call
from .kernel import Kernel, signed

O_NONBLOCK, O_CLOEXEC = 0o4000, 0o2000000
EFD_SEMAPHORE = 1
TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 1, 2
ITIMERSPEC_SIZE = 32  # two 64-bit timespecs, the same on the host
# Clocks a timerfd can use (the *_ALARM ones need a privilege the emulator does not grant).
TIMERFD_CLOCKS = {0, 1, 7}


def _host_flags(flags: int) -> int:
    """The host's own O_NONBLOCK; close-on-exec is the guest descriptor's business."""
    return (flags & O_NONBLOCK) | O_CLOEXEC


def eventfd2(k: Kernel, initval: int, flags: int) -> int:
    if flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC):
        raise SyscallError(EINVAL)
    host = libc_call("eventfd", ctypes.c_uint(initval & 0xFFFF_FFFF),
                     _host_flags(flags) | flags & EFD_SEMAPHORE)
    return install_fd(k, host, "anon_inode:[eventfd]", bool(flags & O_CLOEXEC))


def timerfd_create(k: Kernel, clock: int, flags: int) -> int:
    if flags & ~(O_NONBLOCK | O_CLOEXEC) or signed(clock) not in TIMERFD_CLOCKS:
        raise SyscallError(EINVAL)
    host = libc_call("timerfd_create", signed(clock), _host_flags(flags))
    return install_fd(k, host, "anon_inode:[timerfd]", bool(flags & O_CLOEXEC))


def timerfd_settime(k: Kernel, fd: int, flags: int, new_addr: int, old_addr: int) -> int:
    new = buffer(k.mem.read(new_addr, ITIMERSPEC_SIZE))
    if flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET):
        raise SyscallError(EINVAL)
    host = host_fd(k, fd)
    old = buffer(ITIMERSPEC_SIZE)
    libc_call("timerfd_settime", host, flags, new, old)
    if old_addr:
        k.mem.write(old_addr, old.raw[:ITIMERSPEC_SIZE])
    return 0


def timerfd_gettime(k: Kernel, fd: int, value_addr: int) -> int:
    current = buffer(ITIMERSPEC_SIZE)
    libc_call("timerfd_gettime", host_fd(k, fd), current)
    k.mem.write(value_addr, current.raw[:ITIMERSPEC_SIZE])
    return 0
