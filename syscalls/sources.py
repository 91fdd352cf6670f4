"""Where the guest's time and randomness come from.

By default they are the host's: its clocks, its sleeps, os.urandom. `pyemu --deterministic`
swaps in a virtual clock that is a function of the instructions the guest has retired (and of
the sleeps it asked for, which it skips) and a byte stream drawn from a seed, so that two runs
of a program read the same times and the same random bytes at the same points, and therefore
print the same bytes and retire the same number of instructions.
"""

from __future__ import annotations

import hashlib
import os
import resource
import time

# Linux clock ids (include/uapi/linux/time.h) a guest may name.
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
HOST_CLOCKS = {
    CLOCK_REALTIME: time.CLOCK_REALTIME,
    CLOCK_MONOTONIC: time.CLOCK_MONOTONIC,
    CLOCK_PROCESS_CPUTIME_ID: getattr(time, "CLOCK_PROCESS_CPUTIME_ID", time.CLOCK_MONOTONIC),
    CLOCK_THREAD_CPUTIME_ID: getattr(time, "CLOCK_THREAD_CPUTIME_ID", time.CLOCK_MONOTONIC),
    CLOCK_MONOTONIC_RAW: getattr(time, "CLOCK_MONOTONIC_RAW", time.CLOCK_MONOTONIC),
    CLOCK_REALTIME_COARSE: time.CLOCK_REALTIME,
    CLOCK_MONOTONIC_COARSE: time.CLOCK_MONOTONIC,
    CLOCK_BOOTTIME: getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC),
}
NS = 1_000_000_000


class HostClock:
    """The host's clocks and sleeps."""

    def now_ns(self, clock: int) -> int:
        return time.clock_gettime_ns(HOST_CLOCKS[clock])

    def sleep_ns(self, duration: int) -> None:
        if duration > 0:
            time.sleep(duration / NS)

    def rusage(self, who: int) -> resource.struct_rusage:
        return resource.getrusage(who)

    def times(self) -> os.times_result:
        return os.times()


class VirtualClock:
    """Time as the guest's own work: each retired instruction takes NS_PER_INSTRUCTION, and a
    sleep moves the clock on at once. The wall clock starts at EPOCH, the monotonic ones at
    UPTIME (a machine booted a little earlier); CPU-time clocks count only instructions."""

    NS_PER_INSTRUCTION = 1
    EPOCH = 1_704_067_200 * NS  # 2024-01-01 00:00:00 UTC
    UPTIME = 100 * NS

    def __init__(self, process):
        self.process = process  # syscalls.kernel.Process: its threads' retired instructions
        self.slept = 0

    def _instructions(self) -> int:
        process = self.process
        return process.retired + sum(t.state.instret for t in process.threads)

    def now_ns(self, clock: int) -> int:
        if clock == CLOCK_PROCESS_CPUTIME_ID:
            return self._instructions() * self.NS_PER_INSTRUCTION
        if clock == CLOCK_THREAD_CPUTIME_ID:
            thread = self.process.threads[self.process.current]
            return thread.state.instret * self.NS_PER_INSTRUCTION
        elapsed = self._instructions() * self.NS_PER_INSTRUCTION + self.slept
        if clock in (CLOCK_REALTIME, CLOCK_REALTIME_COARSE):
            return self.EPOCH + elapsed
        return self.UPTIME + elapsed

    def sleep_ns(self, duration: int) -> None:
        self.slept += max(duration, 0)

    def rusage(self, who: int) -> resource.struct_rusage:
        """User time is the CPU clock; the rest (memory, faults, switches) reads as zero."""
        user = 0.0 if who == resource.RUSAGE_CHILDREN else \
            self.now_ns(CLOCK_PROCESS_CPUTIME_ID) / NS
        return resource.struct_rusage((user,) + (0,) * 15)

    def times(self) -> os.times_result:
        elapsed = (self.now_ns(CLOCK_MONOTONIC) - self.UPTIME) / NS
        return os.times_result((self.now_ns(CLOCK_PROCESS_CPUTIME_ID) / NS, 0.0, 0.0, 0.0,
                                elapsed))


class HostRandom:
    """The host's entropy."""

    def read(self, count: int) -> bytes:
        return os.urandom(count)

    def for_child(self) -> HostRandom:
        return self


class SeededRandom:
    """Bytes drawn from a seed: read number n is SHAKE-256 of (key, n), as long as asked."""

    def __init__(self, seed: int | bytes):
        self.key = seed if isinstance(seed, bytes) else b"pyemu seed %d" % seed
        self.reads = 0

    def read(self, count: int) -> bytes:
        self.reads += 1
        return hashlib.shake_256(self.key + self.reads.to_bytes(8, "little")).digest(count)

    def for_child(self) -> SeededRandom:
        """The stream of a forked child: its own, and the same in every run."""
        return SeededRandom(hashlib.sha256(self.key + b"fork" + self.read(32)).digest())
