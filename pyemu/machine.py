"""A guest process: loader, CPU, memory and kernel wired together."""

from __future__ import annotations

import bisect
import contextlib
import importlib.util
import os
import signal as host_signal
import sys
from dataclasses import dataclass

from .emulator.cpu import (
    CAUSE_BREAKPOINT,
    CAUSE_ECALL_U,
    CAUSE_FETCH_PAGE_FAULT,
    CAUSE_ILLEGAL_INSTRUCTION,
    CAUSE_LOAD_PAGE_FAULT,
    CAUSE_MISALIGNED_FETCH,
    CAUSE_MISALIGNED_LOAD,
    CAUSE_MISALIGNED_STORE,
    CAUSE_STORE_PAGE_FAULT,
    CpuState,
)
from .emulator.engine_python import PythonEngine
from .emulator.memory import PAGE_SIZE, PROT_EXEC, PROT_READ, AddressSpace
from .emulator.semantics import TIMEBASE_HZ
from .emulator.stops import Stop, StopReason
from .loader import load_program, probe
from .syscalls import signals, threads
from .syscalls.fs import release_fd
from .syscalls.kernel import Kernel, NewImage, Process, ProcessExit
from .syscalls.paths import open_root
from .syscalls.sources import CLOCK_MONOTONIC, HostRandom, SeededRandom, VirtualClock

SIGNAL_NAMES = {4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
                11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM", 2: "SIGINT", 1: "SIGHUP",
                3: "SIGQUIT", 14: "SIGALRM", 10: "SIGUSR1", 12: "SIGUSR2"}
ACCESS_WORDS = {CAUSE_LOAD_PAGE_FAULT: "read", CAUSE_STORE_PAGE_FAULT: "write",
                CAUSE_FETCH_PAGE_FAULT: "execute", CAUSE_MISALIGNED_LOAD: "misaligned read",
                CAUSE_MISALIGNED_STORE: "misaligned write", CAUSE_MISALIGNED_FETCH: "misaligned jump"}
# Signals Linux sends for each RISC-V exception a user program can raise (arch/riscv/kernel/traps.c).
CAUSE_SIGNALS = {
    CAUSE_ILLEGAL_INSTRUCTION: 4,
    CAUSE_BREAKPOINT: 5,
    CAUSE_MISALIGNED_FETCH: 7,
    CAUSE_MISALIGNED_LOAD: 7,
    CAUSE_MISALIGNED_STORE: 7,
    CAUSE_FETCH_PAGE_FAULT: 11,
    CAUSE_LOAD_PAGE_FAULT: 11,
    CAUSE_STORE_PAGE_FAULT: 11,
}
CHUNK = 1 << 20  # also how often (in instructions) host signals are looked at
SLICE = 20_000  # instructions a thread runs before the next one's turn
FORWARDED_SIGNALS = (host_signal.SIGINT, host_signal.SIGTERM, host_signal.SIGHUP,
                     host_signal.SIGQUIT, host_signal.SIGUSR1, host_signal.SIGUSR2,
                     host_signal.SIGALRM, host_signal.SIGVTALRM, host_signal.SIGPROF,
                     host_signal.SIGWINCH)
SEGV_MAPERR, SEGV_ACCERR = 1, 2
DETERMINISTIC_PID = 1000  # --deterministic: the process id the guest sees, the same every run
PC_ADDRESSED = (CAUSE_ILLEGAL_INSTRUCTION, CAUSE_BREAKPOINT)  # instructions per engine call when no limit is set


@dataclass(frozen=True)
class GuestSignal:
    """The guest died of a signal raised by its own instruction (a fault)."""

    signal: int
    pc: int
    addr: int
    cause: int

    @property
    def name(self) -> str:
        return SIGNAL_NAMES.get(self.signal, f"signal {self.signal}")


@dataclass(frozen=True)
class Exited:
    status: int = 0  # exit status, or 128 + signal
    signal: int = 0
    fault: GuestSignal | None = None


class Machine:
    """One guest process, ready to run or to inspect."""

    def __init__(self, path: str, argv: list[str] | None = None, env: dict[str, str] | None = None,
                 sysroot: str | None = None, engine: str = "fast", tier_up: int | None = None,
                 seed: int | None = None, *, root: str | None = None, read_only: bool = False):
        """`seed`: run deterministically (virtual clock, random bytes from the seed, fixed
        pid); None: with the host's time and entropy. `root`: the directory the guest sees
        as / (--root), `read_only`: unchangeable."""
        probe(path)
        mem = AddressSpace()
        argv = [path] if argv is None else list(argv)
        environ = dict(os.environ) if env is None else env
        envp = [f"{k}={v}" for k, v in environ.items()]
        random = HostRandom() if seed is None else SeededRandom(seed)
        guest_root = open_root(root, read_only)  # the program itself is a host path
        if guest_root is not None:
            sysroot = None
        image = load_program(path, argv, envp, mem, sysroot=sysroot, execfn=path,
                             random_bytes=random.read(16),
                             open_interpreter=guest_root and guest_root.open_interpreter)
        self.engine_name = engine
        self.tier_up = tier_up
        process = Process(
            executable=image.executable, argv=image.argv, envp=image.envp, brk_start=image.brk,
            brk=image.brk, mmap_base=image.mmap_base, auxv=image.auxv, sysroot=sysroot,
            root=guest_root, **({} if seed is None else {"pid": DETERMINISTIC_PID}))
        self.kernel = Kernel(CpuState(image.xlen), mem, process)
        self.kernel.random = random
        if seed is not None:
            self.kernel.clock = VirtualClock(process)
        self._start(image, mem)
        self.exit: Exited | None = None

    def _start(self, image, mem: AddressSpace) -> None:
        """Run the program `image` describes, loaded in `mem`: at start-up and after execve."""
        self.image = image
        self.mem = mem
        self.state = CpuState(image.xlen)
        self.state.pc = image.entry
        self.state.set(2, image.stack_pointer)
        self.kernel.state, self.kernel.mem, self.kernel.xlen = self.state, mem, image.xlen
        process = self.kernel.process  # execve leaves one thread, with the process's id
        process.threads[:] = [threads.Thread(process.pid, self.state)]
        process.current = 0
        self.kernel.sigreturn_trampoline = self._map_trampoline()
        self.engine = make_engine(self.engine_name, self.state, mem, self.tier_up,
                                  self._time_csr if isinstance(self.kernel.clock, VirtualClock)
                                  else None)
        self._symbols: tuple[list[int], list[tuple[int, str]]] | None = None

    def _exec(self, new: NewImage) -> None:
        """execve: the new program keeps the process, its descriptors (but close-on-exec
        ones), its signal mask and ignored signals; handlers and the alternate stack go."""
        process, image = self.kernel.process, new.image
        process.retired += sum(t.state.instret for t in process.threads)  # the count goes on
        for fd in [fd for fd, d in process.files.items() if d.cloexec]:
            with contextlib.suppress(Exception):
                release_fd(self.kernel, fd)
        process.signal_actions = {n: a for n, a in process.signal_actions.items()
                                  if a.handler == signals.SIG_IGN}
        process.altstack_sp = process.altstack_size = 0
        process.executable, process.argv, process.envp = image.executable, image.argv, image.envp
        process.name = os.path.basename(os.fsencode(image.executable))[:15]
        process.brk_start = process.brk = image.brk
        process.mmap_base, process.auxv = image.mmap_base, image.auxv
        self._start(image, new.mem)

    def _map_trampoline(self) -> int:
        """The page signal handlers return through (Linux keeps it in the vDSO)."""
        addr = self.mem.find_free(PAGE_SIZE, below=self.image.mmap_base)
        self.mem.map(addr, PAGE_SIZE, PROT_READ | PROT_EXEC, "[vdso]")
        self.mem.poke(addr, signals.TRAMPOLINE)
        return addr

    def _time_csr(self) -> int:
        """The rdtime counter on the virtual clock (ticks of TIMEBASE_HZ)."""
        return self.kernel.clock.now_ns(CLOCK_MONOTONIC) // (1_000_000_000 // TIMEBASE_HZ)

    @classmethod
    def load(cls, path: str, argv: list[str] | None = None, env: dict[str, str] | None = None,
             sysroot: str | None = None, engine: str = "fast",
             tier_up: int | None = None, seed: int | None = None, *, root: str | None = None,
             read_only: bool = False) -> Machine:
        return cls(path, argv, env, sysroot, engine, tier_up, seed, root=root,
                   read_only=read_only)

    @property
    def instructions(self) -> int:
        """Instructions retired by every thread of the process, across its execves."""
        process = self.kernel.process
        return process.retired + sum(t.state.instret for t in process.threads)

    def run(self, max_insns: int | None = None) -> Exited | Stop:
        """Run until the process ends (Exited) or `max_insns` more instructions retire (Stop).

        Threads take turns: each runs until it waits on a futex or has run SLICE
        instructions, in the order they were created."""
        budget_end = None if max_insns is None else self.instructions + max_insns
        process = self.kernel.process
        while self.exit is None:
            chunk = CHUNK if budget_end is None else budget_end - self.instructions
            if chunk <= 0:
                return Stop(StopReason.LIMIT)
            if len(process.threads) > 1 or process.threads[0].waiting_on is not None:
                if not self._schedule():
                    break
                chunk = min(chunk, SLICE)
            stop = self.engine.run(chunk)
            if stop.reason is StopReason.TRAP:
                self._trap(stop)
            elif process.pending:
                self._deliver()
        return self.exit

    def _schedule(self) -> bool:
        """Switch to the next thread that can run (after the current one, in creation order);
        wait for the earliest futex timeout when none can. False: every thread waits forever."""
        process = self.kernel.process
        while True:
            threads.time_out_waits(self.kernel)
            count = len(process.threads)
            for step in range(1, count + 1):
                index = (process.current + step) % count
                if process.threads[index].waiting_on is None:
                    self._switch(index)
                    return True
            deadlines = [t.deadline for t in process.threads if t.deadline is not None]
            if not deadlines:
                print_error("every guest thread waits on a futex that no one will wake: "
                            "ending the process")
                self.exit = Exited(128 + signals.SIGKILL, signals.SIGKILL)
                return False
            clock = self.kernel.clock
            clock.sleep_ns(min(deadlines) - clock.now_ns(CLOCK_MONOTONIC))

    def _switch(self, index: int) -> None:
        process = self.kernel.process
        process.current = index
        self.state = process.threads[index].state
        self.kernel.state = self.state
        self.engine.switch(self.state)

    def _trap(self, stop: Stop) -> None:
        """A system call, then any signal it made pending; or a fault, delivered to the
        guest's handler when it has one, else the end of the process."""
        try:
            if stop.cause == CAUSE_ECALL_U:
                try:
                    self.kernel.handle_ecall()
                except NewImage as new:
                    self._exec(new)
                except threads.ThreadExit:
                    self._schedule()
                    return
                self._deliver()
                return
            signal = CAUSE_SIGNALS.get(stop.cause, signals.SIGSEGV)
            # si_addr: the faulting address for memory faults, the instruction's own address
            # for illegal instructions and breakpoints (where tval holds the instruction).
            addr = self.state.pc if stop.cause in PC_ADDRESSED else stop.tval
            info = signals.SignalInfo(signal, self._fault_code(stop), addr=addr)
            if not signals.force_fault(self.kernel, info):
                fault = GuestSignal(signal, self.state.pc, stop.tval, stop.cause)
                self.exit = Exited(128 + signal, signal, fault)
        except ProcessExit as end:
            status = 128 + end.signal if end.signal else end.status
            self.exit = Exited(status, end.signal)

    def _deliver(self) -> None:
        try:
            signals.deliver_pending(self.kernel)
        except ProcessExit as end:
            self.exit = Exited(128 + end.signal if end.signal else end.status, end.signal)

    @contextlib.contextmanager
    def forwarding_host_signals(self):
        """While running: signals sent to pyemu (Ctrl-C, kill, its own timers) go to the guest,
        which handles them or takes their default action, as under qemu."""
        previous = {}
        for signum in FORWARDED_SIGNALS:
            previous[signum] = host_signal.signal(
                signum, lambda number, frame: signals.host_signal(self.kernel, number))
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                host_signal.signal(signum, handler)

    def _fault_code(self, stop: Stop) -> int:
        """si_code of a fault, as Linux sets it (SEGV_MAPERR vs SEGV_ACCERR and the like)."""
        if stop.cause in (CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT, CAUSE_FETCH_PAGE_FAULT):
            return SEGV_ACCERR if self.mem.region_at(stop.tval) else SEGV_MAPERR
        return 1  # ILL_ILLOPC, TRAP_BRKPT, BUS_ADRALN: each 1

    # ----------------------------------------------------------------- symbols

    def _symbol_table(self) -> tuple[list[int], list[tuple[int, str]]]:
        if self._symbols is None:
            from elftools.common.exceptions import ELFError
            from elftools.elf.elffile import ELFFile
            from elftools.elf.sections import SymbolTableSection

            entries: list[tuple[int, str]] = []
            try:
                with open(self.image.executable, "rb") as f:
                    for section in ELFFile(f).iter_sections():
                        if isinstance(section, SymbolTableSection):
                            for sym in section.iter_symbols():
                                if sym["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE") and \
                                        sym.name and sym["st_value"]:
                                    entries.append((sym["st_value"] + self.image.load_bias,
                                                    sym.name))
            except (OSError, ELFError, ValueError):
                pass
            entries.sort()
            self._symbols = ([a for a, _ in entries], entries)
        return self._symbols

    def symbolize(self, addr: int) -> str:
        """`name+0xoff` for an address in the program's code, or its hex value."""
        addresses, entries = self._symbol_table()
        i = bisect.bisect_right(addresses, addr) - 1
        if i < 0:
            return f"{addr:#x}"
        base, name = entries[i]
        return name if addr == base else f"{name}+{addr - base:#x}"

    def describe_fault(self, fault: GuestSignal) -> str:
        where = f"pc {fault.pc:#x} ({self.symbolize(fault.pc)})"
        if fault.cause in ACCESS_WORDS:
            return (f"guest killed by {fault.name} at {where}: "
                    f"{ACCESS_WORDS[fault.cause]} of address {fault.addr:#x}")
        if fault.cause == CAUSE_ILLEGAL_INSTRUCTION:
            return f"guest killed by {fault.name} at {where}: illegal instruction {fault.addr:#x}"
        return f"guest killed by {fault.name} at {where}"


def make_engine(name: str, state: CpuState, mem: AddressSpace, tier_up: int | None = None,
                clock=None):
    """The fast (tiered) engine when numba is installed (noticed once otherwise), or the
    reference engine. `tier_up`: instructions before the fast engine's compiled loop takes
    over (None: its default); `clock`: what rdtime reads (None: the host's time)."""
    if name == "fast":
        if importlib.util.find_spec("numba") is None:
            print_error("numba is not installed: using the python engine")
        else:
            from .emulator.engine_fast import TieredEngine

            return TieredEngine(state, mem, clock, tier_up=tier_up)
    return PythonEngine(state, mem, clock)


def print_error(message: str) -> None:
    """One line on stderr; none when stderr is closed or broken (the guest may be why)."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            print(f"pyemu: {message}", file=sys.stderr, flush=True)
