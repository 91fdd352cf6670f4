"""The guest's view of Linux: process state and system-call dispatch.

The kernel talks to the CPU only through the register state it is given (a7 = number,
a0..a5 = arguments, a0 = result) and to memory through the AddressSpace.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from ..emulator.cpu import CpuState
from ..emulator.memory import AddressSpace, GuestFault
from .errors import EFAULT, EINTR, ENOSYS, SyscallError, linux_errno
from .sources import HostClock, HostRandom

if TYPE_CHECKING:
    from .paths import Root

A0, A7 = 10, 17
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


@dataclass
class FileDescription:
    host_fd: int
    path: str = ""  # as the guest would name it
    cloexec: bool = False
    in_root: bool = False  # opened by the guest below its --root (not inherited from the host)
    # Non-blocking on the host only because pyemu was handed it so (a terminal or pipe whose
    # other user set O_NONBLOCK): reads and writes wait, since the guest never asked not to.
    waits_when_full: bool = False
    # A directory read without the host's getdents64: its names and how many were returned.
    listing: list[str] | None = None
    position: int = 0
    # What reads of it are, when not the host descriptor's (a signalfd): read(k, buf, count).
    special: object | None = None
    never_blocks: bool | None = None  # blocking.never_blocks, once asked


@dataclass
class Process:
    """What Linux keeps per process that the syscall families share."""

    executable: str
    argv: list[bytes]
    envp: list[bytes]
    brk_start: int
    brk: int
    mmap_base: int
    auxv: list[tuple[int, int]] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)
    files: dict[int, FileDescription] = field(default_factory=dict)
    signal_actions: dict = field(default_factory=dict)  # number -> signals.Action
    pending: dict = field(default_factory=dict)  # number -> signals.SignalInfo, process-directed
    altstack_sp: int = 0
    altstack_size: int = 0
    umask: int = 0o022
    sysroot: str | None = None  # -L: absolute guest paths are looked up here first
    root: Root | None = None  # --root: the directory the guest sees as /
    memory_limit: int | None = None  # --max-memory: bytes the guest may have mapped
    forked: bool = False  # made by the guest's fork: its parent is a guest that waits for it
    threads: list = field(default_factory=list)  # threads.Thread, the main thread first
    current: int = 0  # index in threads of the running thread
    last_tid: int = 0
    retired: int = 0  # instructions of threads that have ended
    name: bytes = b""  # prctl(PR_SET_NAME)
    dumpable: int = 1
    parent_death_signal: int = 0
    vector_control: int = 2  # prctl(PR_RISCV_V_*_CONTROL): V on, next program's default
    timers: dict = field(default_factory=dict)  # timers.Timer by timer id
    shared_maps: list = field(default_factory=list)  # mm.SharedMapping, MAP_SHARED mappings
    limits: dict = field(default_factory=dict)  # resource -> (soft, hard), once asked or set
    personality: int = 0  # PER_LINUX
    aio: dict = field(default_factory=dict)  # aio.AioContext by its ring's address
    membarrier_registrations: int = 0  # membarrier's REGISTER_* commands given

    def __post_init__(self) -> None:
        self.name = os.path.basename(os.fsencode(self.executable))[:15]
        self.last_tid = self.pid
        for fd in (0, 1, 2):
            self.files.setdefault(fd, FileDescription(fd, f"/dev/fd/{fd}",
                                                      waits_when_full=_non_blocking(fd)))


def _non_blocking(fd: int) -> bool:
    try:
        return not os.get_blocking(fd)
    except OSError:  # not open
        return False


class Kernel:
    def __init__(self, state: CpuState, mem: AddressSpace, process: Process,
                 warn: TextIO = sys.stderr):
        # The tables import the families, which import this module.
        from .table import SYSCALLS
        from .table_rv32 import SYSCALLS_RV32

        self.state = state
        self.mem = mem
        self.process = process
        self.xlen = state.xlen
        self.table = SYSCALLS if self.xlen == 64 else SYSCALLS_RV32
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
        from .signals import restartable  # signals builds on this module

        return restartable(self)


def signed(value: int, bits: int = 32) -> int:
    """An argument the kernel declares as a signed int (fds, flags with the sign bit, offsets)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value
