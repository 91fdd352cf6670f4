"""Memory-management system calls: brk, mmap and friends."""

from __future__ import annotations

import os

from ..emulator.memory import PAGE_OFFSET_MASK, page_ceil, page_floor
from .errors import EEXIST, EFAULT, EINVAL, ENOMEM, SyscallError
from .fs import host_fd
from .kernel import Kernel, signed

MAP_SHARED = 0x01
MAP_PRIVATE = 0x02
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_FIXED_NOREPLACE = 0x100000
MADV_DONTNEED = 4
MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2


def brk(k: Kernel, addr: int) -> int:
    process = k.process
    if addr < process.brk_start:
        return process.brk
    old_end, new_end = page_ceil(process.brk), page_ceil(addr)
    if new_end > old_end:
        if not k.mem.is_free(old_end, new_end - old_end):
            return process.brk
        k.mem.map(old_end, new_end - old_end, 3, "[heap]")
    elif new_end < old_end:
        k.mem.unmap(new_end, old_end - new_end)
    process.brk = addr
    return addr


def mmap(k: Kernel, addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int:
    if not length or addr & PAGE_OFFSET_MASK and flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        raise SyscallError(EINVAL)
    if offset & PAGE_OFFSET_MASK or not flags & (MAP_SHARED | MAP_PRIVATE):
        raise SyscallError(EINVAL)
    size = page_ceil(length)
    if size < length or size > k.mem.limit:
        raise SyscallError(ENOMEM)
    if flags & MAP_FIXED_NOREPLACE:
        if not k.mem.is_free(addr, size):
            raise SyscallError(EEXIST)
        start = addr
    elif flags & MAP_FIXED:
        if not k.mem.check_range(addr, size):
            raise SyscallError(ENOMEM)
        start = addr
    elif addr and k.mem.is_free(page_floor(addr), size):
        start = page_floor(addr)
    else:
        found = k.mem.find_free(size, below=k.process.mmap_base)
        if found is None:
            raise SyscallError(ENOMEM)
        start = found
    name = ""
    data = b""
    if not flags & MAP_ANONYMOUS:
        host = host_fd(k, fd)
        data = os.pread(host, size, signed(offset, 64))
        name = k.process.files[signed(fd)].path
    k.mem.map(start, size, prot, name, offset)
    if data:
        k.mem.poke(start, data)
    return start


def munmap(k: Kernel, addr: int, length: int) -> int:
    if addr & PAGE_OFFSET_MASK or not length or not k.mem.check_range(addr, page_ceil(length)):
        raise SyscallError(EINVAL)
    k.mem.unmap(addr, page_ceil(length))
    return 0


def mprotect(k: Kernel, addr: int, length: int, prot: int) -> int:
    if addr & PAGE_OFFSET_MASK:
        raise SyscallError(EINVAL)
    size = page_ceil(length)
    if not k.mem.is_mapped(addr, size):
        raise SyscallError(ENOMEM)
    k.mem.protect(addr, size, prot)
    return 0


def madvise(k: Kernel, addr: int, length: int, advice: int) -> int:
    if addr & PAGE_OFFSET_MASK:
        raise SyscallError(EINVAL)
    size = page_ceil(length)
    if advice == MADV_DONTNEED:
        # Private anonymous pages read back as zeros afterwards: map them afresh.
        for region in k.mem.maps():
            lo, hi = max(region.start, addr), min(region.end, addr + size)
            if lo < hi:
                k.mem.map(lo, hi - lo, region.prot, region.name, region.offset)
    return 0




def mremap(k: Kernel, old_addr: int, old_size: int, new_size: int, flags: int,
           new_addr: int) -> int:
    """Resize a mapping in place when the pages after it are free, else move it (MAYMOVE)."""
    if old_addr & PAGE_OFFSET_MASK or not new_size or flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED):
        raise SyscallError(EINVAL)
    if flags & MREMAP_FIXED:  # moving to a chosen address is not supported yet
        raise SyscallError(EINVAL)
    old_size, new_size = page_ceil(old_size), page_ceil(new_size)
    region = k.mem.region_at(old_addr)
    if region is None or not k.mem.is_mapped(old_addr, old_size):
        raise SyscallError(EFAULT)
    if new_size <= old_size:
        if new_size < old_size:
            k.mem.unmap(old_addr + new_size, old_size - new_size)
        return old_addr
    grow = new_size - old_size
    if k.mem.is_free(old_addr + old_size, grow):
        k.mem.map(old_addr + old_size, grow, region.prot, region.name)
        return old_addr
    if not flags & MREMAP_MAYMOVE:
        raise SyscallError(ENOMEM)
    target = k.mem.find_free(new_size, below=k.process.mmap_base)
    if target is None:
        raise SyscallError(ENOMEM)
    data = k.mem.peek(old_addr, old_size)
    k.mem.map(target, new_size, region.prot, region.name)
    k.mem.poke(target, data)
    k.mem.unmap(old_addr, old_size)
    return target
