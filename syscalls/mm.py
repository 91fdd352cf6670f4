"""Memory-management system calls: brk, mmap and friends.

Every mapping stays below the user address space's end (TASK_SIZE), and with --max-memory
the guest's mapped total (what RLIMIT_AS counts) stays within the limit: beyond it brk
stays put and mmap and mremap fail with ENOMEM.

A MAP_SHARED mapping is made of its file's own pages, mapped by the host into pyemu's frame
pool (AddressSpace.map_host_pages): the guest's stores are in the file at once, and a forked
child, another process mapping the file, or a write to it, all see the same bytes at the same
time, so locks and semaphores in shared memory work between processes. An anonymous
MAP_SHARED mapping is a shared mapping of a memfd.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat

from ..emulator.memory import (
    PAGE_OFFSET_MASK,
    PAGE_SHIFT,
    PAGE_SIZE,
    PTE_FRAME_SHIFT,
    page_ceil,
    page_floor,
)
from ..loader import LAYOUTS
from .errors import (
    EACCES,
    EBADF,
    EEXIST,
    EFAULT,
    EINVAL,
    ENODEV,
    ENOMEM,
    EOPNOTSUPP,
    EPERM,
    SyscallError,
)
from .kernel import Kernel, signed
from .memory_map import fits, within_limit
from .process_state import SharedMapping

MAP_SHARED = 0x01
MAP_PRIVATE = 0x02
MAP_SHARED_VALIDATE = 0x03
MAP_TYPE = 0x0F
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_FIXED_NOREPLACE = 0x100000
# Linux's LEGACY_MAP_MASK: the flags a MAP_SHARED_VALIDATE file mapping accepts (any other,
# MAP_FIXED_NOREPLACE and MAP_SYNC included, make it fail with EOPNOTSUPP). Anonymous memory
# cannot be mapped MAP_SHARED_VALIDATE at all (EINVAL): the kernel validates file mappings only.
MAP_LEGACY = 0x03 | 0x10 | 0x20 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | \
    0x10000 | 0x20000 | 0x40000 | 0xFC000000
PROT_WRITE = 2
MADV_DONTNEED = 4
MREMAP_MAYMOVE = 1
MREMAP_FIXED = 2
DEV_ZERO = os.makedev(1, 5)  # mapping /dev/zero is mapping anonymous memory
FILE_CHUNK = 1 << 24  # bytes of a file mapping read at a time


def _forget_shared(k: Kernel, start: int, end: int) -> None:
    """[start, end) is unmapped or replaced: the shared mappings there end."""
    kept = []
    for shared in k.process.shared_maps:
        if shared.end <= start or shared.start >= end:
            kept.append(shared)
            continue
        for lo, hi in ((shared.start, min(start, shared.end)), (max(end, shared.start),
                                                                shared.end)):
            if lo < hi:
                kept.append(SharedMapping(lo, hi, os.dup(shared.host),
                                          shared.offset + lo - shared.start))
        os.close(shared.host)
    k.process.shared_maps[:] = kept


def _share(k: Kernel, start: int, size: int, prot: int, name: str, host: int,
           offset: int) -> None:
    """Map [start, start+size) over the pages of `host` from `offset` (as far as the file
    reaches)."""
    writable = fcntl.fcntl(host, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDWR
    pages = max(0, page_ceil(os.fstat(host).st_size - offset)) >> PAGE_SHIFT
    k.mem.map_host_pages(start, size, prot, name, offset, host, pages, writable)
    k.process.shared_maps.append(SharedMapping(start, start + size, os.dup(host), offset))


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
    kind = flags & MAP_TYPE
    if not length or addr & PAGE_OFFSET_MASK and flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        raise SyscallError(EINVAL)
    if offset & PAGE_OFFSET_MASK or kind not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE) \
            or kind == MAP_SHARED_VALIDATE and flags & MAP_ANONYMOUS:
        raise SyscallError(EINVAL)
    shared = kind != MAP_PRIVATE
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
    if k.process.shared_maps:
        _forget_shared(k, start, start + size)
    if source is None:
        if shared:  # shared anonymous memory: a memfd a forked child shares
            memfd = os.memfd_create("pyemu-shared", os.MFD_CLOEXEC)
            try:
                os.ftruncate(memfd, size)
                _share(k, start, size, prot, "/dev/zero (deleted)", memfd, 0)
            finally:
                os.close(memfd)
        else:
            k.mem.map(start, size, prot)
        return start
    name = k.process.files[signed(fd)].path
    if shared:
        _share(k, start, size, prot, name, source, signed(offset, 64))
    else:
        k.mem.map(start, size, prot, name, offset)
        _read_into(k, source, start, size, signed(offset, 64))
    return start


def _mapped_file(k: Kernel, fd: int, prot: int, flags: int) -> int | None:
    """The host descriptor a file mapping reads, None for /dev/zero (anonymous memory);
    the kernel's errors for what cannot be mapped so."""
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)
    if flags & MAP_TYPE == MAP_SHARED_VALIDATE and flags & ~MAP_LEGACY:
        raise SyscallError(EOPNOTSUPP)
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
    if k.process.shared_maps:
        _forget_shared(k, addr, addr + page_ceil(length))
    k.mem.unmap(addr, page_ceil(length))
    return 0


def mprotect(k: Kernel, addr: int, length: int, prot: int) -> int:
    if addr & PAGE_OFFSET_MASK:
        raise SyscallError(EINVAL)
    size = page_ceil(length)
    if not k.mem.is_mapped(addr, size):
        raise SyscallError(ENOMEM)
    if prot & PROT_WRITE and any(not r.may_write for r in k.mem.regions
                                 if r.start < addr + size and addr < r.end):
        raise SyscallError(EACCES)  # shared with a file opened read-only
    k.mem.protect(addr, size, prot)
    return 0


# Advice Linux knows (mm/madvise.c); MADV_HWPOISON and MADV_SOFT_OFFLINE need privileges.
MADV_KNOWN = set(range(5)) | set(range(8, 26))
MADV_PRIVILEGED = {100, 101}


def madvise(k: Kernel, addr: int, length: int, advice: int) -> int:
    advice = signed(advice)
    if advice in MADV_PRIVILEGED:
        raise SyscallError(EPERM)
    if addr & PAGE_OFFSET_MASK or advice not in MADV_KNOWN:
        raise SyscallError(EINVAL)
    size = page_ceil(length)
    if size < length:
        raise SyscallError(EINVAL)
    if not size:
        return 0
    if not k.mem.is_mapped(addr, size):
        raise SyscallError(ENOMEM)
    if advice == MADV_DONTNEED:
        # Private anonymous pages read back as zeros afterwards: map them afresh. Shared
        # pages read back what their file holds, which they hold already.
        for region in k.mem.maps():
            lo, hi = max(region.start, addr), min(region.end, addr + size)
            if lo < hi and not k.process.shared_mapping_at(lo, hi - lo):
                k.mem.map(lo, hi - lo, region.prot, region.name, region.offset)
    return 0


MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4


def msync(k: Kernel, addr: int, length: int, flags: int) -> int:
    """Shared mappings are their files' pages; MS_SYNC waits for the files to reach the
    disk."""
    if addr & PAGE_OFFSET_MASK or flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) or \
            flags & MS_ASYNC and flags & MS_SYNC:
        raise SyscallError(EINVAL)
    size = page_ceil(length)
    if not k.mem.is_mapped(addr, size):
        raise SyscallError(ENOMEM)
    if flags & MS_SYNC:
        for shared in k.process.shared_maps:
            if shared.start < addr + size and addr < shared.end:
                os.fsync(shared.host)
    return 0


def mincore(k: Kernel, addr: int, length: int, vector: int) -> int:
    """A page is resident once touched (pyemu gives a page its frame on first use)."""
    if addr & PAGE_OFFSET_MASK:
        raise SyscallError(EINVAL)
    size = page_ceil(length)
    if not k.mem.check_range(addr, size):
        raise SyscallError(ENOMEM)
    if not k.mem.is_mapped(addr, size):
        raise SyscallError(ENOMEM)
    first = addr >> PAGE_SHIFT
    k.mem.write(vector, bytes(int(k.mem.pte(first + i) >> PTE_FRAME_SHIFT != 0)
                              for i in range(size // PAGE_SIZE)))
    return 0


MLOCK_ONFAULT = 1
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4


def mlock(k: Kernel, addr: int, length: int) -> int:
    return mlock2(k, addr, length, 0)


def mlock2(k: Kernel, addr: int, length: int, flags: int) -> int:
    """Every page of the emulated process stays in memory: locking only checks the range."""
    if flags & ~MLOCK_ONFAULT:
        raise SyscallError(EINVAL)
    start = page_floor(addr)
    if not k.mem.is_mapped(start, page_ceil(addr + length) - start):
        raise SyscallError(ENOMEM)
    return 0


def munlock(k: Kernel, addr: int, length: int) -> int:
    return mlock2(k, addr, length, 0)


def mlockall(k: Kernel, flags: int) -> int:
    if not flags & (MCL_CURRENT | MCL_FUTURE) or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT):
        raise SyscallError(EINVAL)
    return 0


def munlockall(k: Kernel) -> int:
    return 0


MREMAP_DONTUNMAP = 4


def mremap(k: Kernel, old_addr: int, old_size: int, new_size: int, flags: int,
           new_addr: int) -> int:
    """Resize a mapping in place when the pages after it are free, else move it (MAYMOVE),
    or to `new_addr` (FIXED). A shared mapping stays shared with its file."""
    if old_addr & PAGE_OFFSET_MASK or not new_size or \
            flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP):
        raise SyscallError(EINVAL)
    if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) and not flags & MREMAP_MAYMOVE:
        raise SyscallError(EINVAL)
    old_size, new_size = page_ceil(old_size), page_ceil(new_size)
    if new_size > LAYOUTS[k.xlen].task_size:
        raise SyscallError(ENOMEM)
    if flags & MREMAP_DONTUNMAP and old_size != new_size:
        raise SyscallError(EINVAL)
    if flags & MREMAP_FIXED and (new_addr & PAGE_OFFSET_MASK or new_addr < old_addr + old_size
                                 and old_addr < new_addr + new_size):
        raise SyscallError(EINVAL)
    region = k.mem.region_at(old_addr)
    if region is None or not k.mem.is_mapped(old_addr, old_size):
        raise SyscallError(EFAULT)
    shared = k.process.shared_mapping_at(old_addr, old_size)
    file = None if shared is None else (os.dup(shared.host),
                                        shared.offset + old_addr - shared.start)
    try:
        start = _remap(k, region, old_addr, old_size, new_size, flags, new_addr)
        if file is not None:  # the file's pages, as many as the mapping now covers
            _forget_shared(k, old_addr, old_addr + old_size)
            _share(k, start, new_size, region.prot, region.name, *file)
    finally:
        if file is not None:
            os.close(file[0])
    return start


def _remap(k: Kernel, region, old_addr: int, old_size: int, new_size: int, flags: int,
           new_addr: int) -> int:
    if not flags & (MREMAP_FIXED | MREMAP_DONTUNMAP):
        if new_size <= old_size:
            if new_size < old_size:
                k.mem.unmap(old_addr + new_size, old_size - new_size)
            return old_addr
        grow = new_size - old_size
        if not within_limit(k, grow):
            raise SyscallError(ENOMEM)
        if k.mem.is_free(old_addr + old_size, grow) and fits(k, old_addr + old_size, grow):
            k.mem.map(old_addr + old_size, grow, region.prot, region.name)
            return old_addr
        if not flags & MREMAP_MAYMOVE:
            raise SyscallError(ENOMEM)
    if flags & MREMAP_FIXED:
        if not k.mem.check_range(new_addr, new_size):
            raise SyscallError(EINVAL)
        target = new_addr
    else:
        found = k.mem.find_free(new_size, below=k.process.mmap_base)
        if found is None:
            raise SyscallError(ENOMEM)
        target = found
    # The old pages go (but with MREMAP_DONTUNMAP) as the new ones come, replacing what
    # was at a fixed target: the memory limit counts the difference.
    if not fits(k, target, new_size, released=0 if flags & MREMAP_DONTUNMAP else old_size):
        raise SyscallError(ENOMEM)
    if k.process.shared_maps:
        _forget_shared(k, target, target + new_size)
    k.mem.map(target, new_size, region.prot, region.name,
              region.offset + old_addr - region.start)
    # The pages go along (untouched ones cost nothing); with MREMAP_DONTUNMAP the old ones
    # stay mapped, empty: they read as zeros.
    k.mem.move(old_addr, target, min(old_size, new_size))
    if not flags & MREMAP_DONTUNMAP:
        k.mem.unmap(old_addr, old_size)
    return target
