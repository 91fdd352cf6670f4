"""Operations on open files beyond reading and writing: locks (flock and fcntl's record and
open-file-description locks), space (fallocate), syncing, advice, memfd_create, close_range,
faccessat2, and the fcntl commands the host answers for us."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl as host_fcntl
import os
import stat
import struct

from .blocking import WouldBlock, complete
from .descriptors import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW,
    O_ACCMODE,
    O_CLOEXEC,
    O_NOFOLLOW,
    O_TRUNC,
    descriptor_fcntl,
    host_fd,
    host_open_flags,
    install_fd,
    open_at,
)
from .errors import E2BIG, EACCES, EINVAL, EOPNOTSUPP, EPERM, EROFS, SyscallError
from .host import buffer, libc_call, raw_syscall
from .kernel import Kernel, signed
from .paths import (
    access_at,
    check_change,
    check_descriptor_change,
    check_open,
    chmod_at,
    descriptor_target,
    directory_of,
    guest_path,
    lookup,
)

LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN = 1, 2, 4, 8
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
FLOCK = struct.Struct("<hh4xqqi4x")  # struct flock on riscv64 (and x86-64): 32 bytes
F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
# fcntl commands with an integer argument that mean the same to the host's kernel.
HOST_COMMANDS = {
    8: "F_SETOWN", 9: "F_GETOWN", 10: "F_SETSIG", 11: "F_GETSIG", 1024: "F_SETLEASE",
    1025: "F_GETLEASE", 1031: "F_SETPIPE_SZ", 1032: "F_GETPIPE_SZ", 1033: "F_ADD_SEALS",
    1034: "F_GET_SEALS",
}
LOCK_RETRY = 10_000_000  # ns between attempts at a contended lock while other threads run


def _wait_for_lock(k: Kernel, try_lock) -> int:
    """A blocking lock, tried without blocking until it is granted (no descriptor tells when
    another process lets go), so that signals and other threads go on meanwhile."""
    def attempt() -> int:
        try:
            return try_lock()
        except BlockingIOError:
            raise WouldBlock(every=LOCK_RETRY) from None
        except PermissionError as error:  # F_SETLK's "held by another" (EACCES)
            if error.errno == 13:
                raise WouldBlock(every=LOCK_RETRY) from None
            raise

    return complete(k, attempt)


def flock(k: Kernel, fd: int, operation: int) -> int:
    host = host_fd(k, fd)
    kind = operation & ~LOCK_NB
    if kind not in (LOCK_SH, LOCK_EX, LOCK_UN):
        raise SyscallError(EINVAL)
    if operation & LOCK_NB or kind == LOCK_UN:
        host_fcntl.flock(host, operation)
        return 0

    def try_lock() -> int:
        host_fcntl.flock(host, operation | LOCK_NB)
        return 0

    return _wait_for_lock(k, try_lock)


def _record_lock(k: Kernel, host: int, cmd: int, arg: int) -> int:
    """F_GETLK/F_SETLK/F_SETLKW and their open-file-description twins: the guest's struct
    flock goes to the host's kernel as it is (the same layout), and F_GETLK's answer back."""
    raw = k.mem.read(arg, FLOCK.size)
    kind = FLOCK.unpack(raw)[0]
    if kind not in (F_RDLCK, F_WRLCK, F_UNLCK):
        raise SyscallError(EINVAL)
    if cmd in (F_GETLK, F_OFD_GETLK):
        k.mem.write(arg, host_fcntl.fcntl(host, cmd, raw))
        return 0
    if cmd in (F_SETLK, F_OFD_SETLK):
        host_fcntl.fcntl(host, cmd, raw)
        return 0
    no_wait = F_SETLK if cmd == F_SETLKW else F_OFD_SETLK

    def try_lock() -> int:
        host_fcntl.fcntl(host, no_wait, raw)
        return 0

    return _wait_for_lock(k, try_lock)


def fcntl(k: Kernel, fd: int, cmd: int, arg: int) -> int:
    if cmd in (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW):
        return _record_lock(k, host_fd(k, fd), cmd, arg)
    if cmd in HOST_COMMANDS:
        return host_fcntl.fcntl(host_fd(k, fd), cmd, signed(arg))
    return descriptor_fcntl(k, fd, cmd, arg)


# ---------------------------------------------------------------- space, syncing, advice


def fallocate(k: Kernel, fd: int, mode: int, offset: int, length: int) -> int:
    libc_call("fallocate", host_fd(k, fd), ctypes.c_int(signed(mode)),
              ctypes.c_int64(signed(offset, 64)), ctypes.c_int64(signed(length, 64)))
    return 0


def sync(k: Kernel) -> int:
    os.sync()
    return 0


def syncfs(k: Kernel, fd: int) -> int:
    libc_call("syncfs", host_fd(k, fd))
    return 0


def sync_file_range(k: Kernel, fd: int, offset: int, count: int, flags: int) -> int:
    libc_call("sync_file_range", host_fd(k, fd), ctypes.c_int64(signed(offset, 64)),
              ctypes.c_int64(signed(count, 64)), ctypes.c_uint(flags & 0xFFFF_FFFF))
    return 0


def fadvise64(k: Kernel, fd: int, offset: int, length: int, advice: int) -> int:
    os.posix_fadvise(host_fd(k, fd), signed(offset, 64), signed(length, 64), signed(advice))
    return 0


def readahead(k: Kernel, fd: int, offset: int, count: int) -> int:
    libc_call("readahead", host_fd(k, fd), ctypes.c_int64(signed(offset, 64)),
              ctypes.c_size_t(count))
    return 0


# ---------------------------------------------------------------- descriptors

MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_NOEXEC_SEAL, MFD_EXEC = 1, 2, 4, 8, 0x10
MFD_NAME_MAX = 249
CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC = 2, 4
O_CREAT, O_TMPFILE = 0o100, 0o20200000
VALID_OPEN_FLAGS = 0o37777703  # every O_ flag Linux knows (fs/fcntl.c VALID_OPEN_FLAGS)
RESOLVE_BENEATH, RESOLVE_IN_ROOT = 0x08, 0x10
AT_HANDLE_FID = 0x200


def memfd_create(k: Kernel, name_addr: int, flags: int) -> int:
    name = k.mem.read_cstring(name_addr, 4096)
    if len(name) > MFD_NAME_MAX:
        raise SyscallError(EINVAL)
    if flags & MFD_HUGETLB:
        raise SyscallError(EINVAL)  # no huge pages for the emulated process
    if flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC) or \
            flags & MFD_NOEXEC_SEAL and flags & MFD_EXEC:
        raise SyscallError(EINVAL)
    host_flags = MFD_CLOEXEC | flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC)
    try:
        host = os.memfd_create(os.fsdecode(name), host_flags)
    except OSError:  # an older host kernel without MFD_NOEXEC_SEAL / MFD_EXEC
        host = os.memfd_create(os.fsdecode(name), host_flags & ~(MFD_NOEXEC_SEAL | MFD_EXEC))
    return install_fd(k, host, f"/memfd:{os.fsdecode(name)} (deleted)", bool(flags & MFD_CLOEXEC))


def close_range(k: Kernel, first: int, last: int, flags: int) -> int:
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) or first > last:
        raise SyscallError(EINVAL)
    for fd in [fd for fd in k.process.files if first <= fd <= last]:
        if flags & CLOSE_RANGE_CLOEXEC:
            k.process.files[fd].cloexec = True
        else:
            k.process.release(fd)
    return 0


AT_EACCESS = 0x200


def faccessat2(k: Kernel, dirfd: int, path_addr: int, mode: int, flags: int) -> int:
    if mode & ~7 or flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(EINVAL)
    path = guest_path(k, path_addr)
    effective = bool(flags & AT_EACCESS)
    if not path and flags & AT_EMPTY_PATH:
        target = f"/proc/self/fd/{host_fd(k, dirfd)}"
        os.stat(target)
        if not os.access(target, mode, effective_ids=effective):
            raise SyscallError(EACCES)
        return 0
    return access_at(k, dirfd, path, mode, not flags & AT_SYMLINK_NOFOLLOW, effective)


def mknodat(k: Kernel, dirfd: int, path_addr: int, mode: int, dev: int) -> int:
    """Regular files, FIFOs and sockets anyone may make; devices need the host's privilege.
    `dev` is the kernel's encoding of major and minor."""
    major, minor = (dev & 0xFFF00) >> 8, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)
    with lookup(k, dirfd, guest_path(k, path_addr), follow=False) as found:
        check_change(k, found, creates=True)
        os.mknod(found.name, mode & 0o177777, os.makedev(major, minor), **found.at())
    return 0


# ---------------------------------------------------------------- newer file calls

OPEN_HOW = struct.Struct("<QQQ")  # struct open_how: flags, mode, resolve
OPEN_HOW_SIZE_VER0 = OPEN_HOW.size
RESOLVE_ALL = 0x1F | 0x20  # NO_XDEV, NO_MAGICLINKS, NO_SYMLINKS, BENEATH, IN_ROOT, CACHED
SYS_OPENAT2, SYS_CACHESTAT, SYS_STATMOUNT, SYS_LISTMOUNT = 437, 451, 457, 458


def _extensible_struct(k: Kernel, addr: int, size: int, known: int) -> bytes:
    """A struct that grows across Linux versions: at least its first version, at most a
    page, anything beyond what this kernel knows zero (E2BIG otherwise)."""
    if size < known:
        raise SyscallError(EINVAL)
    if size > 4096:
        raise SyscallError(E2BIG)
    raw = k.mem.read(addr, size)
    if any(raw[known:]):
        raise SyscallError(E2BIG)
    return raw[:known]


def openat2(k: Kernel, dirfd: int, path_addr: int, how_addr: int, size: int) -> int:
    """openat with strict checks and path-resolution limits: without limits it is openat
    (the guest's /proc files included); with them, the host resolves the path with them.
    Under a root, RESOLVE_BENEATH and RESOLVE_IN_ROOT keep the host's walk below dirfd,
    inside the root; for a relative path without them the other limits apply to the last
    step only, after the root's own walk."""
    flags, mode, resolve = OPEN_HOW.unpack(_extensible_struct(k, how_addr, size,
                                                              OPEN_HOW_SIZE_VER0))
    if flags >> 32 or flags & ~VALID_OPEN_FLAGS or resolve & ~RESOLVE_ALL or mode & ~0o7777 \
            or mode and not flags & (O_CREAT | O_TMPFILE):
        raise SyscallError(EINVAL)
    if not resolve:
        return open_at(k, dirfd, path_addr, flags, mode)
    path = guest_path(k, path_addr)
    root = k.process.root
    confined = resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)
    writes = flags & O_ACCMODE != os.O_RDONLY or bool(flags & (O_TRUNC | O_CREAT))
    absolute = os.path.isabs(path)
    # Under a root an absolute path outside /proc resolves as a chroot would (RESOLVE_IN_ROOT
    # from the root); a relative one after the root's own walk (from the directory it found).
    chrooted = root is not None and not confined and absolute \
        and os.path.normpath(path).split("/")[1] != "proc"
    with contextlib.ExitStack() as walk:
        if root is not None and (confined or chrooted):
            if root.read_only and writes:
                raise SyscallError(EROFS)
            host_dir = root.fd if chrooted else directory_of(k, dirfd)
            if chrooted:
                resolve |= RESOLVE_IN_ROOT
        elif confined or not absolute and root is None:
            host_dir = -100 if signed(dirfd) == AT_FDCWD else host_fd(k, dirfd)
        else:  # the root's walk (or -L's sysroot) finds the directory, the host the rest
            found = walk.enter_context(lookup(k, dirfd, path, follow=not flags & O_NOFOLLOW))
            if found.emulated:
                return open_at(k, dirfd, path_addr, flags, mode)
            check_open(k, found, flags, writes)
            host_dir = -100 if found.dir_fd is None else found.dir_fd
            path = found.name
            if root is not None:
                resolve |= RESOLVE_BENEATH
        how = buffer(OPEN_HOW.pack(host_open_flags(flags) | os.O_CLOEXEC, mode, resolve))
        host = raw_syscall(SYS_OPENAT2, host_dir, os.fsencode(path), how, OPEN_HOW.size)
    named = descriptor_target(host)
    if root is None:
        return install_fd(k, host, named, bool(flags & O_CLOEXEC))
    return install_fd(k, host, root.guest_view(named), bool(flags & O_CLOEXEC),
                      in_root=root.contains(named))


def fchmodat2(k: Kernel, dirfd: int, path_addr: int, mode: int, flags: int) -> int:
    """fchmodat with flags: a symbolic link's own mode cannot change (EOPNOTSUPP), as on
    Linux (done here, so that hosts older than Linux 6.6 answer the same)."""
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise SyscallError(EINVAL)
    path = guest_path(k, path_addr)
    if not path and flags & AT_EMPTY_PATH:
        host = host_fd(k, dirfd)
        check_descriptor_change(k, dirfd)
        os.chmod(f"/proc/self/fd/{host}", mode & 0o7777)
        return 0
    if not flags & AT_SYMLINK_NOFOLLOW:
        return chmod_at(k, dirfd, path, mode)
    with lookup(k, dirfd, path, follow=False) as found:
        existing = found.lstat() if not found.emulated else None
        if existing is not None and stat.S_ISLNK(existing.st_mode):
            raise SyscallError(EOPNOTSUPP)
        check_change(k, found)
        with found.object_path() as host:
            os.chmod(host, mode & 0o7777)
    return 0


def cachestat(k: Kernel, fd: int, range_addr: int, stat_addr: int, flags: int) -> int:
    """Page-cache residency of a file range, the host's (struct cachestat_range and
    struct cachestat are the same everywhere)."""
    span = buffer(k.mem.read(range_addr, 16))
    answer = buffer(40)
    raw_syscall(SYS_CACHESTAT, host_fd(k, fd), span, answer, flags)
    k.mem.write(stat_addr, answer.raw[:40])
    return 0


# Room for statmount's answer whatever size the guest claims: a struct statmount and its strings
# (mount paths, fs type, options) fit many times over.
STATMOUNT_ROOM = 1 << 20


def statmount(k: Kernel, request: int, buf: int, size: int, flags: int) -> int:
    """The host's mounts: struct mnt_id_req in, struct statmount (with self-relative
    strings) out, the same on every architecture."""
    (length,) = struct.unpack("<I", k.mem.read(request, 4))
    req = buffer(k.mem.read(request, max(length, 24)))
    size = min(size, STATMOUNT_ROOM)
    answer = buffer(max(size, 1))
    raw_syscall(SYS_STATMOUNT, req, answer, size, flags)
    k.mem.write(buf, answer.raw[:size])
    return 0


def listmount(k: Kernel, request: int, ids: int, count: int, flags: int) -> int:
    (length,) = struct.unpack("<I", k.mem.read(request, 4))
    req = buffer(k.mem.read(request, max(length, 24)))
    answer = buffer(max(8 * min(count, 1 << 20), 1))
    listed = raw_syscall(SYS_LISTMOUNT, req, answer, min(count, 1 << 20), flags)
    k.mem.write(ids, answer.raw[: 8 * listed])
    return listed


FILE_HANDLE_HEADER = struct.Struct("<Ii")  # handle_bytes, handle_type
MAX_HANDLE_SZ = 128


def name_to_handle_at(k: Kernel, dirfd: int, path_addr: int, handle_addr: int,
                      mount_id_addr: int, flags: int) -> int:
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID):
        raise SyscallError(EINVAL)
    (room,) = struct.unpack("<I", k.mem.read(handle_addr, 4))
    if room > MAX_HANDLE_SZ:
        raise SyscallError(EINVAL)
    handle = buffer(FILE_HANDLE_HEADER.pack(room, 0) + bytes(room))
    mount_id = ctypes.c_int(0)
    path = guest_path(k, path_addr)
    try:
        if not path and flags & AT_EMPTY_PATH:
            libc_call("name_to_handle_at", host_fd(k, dirfd), b"", handle,
                      ctypes.byref(mount_id), flags)
        else:
            with lookup(k, dirfd, path, follow=bool(flags & AT_SYMLINK_FOLLOW)) as found:
                found.at()  # EACCES for the emulated /proc
                libc_call("name_to_handle_at", -100 if found.dir_fd is None else found.dir_fd,
                          os.fsencode(found.name), handle, ctypes.byref(mount_id),
                          flags & ~(AT_EMPTY_PATH | (0 if found.follow else AT_SYMLINK_FOLLOW)))
    finally:  # EOVERFLOW says, in handle_bytes, how much room the handle needs
        k.mem.write(handle_addr, handle.raw[:FILE_HANDLE_HEADER.size + room])
    k.mem.write(mount_id_addr, struct.pack("<i", mount_id.value))
    return 0


def open_by_handle_at(k: Kernel, mount_fd: int, handle_addr: int, flags: int) -> int:
    """Needs CAP_DAC_READ_SEARCH, which the host grants pyemu or not; never under --root,
    where a handle could name any file of the file system, inside the root or not."""
    if k.process.root is not None:
        raise SyscallError(EPERM)
    (size,) = struct.unpack("<I", k.mem.read(handle_addr, 4))
    if size > MAX_HANDLE_SZ:
        raise SyscallError(EINVAL)
    handle = buffer(k.mem.read(handle_addr, FILE_HANDLE_HEADER.size + size))
    host = libc_call("open_by_handle_at", host_fd(k, mount_fd), handle,
                     host_open_flags(flags) | os.O_CLOEXEC)
    return install_fd(k, host, "", bool(flags & O_CLOEXEC))
