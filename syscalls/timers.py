"""POSIX per-process timers (timer_create and friends); signal_delivery.fire_due fires them.

The guest's timers are kept here, not in the host: the machine looks at them between runs
of the engine (in shorter runs while one is armed) and every blocking wait ends by the next
expiry, so a timer's signal interrupts a busy loop or a blocked call as a host timer would.
"""

from __future__ import annotations

import struct

from .errors import EAGAIN, EINVAL, SyscallError
from .kernel import Kernel, by_tid, signed
from .process_state import Timer
from .signal_defs import NSIG, SIGALRM, SIGEVENT
from .signal_delivery import SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID, fire_due
from .sources import (
    CLOCK_BOOTTIME,
    CLOCK_MONOTONIC,
    CLOCK_PROCESS_CPUTIME_ID,
    CLOCK_REALTIME,
    CLOCK_THREAD_CPUTIME_ID,
)

TIMER_ABSTIME = 1
ITIMERSPEC = struct.Struct("<qqqq")  # it_interval, it_value: each a 64-bit timespec
MAX_TIMERS = 1 << 15
NS = 1_000_000_000

# The clocks a timer can run on (the *_ALARM ones need a privilege the emulator does not grant).
TIMER_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                CLOCK_THREAD_CPUTIME_ID, CLOCK_BOOTTIME)


def _timer(k: Kernel, timer_id: int) -> Timer:
    timer = k.process.timers.get(signed(timer_id))
    if timer is None:
        raise SyscallError(EINVAL)
    return timer


def timer_create(k: Kernel, clock: int, sevp: int, timer_id_addr: int) -> int:
    if signed(clock) not in TIMER_CLOCKS:
        raise SyscallError(EINVAL)
    timers = k.process.timers
    new_id = next(i for i in range(MAX_TIMERS + 1) if i not in timers)
    if new_id == MAX_TIMERS:
        raise SyscallError(EAGAIN)
    if sevp:
        event = SIGEVENT[k.xlen]
        value, signo, notify, tid = event.unpack(k.mem.read(sevp, event.size))
    else:
        value, signo, notify, tid = new_id, SIGALRM, SIGEV_SIGNAL, 0
    thread = None
    if notify not in (SIGEV_SIGNAL, SIGEV_NONE, SIGEV_SIGNAL | SIGEV_THREAD_ID):
        raise SyscallError(EINVAL)
    if notify != SIGEV_NONE and not 1 <= signo <= NSIG:
        raise SyscallError(EINVAL)
    if notify & SIGEV_THREAD_ID:
        thread = by_tid(k, tid)
        if thread is None:
            raise SyscallError(EINVAL)
    k.mem.write(timer_id_addr, struct.pack("<i", new_id))
    timers[new_id] = Timer(signed(clock), signo, notify, value, thread)
    return 0


def _remaining(k: Kernel, timer: Timer) -> bytes:
    left = max(timer.expiry - k.clock.now_ns(timer.clock), 1) if timer.expiry else 0
    return ITIMERSPEC.pack(timer.interval // NS, timer.interval % NS, left // NS, left % NS)


def timer_settime(k: Kernel, timer_id: int, flags: int, new_addr: int, old_addr: int) -> int:
    timer = _timer(k, timer_id)
    interval_s, interval_ns, value_s, value_ns = ITIMERSPEC.unpack(
        k.mem.read(new_addr, ITIMERSPEC.size))
    if not (0 <= interval_ns < NS and 0 <= value_ns < NS) or interval_s < 0 or value_s < 0:
        raise SyscallError(EINVAL)
    if old_addr:
        k.mem.write(old_addr, _remaining(k, timer))
    value = value_s * NS + value_ns
    timer.interval = interval_s * NS + interval_ns
    timer.overrun = 0
    if not value:
        timer.expiry = 0
    else:
        timer.expiry = value if flags & TIMER_ABSTIME else k.clock.now_ns(timer.clock) + value
        timer.expiry = max(timer.expiry, 1)
    fire_due(k)
    return 0


def timer_gettime(k: Kernel, timer_id: int, value_addr: int) -> int:
    k.mem.write(value_addr, _remaining(k, _timer(k, timer_id)))
    return 0


def timer_getoverrun(k: Kernel, timer_id: int) -> int:
    return _timer(k, timer_id).overrun


def timer_delete(k: Kernel, timer_id: int) -> int:
    _timer(k, timer_id)
    del k.process.timers[signed(timer_id)]
    return 0


