"""Credentials: the set*id family, supplementary groups and capabilities.

The guest's credentials are pyemu's, so these go to the host, which grants or refuses them
as it would the guest (EPERM for an unprivileged process). All guest threads are one host
thread: a change made by one is every thread's at once, which glibc arranges anyway.
"""

from __future__ import annotations

import ctypes
import os
import struct

from .errors import E2BIG, EINVAL, SyscallError
from .host import buffer, libc_call, raw_syscall
from .kernel import Kernel, owner_id, signed

NGROUPS_MAX = 65536
CAP_HEADER = struct.Struct("<Ii")  # version, pid
LINUX_CAPABILITY_VERSION_1, LINUX_CAPABILITY_VERSION_3 = 0x19980330, 0x20080522
CAP_DATA_SIZE = 12  # effective, permitted, inheritable (u32 each), one per 32 capabilities


def _may_drop_root(k: Kernel) -> None:
    if os.geteuid() == 0:
        hooks, k.before_dropping_root = k.before_dropping_root, []
        for hook in hooks:
            hook()


def setuid(k: Kernel, uid: int) -> int:
    _may_drop_root(k)
    os.setuid(owner_id(uid))
    return 0


def setgid(k: Kernel, gid: int) -> int:
    _may_drop_root(k)
    os.setgid(owner_id(gid))
    return 0


def setreuid(k: Kernel, ruid: int, euid: int) -> int:
    _may_drop_root(k)
    os.setreuid(owner_id(ruid), owner_id(euid))
    return 0


def setregid(k: Kernel, rgid: int, egid: int) -> int:
    _may_drop_root(k)
    os.setregid(owner_id(rgid), owner_id(egid))
    return 0


def setresuid(k: Kernel, ruid: int, euid: int, suid: int) -> int:
    _may_drop_root(k)
    os.setresuid(owner_id(ruid), owner_id(euid), owner_id(suid))
    return 0


def setresgid(k: Kernel, rgid: int, egid: int, sgid: int) -> int:
    _may_drop_root(k)
    os.setresgid(owner_id(rgid), owner_id(egid), owner_id(sgid))
    return 0


def setfsuid(k: Kernel, fsuid: int) -> int:
    """The previous fsuid, whether or not the change was allowed (it never fails)."""
    _may_drop_root(k)
    return libc_call("setfsuid", ctypes.c_uint(fsuid & 0xFFFF_FFFF))


def setfsgid(k: Kernel, fsgid: int) -> int:
    _may_drop_root(k)
    return libc_call("setfsgid", ctypes.c_uint(fsgid & 0xFFFF_FFFF))


def setgroups(k: Kernel, size: int, addr: int) -> int:
    _may_drop_root(k)
    size = signed(size)
    if not 0 <= size <= NGROUPS_MAX:
        raise SyscallError(EINVAL)
    groups = struct.unpack(f"<{size}I", k.mem.read(addr, 4 * size)) if size else ()
    os.setgroups(list(groups))
    return 0


def _capability_call(k: Kernel, name: str, header_addr: int, data_addr: int,
                     read_data: bool) -> int:
    """capget/capset through the host's: the header says how many sets the data holds;
    an unknown version makes the kernel write the one it prefers and fail with EINVAL."""
    header = buffer(k.mem.read(header_addr, CAP_HEADER.size))
    version = CAP_HEADER.unpack(header.raw[: CAP_HEADER.size])[0]
    words = 1 if version == LINUX_CAPABILITY_VERSION_1 else 2
    data = None
    if data_addr:
        data = buffer(k.mem.read(data_addr, words * CAP_DATA_SIZE) if read_data
                      else words * CAP_DATA_SIZE)
    try:
        libc_call(name, header, data)
    finally:
        k.mem.write(header_addr, header.raw[: CAP_HEADER.size])
    if data is not None and not read_data:
        k.mem.write(data_addr, data.raw[: words * CAP_DATA_SIZE])
    return 0


def capget(k: Kernel, header: int, data: int) -> int:
    return _capability_call(k, "capget", header, data, read_data=False)


def capset(k: Kernel, header: int, data: int) -> int:
    _may_drop_root(k)
    return _capability_call(k, "capset", header, data, read_data=True)


# ---------------------------------------------------------------- LSM attributes

SYS_LSM_GET_SELF_ATTR, SYS_LSM_SET_SELF_ATTR, SYS_LSM_LIST_MODULES = 459, 460, 461
LSM_CONTEXT_MAX = 1 << 16


def _sized_answer(k: Kernel, call, out_addr: int, size_addr: int) -> int:
    """`call(buffer, size)` fills a buffer of *size_addr bytes and sets the size it needs,
    which goes back to the guest whether or not the buffer was large enough."""
    (size,) = struct.unpack("<I", k.mem.read(size_addr, 4))
    size_box = ctypes.c_uint32(size)
    out = buffer(max(min(size, LSM_CONTEXT_MAX), 1)) if out_addr else None
    try:
        result = call(out, ctypes.byref(size_box))
    finally:
        k.mem.write(size_addr, struct.pack("<I", size_box.value))
    if out is not None:
        k.mem.write(out_addr, out.raw[: min(size_box.value, size)])
    return result


def lsm_get_self_attr(k: Kernel, attr: int, ctx: int, size_addr: int, flags: int) -> int:
    """The host's security modules' attributes of pyemu, the guest's own process."""
    return _sized_answer(k, lambda out, size: raw_syscall(SYS_LSM_GET_SELF_ATTR, attr, out,
                                                          size, flags), ctx, size_addr)


def lsm_set_self_attr(k: Kernel, attr: int, ctx: int, size: int, flags: int) -> int:
    if size > LSM_CONTEXT_MAX:
        raise SyscallError(E2BIG)
    context = buffer(k.mem.read(ctx, size))
    return raw_syscall(SYS_LSM_SET_SELF_ATTR, attr, context, size, flags)


def lsm_list_modules(k: Kernel, ids: int, size_addr: int, flags: int) -> int:
    return _sized_answer(k, lambda out, size: raw_syscall(SYS_LSM_LIST_MODULES, out, size,
                                                          flags), ids, size_addr)
