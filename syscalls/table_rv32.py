"""The riscv32 system-call numbers, mapped onto the riscv64 handlers.

riscv32 Linux uses the same asm-generic table as riscv64, as a 32-bit architecture whose time
is 64-bit only (no __ARCH_WANT_TIME32_SYSCALLS, no stat64). Most numbers mean what they mean on
riscv64 and run the same handlers, which pack their structures for the caller's XLEN where the
layouts differ (iovec, sigaction, stack_t, the signal frame, statfs64). What differs:

- the calls taking a 32-bit time structure are absent (nanosleep, clock_gettime, futex, ...):
  the time64 calls 403-423 replace them and share the riscv64 handlers, whose struct timespec
  already has 64-bit fields;
- fstat and newfstatat are absent (statx replaces them), and so are getrlimit and setrlimit
  (prlimit64), gettimeofday, settimeofday and adjtimex (the clock_*64 calls) and wait4
  (waitid);
- the 64-bit file calls have their 32-bit forms: fcntl64, statfs64 and fstatfs64 (which pass
  the structure's size), truncate64 and ftruncate64, llseek (the offset in two registers,
  the result through a pointer), sendfile64, fadvise64_64, and mmap2 (its offset counts
  4096-byte units);
- a 64-bit argument arrives in two registers, its low half first (the ilp32 calling
  convention: riscv does not align such register pairs).
"""

from __future__ import annotations

import inspect
import struct
from collections.abc import Callable

from . import fileops, fs, mm
from .errors import EINVAL, SyscallError
from .kernel import Kernel, Syscall
from .table import SYSCALLS

# riscv64 numbers riscv32 does not have (see above).
ABSENT = {4, 72, 73, 79, 80, 86, 87, 88, 98, 101, 108, 110, 112, 113, 114, 115, 127, 137, 163,
          164, 169, 170, 171, 182, 183, 192, 243, 260, 266, 292}
# The time64 calls: number -> (name, the riscv64 number whose handler they share).
TIME64 = {
    403: ("clock_gettime64", 113), 404: ("clock_settime64", 112),
    405: ("clock_adjtime64", 266), 406: ("clock_getres_time64", 114),
    407: ("clock_nanosleep_time64", 115), 408: ("timer_gettime64", 108),
    409: ("timer_settime64", 110), 410: ("timerfd_gettime64", 87),
    411: ("timerfd_settime64", 86), 412: ("utimensat_time64", 88),
    413: ("pselect6_time64", 72), 414: ("ppoll_time64", 73),
    416: ("io_pgetevents_time64", 292),  # 417 recvmmsg_time64: RV64_LAYOUTS_ONLY below
    418: ("mq_timedsend_time64", 182), 419: ("mq_timedreceive_time64", 183),
    420: ("semtimedop_time64", 192), 421: ("rt_sigtimedwait_time64", 137),
    422: ("futex_time64", 98), 423: ("sched_rr_get_interval_time64", 127),
}


def with_pair(handler: Callable, index: int) -> Callable:
    """`handler` taking its 64-bit argument number `index` (counted after the kernel) from
    two registers, the low half first."""
    arity = len(inspect.signature(handler).parameters) - 1

    def joined(k: Kernel, *registers: int) -> int:
        value = registers[index] | registers[index + 1] << 32
        return handler(k, *registers[:index], value, *registers[index + 2:])

    joined.__signature__ = inspect.Signature(  # the kernel passes arity + 1 registers
        [inspect.Parameter(f"r{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(arity + 2)])
    joined.__name__ = handler.__name__
    return joined


def llseek(k: Kernel, fd: int, offset_high: int, offset_low: int, result: int,
           whence: int) -> int:
    position = fs.lseek(k, fd, offset_high << 32 | offset_low, whence)
    k.mem.write(result, struct.pack("<q", position))
    return 0


def mmap2(k: Kernel, addr: int, length: int, prot: int, flags: int, fd: int,
          offset_pages: int) -> int:
    return mm.mmap(k, addr, length, prot, flags, fd, offset_pages << 12)


def statfs64(k: Kernel, path_addr: int, size: int, buf: int) -> int:
    if size != fs.STATFS[32].size:
        raise SyscallError(EINVAL)
    return fs.statfs(k, path_addr, buf)


def fstatfs64(k: Kernel, fd: int, size: int, buf: int) -> int:
    if size != fs.STATFS[32].size:
        raise SyscallError(EINVAL)
    return fs.fstatfs(k, fd, buf)


# The 32-bit names of the 64-bit file calls.
RENAMED = {25: "fcntl64", 43: "statfs64", 44: "fstatfs64", 45: "truncate64", 46: "ftruncate64",
           62: "llseek", 71: "sendfile64", 222: "mmap2", 223: "fadvise64_64"}
# Handlers of their own: the 32-bit forms, and the calls with a 64-bit argument.
HANDLERS = {
    43: statfs64,
    44: fstatfs64,
    45: with_pair(fs.truncate, 1),
    46: with_pair(fs.ftruncate, 1),
    62: llseek,
    47: with_pair(with_pair(fileops.fallocate, 3), 2),  # fd, mode, offset, len
    67: with_pair(fs.pread64, 3),
    68: with_pair(fs.pwrite64, 3),
    84: with_pair(with_pair(fileops.sync_file_range, 2), 1),  # fd, offset, nbytes, flags
    213: with_pair(fileops.readahead, 1),  # fd, offset, count
    222: mmap2,
    223: with_pair(with_pair(fileops.fadvise64, 2), 1),  # fd, offset, len, advice
}


def _rv32_entry(number: int, entry: Syscall) -> Syscall:
    name = RENAMED.get(number, entry.name)
    return Syscall(number, name, HANDLERS.get(number, entry.handler), entry.note)


# Calls that know only riscv64's structures so far: struct msghdr, struct mmsghdr and the
# control messages have 32-bit pointers, lengths and alignment on riscv32. ENOSYS, rather
# than reading them wrong.
RV64_LAYOUTS_ONLY = {211: "sendmsg", 212: "recvmsg", 269: "sendmmsg", 417: "recvmmsg_time64"}

SYSCALLS_RV32: dict[int, Syscall] = {
    **{number: _rv32_entry(number, entry) for number, entry in SYSCALLS.items()
       if number not in ABSENT},
    **{number: Syscall(number, name, SYSCALLS[shared].handler, SYSCALLS[shared].note)
       for number, (name, shared) in TIME64.items()},
    **{number: Syscall(number, name, None, "struct msghdr is not translated for riscv32 yet")
       for number, name in RV64_LAYOUTS_ONLY.items()},
}

# The table for each XLEN: the machine hands the one its program needs to the Kernel.
TABLES: dict[int, dict[int, Syscall]] = {64: SYSCALLS, 32: SYSCALLS_RV32}
