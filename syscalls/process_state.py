"""What Linux keeps per process and per thread, in one place: the descriptor table's
entries, signal actions and pending signals, threads, timers, shared mappings and aio
contexts; and the changes fork, execve and a snapshot's restore make to it."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..emulator.cpu import CpuState
from ..emulator.isa import single_letter_extensions
from ..loader import ProcessImage, hwcap_bits
from .errors import EBADF, SyscallError
from .signal_defs import SIG_IGN, Action, SignalInfo

if TYPE_CHECKING:  # annotations only: these modules build on this one
    from .blocking import HostWait
    from .paths import Root
    from .signalfd import SignalFd

A0 = 10  # where a system call's result goes
# prctl(PR_RISCV_V_*_CONTROL) settings: the current one in bits 0-1, the next program's in
# bits 2-3, and whether that one is inherited.
V_CTRL_DEFAULT, V_CTRL_OFF, V_CTRL_ON = 0, 1, 2
V_CTRL_INHERIT = 1 << 4


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
    special: SignalFd | None = None
    never_blocks: bool | None = None  # blocking.never_blocks, once asked


FUTEX_BITSET_MATCH_ANY = 0xFFFF_FFFF


@dataclass(eq=False)
class Thread:
    tid: int
    state: CpuState
    clear_child_tid: int = 0
    robust_list: int = 0
    rseq_area: int = 0  # rseq: the registered struct rseq, and the signature it was given
    rseq_signature: int = 0
    waiting_on: int | None = None  # futex address while parked in a wait
    bitset: int = FUTEX_BITSET_MATCH_ANY
    deadline: int | None = None  # CLOCK_MONOTONIC nanoseconds at which the wait times out
    host_wait: HostWait | None = None  # while parked in another blocking call
    signal_mask: int = 0  # each thread has its own, as in Linux
    # signals sent to this thread (tgkill, timers), by number
    pending: dict[int, SignalInfo] = field(default_factory=dict)
    saved_mask: int | None = None  # rt_sigsuspend: the mask its handler's frame restores
    pi_wait: bool = False  # waiting_on is a priority-inheritance futex (FUTEX_LOCK_PI)
    policy: int = 0  # sched_setscheduler's policy (SCHED_OTHER) and priority, as reported
    priority: int = 0

    @property
    def parked(self) -> bool:
        return self.waiting_on is not None or self.host_wait is not None


class ThreadExit(BaseException):
    """The calling thread ended (exit, with other threads still running)."""


def resume(thread: Thread, result: int | None) -> None:
    """End the thread's wait with `result` in a0; None: its call runs again (SA_RESTART)."""
    thread.waiting_on = None
    thread.deadline = None
    thread.host_wait = None
    thread.pi_wait = False
    if result is None:
        thread.state.pc = thread.state.pc - 4
    else:
        thread.state.set(A0, result)


@dataclass(eq=False)
class Timer:
    clock: int  # the Linux clock id, read on the kernel's clock
    signo: int
    notify: int
    value: int  # sigev_value
    thread: Thread | None  # SIGEV_THREAD_ID: the thread the signal goes to
    expiry: int = 0  # ns on `clock` of the next expiry; 0: disarmed
    interval: int = 0
    overrun: int = 0  # of its last signal taken (delivered or waited for)


@dataclass(eq=False)
class SharedMapping:
    """A MAP_SHARED mapping of [start, end) to `host` at `offset` (msync syncs it, mremap
    maps it again)."""

    start: int
    end: int
    host: int  # a descriptor of pyemu's own (the guest may close its fd)
    offset: int


@dataclass(eq=False)
class AioContext:
    capacity: int
    events: list[bytes] = field(default_factory=list)  # packed struct io_event, in order
    polls: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # iocb -> poll


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
    signal_actions: dict[int, Action] = field(default_factory=dict)  # by signal number
    pending: dict[int, SignalInfo] = field(default_factory=dict)  # process-directed
    altstack_sp: int = 0
    altstack_size: int = 0
    umask: int = 0o022
    sysroot: str | None = None  # -L: absolute guest paths are looked up here first
    root: Root | None = None  # --root: the directory the guest sees as /
    memory_limit: int | None = None  # --max-memory: bytes the guest may have mapped
    forked: bool = False  # made by the guest's fork: its parent is a guest that waits for it
    threads: list[Thread] = field(default_factory=list)  # the main thread first
    current: int = 0  # index in threads of the running thread
    last_tid: int = 0
    retired: int = 0  # instructions of threads that have ended
    name: bytes = b""  # prctl(PR_SET_NAME)
    dumpable: int = 1
    parent_death_signal: int = 0
    vector_control: int = 2  # prctl(PR_RISCV_V_*_CONTROL): V on, next program's default
    timers: dict[int, Timer] = field(default_factory=dict)  # by timer id
    shared_maps: list[SharedMapping] = field(default_factory=list)  # MAP_SHARED ones
    # resource -> (soft, hard), once asked or set
    limits: dict[int, tuple[int, int]] = field(default_factory=dict)
    personality: int = 0  # PER_LINUX
    aio: dict[int, AioContext] = field(default_factory=dict)  # by its ring's address
    membarrier_registrations: int = 0  # membarrier's REGISTER_* commands given

    def action(self, signum: int) -> Action:
        """What the signal does when delivered (rt_sigaction's; SIG_DFL until set)."""
        return self.signal_actions.get(signum, Action())

    def shared_mapping_at(self, addr: int, size: int) -> SharedMapping | None:
        """The MAP_SHARED mapping that overlaps [addr, addr + size), if any."""
        return next((m for m in self.shared_maps if m.start < addr + size and addr < m.end),
                    None)

    def release(self, fd: int) -> None:
        """close: the descriptor goes, and its host descriptor with the last one using it."""
        description = self.files.pop(fd, None)
        if description is None:
            raise SyscallError(EBADF)
        host = description.host_fd
        if any(d.host_fd == host for d in self.files.values()):
            return
        if host > 2:
            os.close(host)
            return
        # pyemu's own stdin, stdout and stderr: what they were is closed (a reader sees the end
        # of the pipe), but the numbers stay taken, so that pyemu's messages never land in a
        # file the guest opens next and a guest's close cannot break pyemu's own output.
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, host)
        os.close(null)

    def fork_child(self, caller: Thread) -> None:
        """The child's side of fork: a new pid whose only thread is the one that forked;
        pending signals, timers and aio contexts are the parent's alone."""
        self.pid = os.getpid()
        self.forked = True
        self.pending.clear()
        self.timers.clear()
        self.aio.clear()
        caller.pending.clear()
        caller.tid = self.last_tid = self.pid
        self.threads[:] = [caller]
        self.current = 0

    def exec(self, image: ProcessImage) -> None:
        """execve: the new program keeps the process, its descriptors (but close-on-exec
        ones), its signal mask and ignored signals; handlers and the alternate stack go, and
        so do timers, aio contexts and shared mappings."""
        self.retired += sum(t.state.instret for t in self.threads)  # the count goes on
        for fd in [fd for fd, d in self.files.items() if d.cloexec]:
            with contextlib.suppress(OSError):  # a close's error is not execve's
                self.release(fd)
        self.signal_actions = {n: a for n, a in self.signal_actions.items()
                               if a.handler == SIG_IGN}
        self.altstack_sp = self.altstack_size = 0
        self.executable, self.argv, self.envp = image.executable, image.argv, image.envp
        self.name = os.path.basename(os.fsencode(image.executable))[:15]
        self.vector_control = vector_control_after_execve(self.vector_control)
        self.timers.clear()
        self.aio.clear()
        for shared in self.shared_maps:  # written back as execve began
            os.close(shared.host)
        self.shared_maps.clear()
        self.brk_start = self.brk = image.brk
        self.mmap_base, self.auxv = image.mmap_base, image.auxv

    def saved(self) -> Process:
        """A copy of the state a snapshot restores (descriptors and threads go separately:
        the host's files and the CPU states are saved their own way)."""
        saved = copy.copy(self)
        saved.threads, saved.files = [], {}
        return copy.deepcopy(saved)

    def restore(self, saved: Process) -> None:
        """Go back to `saved` (see saved), keeping who the process is on the host."""
        for item in dataclasses.fields(self):
            if item.name not in RESTORE_KEEPS:
                setattr(self, item.name, copy.deepcopy(getattr(saved, item.name)))

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


# Process fields a snapshot's restore keeps from the present: who the process is on the host
# (and the descriptors and threads, which are restored their own way).
RESTORE_KEEPS = {"threads", "files", "pid", "forked"}


def vector_control_after_execve(control: int) -> int:
    """The setting a new program starts with: the next one (on, unless set), which is kept
    for later programs only when inherited."""
    upcoming = (control >> 2) & 3
    current = upcoming or V_CTRL_ON
    inherit = control & V_CTRL_INHERIT
    return current | (upcoming << 2 if inherit else 0) | inherit


def vector_turned_off(control: int) -> bool:
    return control & 3 == V_CTRL_OFF


# AT_HWCAP: a bit for each single-letter extension.
HWCAP = hwcap_bits(single_letter_extensions())
