"""The guest's view of Linux: system-call dispatch over the process state.

The system-call table is handed to the Kernel (the handler families build on this module,
never the reverse). The kernel talks to the CPU only through the register state it is given (a7 = number,
a0..a5 = arguments, a0 = result) and to memory through the AddressSpace.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import struct
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TextIO

from ..emulator.cpu import CpuState
from ..emulator.memory import AddressSpace, GuestFault
from .errors import EFAULT, EINTR, ENOSYS, SyscallError, linux_errno
from .process_state import A0, Process, Thread
from .signal_defs import SA_RESTART, SIG_DFL, SIG_IGN, bit
from .sources import HostClock, HostRandom

A7 = 17
# The guest's unsigned long (and pointers, size_t): their size follows XLEN.
ULONG = {64: struct.Struct("<Q"), 32: struct.Struct("<I")}


class NewImage(BaseException):
    """execve loaded a new program into `mem`: the machine swaps it in (not an error)."""

    def __init__(self, image, mem: AddressSpace):
        super().__init__(image.executable)
        self.image = image
        self.mem = mem


class Parked(Exception):
    """The calling thread waits (a futex): its system call completes when it is woken."""


class Interrupted(Exception):
    """A signal arrived for the guest while a system call was blocked in the host.
    `restartable`: whether SA_RESTART makes the call run again (sleeps, polls and signal
    waits fail with EINTR whatever the flags, as in Linux)."""

    def __init__(self, restartable: bool = True):
        super().__init__()
        self.restartable = restartable


class SyscallBug(Exception):
    """A system-call handler failed in a way no guest argument explains: a bug of pyemu's.
    The handler's exception is the __cause__."""

    def __init__(self, name: str, number: int, pc: int):
        super().__init__(f"system call {name} ({number})")
        self.name, self.number, self.pc = name, number, pc


class ProcessExit(Exception):
    """The guest process ended: by exit (status) or by a signal (signal number)."""

    def __init__(self, status: int = 0, signal: int = 0):
        super().__init__(f"signal {signal}" if signal else f"exit {status}")
        self.status = status
        self.signal = signal


@dataclass(frozen=True)
class Syscall:
    """A row of the system-call table (table.py): its handler, or None for ENOSYS."""

    number: int
    name: str
    handler: Callable | None = None
    note: str = ""

    @property
    def status(self) -> str:
        if self.handler is None:
            return "enosys"
        return "partial" if self.note else "implemented"


class Kernel:
    def __init__(self, state: CpuState, mem: AddressSpace, process: Process,
                 table: Mapping[int, Syscall], warn: TextIO = sys.stderr):
        self.state = state
        self.mem = mem
        self.process = process
        self.xlen = state.xlen
        self.table = table  # number -> Syscall, for this XLEN (table.py, table_rv32.py)
        self.numbers = {entry.name: number for number, entry in table.items()}  # by name
        self._warn = warn
        self._warned: set[int] = set()
        self._arity: dict[Callable, int] = {}
        self.trace: Callable[[int, tuple[int, ...], int], None] | None = None
        self.uid = os.getuid()
        # Run (once) before a set*id call may take root's privileges from the process: what
        # pyemu will load later (numba, its compiled loop, pyelftools) may then be unreadable.
        self.before_dropping_root: list[Callable[[], None]] = []
        self.sigreturn_trampoline = 0  # where handlers return to; the machine maps it
        self.wakeup: tuple[int, int] | None = None  # blocking.install_wakeup's pipe
        # Time and randomness: the host's, or virtual and seeded ones (--deterministic).
        self.clock: HostClock = HostClock()
        self.random: HostRandom = HostRandom()

    def warn_once(self, key: int, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr closed
                print(f"pyemu: {message}", file=self._warn, flush=True)

    def arg(self, value: int) -> int:
        """A register argument as the unsigned XLEN-bit number the kernel sees."""
        return value & ((1 << self.xlen) - 1)

    def handle_ecall(self) -> None:
        """Run the system call the guest asked for and put its result in a0. As in Linux,
        pc moves past the ecall first (rt_sigreturn then replaces it). A signal that arrived
        while the guest ran is delivered first: the ecall runs when its handler returns."""
        if self.signal_waiting():
            return
        ecall = self.state.pc
        self.state.pc = ecall + 4
        number = self.state.get(A7)
        args = tuple(self.state.get(A0 + i) for i in range(6))
        entry = self.table.get(number)
        if entry is None or entry.handler is None:
            name = entry.name if entry else f"#{number}"
            self.warn_once(number, f"unsupported syscall {name} ({number}): returning -ENOSYS")
            result = -ENOSYS
        else:
            try:
                result = self.call(entry.handler, args)
            except ProcessExit:
                raise
            except Exception as error:
                raise SyscallBug(entry.name, number, ecall) from error
        if self.trace:  # a call to run again (pc back on the ecall) has no result yet
            self.trace(number, args, None if self.state.pc == ecall else result)
        if result is not None:  # None: the thread waits, and its waker writes a0
            self.state.set(A0, result)

    def call(self, handler: Callable, args: tuple[int, ...]) -> int | None:
        arity = self._arity.get(handler)
        if arity is None:
            arity = self._arity[handler] = len(inspect.signature(handler).parameters) - 1
        try:
            return self.outcome(lambda: handler(self, *args[:arity]))
        except Parked:
            return None
        except Interrupted as interruption:
            # A signal the thread blocks leaves the call alone: it runs again, as it would
            # have gone on waiting; so does one whose handler asked for SA_RESTART.
            if not self.signal_waiting() or \
                    interruption.restartable and self.restart_after_signal():
                self.state.pc = self.state.pc - 4  # the ecall runs again (after the handler)
                return self.state.get(A0)
            return -EINTR

    def outcome(self, work: Callable[[], int]) -> int:
        """What `work` returns, or -errno for the error it raises (as Linux returns them)."""
        try:
            return work()
        except SyscallError as error:
            return -error.errno
        except GuestFault:
            return -EFAULT
        except OSError as error:
            return -linux_errno(error)

    def signal_waiting(self) -> bool:
        """A pending signal that the calling thread's mask lets through (it interrupts the
        call)."""
        thread = self.process.threads[self.process.current]
        if not self.process.pending and not thread.pending:
            return False
        mask = thread.signal_mask
        return any(not mask & (1 << (signum - 1))
                   for signum in (*self.process.pending, *thread.pending))

    def restart_after_signal(self) -> bool:
        """A blocked call interrupted by the pending signals restarts when each will run a
        handler installed with SA_RESTART; otherwise it fails with EINTR."""
        thread = current(self)
        pending = {*self.process.pending, *thread.pending}
        actions = [self.process.action(signum) for signum in pending
                   if not thread.signal_mask & bit(signum)]
        return bool(actions) and all(
            action.handler not in (SIG_DFL, SIG_IGN) and action.flags & SA_RESTART
            for action in actions)


def signed(value: int, bits: int = 32) -> int:
    """An argument the kernel declares as a signed int (fds, flags with the sign bit, offsets)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def owner_id(value: int) -> int:
    """A uid_t or gid_t argument: 32 bits, all ones (-1) meaning "leave it"."""
    value &= 0xFFFF_FFFF
    return -1 if value == 0xFFFF_FFFF else value


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
