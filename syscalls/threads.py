"""Threads: clone with CLONE_THREAD, futexes, and thread exit.

Guest threads run inside pyemu, one at a time: each has its own registers (a CpuState) and the
machine switches between them every few thousand instructions and whenever one waits on a
futex, always in the same order, so runs are repeatable. A futex wait does not finish its
system call: the thread is parked, and whoever wakes it writes its result.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..emulator.cpu import RESERVATION, CpuState
from ..emulator.memory import GuestFault
from .errors import EAGAIN, EINVAL, ENOSYS, SyscallError
from .kernel import Kernel, Parked, signed
from .sources import CLOCK_MONOTONIC, CLOCK_REALTIME, NS

CLONE_VM, CLONE_SIGHAND, CLONE_THREAD = 0x100, 0x800, 0x10000
CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x80000, 0x100000, 0x200000
CLONE_CHILD_SETTID = 0x1000000

FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_BITSET_MATCH_ANY = 0xFFFF_FFFF
A0 = 10


@dataclass(eq=False)
class Thread:
    tid: int
    state: CpuState
    clear_child_tid: int = 0
    robust_list: int = 0
    waiting_on: int | None = None  # futex address while parked in a wait
    bitset: int = FUTEX_BITSET_MATCH_ANY
    deadline: int | None = None  # CLOCK_MONOTONIC nanoseconds at which the wait times out
    host_wait: object | None = None  # blocking.HostWait while parked in another blocking call
    signal_mask: int = 0  # each thread has its own, as in Linux
    pending: dict = field(default_factory=dict)  # signals sent to this thread (tgkill, timers)
    saved_mask: int | None = None  # rt_sigsuspend: the mask its handler's frame restores
    policy: int = 0  # sched_setscheduler's policy (SCHED_OTHER) and priority, as reported
    priority: int = 0

    @property
    def parked(self) -> bool:
        return self.waiting_on is not None or self.host_wait is not None


class ThreadExit(BaseException):
    """The calling thread ended (exit, with other threads still running)."""


def current(k: Kernel) -> Thread:
    return k.process.threads[k.process.current]


def by_tid(k: Kernel, tid: int) -> Thread | None:
    return next((t for t in k.process.threads if t.tid == tid), None)


@contextlib.contextmanager
def as_thread(k: Kernel, index: int) -> Iterator[Thread]:
    """Act for another (parked) thread: complete its call with its own registers and mask."""
    process = k.process
    previous, previous_state = process.current, k.state
    process.current = index
    k.state = process.threads[index].state
    try:
        yield process.threads[index]
    finally:
        process.current, k.state = previous, previous_state


def new_thread(k: Kernel, flags: int, newsp: int, parent_tid: int, tls: int,
               child_tid: int) -> int:
    """clone with CLONE_THREAD: a thread that starts after the ecall, with a0 = 0."""
    if flags & (CLONE_VM | CLONE_SIGHAND) != CLONE_VM | CLONE_SIGHAND:
        raise SyscallError(EINVAL)
    parent = k.state
    state = CpuState(parent.xlen)
    state.x[:] = parent.x
    state.f[:] = parent.f
    state.ctrl[:] = parent.ctrl
    state.ctrl[RESERVATION] = -1
    state.ctrl[2] = 0  # instret counts per thread
    state.set(A0, 0)
    if newsp:
        state.set(2, newsp)
    if flags & CLONE_SETTLS:
        state.set(4, tls)
    process = k.process
    process.last_tid += 1
    thread = Thread(process.last_tid, state, signal_mask=current(k).signal_mask)
    if flags & CLONE_CHILD_SETTID:
        k.mem.write(child_tid, struct.pack("<i", thread.tid))
    if flags & CLONE_CHILD_CLEARTID:
        thread.clear_child_tid = child_tid
    if flags & CLONE_PARENT_SETTID:
        k.mem.write(parent_tid, struct.pack("<i", thread.tid))
    process.threads.append(thread)
    return thread.tid


def end_thread(k: Kernel) -> None:
    """The calling thread ends: its tid word is cleared and waiters on it woken, as Linux does
    for CLONE_CHILD_CLEARTID (what pthread_join waits for)."""
    thread = current(k)
    if thread.clear_child_tid:
        with contextlib.suppress(GuestFault):  # an unmapped tid word is ignored, as by Linux
            k.mem.write(thread.clear_child_tid, struct.pack("<i", 0))
            wake(k, thread.clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY)
    process = k.process
    process.retired += thread.state.instret
    index = process.threads.index(thread)
    process.threads.remove(thread)
    process.current = (index - 1) % len(process.threads)  # the next turn is the one after it
    raise ThreadExit


def wake(k: Kernel, addr: int, count: int, bitset: int) -> int:
    woken = 0
    for thread in k.process.threads:
        if woken >= count:
            break
        if thread.waiting_on == addr and thread.bitset & bitset:
            resume(thread, 0)
            woken += 1
    return woken


def resume(thread: Thread, result: int | None) -> None:
    """End the thread's wait with `result` in a0; None: its call runs again (SA_RESTART)."""
    thread.waiting_on = None
    thread.deadline = None
    thread.host_wait = None
    if result is None:
        thread.state.pc = thread.state.pc - 4
    else:
        thread.state.set(A0, result)


def _word(k: Kernel, addr: int) -> int:
    return struct.unpack("<i", k.mem.read(addr, 4))[0]


def _deadline(k: Kernel, timeout: int, absolute: bool, realtime: bool) -> int | None:
    if not timeout:
        return None
    seconds, nanoseconds = struct.unpack("<qq", k.mem.read(timeout, 16))
    if seconds < 0 or not 0 <= nanoseconds < NS:
        raise SyscallError(EINVAL)
    value = seconds * NS + nanoseconds
    now = k.clock.now_ns(CLOCK_MONOTONIC)
    if not absolute:
        return now + value
    return now + value - k.clock.now_ns(CLOCK_REALTIME if realtime else CLOCK_MONOTONIC)


def _wake_op(k: Kernel, uaddr: int, count: int, count2: int, uaddr2: int, encoded: int) -> int:
    """FUTEX_WAKE_OP: *uaddr2 = old OP arg; wake on uaddr; also on uaddr2 if old CMP cmparg."""
    op, cmp = (encoded >> 28) & 7, (encoded >> 24) & 15
    oparg, cmparg = (encoded >> 12) & 0xFFF, encoded & 0xFFF
    if encoded >> 31:  # FUTEX_OP_OPARG_SHIFT
        oparg = 1 << oparg
    old = _word(k, uaddr2)
    new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(op)
    if new is None:
        raise SyscallError(ENOSYS)
    k.mem.write(uaddr2, struct.pack("<I", new & 0xFFFF_FFFF))
    woken = wake(k, uaddr, count, FUTEX_BITSET_MATCH_ANY)
    compare = {0: old == cmparg, 1: old != cmparg, 2: old < cmparg, 3: old <= cmparg,
               4: old > cmparg, 5: old >= cmparg}.get(cmp)
    if compare is None:
        raise SyscallError(ENOSYS)
    if compare:
        woken += wake(k, uaddr2, count2, FUTEX_BITSET_MATCH_ANY)
    return woken


def futex(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int,
          val3: int) -> int:
    command = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    if uaddr & 3:
        raise SyscallError(EINVAL)
    if command in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = val3 & 0xFFFF_FFFF if command == FUTEX_WAIT_BITSET else FUTEX_BITSET_MATCH_ANY
        if not bitset:
            raise SyscallError(EINVAL)
        if _word(k, uaddr) != signed(val):
            raise SyscallError(EAGAIN)
        thread = current(k)
        thread.waiting_on, thread.bitset = uaddr, bitset
        thread.deadline = _deadline(k, timeout, command == FUTEX_WAIT_BITSET,
                                    bool(op & FUTEX_CLOCK_REALTIME))
        raise Parked
    if command in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = val3 & 0xFFFF_FFFF if command == FUTEX_WAKE_BITSET else FUTEX_BITSET_MATCH_ANY
        if not bitset:
            raise SyscallError(EINVAL)
        return wake(k, uaddr, signed(val), bitset)
    if command in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if command == FUTEX_CMP_REQUEUE and _word(k, uaddr) != signed(val3):
            raise SyscallError(EAGAIN)
        woken = wake(k, uaddr, signed(val), FUTEX_BITSET_MATCH_ANY)
        moved = 0
        for thread in k.process.threads:
            if moved >= signed(timeout) & 0x7FFF_FFFF:  # val2 travels in the timeout slot
                break
            if thread.waiting_on == uaddr:
                thread.waiting_on = uaddr2
                moved += 1
        return woken + (moved if command == FUTEX_CMP_REQUEUE else 0)
    if command == FUTEX_WAKE_OP:
        return _wake_op(k, uaddr, signed(val), signed(timeout), uaddr2, val3)
    raise SyscallError(ENOSYS)  # the priority-inheritance operations
