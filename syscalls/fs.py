"""File-system and file-descriptor system calls (the descriptor table itself, and the reads,
writes and iovecs other families share, are in descriptors.py)."""

from __future__ import annotations

import ctypes
import fcntl as host_fcntl
import os
import stat
import struct
import sys
import termios

from . import paths
from .blocking import POLLIN, complete, never_blocks, when_ready
from .descriptors import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_REMOVEDIR,
    AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW,
    MAX_FDS,
    MAX_IO,
    O_CLOEXEC,
    copy_fd,
    gather,
    guest_sets_blocking,
    host_fd,
    install_fd,
    iovecs,
    open_at,
    read_from,
    read_vectors,
    unless_broken_pipe,
    write_out,
)
from .errors import (
    EACCES,
    EBADF,
    EEXIST,
    EFAULT,
    EINVAL,
    ENOENT,
    ENOTDIR,
    ENOTTY,
    ERANGE,
    EXDEV,
    SyscallError,
)
from .host import LINUX, libc_call
from .kernel import Kernel, owner_id, signed
from .paths import access_at, check_change, chmod_at, guest_path, lookup
from .sources import CLOCK_REALTIME

# asm-generic struct stat (riscv64 newfstatat/fstat): 128 bytes.
STAT = struct.Struct("<QQIIIIQQqiiqqQqQqQII")
TERMIOS = struct.Struct("<IIIIB19s")
WINSIZE = struct.Struct("<HHHH")
TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO = 0x5413, 0x5414, 0x541B, 0x5421
# ---------------------------------------------------------------- open, close, dup


def openat(k: Kernel, dirfd: int, path_addr: int, flags: int, mode: int) -> int:
    return open_at(k, dirfd, path_addr, flags, mode)


def close(k: Kernel, fd: int) -> int:
    k.process.release(signed(fd))
    return 0


def dup(k: Kernel, fd: int) -> int:
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)
    return copy_fd(k, description, cloexec=False)


def dup3(k: Kernel, oldfd: int, newfd: int, flags: int) -> int:
    oldfd, newfd = signed(oldfd), signed(newfd)
    description = k.process.files.get(oldfd)
    if description is None or not 0 <= newfd < MAX_FDS:
        raise SyscallError(EBADF)
    if oldfd == newfd or flags & ~O_CLOEXEC:
        raise SyscallError(EINVAL)
    if newfd in k.process.files:
        k.process.release(newfd)
    return copy_fd(k, description, bool(flags & O_CLOEXEC), lowest=newfd)


def pipe2(k: Kernel, fds_addr: int, flags: int) -> int:
    read_end, write_end = os.pipe()
    if flags & 0o4000:
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
    cloexec = bool(flags & O_CLOEXEC)
    fds = (install_fd(k, read_end, "pipe:", cloexec), install_fd(k, write_end, "pipe:", cloexec))
    k.mem.write(fds_addr, struct.pack("<ii", *fds))
    return 0


# ---------------------------------------------------------------- reading and writing


def read(k: Kernel, fd: int, buf: int, count: int) -> int:
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)  # before EFAULT
    if not k.mem.is_mapped(buf, min(count, MAX_IO)):
        raise SyscallError(EFAULT)
    if description.special is not None:
        return description.special.read(k, buf, count)

    def attempt() -> int:
        if not never_blocks(description):
            when_ready(description.host_fd, POLLIN)
        data = read_from(k, fd, [min(count, MAX_IO)])
        k.mem.write(buf, data)
        return len(data)

    return complete(k, attempt)


def write(k: Kernel, fd: int, buf: int, count: int) -> int:
    host_fd(k, fd)  # EBADF comes before EFAULT
    return write_out(k, fd, k.mem.read(buf, min(count, MAX_IO)))


def pread64(k: Kernel, fd: int, buf: int, count: int, offset: int) -> int:
    data = os.pread(host_fd(k, fd), min(count, MAX_IO), signed(offset, 64))
    k.mem.write(buf, data)
    return len(data)


def pwrite64(k: Kernel, fd: int, buf: int, count: int, offset: int) -> int:
    data = k.mem.read(buf, min(count, MAX_IO))
    host = host_fd(k, fd)
    return unless_broken_pipe(k, lambda: os.pwrite(host, data, signed(offset, 64)))


def readv(k: Kernel, fd: int, iov: int, count: int) -> int:
    return read_vectors(k, fd, iov, count, lambda size: read_from(k, fd, [size]))


def writev(k: Kernel, fd: int, iov: int, count: int) -> int:
    host_fd(k, fd)  # EBADF comes before EFAULT
    data = gather(k, iovecs(k, iov, count))
    return write_out(k, fd, data) if data else 0


def lseek(k: Kernel, fd: int, offset: int, whence: int) -> int:
    if whence > 4:
        raise SyscallError(EINVAL)
    position = os.lseek(host_fd(k, fd), signed(offset, 64), whence)
    description = k.process.files[signed(fd)]
    if description.listing is not None:  # rewinddir and seekdir in an emulated directory
        description.position = position
    return position


# ---------------------------------------------------------------- metadata


def pack_stat(st: os.stat_result) -> bytes:
    def split(ns: int) -> tuple[int, int]:
        return ns // 1_000_000_000, ns % 1_000_000_000

    return STAT.pack(
        st.st_dev, st.st_ino, st.st_mode, st.st_nlink, st.st_uid, st.st_gid,
        getattr(st, "st_rdev", 0), 0, st.st_size, getattr(st, "st_blksize", 4096), 0,
        getattr(st, "st_blocks", 0), *split(st.st_atime_ns), *split(st.st_mtime_ns),
        *split(st.st_ctime_ns), 0, 0,
    )


def stat_at(k: Kernel, dirfd: int, path_addr: int, flags: int) -> os.stat_result:
    """What the *stat*at() calls look at: the descriptor itself (AT_EMPTY_PATH), or a path."""
    path = guest_path(k, path_addr)
    if not path and flags & AT_EMPTY_PATH:
        return os.fstat(host_fd(k, dirfd))
    with lookup(k, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW) as found:
        return found.stat(k)


def newfstatat(k: Kernel, dirfd: int, path_addr: int, statbuf: int, flags: int) -> int:
    k.mem.write(statbuf, pack_stat(stat_at(k, dirfd, path_addr, flags)))
    return 0


def fstat(k: Kernel, fd: int, statbuf: int) -> int:
    k.mem.write(statbuf, pack_stat(os.fstat(host_fd(k, fd))))
    return 0


def readlinkat(k: Kernel, dirfd: int, path_addr: int, buf: int, size: int) -> int:
    path = guest_path(k, path_addr)
    if signed(size) <= 0:
        raise SyscallError(EINVAL)
    with lookup(k, dirfd, path, follow=False) as found:
        target = found.readlink(k)
    data = os.fsencode(target)[:size]
    k.mem.write(buf, data)
    return len(data)


def faccessat(k: Kernel, dirfd: int, path_addr: int, mode: int) -> int:
    return access_at(k, dirfd, guest_path(k, path_addr), mode)


def getcwd(k: Kernel, buf: int, size: int) -> int:
    root = k.process.root
    cwd = os.fsencode(root.cwd() if root else os.getcwd()) + b"\0"
    if len(cwd) > size:
        raise SyscallError(ERANGE)
    k.mem.write(buf, cwd)
    return len(cwd)


def chdir(k: Kernel, path_addr: int) -> int:
    with lookup(k, AT_FDCWD, guest_path(k, path_addr)) as found:
        root = k.process.root
        if root is None:  # an emulated /proc directory: the host's of that name
            os.chdir("/".join(("/proc", *found.proc_parts)) if found.emulated else found.name)
            return 0
        if found.emulated or found.outside:
            raise SyscallError(EACCES)
        directory = os.open(found.name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW,
                            dir_fd=found.dir_fd)
        try:
            root.change_directory(directory)
        finally:
            os.close(directory)
    return 0


def mkdirat(k: Kernel, dirfd: int, path_addr: int, mode: int) -> int:
    with lookup(k, dirfd, guest_path(k, path_addr), follow=False) as found:
        check_change(k, found, creates=True)
        os.mkdir(found.name, mode & 0o7777, **found.at())
    return 0


def unlinkat(k: Kernel, dirfd: int, path_addr: int, flags: int) -> int:
    if flags & ~AT_REMOVEDIR:
        raise SyscallError(EINVAL)
    with lookup(k, dirfd, guest_path(k, path_addr), follow=False) as found:
        check_change(k, found)
        if flags & AT_REMOVEDIR:
            os.rmdir(found.name, **found.at())
        else:
            os.unlink(found.name, **found.at())
    return 0


# ---------------------------------------------------------------- terminals


def ioctl(k: Kernel, fd: int, request: int, arg: int) -> int:
    host = host_fd(k, fd)
    request &= 0xFFFF_FFFF
    if request == TCGETS:
        if not os.isatty(host):
            raise SyscallError(ENOTTY)
        iflag, oflag, cflag, lflag, _, _, cc = termios.tcgetattr(host)
        chars = bytes(c if isinstance(c, int) else ord(c) for c in cc[:19]).ljust(19, b"\0")
        k.mem.write(arg, TERMIOS.pack(iflag, oflag, cflag, lflag, 0, chars))
        return 0
    if request in (TCSETS, TCSETSW, TCSETSF):
        if not os.isatty(host):
            raise SyscallError(ENOTTY)
        iflag, oflag, cflag, lflag, _, chars = TERMIOS.unpack(k.mem.read(arg, TERMIOS.size))
        attrs = termios.tcgetattr(host)
        attrs[:4] = [iflag, oflag, cflag, lflag]
        attrs[6] = [chars[i] for i in range(len(attrs[6]))] if len(attrs[6]) <= 19 else attrs[6]
        when = {TCSETS: termios.TCSANOW, TCSETSW: termios.TCSADRAIN, TCSETSF: termios.TCSAFLUSH}
        termios.tcsetattr(host, when[request], attrs)
        return 0
    if request == TIOCGWINSZ:
        raw = host_fcntl.ioctl(host, termios.TIOCGWINSZ, bytes(WINSIZE.size))
        k.mem.write(arg, raw)
        return 0
    if request == FIONREAD:
        raw = host_fcntl.ioctl(host, termios.FIONREAD, bytes(4))
        k.mem.write(arg, raw)
        return 0
    if request == FIONBIO:
        os.set_blocking(host, not struct.unpack("<i", k.mem.read(arg, 4))[0])
        guest_sets_blocking(k)
        return 0
    raise SyscallError(ENOTTY)


RENAME_NOREPLACE = 1


RENAME_EXCHANGE, RENAME_WHITEOUT = 2, 4


def renameat2(k: Kernel, olddirfd: int, oldpath: int, newdirfd: int, newpath: int,
              flags: int) -> int:
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT):
        raise SyscallError(EINVAL)
    with lookup(k, olddirfd, guest_path(k, oldpath), follow=False) as source, \
            lookup(k, newdirfd, guest_path(k, newpath), follow=False) as target:
        check_change(k, source)
        check_change(k, target)
        source_dir, target_dir = source.at()["dir_fd"], target.at()["dir_fd"]
        if LINUX:  # the host's own, with every flag's checks
            libc_call("renameat2", AT_FDCWD if source_dir is None else source_dir,
                      os.fsencode(source.name), AT_FDCWD if target_dir is None else target_dir,
                      os.fsencode(target.name), ctypes.c_uint(flags))
            return 0
        if flags & ~RENAME_NOREPLACE:
            raise SyscallError(EINVAL)
        if flags & RENAME_NOREPLACE and target.lstat() is not None:
            raise SyscallError(EEXIST)
        os.rename(source.name, target.name, src_dir_fd=source_dir, dst_dir_fd=target_dir)
    return 0


# ---------------------------------------------------------------- directories


# struct linux_dirent64 is the same on every Linux architecture, so on a Linux host the
# records of the host's getdents64 go to the guest as they are, in the host's order (as qemu's).
HOST_GETDENTS64 = {"x86_64": 217, "aarch64": 61, "riscv64": 61, "ppc64le": 202, "s390x": 220}
DIRENT_HEADER = struct.Struct("<QqHB")
DT_DIR, DT_REG, DT_LNK, DT_UNKNOWN = 4, 8, 10, 0


def _host_getdents64(host: int, count: int) -> bytes | None:
    """The host's own records, or None where the host is not Linux or has no such call."""
    number = HOST_GETDENTS64.get(os.uname().machine)
    if number is None or sys.platform != "linux":
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(count)
    length = libc.syscall(number, host, buffer, count)
    if length < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return buffer.raw[:length]


def _listed_getdents64(k: Kernel, fd: int, host: int, count: int) -> bytes:
    """Records built from a directory listing, for hosts without a usable getdents64."""
    description = k.process.files[fd]
    if description.listing is None:
        names = [".", "..", *os.listdir(host)]
        description.listing = names
    out = bytearray()
    while description.position < len(description.listing):
        name = os.fsencode(description.listing[description.position])
        size = (DIRENT_HEADER.size + len(name) + 1 + 7) & ~7
        if len(out) + size > count:
            break
        description.position += 1
        out += DIRENT_HEADER.pack(description.position, description.position, size,
                                  DT_UNKNOWN) + name.ljust(size - DIRENT_HEADER.size, b"\0")
    if not out and description.position < len(description.listing):
        raise SyscallError(EINVAL)
    return bytes(out)


def getdents64(k: Kernel, fd: int, dirp: int, count: int) -> int:
    host = host_fd(k, fd)
    count = min(count, MAX_IO)
    listed = k.process.files[signed(fd)].listing is not None  # an emulated directory
    records = None if listed else _host_getdents64(host, count)
    if records is None:
        records = _listed_getdents64(k, signed(fd), host, count)
    k.mem.write(dirp, records)
    return len(records)


def fchdir(k: Kernel, fd: int) -> int:
    host = host_fd(k, fd)
    root = k.process.root
    if root is None:
        os.fchdir(host)
        return 0
    if not stat.S_ISDIR(os.fstat(host).st_mode):
        raise SyscallError(ENOTDIR)
    if not k.process.files[signed(fd)].in_root:
        raise SyscallError(EACCES)  # a directory pyemu inherited: not inside the root
    root.change_directory(host)
    return 0


# ---------------------------------------------------------------- file changes


def ftruncate(k: Kernel, fd: int, length: int) -> int:
    os.ftruncate(host_fd(k, fd), signed(length, 64))
    return 0


def truncate(k: Kernel, path_addr: int, length: int) -> int:
    with lookup(k, AT_FDCWD, guest_path(k, path_addr)) as found:
        check_change(k, found)
        with found.object_path() as host:
            os.truncate(host, signed(length, 64))
    return 0


def fsync(k: Kernel, fd: int) -> int:
    os.fsync(host_fd(k, fd))
    return 0


def fdatasync(k: Kernel, fd: int) -> int:
    getattr(os, "fdatasync", os.fsync)(host_fd(k, fd))
    return 0


def fchmod(k: Kernel, fd: int, mode: int) -> int:
    host = host_fd(k, fd)
    paths.check_descriptor_change(k, fd)
    os.fchmod(host, mode & 0o7777)
    return 0


def fchmodat(k: Kernel, dirfd: int, path_addr: int, mode: int) -> int:
    return chmod_at(k, dirfd, guest_path(k, path_addr), mode)


def fchown(k: Kernel, fd: int, uid: int, gid: int) -> int:
    host = host_fd(k, fd)
    paths.check_descriptor_change(k, fd)
    os.fchown(host, owner_id(uid), owner_id(gid))
    return 0


def fchownat(k: Kernel, dirfd: int, path_addr: int, uid: int, gid: int, flags: int) -> int:
    path = guest_path(k, path_addr)
    if not path and flags & AT_EMPTY_PATH:
        return fchown(k, dirfd, uid, gid)
    with lookup(k, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW) as found:
        check_change(k, found)
        os.chown(found.name, owner_id(uid), owner_id(gid), **found.at(),
                 follow_symlinks=found.follow)
    return 0


def symlinkat(k: Kernel, target_addr: int, dirfd: int, path_addr: int) -> int:
    target = guest_path(k, target_addr)  # any text: it is resolved when followed
    with lookup(k, dirfd, guest_path(k, path_addr), follow=False) as found:
        check_change(k, found, creates=True)
        os.symlink(target, found.name, **found.at())
    return 0


def linkat(k: Kernel, olddirfd: int, oldpath: int, newdirfd: int, newpath: int,
           flags: int) -> int:
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise SyscallError(EINVAL)
    source_path = guest_path(k, oldpath)
    if not source_path and flags & AT_EMPTY_PATH:
        raise SyscallError(ENOENT)  # linking a descriptor needs CAP_DAC_READ_SEARCH
    with lookup(k, olddirfd, source_path, follow=bool(flags & AT_SYMLINK_FOLLOW)) as source, \
            lookup(k, newdirfd, guest_path(k, newpath), follow=False) as target:
        if source.outside or source.emulated:
            raise SyscallError(EXDEV)  # not on the guest's file system
        check_change(k, target, creates=True)
        os.link(source.name, target.name, src_dir_fd=source.dir_fd,
                dst_dir_fd=target.dir_fd, follow_symlinks=source.follow)
    return 0


UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


def utimensat(k: Kernel, dirfd: int, path_addr: int, times_addr: int, flags: int) -> int:
    path = guest_path(k, path_addr) if path_addr else ""
    if not path:
        if path_addr and not flags & AT_EMPTY_PATH:
            raise SyscallError(ENOENT)
        host = host_fd(k, dirfd)
        paths.check_descriptor_change(k, dirfd)
        os.utime(host, ns=_new_times(k, times_addr, os.fstat(host)))
        return 0
    with lookup(k, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW) as found:
        check_change(k, found)
        os.utime(found.name, ns=_new_times(k, times_addr, found.stat(k)), **found.at(),
                 follow_symlinks=found.follow)
    return 0


def _new_times(k: Kernel, times_addr: int, current: os.stat_result) -> tuple[int, int]:
    """(atime, mtime) in ns from the guest's two timespecs (UTIME_NOW, UTIME_OMIT), or now."""
    if times_addr:
        seconds = struct.unpack("<qqqq", k.mem.read(times_addr, 32))
        now = k.clock.now_ns(CLOCK_REALTIME)
        chosen = []
        for (sec, nsec), old in zip((seconds[:2], seconds[2:]),
                                    (current.st_atime_ns, current.st_mtime_ns)):
            chosen.append(now if nsec == UTIME_NOW else old if nsec == UTIME_OMIT
                          else sec * 1_000_000_000 + nsec)
        return chosen[0], chosen[1]
    now = k.clock.now_ns(CLOCK_REALTIME)
    return now, now


# ---------------------------------------------------------------- file-system metadata

# struct statfs (RV64) and struct statfs64 (RV32, whose statfs64 call passes its size): the
# asm-generic layouts, 120 and 88 bytes.
STATFS = {64: struct.Struct("<qqQQQQQiiqqq32x"), 32: struct.Struct("<IIQQQQQiiIII16x4x")}
STATX = struct.Struct("<IIQIIIHxxQQQQqIxxxxqIxxxxqIxxxxqIxxxxIIIIQ")
STATX_BASIC_STATS = 0x7FF


def _pack_statfs(st: os.statvfs_result, xlen: int) -> bytes:
    return STATFS[xlen].pack(0, st.f_bsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files,
                             st.f_ffree, 0, 0, st.f_namemax, st.f_frsize, st.f_flag)


def _host_struct(call: str, target: int | bytes, size: int, *more) -> bytes:
    """What the host's statfs/fstatfs/statx writes: the layouts are riscv64's too."""
    answer = ctypes.create_string_buffer(size)
    libc_call(call, target, *more, answer)
    return answer.raw


def statfs(k: Kernel, path_addr: int, buf: int) -> int:
    with lookup(k, AT_FDCWD, guest_path(k, path_addr)) as found, found.object_path() as host:
        k.mem.write(buf, _host_struct("statfs", os.fsencode(host), STATFS[64].size)
                    if LINUX and k.xlen == 64 else _pack_statfs(os.statvfs(host), k.xlen))
    return 0


def fstatfs(k: Kernel, fd: int, buf: int) -> int:
    host = host_fd(k, fd)
    k.mem.write(buf, _host_struct("fstatfs", host, STATFS[64].size) if LINUX and k.xlen == 64
                else _pack_statfs(os.fstatvfs(host), k.xlen))
    return 0


def _host_statx(k: Kernel, dirfd: int, path_addr: int, flags: int, mask: int) -> bytes | None:
    """What the host's statx writes: every field and attribute it knows (struct statx is the
    same everywhere); None for an emulated /proc object."""
    path = guest_path(k, path_addr)

    def call(directory: int, name: bytes, flags: int) -> bytes:
        return _host_struct("statx", directory, 256, name, ctypes.c_int(flags),
                            ctypes.c_uint(mask))

    if not path and flags & AT_EMPTY_PATH:
        return call(host_fd(k, dirfd), b"", flags)
    with lookup(k, dirfd, path, follow=not flags & AT_SYMLINK_NOFOLLOW) as found:
        if found.emulated:
            return None
        return call(AT_FDCWD if found.dir_fd is None else found.dir_fd, os.fsencode(found.name),
                    flags | (0 if found.follow else AT_SYMLINK_NOFOLLOW))


def statx(k: Kernel, dirfd: int, path_addr: int, flags: int, mask: int, buf: int) -> int:
    packed = _host_statx(k, dirfd, path_addr, flags, mask) if LINUX else None
    if packed is not None:
        k.mem.write(buf, packed)
        return 0
    st = stat_at(k, dirfd, path_addr, flags)

    def stamp(ns: int) -> tuple[int, int]:
        return ns // 1_000_000_000, ns % 1_000_000_000

    birth = getattr(st, "st_birthtime_ns", st.st_ctime_ns)
    rdev = getattr(st, "st_rdev", 0)
    k.mem.write(buf, STATX.pack(
        STATX_BASIC_STATS, getattr(st, "st_blksize", 4096), 0, st.st_nlink, st.st_uid,
        st.st_gid, st.st_mode, st.st_ino, st.st_size, getattr(st, "st_blocks", 0), 0,
        *stamp(st.st_atime_ns), *stamp(birth), *stamp(st.st_ctime_ns), *stamp(st.st_mtime_ns),
        os.major(rdev), os.minor(rdev), os.major(st.st_dev), os.minor(st.st_dev), 0,
    ).ljust(256, b"\0"))
    return 0
