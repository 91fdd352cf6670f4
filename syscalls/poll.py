"""Waiting for descriptors: ppoll, pselect6 and epoll, on the host's own poll and epoll.

Each is an attempt that asks the host without waiting and, when nothing is ready yet, says
which host descriptors to wait for (see blocking.py), so that waiting never freezes other
guest threads. A signal handler ends the wait with EINTR (these calls are never restarted).
"""

from __future__ import annotations

import contextlib
import ctypes
import select
import struct

from ..emulator.memory import GuestFault
from .blocking import WouldBlock, deadline_after, now, with_signal_mask
from .descriptors import MAX_FDS, install_fd
from .errors import EBADF, EFAULT, EINVAL, SyscallError
from .host import HOST_EPOLL_PACKED, buffer, libc_call
from .kernel import Kernel, signed
from .signal_delivery import sigmask_argument
from .signalfd import refresh_signalfds
from .times import read_timespec, timespec

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND = 0x40, 0x80, 0x100, 0x200
POLLFD = struct.Struct("<ihh")
# What select's three sets wait for, in poll events (fs/select.c).
SELECT_SETS = (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR,
               POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR,
               POLLPRI)
NS = 1_000_000_000


def _deadline(k: Kernel, timeout_addr: int) -> float | None:
    return None if not timeout_addr else deadline_after(k, read_timespec(k, timeout_addr))


def _report_time_left(k: Kernel, timeout_addr: int, deadline: int | None) -> None:
    """The kernel writes the time left back to a ppoll/pselect6 timeout (a failed write
    is ignored)."""
    if timeout_addr and deadline is not None:
        left = max(0, deadline - now(k))
        with contextlib.suppress(GuestFault):
            k.mem.write(timeout_addr, timespec(left))


def _host_poll(entries: list[tuple[int, int]]) -> dict[int, int]:
    """Host fd -> revents of the ready ones, without waiting."""
    poller = select.poll()
    for host, events in entries:
        poller.register(host, events)
    return dict(poller.poll(0))


# ---------------------------------------------------------------- ppoll


def ppoll(k: Kernel, fds_addr: int, nfds: int, timeout_addr: int, mask_addr: int,
          sigsetsize: int) -> int:
    if nfds > MAX_FDS:
        raise SyscallError(EINVAL)
    raw = k.mem.read(fds_addr, POLLFD.size * nfds)
    entries = [POLLFD.unpack_from(raw, i * POLLFD.size) for i in range(nfds)]
    deadline = _deadline(k, timeout_addr)
    files = k.process.files

    def attempt() -> int:
        refresh_signalfds(k)
        watched = [(files[fd].host_fd, events | POLLERR | POLLHUP)
                   for fd, events, _ in entries if fd in files]
        ready = _host_poll(watched)
        revents = [0 if fd < 0 else POLLNVAL if fd not in files
                   else ready.get(files[fd].host_fd, 0) & (events | POLLERR | POLLHUP | POLLNVAL)
                   for fd, events, _ in entries]
        count = sum(1 for r in revents if r)
        if not count:
            raise WouldBlock(*watched)
        _write_revents(k, fds_addr, entries, revents)
        _report_time_left(k, timeout_addr, deadline)
        return count

    def timed_out() -> int:
        _write_revents(k, fds_addr, entries, [0] * nfds)
        _report_time_left(k, timeout_addr, deadline)
        return 0

    return with_signal_mask(k, mask_addr, sigsetsize, attempt, deadline, timed_out,
                            lambda: _report_time_left(k, timeout_addr, deadline))


def _write_revents(k: Kernel, addr: int, entries: list, revents: list[int]) -> None:
    k.mem.write(addr, b"".join(POLLFD.pack(fd, events, r)
                               for (fd, events, _), r in zip(entries, revents)))


# ---------------------------------------------------------------- pselect6


def pselect6(k: Kernel, nfds: int, read_addr: int, write_addr: int, except_addr: int,
             timeout_addr: int, sigmask_arg: int) -> int:
    nfds = signed(nfds)
    if nfds < 0:
        raise SyscallError(EINVAL)
    nfds = min(nfds, MAX_FDS)
    words = (nfds + 63) // 64
    sets = [_read_fd_set(k, addr, words, nfds) for addr in (read_addr, write_addr, except_addr)]
    files = k.process.files
    wanted: dict[int, int] = {}  # guest fd -> poll events
    for fd_set, events in zip(sets, SELECT_SETS):
        for fd in fd_set:
            if fd not in files:
                raise SyscallError(EBADF)
            wanted[fd] = wanted.get(fd, 0) | events
    mask_addr = sigsetsize = 0
    if sigmask_arg:
        mask_addr, sigsetsize = sigmask_argument(k, sigmask_arg)
    deadline = _deadline(k, timeout_addr)

    def attempt() -> int:
        refresh_signalfds(k)
        watched = [(files[fd].host_fd, events) for fd, events in wanted.items() if fd in files]
        ready = _host_poll(watched)
        results = [{fd for fd in fd_set if fd in files
                    and ready.get(files[fd].host_fd, 0) & events}
                   for fd_set, events in zip(sets, SELECT_SETS)]
        count = sum(len(r) for r in results)
        if not count:
            raise WouldBlock(*watched)
        _write_fd_sets(k, (read_addr, write_addr, except_addr), results, words)
        _report_time_left(k, timeout_addr, deadline)
        return count

    def timed_out() -> int:
        _write_fd_sets(k, (read_addr, write_addr, except_addr), [set()] * 3, words)
        _report_time_left(k, timeout_addr, deadline)
        return 0

    return with_signal_mask(k, mask_addr, sigsetsize, attempt, deadline, timed_out,
                            lambda: _report_time_left(k, timeout_addr, deadline))


def _read_fd_set(k: Kernel, addr: int, words: int, nfds: int) -> set[int]:
    if not addr:
        return set()
    bits = int.from_bytes(k.mem.read(addr, 8 * words), "little")
    return {fd for fd in range(nfds) if bits >> fd & 1}


def _write_fd_sets(k: Kernel, addrs: tuple[int, ...], results: list[set[int]],
                   words: int) -> None:
    for addr, fds in zip(addrs, results):
        if addr:
            k.mem.write(addr, sum(1 << fd for fd in fds).to_bytes(8 * words, "little"))


# ---------------------------------------------------------------- epoll

EPOLL_CLOEXEC = 0o2000000
EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
GUEST_EVENT = struct.Struct("<I4xQ")  # struct epoll_event on riscv64: 16 bytes
HOST_EVENT = struct.Struct("<IQ" if HOST_EPOLL_PACKED else "<I4xQ")
EP_MAX_EVENTS = 0x7FFF_FFFF // GUEST_EVENT.size


def epoll_create1(k: Kernel, flags: int) -> int:
    if flags & ~EPOLL_CLOEXEC:
        raise SyscallError(EINVAL)
    host = libc_call("epoll_create1", EPOLL_CLOEXEC)
    return install_fd(k, host, "anon_inode:[eventpoll]", bool(flags & EPOLL_CLOEXEC))


def _host(k: Kernel, fd: int) -> int:
    description = k.process.files.get(signed(fd))
    if description is None:
        raise SyscallError(EBADF)
    return description.host_fd


def epoll_ctl(k: Kernel, epfd: int, op: int, fd: int, event_addr: int) -> int:
    """The guest's event data goes to the host as it is, and comes back in its events."""
    host_epoll, host_target = _host(k, epfd), _host(k, fd)
    event = buffer(HOST_EVENT.size)
    if op != EPOLL_CTL_DEL:
        events, data = GUEST_EVENT.unpack(k.mem.read(event_addr, GUEST_EVENT.size))
        event = buffer(HOST_EVENT.pack(events, data))
    libc_call("epoll_ctl", host_epoll, signed(op), host_target, event)
    return 0


def epoll_pwait(k: Kernel, epfd: int, events_addr: int, maxevents: int, timeout_ms: int,
                mask_addr: int, sigsetsize: int) -> int:
    timeout_ms = signed(timeout_ms)
    deadline = None if timeout_ms < 0 else deadline_after(k, timeout_ms * 1_000_000)
    return _epoll_wait(k, epfd, events_addr, maxevents, deadline, mask_addr, sigsetsize)


def epoll_pwait2(k: Kernel, epfd: int, events_addr: int, maxevents: int, timeout_addr: int,
                 mask_addr: int, sigsetsize: int) -> int:
    return _epoll_wait(k, epfd, events_addr, maxevents, _deadline(k, timeout_addr), mask_addr,
                       sigsetsize)


def _epoll_wait(k: Kernel, epfd: int, events_addr: int, maxevents: int,
                deadline: int | None, mask_addr: int, sigsetsize: int) -> int:
    maxevents = signed(maxevents)
    if not 0 < maxevents <= EP_MAX_EVENTS:
        raise SyscallError(EINVAL)
    if not k.mem.check_range(events_addr, maxevents * GUEST_EVENT.size):
        raise SyscallError(EFAULT)  # Linux's access_ok: the range, not its mapping, is checked
    host_epoll = _host(k, epfd)
    count = min(maxevents, 1024)  # at most this many per call, as many as the host has ready
    out = buffer(HOST_EVENT.size * count)

    def attempt() -> int:
        refresh_signalfds(k)
        ready = libc_call("epoll_wait", host_epoll, out, count, 0)
        if not ready:
            raise WouldBlock((host_epoll, POLLIN))
        raw = ctypes.string_at(out, HOST_EVENT.size * ready)
        k.mem.write(events_addr, b"".join(GUEST_EVENT.pack(*HOST_EVENT.unpack_from(
            raw, i * HOST_EVENT.size)) for i in range(ready)))
        return ready

    return with_signal_mask(k, mask_addr, sigsetsize, attempt, deadline, lambda: 0)
