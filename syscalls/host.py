"""The host C library, for the calls Python's os module does not offer (epoll with the
guest's own data, timerfd, tee, fallocate, sockets with raw addresses)."""

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
