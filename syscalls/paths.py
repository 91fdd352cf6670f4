"""Where a guest path leads on the host: the one resolver of every system call that names a file.

Two modes, chosen at start-up:

- Host paths (no --root), like qemu-user: a guest path is a host path, an absolute one tried
  under the -L sysroot first. Only the guest's own /proc/self files are emulated.
- A root (--root DIR): the guest sees DIR as `/`, and no path leads outside it. The walk is
  done here, one component at a time, each held as an O_PATH descriptor opened with
  O_NOFOLLOW: a symlink is read from the descriptor and its target walked in turn (absolute
  targets from the root, at most 40 of them: ELOOP), `..` never climbs above the root's inode,
  and the final system call gets the last directory's descriptor and a single name that it
  must not follow. Nothing is ever re-resolved from a path string, so a guest process that
  swaps a directory for a symlink mid-walk makes the call fail, never escape. `/proc` at the
  root is the emulated one (see procfs): /proc/self/root leads to the root, /proc/self/cwd
  to the guest's directory, /proc/self/fd/N to the guest's own descriptor N only.

  Why not the host's openat2(RESOLVE_IN_ROOT)? It does the same walk in the kernel, but only
  for open: mkdir, unlink, rename, link, symlink, readlink and stat still need the parent
  resolved and a last name handled here; the emulated /proc has to be spliced into the walk;
  and seccomp profiles of common container runtimes refuse openat2 (it takes a pointer they
  cannot inspect). One walk in Python serves every call, on every Linux host.

`--read-only` turns every change below the root into EROFS, as a read-only mount would.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..emulator.memory import GuestFault
from ..loader import STATUS_NOT_FOUND, LoadError
from . import procfs
from .errors import (
    EACCES,
    EBADF,
    EEXIST,
    EINVAL,
    ELOOP,
    ENAMETOOLONG,
    ENOENT,
    ENOTDIR,
    EROFS,
    ETXTBSY,
    SyscallError,
)
from .kernel import Kernel, signed

AT_FDCWD = -100
PATH_MAX = 4096  # bytes of a path, its NUL included
MAX_SYMLINKS = 40  # Linux's MAXSYMLINKS
_STEP = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
# Objects a read-only mount protects; devices, FIFOs and sockets on it stay writable.
_ON_FILE_SYSTEM = (stat.S_ISREG, stat.S_ISDIR, stat.S_ISLNK)


def open_root(directory: str | None, read_only: bool = False) -> Root | None:
    """The Root of --root DIR (None without one); LoadError, one line, when DIR is unusable."""
    if directory is None:
        return None
    try:
        return Root(directory, read_only)
    except FileNotFoundError:
        raise LoadError(f"--root {directory}: No such file or directory",
                        STATUS_NOT_FOUND) from None
    except OSError as error:
        raise LoadError(f"--root {directory}: {error.strerror}") from None


class Root:
    """A host directory the guest sees as `/`, and the guest's working directory in it."""

    def __init__(self, directory: str, read_only: bool = False):
        self.host = os.path.realpath(directory)
        self.fd = os.open(self.host, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self.identity = _identity(self.fd)
        self.read_only = read_only
        # The guest starts where pyemu was started when that is inside the root, else at `/`.
        here = os.getcwd()
        start = here if self.contains(here) else self.host
        # pyemu's own working directory stays: every lookup starts from a descriptor.
        self.cwd_fd = os.open(start, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)

    def contains(self, host_path: str) -> bool:
        """Whether a (canonical) host path is the root or below it."""
        return host_path == self.host or host_path.startswith(self.host.rstrip("/") + "/")

    def guest_view(self, host_path: str) -> str:
        """How the guest names a host path: below the root, without its prefix."""
        if not self.contains(host_path):
            return host_path  # not reachable by path (a descriptor pyemu was given, a pipe)
        return host_path[len(self.host.rstrip("/")):] or "/"

    def is_root(self, fd: int) -> bool:
        return _identity(fd) == self.identity

    def cwd(self) -> str:
        return self.guest_view(descriptor_target(self.cwd_fd))

    def open_interpreter(self, name: str) -> int:
        """The loader's way to a program interpreter (PT_INTERP) below the root."""
        start = self.fd if name.startswith("/") else self.cwd_fd
        try:
            with _walk(None, self, start, name, follow=True) as found:
                return _open_for_reading(found)
        except SyscallError as error:
            raise OSError(error.errno, os.strerror(error.errno), name) from None

    def change_directory(self, fd: int) -> None:
        """Make the directory open as `fd` (inside the root) the working directory."""
        new = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
        os.close(self.cwd_fd)
        self.cwd_fd = new


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def descriptor_target(host_fd: int) -> str:
    """The host's name of what a host descriptor of pyemu's refers to."""
    return os.readlink(f"/proc/self/fd/{host_fd}")


@dataclass
class Found:
    """Where a guest path leads.

    A real object is `name` in the directory open as `dir_fd` (None: `name` is a host path);
    `follow` says whether a host call there may follow a final symlink itself (never under a
    root: the walk followed what had to be followed). An emulated /proc object has
    `proc_parts` (see procfs) instead. `outside`: an object pyemu was handed (the program,
    a descriptor the guest inherited) that the guest may use but not change."""

    dir_fd: int | None = None
    name: str = ""
    follow: bool = True
    proc_parts: tuple[str, ...] | None = None
    outside: bool = False
    outside_writable: bool = False  # an inherited descriptor the guest holds open for writing
    trailing_slash: bool = False
    owned: list[int] = field(default_factory=list)

    def release(self) -> None:
        for fd in self.owned:
            os.close(fd)
        self.owned.clear()

    @property
    def emulated(self) -> bool:
        return self.proc_parts is not None

    def at(self) -> dict:
        """The keyword arguments locating the object for an os.*at() call."""
        if self.emulated:
            raise SyscallError(EACCES)  # /proc's files cannot be made, moved or changed
        return {"dir_fd": self.dir_fd}

    def lstat(self) -> os.stat_result | None:
        """The object itself (a final symlink not followed), None when it does not exist."""
        try:
            return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def stat(self, k: Kernel) -> os.stat_result:
        if self.emulated:
            return procfs.stat(k, self.proc_parts)
        return os.stat(self.name, dir_fd=self.dir_fd, follow_symlinks=self.follow)

    @contextlib.contextmanager
    def object_path(self) -> Iterator[str]:
        """A host path naming exactly this object (never a symlink) for the calls that have
        no *at() form or cannot refuse to follow (chmod, truncate, access, statfs)."""
        if self.emulated:
            raise SyscallError(EACCES)
        if self.dir_fd is None and self.follow:
            yield self.name
            return
        fd = os.open(self.name, os.O_PATH | os.O_CLOEXEC | (0 if self.follow else os.O_NOFOLLOW),
                     dir_fd=self.dir_fd)
        try:
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                raise SyscallError(ELOOP)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)

    def readlink(self, k: Kernel) -> str:
        if self.emulated:
            return procfs.link_text(k, self.proc_parts)
        return os.readlink(self.name, dir_fd=self.dir_fd)


# ---------------------------------------------------------------- looking paths up


def guest_path(k: Kernel, addr: int) -> str:
    """The NUL-terminated path the guest passed at `addr`."""
    try:
        return os.fsdecode(k.mem.read_cstring(addr, PATH_MAX))
    except GuestFault:
        if k.mem.is_mapped(addr, PATH_MAX):
            raise SyscallError(ENAMETOOLONG) from None
        raise


@contextlib.contextmanager
def lookup(k: Kernel, dirfd: int, path: str, *, follow: bool = True) -> Iterator[Found]:
    """Where `path` leads, relative to the guest's descriptor `dirfd` (or AT_FDCWD) like the
    *at() calls; a final symlink is followed when `follow` is true. The directory found
    stays open for the `with` block."""
    if not path:
        raise SyscallError(ENOENT)
    root = k.process.root
    if root is None:
        yield _host_lookup(k, signed(dirfd), path, follow)
        return
    with _walk(k, root, _start(k, root, signed(dirfd), path), path, follow) as found:
        yield found


@contextlib.contextmanager
def _walk(k: Kernel | None, root: Root, start: int, path: str, follow: bool) -> Iterator[Found]:
    # "dir/" and "dir/." name a directory: a final symlink there is followed.
    found = Found(follow=False, trailing_slash=path.endswith(("/", "/.")))
    try:
        _Walk(k, root, found, start).run(path, follow)
        yield found
    finally:
        found.release()


def host_name(k: Kernel, dirfd: int, path: str, *, follow: bool = True,
              changes: bool = False, creates: bool = False) -> tuple[str, int | None]:
    """A host path for the calls that take nothing but a path (socket addresses, inotify,
    extended attributes), and the descriptor of pyemu's it goes through (None: none; the
    caller closes it once done with the path). Under a root the path never leads outside:
    it is /proc/self/fd/N, N the object itself (`follow`: a final symlink is followed), or
    /proc/self/fd/N/name, N its directory, when the call creates `name` or must not follow
    it (the host call must not follow it then). `changes`, `creates`: check_change's."""
    with lookup(k, dirfd, path, follow=follow) as found:
        if changes or creates:
            check_change(k, found, creates=creates)
        if found.emulated:
            raise SyscallError(EACCES)
        if found.dir_fd is None:  # host paths: the walk was the host's
            return found.name, None
        if creates or not follow:
            held = os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=found.dir_fd)
            return f"/proc/self/fd/{held}/{found.name}", held
        held = os.open(found.name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=found.dir_fd)
        return f"/proc/self/fd/{held}", held


@contextlib.contextmanager
def host_name_of(k: Kernel, dirfd: int, path: str, **how) -> Iterator[str]:
    """host_name's path, for the `with` block."""
    name, held = host_name(k, dirfd, path, **how)
    try:
        yield name
    finally:
        if held is not None:
            os.close(held)


def open_program(k: Kernel, path: str) -> int:
    """A program file execve names (or its interpreter), open for reading."""
    with lookup(k, AT_FDCWD, path) as found:
        return _open_for_reading(found)


def _open_for_reading(found: Found) -> int:
    if found.emulated:
        raise SyscallError(EACCES)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if found.follow else os.O_NOFOLLOW)
    return os.open(found.name, flags, dir_fd=found.dir_fd)


def check_change(k: Kernel, found: Found, creates: bool = False) -> None:
    """Refuse a change to what `found` names: EROFS under a read-only root (EEXIST first when
    `creates` and it exists), EACCES for objects pyemu was handed and emulated ones."""
    if found.emulated or found.outside:
        raise SyscallError(EACCES)
    root = k.process.root
    if root is None or not root.read_only:
        return
    if creates and found.lstat() is not None:
        raise SyscallError(EEXIST)
    raise SyscallError(EROFS)


def check_open(k: Kernel, found: Found, flags: int, writes: bool) -> None:
    """The read-only root's rules for open: writing or truncating a file, or creating one."""
    root = k.process.root
    if found.outside and writes and not found.outside_writable:
        raise SyscallError(ETXTBSY if found.name == k.process.executable else EACCES)
    if root is None or not root.read_only or found.emulated or found.outside:
        return
    existing = found.lstat() if not found.follow else _stat_or_none(found)
    if existing is None:
        if flags & os.O_CREAT:
            raise SyscallError(EROFS)
        return
    if writes and any(kind(existing.st_mode) for kind in _ON_FILE_SYSTEM):
        raise SyscallError(EROFS)


def check_descriptor_change(k: Kernel, fd: int) -> None:
    """fchmod, fchown and futimens under a read-only root: EROFS for what the guest opened
    below it (descriptors it inherited are the caller's business)."""
    root = k.process.root
    description = k.process.files.get(signed(fd))
    if root is not None and root.read_only and description is not None \
            and description.in_root:
        raise SyscallError(EROFS)


def _stat_or_none(found: Found) -> os.stat_result | None:
    try:
        return os.stat(found.name, dir_fd=found.dir_fd)
    except FileNotFoundError:
        return None


# Links every Linux system has into the process's own descriptors (/dev/fd is one to
# /proc/self/fd). Followed by the host, under host paths, they would reach pyemu's descriptors,
# so they lead to the guest's emulated /proc/self/fd, as under --root.
_DESCRIPTOR_LINKS = {"/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1",
                     "/dev/stderr": "/proc/self/fd/2"}


def _host_lookup(k: Kernel, dirfd: int, path: str, follow: bool) -> Found:
    """Host paths, as qemu-user resolves them: -L sysroot first for absolute ones."""
    if os.path.isabs(path):
        normal = _DESCRIPTOR_LINKS.get(path) or os.path.normpath(path)
        if normal == "/dev/fd" or normal.startswith("/dev/fd/"):
            normal = "/proc/self/fd" + normal[len("/dev/fd"):]
        if normal == "/proc" or normal.startswith("/proc/"):
            found = _host_proc(k, normal.split("/")[2:], follow)
            if found is not None:
                return found
        sysroot = k.process.sysroot
        if sysroot and os.path.lexists(sysroot + path):
            return Found(None, sysroot + path, follow)
        return Found(None, path, follow)
    if dirfd == AT_FDCWD:
        return Found(None, path, follow)
    description = k.process.files.get(dirfd)
    if description is None:
        raise SyscallError(EBADF)
    return Found(description.host_fd, path, follow)


def _host_proc(k: Kernel, parts: list[str], follow: bool) -> Found | None:
    """An emulated /proc path of a host-path guest; None for the host's own /proc files."""
    for index in range(len(parts) + 1):
        node = procfs.node(k, tuple(parts[:index]))
        if node is None:
            if index == 3 and parts[1] == "fd":
                raise SyscallError(ENOENT)  # not one of the guest's descriptors
            return None
        last = index == len(parts)
        if node == procfs.LINK and (follow or not last):
            target = procfs.host_target(k, tuple(parts[:index]))
            return Found(None, os.path.join(target, *parts[index:]), follow)
        if last:  # the host's own directories stay visible, as under qemu, but for the
            # guest's descriptors: /proc/self/fd lists them, not pyemu's
            if node == procfs.DIR and parts[1:] != ["fd"]:
                return None
            return Found(proc_parts=tuple(parts))
    return None


def _start(k: Kernel, root: Root, dirfd: int, path: str) -> int:
    """The directory a relative lookup starts from: one inside the root, or refused."""
    if path.startswith("/"):
        return root.fd
    if dirfd == AT_FDCWD:
        return root.cwd_fd
    description = k.process.files.get(dirfd)
    if description is None:
        raise SyscallError(EBADF)
    if not stat.S_ISDIR(os.fstat(description.host_fd).st_mode):
        raise SyscallError(ENOTDIR)
    if not description.in_root:
        raise SyscallError(EACCES)  # a directory pyemu inherited: the root does not hold it
    return description.host_fd


def directory_of(k: Kernel, dirfd: int) -> int:
    """Under a root: the host directory a relative lookup from the guest's `dirfd` (or
    AT_FDCWD) starts at, one inside the root (EACCES for a directory pyemu inherited)."""
    return _start(k, k.process.root, signed(dirfd), "")


class _Walk:
    """One walk of a path under a root, filling in `found`."""

    DEPTH = 64  # directories kept open behind the current one, for `..` without a lookup

    def __init__(self, k: Kernel | None, root: Root, found: Found, start: int):
        self.k, self.root, self.found = k, root, found
        self.current = start  # the directory reached so far (an O_PATH descriptor)
        self.behind: list[int] = []  # the directories the walk came down through, in order
        self.proc: tuple[str, ...] | None = None  # inside the emulated /proc: parts below it
        self.links = 0

    def _drop(self, fd: int) -> None:
        """Close `fd` if the walk opened it (the root, the cwd, the guest's own stay open)."""
        if fd in self.found.owned:
            self.found.owned.remove(fd)
            os.close(fd)

    def descend(self, fd: int) -> None:
        """Go into the directory the walk just opened as `fd`."""
        self.found.owned.append(fd)
        self.behind.append(self.current)
        if len(self.behind) > self.DEPTH:
            self._drop(self.behind.pop(0))
        self.current = fd

    def jump(self, fd: int) -> None:
        """Go to a directory elsewhere (the root, for an absolute symlink; /proc's links)."""
        for previous in [*self.behind, self.current]:
            self._drop(previous)
        self.behind.clear()
        self.current = fd

    def ascend(self) -> None:
        """`..`: back where the walk came from, else the host's `..`, but never above the
        root (its inode is checked: a directory may have moved since)."""
        if self.behind:
            self._drop(self.current)
            self.current = self.behind.pop()
        elif not self.root.is_root(self.current):
            parent = os.open("..", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.current)
            self._drop(self.current)
            self.found.owned.append(parent)
            self.current = parent

    def count_link(self) -> None:
        if self.links >= MAX_SYMLINKS:
            raise SyscallError(ELOOP)
        self.links += 1

    def run(self, path: str, follow: bool) -> None:
        found, root = self.found, self.root
        parts = deque(p for p in path.split("/") if p not in ("", "."))
        while True:
            if not parts:  # the path ends at a directory ("/", ".", "..", "a/")
                if self.proc is not None:
                    found.proc_parts = self.proc
                else:
                    found.dir_fd, found.name = self.current, "."
                return
            part = parts.popleft()
            last = not parts
            follow_this = follow or not last or found.trailing_slash
            if part == "..":
                if self.proc is not None:
                    self.proc = self.proc[:-1] if self.proc else None
                else:
                    self.ascend()
                continue
            if self.proc is None and part == "proc" and self.k is not None \
                    and root.is_root(self.current):
                self.proc = ()
                continue
            if self.proc is not None:
                if self.step_in_proc(part, last, follow_this):
                    return
                continue
            if last and not follow_this:
                found.dir_fd, found.name = self.current, part
                return
            try:
                fd = os.open(part, _STEP, dir_fd=self.current)
            except FileNotFoundError:
                if not last:
                    raise
                found.dir_fd, found.name = self.current, part  # to be created
                return
            try:
                mode = os.fstat(fd).st_mode
                target = os.readlink("", dir_fd=fd) if stat.S_ISLNK(mode) else None
            except BaseException:
                os.close(fd)
                raise
            if target is not None:
                os.close(fd)
                self.count_link()
                if not target:
                    raise SyscallError(ENOENT)
                if target.startswith("/"):
                    self.jump(root.fd)
                parts.extendleft(reversed([p for p in target.split("/") if p not in ("", ".")]))
                continue
            if stat.S_ISDIR(mode) and not last:
                self.descend(fd)
                continue
            os.close(fd)
            if not last or found.trailing_slash and not stat.S_ISDIR(mode):
                raise SyscallError(ENOTDIR)
            found.dir_fd, found.name = self.current, part
            return

    def step_in_proc(self, part: str, last: bool, follow_this: bool) -> bool:
        """One step inside the emulated /proc; True when the walk ends there."""
        parts = (*self.proc, part)
        node = procfs.node(self.k, parts)
        if node is None:
            raise SyscallError(ENOENT)
        if node == procfs.LINK and follow_this:
            self.count_link()
            jump = procfs.root_jump(self.k, self.root, parts)
            self.proc = None
            if jump.directory is not None:
                self.jump(jump.directory)
                return False
            if not last:
                raise SyscallError(ENOTDIR)
            self.found.dir_fd, self.found.name, self.found.follow = None, jump.host_path, True
            self.found.outside, self.found.outside_writable = jump.outside, jump.writable
            return True
        if node != procfs.DIR and not last:
            raise SyscallError(ENOTDIR)
        self.proc = parts
        return False


W_OK = 2


def access_at(k: Kernel, dirfd: int, path: str, mode: int, follow: bool = True,
              effective: bool = False) -> int:
    """faccessat and faccessat2: whether the real (or `effective`) ids may access `path`."""
    if mode & ~7:
        raise SyscallError(EINVAL)
    with lookup(k, dirfd, path, follow=follow) as found:
        if found.emulated:
            found.stat(k)
            if mode & W_OK:
                raise SyscallError(EACCES)
            return 0
        # ENOENT, ENOTDIR, ELOOP as the kernel says them
        os.stat(found.name, dir_fd=found.dir_fd, follow_symlinks=found.follow)
        if mode & W_OK and k.process.root and k.process.root.read_only and not found.outside:
            raise SyscallError(EROFS)
        if not os.access(found.name, mode, dir_fd=found.dir_fd, effective_ids=effective,
                         follow_symlinks=found.follow):
            raise SyscallError(EACCES)
    return 0


def chmod_at(k: Kernel, dirfd: int, path: str, mode: int) -> int:
    """fchmodat, and fchmodat2 when it follows symbolic links."""
    with lookup(k, dirfd, path) as found:
        check_change(k, found)
        with found.object_path() as host:
            os.chmod(host, mode & 0o7777)
    return 0
