"""System information, time and randomness."""

from __future__ import annotations

import os
import signal
import struct

from ..emulator.isa import extension_names
from ..emulator.isa.rv_zicbo import BLOCK as CACHE_BLOCK
from .blocking import WouldBlock, complete, deadline_after
from .errors import EINVAL, SyscallError
from .host import buffer, libc_call
from .kernel import Kernel, signed
from .sources import (
    CLOCK_BOOTTIME,
    CLOCK_MONOTONIC,
    CLOCK_REALTIME,
    CLOCK_THREAD_CPUTIME_ID,
    HOST_CLOCKS,
    NS,
)
from .times import read_timespec, timespec

GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4
UTSNAME_FIELD = 65


def clock_gettime(k: Kernel, clock: int, tp: int) -> int:
    if clock not in HOST_CLOCKS:
        raise SyscallError(EINVAL)
    k.mem.write(tp, timespec(k.clock.now_ns(clock)))
    return 0


def clock_getres(k: Kernel, clock: int, res: int) -> int:
    if clock not in HOST_CLOCKS:
        raise SyscallError(EINVAL)
    if res:
        k.mem.write(res, timespec(1))
    return 0


def gettimeofday(k: Kernel, tv: int, tz: int) -> int:
    if tv:
        now = k.clock.now_ns(CLOCK_REALTIME)
        k.mem.write(tv, struct.pack("<qq", now // NS, now % NS // 1000))
    if tz:
        k.mem.write(tz, bytes(8))
    return 0


def sleep(k: Kernel, duration_ns: int, rem: int) -> int:
    """Sleep without freezing other threads; a handler's signal ends it with EINTR (never
    restarted, as in Linux) and the time left in `rem`."""
    deadline = deadline_after(k, duration_ns)

    def time_left() -> None:
        if rem:
            k.mem.write(rem, timespec(max(0, deadline - k.clock.now_ns(CLOCK_MONOTONIC))))

    def attempt() -> int:
        raise WouldBlock

    return complete(k, attempt, deadline, lambda: 0, restartable=False, on_interrupt=time_left)


def nanosleep(k: Kernel, req: int, rem: int) -> int:
    return sleep(k, read_timespec(k, req), rem)


def clock_nanosleep(k: Kernel, clock: int, flags: int, req: int, rem: int) -> int:
    if clock not in HOST_CLOCKS or clock == CLOCK_THREAD_CPUTIME_ID:
        raise SyscallError(EINVAL)
    duration = read_timespec(k, req)
    if flags & 1:  # TIMER_ABSTIME: no time left is reported
        return sleep(k, duration - k.clock.now_ns(clock), 0)
    return sleep(k, duration, rem)


def uname(k: Kernel, buf: int) -> int:
    host = os.uname()
    machine = "riscv64" if k.xlen == 64 else "riscv32"
    fields = ("Linux", host.nodename, host.release, host.version, machine, "(none)")
    k.mem.write(buf, b"".join(os.fsencode(f)[: UTSNAME_FIELD - 1].ljust(UTSNAME_FIELD, b"\0")
                              for f in fields))
    return 0


def getrandom(k: Kernel, buf: int, count: int, flags: int) -> int:
    if flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE):
        raise SyscallError(EINVAL)
    data = k.random.read(min(count, 1 << 25))
    k.mem.write(buf, data)
    return len(data)


def sched_yield(k: Kernel) -> int:
    return 0


def riscv_flush_icache(k: Kernel, start: int, end: int, flags: int) -> int:
    """Stores into cached code already dropped its decoded form; nothing is stale."""
    if flags & ~1:
        raise SyscallError(EINVAL)
    return 0


# struct sysinfo: longs, then procs and pad, two more longs, mem_unit (112 bytes; 64 on RV32).
SYSINFO = {64: struct.Struct("<q3Q6QHH4xQQI4x"), 32: struct.Struct("<l3L6LHHLLI8x")}


def _meminfo() -> dict[str, int]:
    values = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                name, _, rest = line.partition(":")
                values[name] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values


def sysinfo(k: Kernel, info: int) -> int:
    meminfo = _meminfo()
    uptime = k.clock.now_ns(CLOCK_BOOTTIME) // NS
    loads = [int(load * 65536) & 0xFFFF_FFFF for load in os.getloadavg()]
    sizes = [meminfo.get(name, 0) for name in ("MemTotal", "MemFree", "Shmem", "Buffers",
                                               "SwapTotal", "SwapFree")]
    # As Linux: in bytes when RAM and swap together fit in an unsigned long, else in pages.
    unit = 1 if sizes[0] + sizes[4] < 1 << k.xlen else 4096
    k.mem.write(info, SYSINFO[k.xlen].pack(
        uptime, *loads, *(size // unit for size in sizes),
        1, 0, 0, 0, unit,  # procs, pad, totalhigh, freehigh, mem_unit
    ))
    return 0


# Interval timers run on the host's own (signal.setitimer): their signals reach pyemu, which
# forwards them to the guest like any other signal sent to it.
ITIMERS = {0: signal.ITIMER_REAL, 1: signal.ITIMER_VIRTUAL, 2: signal.ITIMER_PROF}
ITIMERVAL = struct.Struct("<qqqq")  # interval, then value; each a struct timeval


def _timeval_pair(interval: float, value: float) -> bytes:
    def split(seconds: float) -> tuple[int, int]:
        micro = round(seconds * 1_000_000)
        return micro // 1_000_000, micro % 1_000_000

    return ITIMERVAL.pack(*split(interval), *split(value))


def getitimer(k: Kernel, which: int, value_addr: int) -> int:
    if which not in ITIMERS:
        raise SyscallError(EINVAL)
    value, interval = signal.getitimer(ITIMERS[which])
    k.mem.write(value_addr, _timeval_pair(interval, value))
    return 0


KTIME_MAX_SECONDS = ((1 << 63) - 1) // 1_000_000_000


def setitimer(k: Kernel, which: int, new_addr: int, old_addr: int) -> int:
    if which not in ITIMERS:
        raise SyscallError(EINVAL)
    interval_s, interval_us, value_s, value_us = ITIMERVAL.unpack(k.mem.read(new_addr, 32))
    if not (0 <= interval_us < 1_000_000 and 0 <= value_us < 1_000_000) \
            or interval_s < 0 or value_s < 0:
        raise SyscallError(EINVAL)
    # Linux saturates at KTIME_MAX (about 292 years); the host's time_t may not hold more.
    interval_s, value_s = min(interval_s, KTIME_MAX_SECONDS), min(value_s, KTIME_MAX_SECONDS)
    old_value, old_interval = signal.setitimer(
        ITIMERS[which], value_s + value_us / 1e6, interval_s + interval_us / 1e6)
    if old_addr:
        k.mem.write(old_addr, _timeval_pair(old_interval, old_value))
    return 0


# riscv_hwprobe keys (asm/hwprobe.h) and what they answer for the ISA pyemu runs.
HWPROBE_BASE_BEHAVIOR, HWPROBE_IMA_EXT_0, HWPROBE_CPUPERF_0 = 3, 4, 5
HWPROBE_ZICBOZ_BLOCK_SIZE, HWPROBE_ZICBOM_BLOCK_SIZE, HWPROBE_ZICBOP_BLOCK_SIZE = 6, 12, 15
# The IMA_EXT_0 bits (RISCV_HWPROBE_IMA_* and RISCV_HWPROBE_EXT_* of Linux's asm/hwprobe.h) of each
# extension of the ISA description: D stands for F and D, C for Zca and Zcd too, V for the
# embedded subsets Zve32x..Zve64d it contains, Zvbb for Zvkb (its subset) too.
HWPROBE_EXT_0_BITS = {
    "D": (0,), "C": (1, 43, 45), "V": (2, 37, 38, 39, 40, 41), "Zba": (3,), "Zbb": (4,),
    "Zbs": (5,), "Zicboz": (6,), "Zbc": (7,), "Zkt": (16,), "Zvbb": (17, 19), "Zvkt": (26,),
    "Zfhmin": (28,), "Zihintntl": (29,), "Zvfhmin": (31,), "Zfa": (32,),
    "Zicond": (35,), "Zihintpause": (36,), "Zimop": (42,), "Zcb": (44,), "Zcmop": (47,),
    "Zawrs": (48,), "Zicbom": (55,), "Zicbop": (60,),
}
HWPROBE_ANSWERS = {
    0: 0,  # mvendorid: none
    1: 0,  # marchid
    2: 0,  # mimpid
    HWPROBE_BASE_BEHAVIOR: 1,  # RISCV_HWPROBE_BASE_BEHAVIOR_IMA
    HWPROBE_IMA_EXT_0: sum(1 << bit for name in extension_names()
                           for bit in HWPROBE_EXT_0_BITS.get(name, ())),
    HWPROBE_CPUPERF_0: 0,  # misaligned accesses: speed unknown
    HWPROBE_ZICBOZ_BLOCK_SIZE: CACHE_BLOCK,
    HWPROBE_ZICBOM_BLOCK_SIZE: CACHE_BLOCK,
    HWPROBE_ZICBOP_BLOCK_SIZE: CACHE_BLOCK,
}
HWPROBE_PAIR = struct.Struct("<qQ")


def riscv_hwprobe(k: Kernel, pairs: int, count: int, cpusetsize: int, cpus: int,
                  flags: int) -> int:
    """Answers each key for the emulated hart; unknown keys get key -1, as Linux does."""
    if flags:
        raise SyscallError(EINVAL)
    for index in range(min(count, 1024)):
        addr = pairs + index * HWPROBE_PAIR.size
        key, _ = HWPROBE_PAIR.unpack(k.mem.read(addr, HWPROBE_PAIR.size))
        answer = HWPROBE_ANSWERS.get(key)
        k.mem.write(addr, HWPROBE_PAIR.pack(key if answer is not None else -1, answer or 0))
    return 0


TIMEX_SIZE = 208  # struct timex: the same on riscv64 and a 64-bit Linux host


def adjtimex(k: Kernel, buf: int) -> int:
    return clock_adjtime(k, CLOCK_REALTIME, buf)


def clock_adjtime(k: Kernel, clock: int, buf: int) -> int:
    """The host kernel's clock discipline: read it, or (with the privilege) change it."""
    timex = buffer(k.mem.read(buf, TIMEX_SIZE))
    state = libc_call("clock_adjtime", signed(clock), timex)
    k.mem.write(buf, timex.raw[:TIMEX_SIZE])
    return state
