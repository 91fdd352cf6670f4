"""Extended attributes, the host's: set, get, list and remove, by path (following a final
symbolic link or not) or by descriptor."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from .descriptors import AT_FDCWD, host_fd
from .errors import E2BIG, EINVAL, ERANGE, SyscallError
from .kernel import Kernel
from .paths import check_descriptor_change, guest_path, host_name_of

XATTR_CREATE, XATTR_REPLACE = 1, 2
XATTR_NAME_MAX = 255
XATTR_SIZE_MAX = 65536


@contextlib.contextmanager
def _target(k: Kernel, path_addr: int | None, fd: int | None, follow: bool = True,
            changes: bool = False) -> Iterator[int | str]:
    """The host descriptor, or a host path found as every path is (see paths.host_name)."""
    if fd is not None:
        host = host_fd(k, fd)
        if changes:
            check_descriptor_change(k, fd)
        yield host
        return
    with host_name_of(k, AT_FDCWD, guest_path(k, path_addr), follow=follow,
                      changes=changes) as name:
        yield name


def _name(k: Kernel, addr: int) -> str:
    name = k.mem.read_cstring(addr, XATTR_NAME_MAX + 1)
    if not name or len(name) > XATTR_NAME_MAX:
        raise SyscallError(ERANGE)
    return os.fsdecode(name)


def _set(k: Kernel, target: int | str, name_addr: int, value: int, size: int, flags: int,
         follow: bool) -> int:
    if flags & ~(XATTR_CREATE | XATTR_REPLACE):
        raise SyscallError(EINVAL)
    if size > XATTR_SIZE_MAX:
        raise SyscallError(E2BIG)
    name = _name(k, name_addr)
    data = k.mem.read(value, size) if size else b""
    os.setxattr(target, name, data, flags, follow_symlinks=follow)
    return 0


def _get(k: Kernel, target: int | str, name_addr: int, value: int, size: int,
         follow: bool) -> int:
    """The value's length when `size` is 0; ERANGE when it does not fit."""
    data = os.getxattr(target, _name(k, name_addr), follow_symlinks=follow)
    if size:
        if len(data) > size:
            raise SyscallError(ERANGE)
        k.mem.write(value, data)
    return len(data)


def _list(k: Kernel, target: int | str, buf: int, size: int, follow: bool) -> int:
    names = b"".join(os.fsencode(name) + b"\0"
                     for name in os.listxattr(target, follow_symlinks=follow))
    if size:
        if len(names) > size:
            raise SyscallError(ERANGE)
        k.mem.write(buf, names)
    return len(names)


def _remove(k: Kernel, target: int | str, name_addr: int, follow: bool) -> int:
    os.removexattr(target, _name(k, name_addr), follow_symlinks=follow)
    return 0


def setxattr(k: Kernel, path: int, name: int, value: int, size: int, flags: int) -> int:
    with _target(k, path, None, changes=True) as target:
        return _set(k, target, name, value, size, flags, True)


def lsetxattr(k: Kernel, path: int, name: int, value: int, size: int, flags: int) -> int:
    with _target(k, path, None, follow=False, changes=True) as target:
        return _set(k, target, name, value, size, flags, False)


def fsetxattr(k: Kernel, fd: int, name: int, value: int, size: int, flags: int) -> int:
    with _target(k, None, fd, changes=True) as target:
        return _set(k, target, name, value, size, flags, True)


def getxattr(k: Kernel, path: int, name: int, value: int, size: int) -> int:
    with _target(k, path, None) as target:
        return _get(k, target, name, value, size, True)


def lgetxattr(k: Kernel, path: int, name: int, value: int, size: int) -> int:
    with _target(k, path, None, follow=False) as target:
        return _get(k, target, name, value, size, False)


def fgetxattr(k: Kernel, fd: int, name: int, value: int, size: int) -> int:
    with _target(k, None, fd) as target:
        return _get(k, target, name, value, size, True)


def listxattr(k: Kernel, path: int, buf: int, size: int) -> int:
    with _target(k, path, None) as target:
        return _list(k, target, buf, size, True)


def llistxattr(k: Kernel, path: int, buf: int, size: int) -> int:
    with _target(k, path, None, follow=False) as target:
        return _list(k, target, buf, size, False)


def flistxattr(k: Kernel, fd: int, buf: int, size: int) -> int:
    with _target(k, None, fd) as target:
        return _list(k, target, buf, size, True)


def removexattr(k: Kernel, path: int, name: int) -> int:
    with _target(k, path, None, changes=True) as target:
        return _remove(k, target, name, True)


def lremovexattr(k: Kernel, path: int, name: int) -> int:
    with _target(k, path, None, follow=False, changes=True) as target:
        return _remove(k, target, name, False)


def fremovexattr(k: Kernel, fd: int, name: int) -> int:
    with _target(k, None, fd, changes=True) as target:
        return _remove(k, target, name, True)
