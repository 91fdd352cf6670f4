"""Thread system calls: futexes (priority inheritance and futex2 included) and membarrier;
a thread's start (clone) and end are in thread_lifecycle.py.

Guest threads run inside pyemu, one at a time: each has its own registers (a CpuState) and the
machine switches between them every few thousand instructions and whenever one waits on a
futex, always in the same order, so runs are repeatable. A futex wait does not finish its
system call: the thread is parked, and whoever wakes it writes its result.
"""

from __future__ import annotations

import struct

from .blocking import WouldBlock, complete
from .errors import EAGAIN, EDEADLK, EINVAL, ENOSYS, EPERM, ESRCH, SyscallError
from .kernel import Kernel, Parked, by_tid, current, signed
from .process_state import FUTEX_BITSET_MATCH_ANY, resume
from .sources import CLOCK_MONOTONIC, CLOCK_REALTIME, NS
from .thread_lifecycle import (
    FUTEX_OWNER_DIED,
    FUTEX_TID_MASK,
    FUTEX_WAITERS,
    futex_word,
    set_futex_word,
    wake,
)

FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
SHARED_FUTEX_POLL = 1_000_000  # ns between looks at a futex word other processes may change


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
    old = futex_word(k, uaddr2)
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


def _wait(k: Kernel, uaddr: int, expected: int, bitset: int, deadline: int | None,
          private: bool) -> int:
    """Park the caller on the futex at uaddr while it holds `expected` (EAGAIN otherwise)."""
    if not bitset:
        raise SyscallError(EINVAL)
    if futex_word(k, uaddr) != expected:
        raise SyscallError(EAGAIN)
    if not private and k.process.shared_mapping_at(uaddr, 1):
        return _wait_shared(k, uaddr, expected, deadline)
    thread = current(k)
    thread.waiting_on, thread.bitset, thread.deadline = uaddr, bitset, deadline
    raise Parked


def _wait_shared(k: Kernel, uaddr: int, expected: int, deadline: int | None) -> int:
    """A futex in memory that other processes map: their wakes cannot reach this process (each
    guest process is a pyemu of its own), so the waiter looks at the word every
    SHARED_FUTEX_POLL and returns as woken once it has changed, which is how a waker
    releases a lock, posts a semaphore or signals a condition."""
    def attempt() -> int:
        if futex_word(k, uaddr) != expected:
            return 0
        raise WouldBlock(every=SHARED_FUTEX_POLL)

    return complete(k, attempt, deadline)


def _requeue(k: Kernel, uaddr: int, uaddr2: int, wake_count: int,
             move_count: int) -> tuple[int, int]:
    """Wake up to wake_count waiters of uaddr and move up to move_count others to uaddr2:
    how many were woken, and moved."""
    woken = wake(k, uaddr, wake_count, FUTEX_BITSET_MATCH_ANY)
    moved = 0
    for thread in k.process.threads:
        if moved >= move_count:
            break
        if thread.waiting_on == uaddr and not thread.pi_wait:
            thread.waiting_on = uaddr2
            moved += 1
    return woken, moved


def futex(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int,
          val3: int) -> int:
    command = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    if uaddr & 3:
        raise SyscallError(EINVAL)
    if command in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = val3 & 0xFFFF_FFFF if command == FUTEX_WAIT_BITSET else FUTEX_BITSET_MATCH_ANY
        return _wait(k, uaddr, signed(val), bitset, _deadline(
            k, timeout, command == FUTEX_WAIT_BITSET, bool(op & FUTEX_CLOCK_REALTIME)),
            bool(op & FUTEX_PRIVATE_FLAG))
    if command in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = val3 & 0xFFFF_FFFF if command == FUTEX_WAKE_BITSET else FUTEX_BITSET_MATCH_ANY
        if not bitset:
            raise SyscallError(EINVAL)
        return wake(k, uaddr, signed(val), bitset)
    if command in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if command == FUTEX_CMP_REQUEUE and futex_word(k, uaddr) != signed(val3):
            raise SyscallError(EAGAIN)
        move = signed(timeout) & 0x7FFF_FFFF  # val2 travels in the timeout slot
        woken, moved = _requeue(k, uaddr, uaddr2, signed(val), move)
        return woken + moved if command == FUTEX_CMP_REQUEUE else woken
    if command == FUTEX_WAKE_OP:
        return _wake_op(k, uaddr, signed(val), signed(timeout), uaddr2, val3)
    if command in (FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI):
        realtime = command == FUTEX_LOCK_PI or op & FUTEX_CLOCK_REALTIME
        deadline = None if command == FUTEX_TRYLOCK_PI else \
            _deadline(k, timeout, True, bool(realtime))
        return _lock_pi(k, uaddr, deadline, command == FUTEX_TRYLOCK_PI)
    if command == FUTEX_UNLOCK_PI:
        return _unlock_pi(k, uaddr)
    raise SyscallError(ENOSYS)  # requeueing onto a priority-inheritance futex


# ---------------------------------------------------------------- priority inheritance

FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_LOCK_PI2 = 6, 7, 8, 13


def _lock_pi(k: Kernel, uaddr: int, deadline: int | None, trylock: bool) -> int:
    """Take the lock (the word becomes the caller's tid) or wait for its owner to hand it
    over. Threads take turns on one host thread, so there is no priority to lend."""
    word = futex_word(k, uaddr) & 0xFFFF_FFFF
    thread = current(k)
    owner = word & FUTEX_TID_MASK
    if owner == thread.tid:
        raise SyscallError(EDEADLK)
    if not owner or by_tid(k, owner) is None and word & FUTEX_OWNER_DIED:
        set_futex_word(k, uaddr, thread.tid | word & FUTEX_WAITERS)
        return 0
    if trylock:
        raise SyscallError(EAGAIN)
    if by_tid(k, owner) is None:
        raise SyscallError(ESRCH)  # an owner that is no thread of this process
    set_futex_word(k, uaddr, word | FUTEX_WAITERS)
    thread.pi_wait = True
    thread.waiting_on, thread.bitset, thread.deadline = uaddr, FUTEX_BITSET_MATCH_ANY, deadline
    raise Parked


def _unlock_pi(k: Kernel, uaddr: int) -> int:
    """Hand the lock to the first waiter (its tid in the word, FUTEX_WAITERS kept while
    others wait), or leave it free."""
    word = futex_word(k, uaddr) & 0xFFFF_FFFF
    if word & FUTEX_TID_MASK != current(k).tid:
        raise SyscallError(EPERM)
    waiters = [t for t in k.process.threads if t.waiting_on == uaddr and t.pi_wait]
    if not waiters:
        set_futex_word(k, uaddr, 0)
        return 0
    heir = waiters[0]
    set_futex_word(k, uaddr, heir.tid | (FUTEX_WAITERS if len(waiters) > 1 else 0))
    resume(heir, 0)
    return 0


# ---------------------------------------------------------------- futex2

FUTEX2_SIZE_MASK, FUTEX2_SIZE_U32, FUTEX2_PRIVATE = 0x3, 0x2, 128
FUTEX_WAITV = struct.Struct("<QQII")  # struct futex_waitv: val, uaddr, flags, reserved


def _check_futex2_flags(flags: int) -> None:
    """Linux takes 32-bit futexes only (and FUTEX2_PRIVATE)."""
    if flags & ~(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE) or \
            flags & FUTEX2_SIZE_MASK != FUTEX2_SIZE_U32:
        raise SyscallError(EINVAL)


def futex_wake(k: Kernel, uaddr: int, mask: int, count: int, flags: int) -> int:
    _check_futex2_flags(flags)
    if uaddr & 3 or not mask & 0xFFFF_FFFF:
        raise SyscallError(EINVAL)
    return wake(k, uaddr, min(signed(count, 64), 1 << 31), mask & 0xFFFF_FFFF)


def futex_wait(k: Kernel, uaddr: int, val: int, mask: int, flags: int, timeout: int,
               clock: int) -> int:
    _check_futex2_flags(flags)
    if uaddr & 3 or clock not in (CLOCK_MONOTONIC, CLOCK_REALTIME) or val >> 32:
        raise SyscallError(EINVAL)
    deadline = _deadline(k, timeout, True, clock == CLOCK_REALTIME)
    return _wait(k, uaddr, signed(val), mask & 0xFFFF_FFFF, deadline, bool(flags & FUTEX2_PRIVATE))


def futex_requeue(k: Kernel, waiters: int, flags: int, wake_count: int, move_count: int) -> int:
    if flags:
        raise SyscallError(EINVAL)
    raw = k.mem.read(waiters, 2 * FUTEX_WAITV.size)
    (val, uaddr, flags1, _), (_, uaddr2, flags2, _) = FUTEX_WAITV.iter_unpack(raw)
    _check_futex2_flags(flags1)
    _check_futex2_flags(flags2)
    if uaddr & 3 or uaddr2 & 3:
        raise SyscallError(EINVAL)
    if futex_word(k, uaddr) != signed(val):
        raise SyscallError(EAGAIN)
    return sum(_requeue(k, uaddr, uaddr2, signed(wake_count), signed(move_count)))


# ---------------------------------------------------------------- robust lists


MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_GLOBAL_EXPEDITED = 0, 1, 2
MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_PRIVATE_EXPEDITED = 4, 8
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, MEMBARRIER_CMD_GET_REGISTRATIONS = 16, 512
MEMBARRIER_SUPPORTED = (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED
                        | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED
                        | MEMBARRIER_CMD_PRIVATE_EXPEDITED
                        | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED
                        | MEMBARRIER_CMD_GET_REGISTRATIONS)
REGISTERS = {MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED}


def membarrier(k: Kernel, cmd: int, flags: int, cpu_id: int) -> int:
    """Every guest thread runs on one host thread, one at a time: each barrier has happened
    by the time it is asked for. Linux's rules on registering are kept (EPERM without)."""
    if flags:
        raise SyscallError(EINVAL)
    if cmd == MEMBARRIER_CMD_QUERY:
        return MEMBARRIER_SUPPORTED
    if cmd == MEMBARRIER_CMD_GET_REGISTRATIONS:
        return k.process.membarrier_registrations
    if cmd in REGISTERS:
        k.process.membarrier_registrations |= cmd
        return 0
    if cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED and \
            not k.process.membarrier_registrations & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
        raise SyscallError(EPERM)
    if cmd not in (MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_GLOBAL_EXPEDITED,
                   MEMBARRIER_CMD_PRIVATE_EXPEDITED):
        raise SyscallError(EINVAL)
    return 0
