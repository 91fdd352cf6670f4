"""The descriptor table: what each guest descriptor stands for on the host, opening files
into it, and the reads, writes and iovec buffers that several system-call families share."""

from __future__ import annotations

import fcntl as host_fcntl
import os
import select
import struct
from collections.abc import Callable
from typing import TypeVar

from ..emulator.memory import GuestFault
from . import paths, procfs
from .blocking import POLLIN, complete, never_blocks, when_ready, write_all
from .errors import EACCES, EBADF, EFAULT, EINVAL, EISDIR, ELOOP, EMFILE, EPIPE, SyscallError
from .kernel import Kernel, signed
from .paths import guest_path, lookup
from .process_state import FileDescription
from .signal_defs import SI_USER, SIGPIPE, SignalInfo
from .signal_delivery import send

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_SYMLINK_FOLLOW = 0x400
AT_EMPTY_PATH = 0x1000
MAX_FDS = 1024
MAX_IO = 1 << 24  # longest single host transfer; guests see a short count beyond it

# Linux (asm-generic) open flags and their host equivalents, bit by bit.
O_ACCMODE = 3
OPEN_FLAGS = [
    (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o10000, "O_DSYNC"), (0o40000, "O_DIRECT"),
    (0o200000, "O_DIRECTORY"), (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"), (0o4010000, "O_SYNC"), (0o10000000, "O_PATH"),
]
O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW, O_CLOEXEC = 0o100, 0o200, 0o1000, 0o400000, 0o2000000
# Read from the kernel's random source (seeded under --deterministic), not the host's file.
RANDOM_DEVICES = ("/dev/urandom", "/dev/random")
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC = 0, 1, 2, 3, 4, 1030
FD_CLOEXEC = 1


def host_open_flags(flags: int) -> int:
    result = flags & O_ACCMODE
    for linux_bit, name in OPEN_FLAGS:
        if flags & linux_bit == linux_bit and hasattr(os, name):
            result |= getattr(os, name)
    return result & ~getattr(os, "O_CLOEXEC", 0)


def linux_open_flags(host_flags: int) -> int:
    result = host_flags & O_ACCMODE
    for linux_bit, name in OPEN_FLAGS:
        host_bit = getattr(os, name, 0)
        if host_bit and host_flags & host_bit == host_bit:
            result |= linux_bit
    return result


# ---------------------------------------------------------------- descriptor table


def host_fd(k: Kernel, fd: int) -> int:
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)
    return description.host_fd


def install_fd(k: Kernel, host: int, path: str = "", cloexec: bool = False, lowest: int = 0,
               in_root: bool = False) -> int:
    files = k.process.files
    fd = lowest
    while fd in files:
        fd += 1
    if fd >= MAX_FDS:
        os.close(host)
        raise SyscallError(EMFILE)
    files[fd] = FileDescription(host, path, cloexec, in_root)
    return fd


def copy_fd(k: Kernel, description: FileDescription, cloexec: bool, lowest: int = 0) -> int:
    """dup: a new descriptor for the same open file, sharing what pyemu keeps of it too."""
    fd = install_fd(k, os.dup(description.host_fd), description.path, cloexec, lowest,
                    description.in_root)
    k.process.files[fd].special = description.special
    return fd


def open_at(k: Kernel, dirfd: int, path_addr: int, flags: int, mode: int) -> int:
    """openat, and openat2 without resolution limits."""
    path = guest_path(k, path_addr)
    cloexec = bool(flags & O_CLOEXEC)
    writes = flags & O_ACCMODE != os.O_RDONLY or bool(flags & O_TRUNC)
    # O_CREAT | O_EXCL never follows a final symlink: it must make a new file right there.
    follow = not flags & O_NOFOLLOW and flags & (O_CREAT | O_EXCL) != O_CREAT | O_EXCL
    with lookup(k, dirfd, path, follow=follow) as found:
        if found.emulated:
            return _open_emulated(k, found.proc_parts, writes, cloexec)
        paths.check_open(k, found, flags, writes)
        if found.trailing_slash and flags & O_CREAT:
            raise SyscallError(EISDIR)
        host_flags = host_open_flags(flags) | (0 if found.follow else os.O_NOFOLLOW)
        host = os.open(found.name, host_flags, mode & 0o7777, dir_fd=found.dir_fd)
    root = k.process.root
    named = paths.descriptor_target(host)
    if root is None:
        return install_fd(k, host, named, cloexec)
    return install_fd(k, host, root.guest_view(named), cloexec, in_root=not found.outside)


def _open_emulated(k: Kernel, parts: tuple[str, ...], writes: bool, cloexec: bool) -> int:
    kind = procfs.node(k, parts)
    if kind == procfs.LINK:
        raise SyscallError(ELOOP)  # O_NOFOLLOW on /proc/self/exe and the like
    if writes:
        raise SyscallError(EACCES)
    name = "/".join(("/proc", *parts))
    if kind == procfs.DIR:
        # Listed as the guest sees it (its own descriptors in /proc/self/fd, not pyemu's);
        # the host's directory of that name (pyemu's: the same process) only stands behind
        # the descriptor, which is never inside a root.
        fd = install_fd(k, os.open(name, os.O_RDONLY | os.O_DIRECTORY), name, cloexec)
        k.process.files[fd].listing = procfs.listing(k, parts)
        return fd
    return install_fd(k, procfs.open_contents(procfs.contents(k, parts)), name, cloexec)


def descriptor_fcntl(k: Kernel, fd: int, cmd: int, arg: int) -> int:
    """The fcntl commands on the descriptor itself: duplicating, close-on-exec, status flags."""
    fd = signed(fd)
    description = k.process.files.get(fd)
    if description is None:
        raise SyscallError(EBADF)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        if not 0 <= signed(arg) < MAX_FDS:
            raise SyscallError(EINVAL)
        return copy_fd(k, description, cmd == F_DUPFD_CLOEXEC, lowest=signed(arg))
    if cmd == F_GETFD:
        return FD_CLOEXEC if description.cloexec else 0
    if cmd == F_SETFD:
        description.cloexec = bool(arg & FD_CLOEXEC)
        return 0
    if cmd == F_GETFL:
        return linux_open_flags(host_fcntl.fcntl(description.host_fd, host_fcntl.F_GETFL))
    if cmd == F_SETFL:
        host_fcntl.fcntl(description.host_fd, host_fcntl.F_SETFL, host_open_flags(arg))
        guest_sets_blocking(k)
        return 0
    raise SyscallError(EINVAL)


def guest_sets_blocking(k: Kernel) -> None:
    """The guest chose blocking or non-blocking I/O itself: EAGAIN is its business now (on
    every descriptor: a flag set through one is shared by its duplicates)."""
    for description in k.process.files.values():
        description.waits_when_full = False


def unless_broken_pipe(k: Kernel, write: Callable[[], int]) -> int:
    """A write to a pipe nobody reads: Linux sends the writer SIGPIPE (by default fatal), and
    the call fails with EPIPE if the process survives it."""
    try:
        return write()
    except BrokenPipeError:
        send(k, SignalInfo(SIGPIPE, SI_USER, k.process.pid, k.uid))
        raise SyscallError(EPIPE) from None


T = TypeVar("T")


def transfer(k: Kernel, fd: int, move: Callable[[int], T], writing: bool) -> T:
    """A read or write on the guest's `fd` (`move` gets the host descriptor). Where the host
    says EAGAIN but the guest never asked for non-blocking I/O, wait until the descriptor is
    ready and go on: nothing the guest writes is lost for pyemu's inheritance."""
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)
    while True:
        try:
            return move(description.host_fd)
        except BlockingIOError:
            if not description.waits_when_full:
                raise
            ready = [description.host_fd]
            select.select([] if writing else ready, ready if writing else [], [])


def read_from(k: Kernel, fd: int, sizes: list[int]) -> bytes:
    """One read of at most sum(sizes) bytes (one host readv into buffers of those sizes)."""
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)
    if description.path in RANDOM_DEVICES:
        return k.random.read(sum(sizes))
    buffers = [bytearray(size) for size in sizes]
    done = transfer(k, fd, lambda host: os.readv(host, buffers), writing=False)
    return b"".join(buffers)[:done]


def host_writer(k: Kernel, host: int) -> Callable[[bytes], int]:
    return lambda data: unless_broken_pipe(k, lambda: os.write(host, data))


def write_out(k: Kernel, fd: int, data: bytes) -> int:
    """write and writev: at once to what never blocks, else as blocking.write_all does."""
    description = k.process.files[signed(fd)]

    def writer(data: bytes) -> int:
        return unless_broken_pipe(k, lambda: transfer(k, fd, lambda host: os.write(host, data),
                                                      writing=True))

    return writer(data) if never_blocks(description) else \
        write_all(k, description.host_fd, data, writer)


def iovecs(k: Kernel, addr: int, count: int) -> list[tuple[int, int]]:
    if signed(count) < 0 or count > 1024:
        raise SyscallError(EINVAL)
    word = k.xlen // 8
    raw = k.mem.read(addr, 2 * word * count)
    fmt = f"<{2 * count}{'Q' if word == 8 else 'I'}"
    values = struct.unpack(fmt, raw)
    return list(zip(values[0::2], values[1::2]))


def scatter(k: Kernel, buffers: list[tuple[int, int]], data: bytes) -> None:
    """Spread `data` over the guest's buffers in order (what readv and recvmsg do)."""
    done = 0
    for base, length in buffers:
        if done >= len(data):
            break
        piece = data[done : done + min(length, MAX_IO)]
        k.mem.write(base, piece)
        done += len(piece)


def gather(k: Kernel, buffers: list[tuple[int, int]]) -> bytes:
    """At most MAX_IO bytes of the guest's buffers in order, up to the first unreadable one
    (EFAULT only when that is the first): what writev and sendmsg send."""
    pieces: list[bytes] = []
    gathered = 0
    for base, length in buffers:
        wanted = min(length, MAX_IO - gathered)
        try:
            pieces.append(k.mem.read(base, wanted))
        except GuestFault:
            if not gathered:
                raise
            break
        gathered += wanted
    return b"".join(pieces)


def read_vectors(k: Kernel, fd: int, iov: int, count: int, read: Callable[[int], bytes],
                 may_block: bool = True) -> int:
    """readv and its kin: one host read (`read(size)`) of at most MAX_IO bytes in all (a
    short count, as Linux gives beyond MAX_RW_COUNT) spread over the guest's buffers, all
    checked to be writable first: no byte read is lost. `may_block`: it reads at the
    descriptor's position, where a pipe may make it wait."""
    host = host_fd(k, fd)  # EBADF comes before EFAULT
    vectors = []
    total = 0
    for base, length in iovecs(k, iov, count):
        wanted = min(length, MAX_IO - total)
        if wanted:
            if not k.mem.is_mapped(base, wanted):
                raise SyscallError(EFAULT)
            vectors.append((base, wanted))
            total += wanted
    if not vectors:
        return 0
    description = k.process.files[signed(fd)]

    def attempt() -> int:
        if may_block and not never_blocks(description):
            when_ready(host, POLLIN)
        data = read(total)
        scatter(k, vectors, data)
        return len(data)

    return complete(k, attempt)


