"""The host C library, for the calls Python's os module does not offer (epoll with the
guest's own data, timerfd, tee, fallocate, sockets with raw addresses)."""

from __future__ import annotations

import ctypes
import os
import platform
import sys

from .errors import ENOSYS, SyscallError

LINUX = sys.platform == "linux"
_libc = ctypes.CDLL(None, use_errno=True) if LINUX else None


def libc_call(name: str, *args) -> int:
    """Call the host's `name` with ctypes arguments; its -1 becomes the OSError of errno.
    ENOSYS where the host has no such function (not Linux)."""
    function = getattr(_libc, name, None) if _libc is not None else None
    if function is None:
        raise SyscallError(ENOSYS)
    result = function(*args)
    if result == -1:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number))
    return result


def buffer(data: bytes | int) -> ctypes.Array:
    """A host buffer holding `data` (or that many zero bytes), for calls that fill it."""
    return ctypes.create_string_buffer(data, len(data)) if isinstance(data, bytes) \
        else ctypes.create_string_buffer(data)


# x86-64 packs struct epoll_event into 12 bytes; every other Linux (riscv64 included) pads
# it to 16.
HOST_EPOLL_PACKED = platform.machine() in ("x86_64", "AMD64", "i686")
