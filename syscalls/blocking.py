"""System calls that may block, and the scheduler's side of waiting.

A call that cannot complete yet (a read of an empty pipe, a poll with nothing ready, a sleep)
is written as an attempt that either completes or raises WouldBlock, naming the host
descriptors whose readiness would let it go on. Attempts never block in the host, so a call
never stops half done. A lone guest thread then waits in the host, and a signal for it
interrupts the wait (EINTR, or the call runs again under SA_RESTART); with other guest
threads, the caller is parked instead and the scheduler tries its attempt again between time
slices, so a blocked thread never freezes the others. When every thread waits, the scheduler
waits in the host for the first descriptor, deadline or signal that can wake one.

Host signals (those pyemu forwards to the guest, and SIGCHLD) end any such wait: Python's
handler writes their number to a pipe every host wait also watches.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal as host_signal
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from .errors import EINTR, ETIMEDOUT
from .kernel import Interrupted, Kernel, Parked, as_thread, current
from .process_state import FileDescription, Thread, resume
from .signal_defs import UNBLOCKABLE
from .signal_delivery import fire_due, next_deadline, read_sigset
from .sources import CLOCK_MONOTONIC, VirtualClock

POLLIN, POLLPRI, POLLOUT = 0x1, 0x2, 0x4


class WouldBlock(Exception):
    """The attempt cannot complete yet; `waits` are (host fd, poll events) that may change it,
    `every` how often to try again when no descriptor tells (ns), `progress` what the
    call returns if a signal interrupts it now (a write that wrote part of its data)."""

    def __init__(self, *waits: tuple[int, int], every: int | None = None,
                 progress: int | None = None):
        super().__init__()
        self.waits = waits
        self.every = every
        self.progress = progress


@dataclass(eq=False)
class HostWait:
    """A parked thread's unfinished call."""

    attempt: Callable[[], int]
    deadline: int | None  # CLOCK_MONOTONIC ns (the kernel's clock) when timed_out() answers
    timed_out: Callable[[], int]
    restartable: bool
    on_interrupt: Callable[[], None] | None
    blocked: WouldBlock

    def interrupted(self, k: Kernel) -> int | None:
        """The result of the call that a signal interrupts (None: it runs again)."""
        if self.blocked.progress:
            return self.blocked.progress
        if self.on_interrupt is not None:
            self.on_interrupt()
        return None if self.restartable and k.restart_after_signal() else -EINTR


def now(k: Kernel) -> int:
    return k.clock.now_ns(CLOCK_MONOTONIC)


def deadline_after(k: Kernel, duration_ns: int | None) -> int | None:
    """The CLOCK_MONOTONIC time (of the kernel's clock: the host's, or the virtual one) a
    wait of `duration_ns` ends at (None: it does not)."""
    return None if duration_ns is None else now(k) + max(duration_ns, 0)


def _timed_out() -> int:
    return -ETIMEDOUT


def complete(k: Kernel, attempt: Callable[[], int], deadline: int | None = None,
             timed_out: Callable[[], int] = _timed_out, restartable: bool = True,
             on_interrupt: Callable[[], None] | None = None) -> int:
    """The result of a call that may block: `attempt()` until it completes (or `timed_out()`
    once `deadline` passes). A signal handler interrupts it: `on_interrupt()` runs, then the
    call fails with EINTR, or runs again when `restartable` and the handler has SA_RESTART."""
    blocked = _try(attempt)  # most calls complete at once
    while True:
        if not isinstance(blocked, WouldBlock):
            return blocked
        if _drain_wakeups(k):  # what woke since the attempt may have let it complete
            blocked = _try(attempt)
            continue
        if k.signal_waiting():
            if blocked.progress:
                return blocked.progress
            if on_interrupt is not None:
                on_interrupt()
            raise Interrupted(restartable)
        if deadline is not None and now(k) >= deadline:
            return timed_out()
        if len(k.process.threads) > 1:
            current(k).host_wait = HostWait(attempt, deadline, timed_out, restartable,
                                            on_interrupt, blocked)
            raise Parked
        _host_wait(k, blocked.waits, _wake_at(k, [deadline], blocked.every))
        fire_timers(k)
        blocked = _try(attempt)


def _try(attempt: Callable[[], int]) -> int | WouldBlock:
    try:
        return attempt()
    except WouldBlock as blocked:
        return blocked


def _wake_at(k: Kernel, deadlines: list[int | None], every: int | None) -> int | None:
    """The first deadline, retry or expiry of a guest timer (None: none)."""
    known = [d for d in (*deadlines, next_deadline(k)) if d is not None]
    if every is not None:
        known.append(now(k) + every)
    return min(known) if known else None


def fire_timers(k: Kernel) -> None:
    if k.process.timers:
        fire_due(k)


def ready(host: int, events: int) -> bool:
    """Whether the host descriptor is ready now (an error or hang-up counts: the call then
    returns at once)."""
    poller = select.poll()
    poller.register(host, events)
    return bool(poller.poll(0))


def never_blocks(description: FileDescription) -> bool:
    """A regular file, or one of the memory devices (/dev/null, /dev/zero, /dev/full,
    /dev/random, /dev/urandom): no read or write of it waits (found out once)."""
    if description.never_blocks is None:
        mode_and_device = os.fstat(description.host_fd)
        description.never_blocks = stat.S_ISREG(mode_and_device.st_mode) or \
            stat.S_ISCHR(mode_and_device.st_mode) and os.major(mode_and_device.st_rdev) == 1
    return description.never_blocks


def when_ready(host: int, events: int) -> None:
    """Returns when a call on `host` waiting for `events` may go on to the host without
    blocking (or fail with EAGAIN, on a non-blocking descriptor); raises WouldBlock else."""
    if ready(host, events) or not os.get_blocking(host):
        return
    raise WouldBlock((host, events))


PIPE_BUF = 4096  # a write this small to a pipe that polls writable cannot block


def write_all(k: Kernel, host: int, data: bytes, write: Callable[[bytes], int]) -> int:
    """A write to `host` that may block, as Linux does it: on a blocking descriptor it returns
    once all of `data` is written (a signal interrupting it after a part returns that part);
    the host takes what it can at once and the caller waits for room for the rest."""
    if not os.get_blocking(host) or len(data) <= PIPE_BUF and ready(host, POLLOUT):
        return write(data)
    done = 0

    def attempt() -> int:
        nonlocal done
        done += _write_now(host, data[done:], write)
        if done < len(data):
            raise WouldBlock((host, POLLOUT), progress=done)
        return done

    return complete(k, attempt)


def _write_now(host: int, data: bytes, write: Callable[[bytes], int]) -> int:
    """What the host takes of `data` now, on a descriptor the guest has in blocking mode."""
    os.set_blocking(host, False)
    try:
        return write(data)
    except BlockingIOError:
        return 0
    finally:
        os.set_blocking(host, True)


def _host_wait(k: Kernel, waits: tuple[tuple[int, int], ...], wake_at: int | None) -> None:
    """Until a descriptor is ready, the kernel's clock reaches `wake_at` or a host signal
    arrives. A virtual clock's time passes at once when no descriptor can end the wait, and
    when the host's wait for them timed out."""
    left = None if wake_at is None else max(0, wake_at - now(k))
    if not waits and left is not None and isinstance(k.clock, VirtualClock):
        k.clock.sleep_ns(left)
        return
    poller = select.poll()
    for fd, events in waits:
        poller.register(fd, events)
    if k.wakeup is not None:
        poller.register(k.wakeup[0], POLLIN)
    if not poller.poll(None if left is None else max(1, -(-left // 1_000_000))) and \
            wake_at is not None:
        k.clock.sleep_ns(wake_at - now(k))  # the host's clock is there already


def install_wakeup(k: Kernel) -> None:
    """A fresh pipe that Python writes each caught host signal's number to (at start, and
    in a forked child, which must not share its parent's)."""
    remove_wakeup(k)
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    host_signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    k.wakeup = (read_end, write_end)


def remove_wakeup(k: Kernel) -> None:
    if k.wakeup is not None:
        host_signal.set_wakeup_fd(-1)
        for end in k.wakeup:
            os.close(end)
        k.wakeup = None


def _drain_wakeups(k: Kernel) -> bool:
    """Empty the wakeup pipe, so that only a signal arriving from now on wakes the next
    wait (those before are pending if the guest takes them). Whether any had come."""
    woken = False
    if k.wakeup is not None:
        with contextlib.suppress(BlockingIOError):
            while os.read(k.wakeup[0], 512):
                woken = True
    return woken


# ---------------------------------------------------------------- the scheduler's side


def settle(k: Kernel) -> None:
    """Resume the parked threads whose wait is over: a call that can now complete, a
    deadline passed, a signal that interrupts it."""
    process = k.process
    if not any(thread.parked for thread in process.threads):
        return
    _drain_wakeups(k)
    fire_timers(k)
    time_now = now(k)
    accepted = _accepted_by_runnable(k) if process.pending else set()
    for index, thread in enumerate(process.threads):
        if not thread.parked:
            continue
        with as_thread(k, index):
            wait = thread.host_wait
            if isinstance(wait, HostWait):
                outcome = k.outcome(partial(_try, wait.attempt))
                if not isinstance(outcome, WouldBlock):
                    resume(thread, outcome)
                    continue
                wait.blocked = outcome
            signum = _interrupting(k, thread, accepted)
            if signum:
                accepted.add(signum)  # a process-directed signal interrupts one thread
                if isinstance(wait, HostWait):
                    resume(thread, wait.interrupted(k))
                else:
                    resume(thread, None if k.restart_after_signal() else -EINTR)
            elif isinstance(wait, HostWait) and wait.deadline is not None \
                    and wait.deadline <= time_now:
                resume(thread, k.outcome(wait.timed_out))
            elif thread.deadline is not None and thread.deadline <= time_now:
                resume(thread, -ETIMEDOUT)


def _accepted_by_runnable(k: Kernel) -> set[int]:
    """Process-directed pending signals that a running thread will take."""
    return {signum for signum in k.process.pending for thread in k.process.threads
            if not thread.parked and not thread.signal_mask & (1 << (signum - 1))}


def _interrupting(k: Kernel, thread: Thread, accepted: set[int]) -> int:
    """A pending signal that this parked thread is to be woken for (0: none)."""
    candidates = [*thread.pending, *(s for s in k.process.pending if s not in accepted)]
    return next((s for s in sorted(candidates) if not thread.signal_mask & (1 << (s - 1))), 0)


def idle_wait(k: Kernel) -> bool:
    """Every thread is parked: wait in the host until one may wake. False when none ever can
    (every thread waits on a futex without a timeout)."""
    parked = k.process.threads
    calls = [t.host_wait for t in parked if isinstance(t.host_wait, HostWait)]
    deadlines = [t.deadline for t in parked if t.waiting_on is not None]
    deadlines += [call.deadline for call in calls]
    every = min((c.blocked.every for c in calls if c.blocked.every is not None), default=None)
    wake_at = _wake_at(k, deadlines, every)
    if not calls and wake_at is None:
        return False
    waits = tuple(w for call in calls for w in call.blocked.waits)
    if not any(_interrupting(k, t, set()) for t in parked):
        _host_wait(k, waits, wake_at)
    return True


def with_signal_mask(k: Kernel, mask_addr: int, sigsetsize: int, attempt: Callable[[], int],
                     deadline: int | None, timed_out: Callable[[], int],
                     on_interrupt: Callable[[], None] | None = None) -> int:
    """A wait (never restarted) during which the thread's mask is the one at `mask_addr`
    when given, as pselect, ppoll and epoll_pwait do: a handler that interrupts the wait
    returns to the thread's own mask, and so does the call when it completes."""
    if not mask_addr:
        return complete(k, attempt, deadline, timed_out, False, on_interrupt)
    mask = read_sigset(k, mask_addr, sigsetsize)
    thread = current(k)
    if thread.saved_mask is None:
        thread.saved_mask = thread.signal_mask
    thread.signal_mask = mask & ~UNBLOCKABLE

    def restore() -> None:
        if thread.saved_mask is not None:
            thread.signal_mask, thread.saved_mask = thread.saved_mask, None

    def restoring(work: Callable[[], int]) -> Callable[[], int]:
        def run() -> int:
            try:
                result = work()
            except WouldBlock:
                raise
            except BaseException:
                restore()
                raise
            restore()
            return result

        return run

    return complete(k, restoring(attempt), deadline, restoring(timed_out), False, on_interrupt)


def wait_for_signal(k: Kernel, deadline: int | None = None) -> int:
    """Block until a signal interrupts (EINTR, never restarted): pause, sigsuspend, ppoll
    with nothing to poll."""
    def attempt() -> int:
        raise WouldBlock

    return complete(k, attempt, deadline, lambda: 0, restartable=False)
