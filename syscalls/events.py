"""Descriptors that deliver events: eventfd, timerfd and inotify are the host's own (reads,
writes and polls on them go through the ordinary descriptor calls); a signalfd is the
guest's, since its signals are: a host eventfd stands in for it, readable while a signal it
takes is pending, so that poll, select and epoll see it (signalfd.py)."""

from __future__ import annotations

import ctypes
import os

from .descriptors import AT_FDCWD, host_fd, install_fd
from .errors import EBADF, EINVAL, SyscallError
from .host import buffer, libc_call
from .kernel import Kernel, signed
from .paths import guest_path, host_name_of
from .signal_defs import UNBLOCKABLE
from .signal_delivery import read_sigset
from .signalfd import SignalFd, refresh_signalfds

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


# ---------------------------------------------------------------- inotify


def inotify_init1(k: Kernel, flags: int) -> int:
    if flags & ~(O_NONBLOCK | O_CLOEXEC):
        raise SyscallError(EINVAL)
    host = libc_call("inotify_init1", _host_flags(flags))
    return install_fd(k, host, "anon_inode:inotify", bool(flags & O_CLOEXEC))


IN_DONT_FOLLOW = 0x02000000


def inotify_add_watch(k: Kernel, fd: int, path_addr: int, mask: int) -> int:
    host = host_fd(k, fd)
    with host_name_of(k, AT_FDCWD, guest_path(k, path_addr),
                      follow=not mask & IN_DONT_FOLLOW) as path:
        return libc_call("inotify_add_watch", host, os.fsencode(path),
                         ctypes.c_uint32(mask & 0xFFFF_FFFF))


def inotify_rm_watch(k: Kernel, fd: int, wd: int) -> int:
    libc_call("inotify_rm_watch", host_fd(k, fd), signed(wd))
    return 0


# ---------------------------------------------------------------- signalfd

SFD_NONBLOCK, SFD_CLOEXEC = O_NONBLOCK, O_CLOEXEC


def signalfd4(k: Kernel, fd: int, mask_addr: int, sigsetsize: int, flags: int) -> int:
    if flags & ~(SFD_NONBLOCK | SFD_CLOEXEC):
        raise SyscallError(EINVAL)
    mask = read_sigset(k, mask_addr, sigsetsize) & ~UNBLOCKABLE
    fd = signed(fd)
    if fd != -1:
        description = k.process.files.get(fd)
        if description is None:
            raise SyscallError(EBADF)
        if not isinstance(description.special, SignalFd):
            raise SyscallError(EINVAL)
        description.special.mask = mask
        refresh_signalfds(k)
        return fd
    host = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
    new = install_fd(k, host, "anon_inode:[signalfd]", bool(flags & SFD_CLOEXEC))
    k.process.files[new].special = SignalFd(mask, host)
    if not flags & SFD_NONBLOCK:
        os.set_blocking(host, True)  # the guest's blocking mode, as F_GETFL reports it
    refresh_signalfds(k)
    return new


