"""The host C library, for the calls Python's os module does not offer (epoll with the
guest's own data, timerfd, tee, fallocate, sockets with raw addresses), and the host
kernel's own system calls where the kernel's structures are wanted rather than the C
library's."""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import sys

from .errors import ENOSYS, SyscallError

LINUX = sys.platform == "linux"
_libc = ctypes.CDLL(None, use_errno=True) if LINUX else None


def libc_call(name: str, *args, sized: bool = False) -> int:
    """Call the host's `name` with ctypes arguments; its -1 becomes the OSError of errno
    (EINTR from a host signal the guest does not take: called again, as Python's own
    calls do). `sized`: it returns a ssize_t. ENOSYS where the host has no such function."""
    function = getattr(_libc, name, None) if _libc is not None else None
    if function is None:
        raise SyscallError(ENOSYS)
    if sized:
        function.restype = ctypes.c_ssize_t
    while True:
        result = function(*args)
        if result != -1:
            return result
        number = ctypes.get_errno()
        if number != errno.EINTR:
            raise OSError(number, os.strerror(number))


def buffer(data: bytes | int) -> ctypes.Array:
    """A host buffer holding `data` (or that many zero bytes), for calls that fill it."""
    return ctypes.create_string_buffer(data, len(data)) if isinstance(data, bytes) \
        else ctypes.create_string_buffer(data)


# x86-64 packs struct epoll_event into 12 bytes; every other Linux (riscv64 included) pads
# it to 16.
HOST_EPOLL_PACKED = platform.machine() in ("x86_64", "AMD64", "i686")


# Host system call numbers by machine, for the calls made raw. Linux gave the calls it added
# from 424 on one number on every architecture; the older ones differ between x86-64 and the
# asm-generic table (aarch64, riscv64).
_X86_64 = {"mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243,
           "mq_notify": 244, "mq_getsetattr": 245, "msgget": 68, "msgsnd": 69, "msgrcv": 70,
           "msgctl": 71, "semget": 64, "semop": 65, "semctl": 66, "semtimedop": 220}
_GENERIC = {"mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183,
            "mq_notify": 184, "mq_getsetattr": 185, "msgget": 186, "msgctl": 187,
            "msgrcv": 188, "msgsnd": 189, "semget": 190, "semctl": 191, "semtimedop": 192,
            "semop": 193}
HOST_SYSCALLS = {"x86_64": _X86_64, "aarch64": _GENERIC, "riscv64": _GENERIC}.get(
    platform.machine(), {}) if LINUX else {}


def raw_syscall(number_or_name: int | str, *args) -> int:
    """The host kernel's system call (by its number, or by name from HOST_SYSCALLS); its
    -errno becomes the OSError. ENOSYS where the host has no such call."""
    number = number_or_name if isinstance(number_or_name, int) else \
        HOST_SYSCALLS.get(number_or_name)
    if number is None or _libc is None:
        raise SyscallError(ENOSYS)
    _libc.syscall.restype = ctypes.c_long
    return libc_call("syscall", ctypes.c_long(number),
                     *(ctypes.c_long(a) if isinstance(a, int) else a for a in args))
