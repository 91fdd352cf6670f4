"""signalfd descriptors: what reading one takes, and keeping their host stand-ins readable
while one of their signals is pending (poll and epoll look at them)."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from .blocking import POLLIN, WouldBlock, complete, ready
from .errors import EAGAIN, EINVAL, SyscallError
from .kernel import Kernel, signed
from .signal_defs import SI_TIMER, SignalInfo
from .signal_delivery import take_pending

SIGNALFD_SIGINFO = struct.Struct("<IiiIIiIIIIiiQQQQH46x")  # struct signalfd_siginfo: 128 bytes


@dataclass(eq=False)
class SignalFd:
    """A signalfd's signals, and the host eventfd that says when one is pending."""

    mask: int
    host: int

    def read(self, k: Kernel, buf: int, count: int) -> int:
        """Take pending signals of the mask (one struct signalfd_siginfo each)."""
        if count < SIGNALFD_SIGINFO.size:
            raise SyscallError(EINVAL)
        nonblocking = not os.get_blocking(self.host)

        def attempt() -> int:
            out = bytearray()
            while len(out) + SIGNALFD_SIGINFO.size <= count:
                info = take_pending(k, self.mask)
                if info is None:
                    break
                out += _signalfd_siginfo(info)
            refresh_signalfds(k)
            if out:
                k.mem.write(buf, bytes(out))
                return len(out)
            if nonblocking:
                raise SyscallError(EAGAIN)
            raise WouldBlock  # a signal's arrival wakes the wait
        return complete(k, attempt)


def _signalfd_siginfo(info: SignalInfo) -> bytes:
    timer = info.code == SI_TIMER  # its pid and uid fields hold the timer id and overrun
    return SIGNALFD_SIGINFO.pack(
        info.signo, 0, info.code, 0 if timer else info.pid, 0 if timer else info.uid, 0,
        info.pid if timer else 0, 0, info.uid if timer else 0, 0,
        signed(info.value & 0xFFFF_FFFF), signed(info.value & 0xFFFF_FFFF), info.value, 0, 0,
        info.addr or 0, 0)


def refresh_signalfds(k: Kernel) -> None:
    """Each signalfd's stand-in is readable exactly while one of its signals is pending for
    the calling thread (before anything polls them)."""
    thread = k.process.threads[k.process.current]
    pending = 0
    for signum in (*k.process.pending, *thread.pending):
        pending |= 1 << (signum - 1)
    for description in k.process.files.values():
        special = description.special
        if isinstance(special, SignalFd):
            if ready(special.host, POLLIN):
                os.eventfd_read(special.host)  # a non-zero count: this empties it
            if pending & special.mask:
                os.eventfd_write(special.host, 1)
