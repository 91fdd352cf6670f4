"""Moving data at file offsets and between descriptors: preadv/pwritev(2), sendfile,
copy_file_range, splice, tee and vmsplice, on the host's own calls."""

from __future__ import annotations

import ctypes
import fcntl
import os
import struct

from .blocking import POLLIN, POLLOUT, complete, when_ready, write_all
from .descriptors import MAX_IO, gather, host_fd, host_writer, iovecs, read_from, read_vectors
from .errors import EINVAL, EOPNOTSUPP, SyscallError
from .host import libc_call
from .kernel import Kernel, signed

RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT, RWF_APPEND = 1, 2, 4, 8, 0x10
RWF_SUPPORTED = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND
SPLICE_F_NONBLOCK = 2
O_ACCMODE, O_WRONLY = 3, 1
OFFSET = struct.Struct("<q")  # loff_t


def _position(k: Kernel, low: int, high: int) -> int:
    """The file offset of preadv and friends, passed as two registers (all of it in the
    low one on riscv64)."""
    return signed(low, 64) if k.xlen == 64 else signed((high << 32) | (low & 0xFFFF_FFFF), 64)


def _read_at(k: Kernel, fd: int, iov: int, count: int, offset: int, flags: int) -> int:
    def read(size: int) -> bytes:
        data = bytearray(size)
        return bytes(data[:os.preadv(host_fd(k, fd), [data], offset, flags)])

    if offset == -1 and not flags:
        return read_vectors(k, fd, iov, count, lambda size: read_from(k, fd, [size]))
    return read_vectors(k, fd, iov, count, read, may_block=offset == -1)


def _write_at(k: Kernel, fd: int, iov: int, count: int, offset: int, flags: int) -> int:
    host = host_fd(k, fd)
    data = gather(k, iovecs(k, iov, count))
    if offset == -1 and not flags:
        return write_all(k, host, data, host_writer(k, host))
    return os.pwritev(host, [data], offset, flags)


def _check_offset(offset: int, flags: int, allow_current: bool) -> None:
    if flags & ~RWF_SUPPORTED:
        raise SyscallError(EOPNOTSUPP)
    if offset < 0 and not (allow_current and offset == -1):
        raise SyscallError(EINVAL)


def preadv(k: Kernel, fd: int, iov: int, count: int, low: int, high: int) -> int:
    offset = _position(k, low, high)
    _check_offset(offset, 0, allow_current=False)
    return _read_at(k, fd, iov, count, offset, 0)


def pwritev(k: Kernel, fd: int, iov: int, count: int, low: int, high: int) -> int:
    offset = _position(k, low, high)
    _check_offset(offset, 0, allow_current=False)
    return _write_at(k, fd, iov, count, offset, 0)


def preadv2(k: Kernel, fd: int, iov: int, count: int, low: int, high: int, flags: int) -> int:
    offset = _position(k, low, high)
    _check_offset(offset, flags, allow_current=True)
    return _read_at(k, fd, iov, count, offset, flags)


def pwritev2(k: Kernel, fd: int, iov: int, count: int, low: int, high: int, flags: int) -> int:
    offset = _position(k, low, high)
    _check_offset(offset, flags, allow_current=True)
    return _write_at(k, fd, iov, count, offset, flags)


# ---------------------------------------------------------------- between descriptors


def _offset_at(k: Kernel, addr: int) -> int | None:
    """The loff_t a call reads and updates, or None (the file's own position)."""
    if not addr:
        return None
    (offset,) = OFFSET.unpack(k.mem.read(addr, OFFSET.size))
    if offset < 0:
        raise SyscallError(EINVAL)
    return offset


def _advance(k: Kernel, addr: int, offset: int | None, moved: int) -> None:
    if addr and offset is not None:
        k.mem.write(addr, OFFSET.pack(offset + moved))


def sendfile(k: Kernel, out_fd: int, in_fd: int, offset_addr: int, count: int) -> int:
    source, target = host_fd(k, in_fd), host_fd(k, out_fd)
    offset = _offset_at(k, offset_addr)

    def attempt() -> int:
        when_ready(target, POLLOUT)
        moved = os.sendfile(target, source, offset, min(count, MAX_IO))
        _advance(k, offset_addr, offset, moved)
        return moved

    return complete(k, attempt)


def copy_file_range(k: Kernel, in_fd: int, in_offset_addr: int, out_fd: int,
                    out_offset_addr: int, count: int, flags: int) -> int:
    if flags:
        raise SyscallError(EINVAL)
    source, target = host_fd(k, in_fd), host_fd(k, out_fd)
    in_offset, out_offset = _offset_at(k, in_offset_addr), _offset_at(k, out_offset_addr)
    moved = os.copy_file_range(source, target, min(count, MAX_IO), in_offset, out_offset)
    _advance(k, in_offset_addr, in_offset, moved)
    _advance(k, out_offset_addr, out_offset, moved)
    return moved


def splice(k: Kernel, in_fd: int, in_offset_addr: int, out_fd: int, out_offset_addr: int,
           count: int, flags: int) -> int:
    source, target = host_fd(k, in_fd), host_fd(k, out_fd)
    in_offset, out_offset = _offset_at(k, in_offset_addr), _offset_at(k, out_offset_addr)

    def attempt() -> int:
        if not flags & SPLICE_F_NONBLOCK:
            when_ready(source, POLLIN)
            when_ready(target, POLLOUT)
        moved = os.splice(source, target, min(count, MAX_IO), in_offset, out_offset,
                          flags & 0xF)
        _advance(k, in_offset_addr, in_offset, moved)
        _advance(k, out_offset_addr, out_offset, moved)
        return moved

    return complete(k, attempt)


def tee(k: Kernel, in_fd: int, out_fd: int, count: int, flags: int) -> int:
    source, target = host_fd(k, in_fd), host_fd(k, out_fd)

    def attempt() -> int:
        if not flags & SPLICE_F_NONBLOCK:
            when_ready(source, POLLIN)
            when_ready(target, POLLOUT)
        return libc_call("tee", source, target, ctypes.c_size_t(min(count, MAX_IO)),
                         ctypes.c_uint(flags & 0xF))

    return complete(k, attempt)


def vmsplice(k: Kernel, fd: int, iov: int, count: int, flags: int) -> int:
    """Into a pipe's write end, or out of its read end: the guest's memory is copied (the
    kernel may map it instead, which the guest cannot tell but by SPLICE_F_GIFT)."""
    host = host_fd(k, fd)
    if fcntl.fcntl(host, fcntl.F_GETFL) & O_ACCMODE == O_WRONLY:
        data = gather(k, iovecs(k, iov, count))
        if flags & SPLICE_F_NONBLOCK:
            return os.write(host, data) if data else 0
        return write_all(k, host, data, host_writer(k, host)) if data else 0
    return _read_at(k, fd, iov, count, -1, 0)

