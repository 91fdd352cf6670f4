"""Memory-management system calls: brk, mmap and friends.

Every mapping stays below the user address space's end (TASK_SIZE), and with --max-memory
the guest's mapped total (what RLIMIT_AS counts) stays within the limit: beyond it brk
stays put and mmap and mremap fail with ENOMEM.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat

from ..emulator.memory import PAGE_OFFSET_MASK, page_ceil, page_floor
from ..loader import LAYOUTS
from .errors import EACCES, EBADF, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, SyscallError
from .kernel import Kernel, signed

MAP_SHARED = 0x01
MAP_PRIVATE = 0x02
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_FIXED_NOREPLACE = 0x100000
MADV_DONTNEED = 4
MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2
PROT_WRITE = 2
DEV_ZERO = os.makedev(1, 5)  # mapping /dev/zero is mapping anonymous memory
FILE_CHUNK = 1 << 24  # bytes of a file mapping read at a time


def fits(k: Kernel, start: int, size: int) -> bool:
    """Whether [start, start+size) lies in the user address space and, mapped (replacing
    what is there), keeps the guest within its memory limit."""
    end = start + size
    if start < 0 or end > LAYOUTS[k.xlen].task_size:
        return False
    replaced = sum(max(0, min(r.end, end) - max(r.start, start)) for r in k.mem.regions)
    return _within_limit(k, size - replaced)


def _within_limit(k: Kernel, added: int) -> bool:
    """Whether `added` more mapped bytes keep the guest within --max-memory."""
    limit = k.process.memory_limit
    return limit is None or sum(r.end - r.start for r in k.mem.regions) + added <= limit


def brk(k: Kernel, addr: int) -> int:
    process = k.process
    if addr < process.brk_start:
        return process.brk
    old_end, new_end = page_ceil(process.brk), page_ceil(addr)
    if new_end > old_end:
        if not k.mem.is_free(old_end, new_end - old_end) \
                or not fits(k, old_end, new_end - old_end):
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
    if size < length or size > LAYOUTS[k.xlen].task_size:
        raise SyscallError(ENOMEM)
    source = None if flags & MAP_ANONYMOUS else _mapped_file(k, fd, prot, flags)
    if flags & MAP_FIXED_NOREPLACE:
        if not k.mem.is_free(addr, size):
            raise SyscallError(EEXIST)
        start = addr
    elif flags & MAP_FIXED:
        if not k.mem.check_range(addr, size):
            raise SyscallError(ENOMEM)
        start = addr
    elif addr and k.mem.is_free(page_floor(addr), size) and fits(k, page_floor(addr), size):
        start = page_floor(addr)
    else:
        found = k.mem.find_free(size, below=k.process.mmap_base)
        if found is None:
            raise SyscallError(ENOMEM)
        start = found
    if not fits(k, start, size):
        raise SyscallError(ENOMEM)
    if source is None:
        k.mem.map(start, size, prot)
        return start
    k.mem.map(start, size, prot, k.process.files[signed(fd)].path, offset)
    _read_into(k, source, start, size, signed(offset, 64))
    return start


def _mapped_file(k: Kernel, fd: int, prot: int, flags: int) -> int | None:
    """The host descriptor a file mapping reads, None for /dev/zero (anonymous memory);
    the kernel's errors for what cannot be mapped so."""
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)
    host = description.host_fd
    st = os.fstat(host)
    if stat.S_ISCHR(st.st_mode) and st.st_rdev == DEV_ZERO:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise SyscallError(ENODEV)  # pipes, sockets, directories, most devices
    access = fcntl.fcntl(host, fcntl.F_GETFL) & os.O_ACCMODE
    if access == os.O_WRONLY or flags & MAP_SHARED and prot & PROT_WRITE and access != os.O_RDWR:
        raise SyscallError(EACCES)
    return host


def _read_into(k: Kernel, host: int, start: int, size: int, offset: int) -> None:
    """Copy the file's bytes at `offset` into the new mapping a chunk at a time, skipping
    holes (SEEK_DATA) and zeros: the mapping's pages are zero already, so a huge sparse
    file costs neither memory nor time."""
    end = offset + size
    position = offset
    saved = os.lseek(host, 0, os.SEEK_CUR)  # SEEK_DATA moves the guest's file offset
    try:
        while position < end:
            try:
                position = os.lseek(host, position, os.SEEK_DATA)
            except OSError as error:
                if error.errno == errno.ENXIO:
                    break  # nothing but a hole up to the end of the file
            if position >= end:
                break
            data = os.pread(host, min(FILE_CHUNK, end - position), position)
            if not data:
                break
            if data.count(0) != len(data):
                k.mem.poke(start + position - offset, data)
            position += len(data)
    finally:
        os.lseek(host, saved, os.SEEK_SET)


def munmap(k: Kernel, addr: int, length: int) -> int:
    if addr & PAGE_OFFSET_MASK or not length \
            or addr + page_ceil(length) > LAYOUTS[k.xlen].task_size:
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
    if new_size > LAYOUTS[k.xlen].task_size:
        raise SyscallError(ENOMEM)
    region = k.mem.region_at(old_addr)
    if region is None or not k.mem.is_mapped(old_addr, old_size):
        raise SyscallError(EFAULT)
    if new_size <= old_size:
        if new_size < old_size:
            k.mem.unmap(old_addr + new_size, old_size - new_size)
        return old_addr
    grow = new_size - old_size
    if not _within_limit(k, grow):
        raise SyscallError(ENOMEM)
    if k.mem.is_free(old_addr + old_size, grow) and fits(k, old_addr + old_size, grow):
        k.mem.map(old_addr + old_size, grow, region.prot, region.name)
        return old_addr
    if not flags & MREMAP_MAYMOVE:
        raise SyscallError(ENOMEM)
    target = k.mem.find_free(new_size, below=k.process.mmap_base)
    if target is None:
        raise SyscallError(ENOMEM)
    k.mem.map(target, new_size, region.prot, region.name,
              region.offset + old_addr - region.start)
    k.mem.move(old_addr, target, old_size)  # the pages go along; untouched ones cost nothing
    k.mem.unmap(old_addr, old_size)
    return target
