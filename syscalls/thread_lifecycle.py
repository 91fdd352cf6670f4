"""Threads coming and going: clone's new thread, and a thread's end (its robust locks
released, its tid word cleared and whoever waits on that woken, as Linux does)."""

from __future__ import annotations

import contextlib
import struct

from ..emulator.cpu import INSTRET, RESERVATION
from ..emulator.memory import GuestFault
from .errors import EINVAL, SyscallError
from .kernel import Kernel, current, signed
from .process_state import A0, FUTEX_BITSET_MATCH_ANY, Thread, ThreadExit, resume

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_VFORK, CLONE_PARENT, CLONE_THREAD = 0x4000, 0x8000, 0x10000
CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x80000, 0x100000, 0x200000
CLONE_CHILD_SETTID = 0x1000000


def new_thread(k: Kernel, flags: int, newsp: int, parent_tid: int, tls: int,
               child_tid: int) -> int:
    """clone with CLONE_THREAD: a thread that starts after the ecall, with a0 = 0."""
    if flags & (CLONE_VM | CLONE_SIGHAND) != CLONE_VM | CLONE_SIGHAND:
        raise SyscallError(EINVAL)
    parent = k.state
    state = parent.copy()  # vector registers too, as qemu's threads keep them
    state.ctrl[RESERVATION] = -1
    state.ctrl[INSTRET] = 0  # instret counts per thread
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
    release_robust_locks(k, thread)
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
        if thread.waiting_on == addr and thread.bitset & bitset and not thread.pi_wait:
            resume(thread, 0)
            woken += 1
    return woken


def futex_word(k: Kernel, addr: int) -> int:
    return struct.unpack("<i", k.mem.read(addr, 4))[0]


FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x8000_0000, 0x4000_0000, 0x3FFF_FFFF


def set_futex_word(k: Kernel, addr: int, value: int) -> None:
    k.mem.write(addr, struct.pack("<I", value & 0xFFFF_FFFF))


ROBUST_LIST_LIMIT = 2048  # Linux follows at most this many locks


def release_robust_locks(k: Kernel, thread: Thread) -> None:
    """At a thread's end, each robust mutex it still holds is marked FUTEX_OWNER_DIED and
    one of its waiters woken, as Linux does (what lets the next owner see EOWNERDEAD)."""
    if not thread.robust_list:
        return
    word = k.xlen // 8

    def pointer(addr: int) -> int:
        return int.from_bytes(k.mem.read(addr, word), "little")

    with contextlib.suppress(GuestFault):  # a list that leads nowhere ends the walk
        head = thread.robust_list
        offset = signed(pointer(head + word), k.xlen)
        pending = pointer(head + 2 * word) & ~1
        entry = pointer(head) & ~1
        seen = 0
        while entry != head and seen < ROBUST_LIST_LIMIT:
            following = pointer(entry) & ~1
            if entry != pending:
                _owner_died(k, thread, entry + offset)
            entry, seen = following, seen + 1
        if pending:
            _owner_died(k, thread, pending + offset)


def _owner_died(k: Kernel, thread: Thread, uaddr: int) -> None:
    word = futex_word(k, uaddr) & 0xFFFF_FFFF
    if word & FUTEX_TID_MASK != thread.tid:
        return
    set_futex_word(k, uaddr, word & FUTEX_WAITERS | FUTEX_OWNER_DIED)
    if word & FUTEX_WAITERS:
        wake(k, uaddr, 1, FUTEX_BITSET_MATCH_ANY)
