"""Scheduling: policies, priorities, affinity and the CPU a thread runs on.

The emulated process has one hart (CPU 0), and its threads are scheduled by pyemu in turns,
so policies and real-time priorities are recorded per thread and reported back without
changing the order threads run in. Nice values are the host's (they apply to pyemu).
"""

from __future__ import annotations

import os
import struct

from .errors import E2BIG, EINVAL, EPERM, ESRCH, SyscallError
from .kernel import Kernel, by_tid, current, signed
from .process_state import Thread
from .times import timespec

SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
SCHED_RESET_ON_FORK = 0x40000000
REALTIME = (SCHED_FIFO, SCHED_RR)
POLICIES = (SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE)
SCHED_ATTR = struct.Struct("<IIQiIQQQII")  # struct sched_attr (SCHED_ATTR_SIZE_VER1: 56 bytes)
SCHED_ATTR_SIZE_VER0 = 48
CPUS = 1


def _thread(k: Kernel, pid: int) -> Thread:
    """The thread a scheduling call names: 0 is the caller; the process id its main thread."""
    pid = signed(pid)
    if pid < 0:
        raise SyscallError(EINVAL)
    thread = current(k) if pid == 0 else by_tid(k, pid)
    if thread is None:
        raise SyscallError(ESRCH)
    return thread


def sched_getscheduler(k: Kernel, pid: int) -> int:
    return _thread(k, pid).policy


def sched_getparam(k: Kernel, pid: int, param: int) -> int:
    if not param:
        raise SyscallError(EINVAL)
    thread = _thread(k, pid)
    k.mem.write(param, struct.pack("<i", thread.priority))
    return 0


def _set(k: Kernel, pid: int, policy: int, priority: int) -> int:
    thread = _thread(k, pid)
    if policy not in POLICIES:
        raise SyscallError(EINVAL)
    low, high = (1, 99) if policy in REALTIME else (0, 0)
    if not low <= priority <= high:
        raise SyscallError(EINVAL)
    if policy in REALTIME:
        raise SyscallError(EPERM)  # an unprivileged process has no real-time budget
    thread.policy, thread.priority = policy, priority
    return 0


def sched_setscheduler(k: Kernel, pid: int, policy: int, param: int) -> int:
    if not param or signed(policy) < 0:
        raise SyscallError(EINVAL)
    (priority,) = struct.unpack("<i", k.mem.read(param, 4))
    return _set(k, pid, signed(policy) & ~SCHED_RESET_ON_FORK, priority)


def sched_setparam(k: Kernel, pid: int, param: int) -> int:
    if not param:
        raise SyscallError(EINVAL)
    (priority,) = struct.unpack("<i", k.mem.read(param, 4))
    thread = _thread(k, pid)
    return _set(k, pid, thread.policy, priority)


def sched_get_priority_max(k: Kernel, policy: int) -> int:
    if signed(policy) not in POLICIES + (SCHED_DEADLINE,):
        raise SyscallError(EINVAL)
    return 99 if signed(policy) in REALTIME else 0


def sched_get_priority_min(k: Kernel, policy: int) -> int:
    if signed(policy) not in POLICIES + (SCHED_DEADLINE,):
        raise SyscallError(EINVAL)
    return 1 if signed(policy) in REALTIME else 0


def sched_rr_get_interval(k: Kernel, pid: int, interval: int) -> int:
    thread = _thread(k, pid)
    slice_ns = 100_000_000 if thread.policy == SCHED_RR else 0  # RR_TIMESLICE
    k.mem.write(interval, timespec(slice_ns))
    return 0


def sched_getattr(k: Kernel, pid: int, attr: int, size: int, flags: int) -> int:
    if not attr or flags or signed(pid) < 0 or not SCHED_ATTR_SIZE_VER0 <= size <= 4096:
        raise SyscallError(EINVAL)
    thread = _thread(k, pid)
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    size = min(size, SCHED_ATTR.size)
    k.mem.write(attr, SCHED_ATTR.pack(size, thread.policy, 0, nice, thread.priority,
                                      0, 0, 0, 0, 0)[:size])
    return 0


def sched_setattr(k: Kernel, pid: int, attr: int, flags: int) -> int:
    if not attr or flags or signed(pid) < 0:
        raise SyscallError(EINVAL)
    (size,) = struct.unpack("<I", k.mem.read(attr, 4))
    size = size or SCHED_ATTR_SIZE_VER0
    if not SCHED_ATTR_SIZE_VER0 <= size <= 4096:
        k.mem.write(attr, struct.pack("<I", SCHED_ATTR.size))
        raise SyscallError(E2BIG)
    raw = k.mem.read(attr, SCHED_ATTR_SIZE_VER0).ljust(SCHED_ATTR.size, b"\0")
    _, policy, _, nice, priority, *_ = SCHED_ATTR.unpack(raw)
    _set(k, pid, policy, priority)
    if policy not in REALTIME:
        os.setpriority(os.PRIO_PROCESS, 0, max(-20, min(19, nice)))
    return 0


def sched_getaffinity(k: Kernel, pid: int, size: int, mask: int) -> int:
    """One CPU, in a mask of one unsigned long."""
    _thread(k, pid)
    word = k.xlen // 8
    if size < word or size % word:
        raise SyscallError(EINVAL)
    k.mem.write(mask, ((1 << CPUS) - 1).to_bytes(word, "little"))
    return word


def sched_setaffinity(k: Kernel, pid: int, size: int, mask: int) -> int:
    """The one hart must stay in the set (EINVAL otherwise, as for CPUs that are offline)."""
    _thread(k, pid)
    if not size:
        raise SyscallError(EINVAL)
    wanted = int.from_bytes(k.mem.read(mask, min(size, 1024)), "little")
    if not wanted & ((1 << CPUS) - 1):
        raise SyscallError(EINVAL)
    return 0


def getcpu(k: Kernel, cpu: int, node: int, cache: int) -> int:
    if cpu:
        k.mem.write(cpu, struct.pack("<I", 0))
    if node:
        k.mem.write(node, struct.pack("<I", 0))
    return 0


PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2


def _priority_target(k: Kernel, which: int, who: int) -> int:
    """Threads of the guest are one host process: a tid names the process."""
    if which not in (PRIO_PROCESS, PRIO_PGRP, PRIO_USER):
        raise SyscallError(EINVAL)
    who = signed(who)
    if which == PRIO_PROCESS and by_tid(k, who) is not None:
        return 0
    return who


def getpriority(k: Kernel, which: int, who: int) -> int:
    """The raw call answers 20 - nice (1..40), which glibc turns back into the nice value."""
    return 20 - os.getpriority(which, _priority_target(k, which, who))


def setpriority(k: Kernel, which: int, who: int, nice: int) -> int:
    os.setpriority(which, _priority_target(k, which, who), max(-20, min(19, signed(nice))))
    return 0
