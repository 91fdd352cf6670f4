"""A guest process: loader, CPU, memory and kernel wired together, and inspected from Python.

`Machine.load(path)` maps the program and stops before its first instruction. `run()` and
`step()` move it on and return why they stopped (see pyemu.stops); `regs`, `mem`,
`symbols`, `disasm()` look at it; breakpoints and watchpoints stop it; `step(-n)` and
`run(reverse=True)` move it backwards through its recorded history (see pyemu.timeline);
its threads take turns (see pyemu.scheduler).

The machine counts *steps*: every instruction retired and every event that is not an
instruction (a system call, a signal delivered, a thread switch) is one step, so that a
system call is one step like in a debugger and any point of a run has its own number.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import signal as host_signal
import sys
from collections import Counter
from collections.abc import Callable

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
    VLENS,
    CpuState,
)
from .emulator.disassembly import Disassembler
from .emulator.engine_python import PythonEngine
from .emulator.journal import recording
from .emulator.memory import PAGE_SIZE, PROT_EXEC, PROT_READ, AddressSpace, GuestFault
from .emulator.observe import Observers
from .emulator.semantics import TIMEBASE_HZ
from .emulator.stops import Stop, StopReason
from .history import CHECKPOINT_INTERVAL, Snapshot
from .listing import Instruction, Listing
from .loader import load_program, probe
from .scheduler import SLICE, Scheduler
from .stops import (
    Breakpoint,
    Exited,
    GuestSignal,
    HistoryStart,
    Limit,
    Signalled,
    StopEvent,
    Watchpoint,
)
from .symbols import Symbols
from .syscalls import blocking, signal_defs, signal_delivery
from .syscalls.kernel import Kernel, NewImage, ProcessExit, current
from .syscalls.paths import open_root
from .syscalls.process_state import HWCAP, Process, Thread, ThreadExit, vector_turned_off
from .syscalls.sources import CLOCK_MONOTONIC, HostRandom, SeededRandom, VirtualClock
from .syscalls.table_rv32 import TABLES
from .timeline import Timeline
from .views import Memory, Registers

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
FORWARDED_SIGNALS = (host_signal.SIGINT, host_signal.SIGTERM, host_signal.SIGHUP,
                     host_signal.SIGQUIT, host_signal.SIGUSR1, host_signal.SIGUSR2,
                     host_signal.SIGALRM, host_signal.SIGVTALRM, host_signal.SIGPROF,
                     host_signal.SIGWINCH)
SEGV_MAPERR, SEGV_ACCERR = 1, 2
DETERMINISTIC_PID = 1000  # --deterministic: the process id the guest sees, the same every run
PC_ADDRESSED = (CAUSE_ILLEGAL_INSTRUCTION, CAUSE_BREAKPOINT)
A0, A7 = 10, 17
DEFAULT_SYSROOT = "/usr/riscv64-linux-gnu"
WATCH_KINDS = ("r", "w", "rw")

SyscallHook = Callable[..., "int | None"]


def default_sysroot() -> str | None:
    """Where ELF interpreters are looked for: $QEMU_LD_PREFIX, else the Debian cross sysroot."""
    return os.environ.get("QEMU_LD_PREFIX") or (
        DEFAULT_SYSROOT if os.path.isdir(DEFAULT_SYSROOT) else None)


class Machine:
    """One guest process, ready to run or to inspect."""

    def __init__(self, path: str, argv: list[str] | None = None, env: dict[str, str] | None = None,
                 root: str | None = None, *, sysroot: str | None = None, engine: str = "fast",
                 tier_up: int | None = None, seed: int | None = None, record: bool = True,
                 read_only: bool = False, vlen: int = 128):
        """`seed`: run deterministically (virtual clock, random bytes from the seed, fixed
        pid); None: with the host's time and entropy. `record`: keep the history that running
        backwards needs. `root`: the directory the guest sees as / (--root), `read_only`:
        unchangeable. `vlen`: the vector registers' length in bits (128 to 1024)."""
        if vlen not in VLENS:
            raise ValueError(f"VLEN {vlen} is not one of {VLENS}")
        self.vlen = vlen
        probe(path)
        space = AddressSpace()
        argv = [path] if argv is None else list(argv)
        environ = dict(os.environ) if env is None else env
        envp = [f"{k}={v}" for k, v in environ.items()]
        sysroot = default_sysroot() if sysroot is None else sysroot or None
        random = HostRandom() if seed is None else SeededRandom(seed)
        guest_root = open_root(root, read_only)  # the program itself is a host path
        execfn = path
        if guest_root is not None:
            sysroot = None
            # A program inside the root is named as the guest sees it (argv[0] unless given,
            # AT_EXECFN), as a chroot would: a program that runs itself again must find it.
            execfn = guest_root.guest_view(os.path.realpath(path))
            if argv[0] == path:
                argv[0] = execfn
        image = load_program(path, argv, envp, space, sysroot=sysroot, execfn=execfn,
                             hwcap=HWCAP, random_bytes=random.read(16),
                             open_interpreter=guest_root and guest_root.open_interpreter)
        self.engine_name = engine
        self.tier_up = tier_up
        self.root = root  # the guest's file-system root (a sandbox; None: the host's)
        process = Process(
            executable=image.executable, argv=image.argv, envp=image.envp, brk_start=image.brk,
            brk=image.brk, mmap_base=image.mmap_base, auxv=image.auxv, sysroot=sysroot,
            root=guest_root, **({} if seed is None else {"pid": DETERMINISTIC_PID}))
        self.kernel = Kernel(CpuState(image.xlen, vlen), space, process, TABLES[image.xlen])
        self.kernel.before_dropping_root.append(self._load_what_runs_later)
        self.kernel.random = random
        if seed is not None:
            self.kernel.clock = VirtualClock(process)
        self.exit: Exited | None = None
        self.breakpoints: set[int] = set()
        self.watchpoints: list[tuple[int, int, str]] = []  # (address, size, kinds)
        self.syscall_counts: Counter[int] = Counter()
        self._hooks: dict[int, SyscallHook] = {}
        self._events = 0  # steps that were not instructions
        self._pending_fault: Stop | None = None  # reported as Signalled, delivered next
        self.running = False  # inside run() or step()
        self.interrupted = False  # set (by a signal handler) to stop the run at the next event
        self.scheduler = Scheduler(self)
        self.timeline = Timeline(self, record)
        self.observers = Observers()  # see observe()
        self.observers.on_change = self._observers_changed
        self._start(image, space)
        self.regs = Registers(self)
        self.mem = Memory(self)
        self.symbols = Symbols(self)
        self._disassembler: Disassembler | None = None

    def _time_csr(self) -> int:
        """The rdtime counter on the virtual clock (ticks of TIMEBASE_HZ)."""
        return self.kernel.clock.now_ns(CLOCK_MONOTONIC) // (1_000_000_000 // TIMEBASE_HZ)

    @classmethod
    def load(cls, path: str, argv: list[str] | None = None, env: dict[str, str] | None = None,
             root: str | None = None, **options) -> Machine:
        """Load the program at `path` (argv defaults to [path], env to pyemu's environment),
        stopped before its first instruction. Options: sysroot (where the ELF interpreter
        is looked for), engine ("fast" or "python"), tier_up, seed (a deterministic run), vlen
        (the vector registers' length in bits: 128, 256, 512 or 1024),
        record (keep the history that running backwards needs; default True)."""
        return cls(path, argv, env, root, **options)

    def _start(self, image, space: AddressSpace) -> None:
        """Run the program `image` describes, loaded in `space`: at start-up and after execve."""
        self.image = image
        self.space = space
        self.state = CpuState(image.xlen, self.vlen)  # execve: the vector state starts anew
        self.state.pc = image.entry
        self.state.set(2, image.stack_pointer)
        self.kernel.state, self.kernel.mem, self.kernel.xlen = self.state, space, image.xlen
        process = self.kernel.process  # execve leaves one thread, with the process's id
        mask = current(self.kernel).signal_mask if process.threads else 0
        process.threads[:] = [Thread(process.pid, self.state, signal_mask=mask)]
        process.current = 0
        self.kernel.sigreturn_trampoline = self._map_trampoline()
        self.engine = make_engine(self.engine_name, self.state, space, self.tier_up,
                                  self._time_csr if isinstance(self.kernel.clock, VirtualClock)
                                  else None)
        self._reference: PythonEngine = getattr(self.engine, "reference", self.engine)
        self._reference.breakpoints = self.breakpoints
        self._reference.observe(self.observers)
        self._reference.decoder.vector_off = vector_turned_off(process.vector_control)
        space.watch([(addr, addr + size) for addr, size, _ in self.watchpoints])
        self.timeline.start_again()  # the history starts again with the new program

    def _exec(self, new: NewImage) -> None:
        self.kernel.process.exec(new.image)
        self._start(new.image, new.mem)

    def _map_trampoline(self) -> int:
        """The page signal handlers return through (Linux keeps it in the vDSO)."""
        addr = self.space.find_free(PAGE_SIZE, below=self.image.mmap_base)
        self.space.map(addr, PAGE_SIZE, PROT_READ | PROT_EXEC, "[vdso]")
        self.space.poke(addr, signal_defs.TRAMPOLINE)
        return addr

    # ----------------------------------------------------------------- counters

    @property
    def instructions(self) -> int:
        """Instructions retired by every thread of the process, across its execves."""
        process = self.kernel.process
        return process.retired + sum(t.state.instret for t in process.threads)

    @property
    def steps(self) -> int:
        """Instructions retired plus events (system calls, signals delivered, thread switches)."""
        return self.instructions + self._events

    @property
    def blocks_translated(self) -> int:
        """Blocks of guest code the engines have translated or decoded (since the last execve)."""
        engines = {id(e): e for e in (self.engine, self._reference,
                                      getattr(self.engine, "compiled", None)) if e is not None}
        return sum(getattr(e, "blocks_translated", 0) for e in engines.values())

    @property
    def exit_status(self) -> int | None:
        """The exit status once the process has ended (128 + N when killed by signal N)."""
        return None if self.exit is None else self.exit.status

    @property
    def pending_signal(self) -> Signalled | None:
        """The fault reported by the last stop, delivered when the machine runs on; set it to
        None to discard it (the instruction then runs again)."""
        return None if self._pending_fault is None else self._signalled(self._pending_fault)

    @pending_signal.setter
    def pending_signal(self, value: None) -> None:
        if value is not None:
            raise ValueError("pending_signal can only be discarded (set to None)")
        self._pending_fault = None
        self.state_changed()

    @property
    def threads(self) -> list[int]:
        """Thread ids, the main thread first."""
        return [t.tid for t in self.kernel.process.threads]

    @property
    def current_thread(self) -> int:
        return self.kernel.process.threads[self.kernel.process.current].tid

    # ----------------------------------------------------------------- running

    def run(self, max_insns: int | None = None, *, reverse: bool = False) -> StopEvent:
        """Run until the process exits, a breakpoint or watchpoint is hit, an instruction
        faults, or `max_insns` steps have run. reverse=True runs backwards to the latest
        breakpoint or watchpoint hit before the present point, or to the start of the
        history."""
        if reverse:
            return self.timeline.run_backwards()
        return self._advance(None if max_insns is None else self.steps + max_insns)

    def step(self, n: int = 1) -> StopEvent:
        """Run `n` steps (instructions; a system call is one), or go back `-n` steps."""
        if n < 0:
            return self.timeline.go_to(self.steps + n, stop_early=False)
        return self._advance(self.steps + n)

    def _advance(self, end: int | None) -> StopEvent:
        """Run forward to step `end` (None: without limit), or until something stops it."""
        self.timeline.commit_edits()
        self.running = True
        try:
            return self._forward(end)
        finally:
            self.running = False

    def _forward(self, end: int | None) -> StopEvent:
        process = self.kernel.process
        passing = True  # the instruction at pc runs even if a breakpoint is set there
        while self.exit is None:
            if self.interrupted:
                self.interrupted = False
                return Limit(self.state.pc)
            history = self.timeline.history
            replaying = history is not None and history.replaying
            if replaying and self.steps >= history.end:
                history.end = None  # back at the latest point recorded: live again
                history.cursor = len(history.checkpoints)
                replaying = False
            budget = CHUNK if end is None else end - self.steps
            if budget <= 0:
                return Limit(self.state.pc)
            if replaying:
                event = history.next_event()
                if event is not None and event.event_step == self.steps:
                    if not passing and self.state.pc in self.breakpoints:
                        return Breakpoint(self.state.pc)
                    self.timeline.restore_checkpoint(event)
                    history.cursor += 1
                    passing = False
                    continue
                budget = min(budget, history.end - self.steps,
                             budget if event is None else event.event_step - self.steps)
            elif self._pending_fault is not None:
                self._event(self._deliver_fault)
                passing = False
                continue
            else:
                if history is not None:
                    if self.steps >= history.next_periodic():
                        self.timeline.record()
                    budget = min(budget, history.next_periodic() - self.steps)
                if self.scheduler.turn_due():
                    self._event(self._take_turns)
                    passing = False
                    continue
                budget = self.scheduler.budget(budget)
                if process.timers and signal_delivery.armed(self.kernel):
                    budget = min(budget, SLICE)  # their signals interrupt long runs
            stop = self._run_engine(budget, passing)
            passing = False
            if process.timers and not replaying:
                signal_delivery.fire_due(self.kernel)
            if stop.reason is StopReason.BREAKPOINT:
                return Breakpoint(self.state.pc)
            if stop.reason is StopReason.WATCHPOINT:
                hit = self._finish_watched_access()
                if hit is not None:
                    return hit
            elif stop.reason is StopReason.TRAP:
                if stop.cause != CAUSE_ECALL_U:
                    return self._fault(stop)
                if replaying:  # the recorded system call comes at the budget's end; a
                    history.truncate()  # replay that went astray (rdtime) goes on live
                self._event(self._syscall)
            elif not replaying and signal_delivery.any_pending(self.kernel):
                self._event(self._deliver_pending)
        return self.exit

    def _run_engine(self, budget: int, passing: bool) -> Stop:
        reference = self._reference
        if passing and self.state.pc in self.breakpoints:
            reference.passing_breakpoint = self.state.pc
        try:  # the reference engine is the one that tells listeners what runs
            return (reference if self.observers.engine_level else self.engine).run(budget)
        finally:
            reference.passing_breakpoint = None

    def _finish_watched_access(self) -> Watchpoint | Signalled | None:
        """An instruction is about to touch a watched range: run it with its accesses logged,
        and report the first that a watchpoint asks for (a read of a write-only watched
        range is not one)."""
        pc = self.state.pc
        watches = self.space.watches
        log = watches.log = []
        try:
            stop = self._run_engine(1, passing=True)
        finally:
            watches.log = None
        if stop.reason is StopReason.TRAP:
            return self._fault(stop)
        for addr, size, access in log:
            for watch in self.watchpoints:
                start, length, kinds = watch
                if access in kinds and start < addr + size and addr < start + length:
                    return Watchpoint(addr, size, access, pc, watch)
        return None

    def _event(self, action: Callable[[], bool | None]) -> None:
        """One step that is not an instruction: `action` (a system call, a signal delivered, a
        thread's turn), recorded with the changes it makes to memory (unless it returns False:
        then nothing happened)."""
        history = self.timeline.history
        self._events += 1
        if history is None:
            if action() is False:
                self._events -= 1
            return
        with recording(self.space) as journal:
            happened = action() is not False
        if not happened:
            self._events -= 1
        elif self.timeline.history is history:  # (execve starts a new history)
            self.timeline.record(full=False, after_event=True, journal=journal)

    def _take_turns(self) -> None:
        self._schedule()
        self.scheduler.new_turn()

    def _schedule(self) -> None:
        """The next thread that can run takes over, and its signals are delivered; when every
        thread waits forever, the process ends."""
        if not self.scheduler.next_thread():
            print_error("every guest thread waits on a futex that no one will wake: "
                        "ending the process")
            self.exit = Exited(128 + signal_defs.SIGKILL, signal_defs.SIGKILL)
        elif signal_delivery.any_pending(self.kernel):
            self._deliver()

    def _syscall(self) -> None:
        """The system call at pc (a hook's, when one is set for its number), then any signal
        it made pending."""
        number = self.state.get(A7)
        self.syscall_counts[number] += 1
        if self.observers.system_call_made:
            self.observers.tell("system_call_made", number, self._syscall_arguments())
        hook = self._hooks.get(number)
        if hook is not None:
            result = hook(self, *self._syscall_arguments())
            if result is not None:
                self.state.pc = self.state.pc + 4
                self.state.set(A0, result)
                return
        self.scheduler.turn_over = len(self.kernel.process.threads) > 1
        try:
            try:
                self.kernel.handle_ecall()
            except NewImage as new:
                self._exec(new)
            except ThreadExit:
                self._schedule()
                return
            self._follow_vector_control()
            self._deliver()
        except ProcessExit as end:
            self.exit = Exited(128 + end.signal if end.signal else end.status, end.signal)

    def _follow_vector_control(self) -> None:
        """prctl may have turned V on for a program that started with it off: its
        instructions, decoded as illegal until then, are decoded again."""
        off = vector_turned_off(self.kernel.process.vector_control)
        if off != self._reference.decoder.vector_off:
            self._reference.decoder.vector_off = off
            self._reference.invalidate_all()

    def _syscall_arguments(self) -> tuple[int, ...]:
        return tuple(self.state.get(A0 + i) for i in range(6))

    def _deliver_fault(self) -> None:
        """The fault reported: delivered to the guest's handler when it has one, else the end
        of the process."""
        stop, self._pending_fault = self._pending_fault, None
        signal = CAUSE_SIGNALS.get(stop.cause, signal_defs.SIGSEGV)
        info = signal_defs.SignalInfo(signal, self._fault_code(stop),
                                      addr=self._fault_address(stop))
        try:
            if signal_delivery.force_fault(self.kernel, info):
                self.observers.tell("signal_delivered", signal, self.state.pc)
            else:
                fault = GuestSignal(signal, self.state.pc, stop.tval, stop.cause)
                self.exit = Exited(128 + signal, signal, fault)
        except ProcessExit as end:
            self.exit = Exited(128 + end.signal if end.signal else end.status, end.signal)

    def _fault(self, stop: Stop) -> Signalled:
        """The instruction at pc faulted: its signal is reported now and delivered next."""
        self._pending_fault = stop
        signalled = self._signalled(stop)
        self.observers.tell("instruction_faulted", signalled.pc, signalled.signal,
                            self._fault_address(stop))
        return signalled

    def _fault_address(self, stop: Stop) -> int:
        """si_addr: the faulting address for memory faults, the instruction's own address
        for illegal instructions and breakpoints (where tval holds the instruction)."""
        return self.state.pc if stop.cause in PC_ADDRESSED else stop.tval

    def _signalled(self, stop: Stop) -> Signalled:
        return Signalled(CAUSE_SIGNALS.get(stop.cause, signal_defs.SIGSEGV), self.state.pc,
                         stop.tval)

    def _deliver(self) -> None:
        if current(self.kernel).parked:
            return  # its call has not returned: signals wait until it does
        try:
            delivered = signal_delivery.deliver_pending(self.kernel)
        except ProcessExit as end:
            self.exit = Exited(128 + end.signal if end.signal else end.status, end.signal)
            return
        if delivered is not None:
            self.observers.tell("signal_delivered", delivered.signo, self.state.pc)

    def _deliver_pending(self) -> bool:
        """A signal that arrived while the guest ran; False when none could be delivered."""
        pc = self.state.pc
        self._deliver()
        return self.state.pc != pc or self.exit is not None

    @contextlib.contextmanager
    def forwarding_host_signals(self):
        """While running: signals sent to pyemu (Ctrl-C, kill, its own timers) go to the guest,
        which handles them or takes their default action, as under qemu; so does SIGCHLD
        when a forked child changes state."""
        previous = {}
        for signum in FORWARDED_SIGNALS:
            previous[signum] = host_signal.signal(
                signum, lambda number, frame: signal_delivery.host_signal(self.kernel, number))
            if previous[signum] == host_signal.SIG_IGN:
                # Ignored when pyemu started (nohup, a background job of a script): the guest
                # starts with it ignored, as a signal ignored stays ignored across execve.
                self.kernel.process.signal_actions.setdefault(
                    signum, signal_defs.Action(signal_defs.SIG_IGN))
        previous[host_signal.SIGCHLD] = host_signal.signal(
            host_signal.SIGCHLD, lambda number, frame: signal_delivery.child_changed(self.kernel))
        blocking.install_wakeup(self.kernel)  # and every blocking wait ends when one comes
        try:
            yield self
        finally:
            blocking.remove_wakeup(self.kernel)
            for signum, handler in previous.items():
                host_signal.signal(signum, handler)

    def _fault_code(self, stop: Stop) -> int:
        """si_code of a fault, as Linux sets it (SEGV_MAPERR vs SEGV_ACCERR and the like)."""
        if stop.cause in (CAUSE_LOAD_PAGE_FAULT, CAUSE_STORE_PAGE_FAULT, CAUSE_FETCH_PAGE_FAULT):
            return SEGV_ACCERR if self.space.region_at(stop.tval) else SEGV_MAPERR
        return 1  # ILL_ILLOPC, TRAP_BRKPT, BUS_ADRALN: each 1

    # ----------------------------------------------------------------- breakpoints, hooks

    def address_of(self, where: int | str) -> int:
        """An address, or the address of a symbol."""
        if isinstance(where, int):
            return where
        try:
            return self.symbols[where]
        except KeyError:
            raise KeyError(f"no symbol named {where!r}") from None

    def breakpoint(self, where: int | str) -> int:
        """Stop before the instruction at an address or symbol runs; returns the address."""
        addr = self.address_of(where)
        self.breakpoints.add(addr)
        self.space.forget_code(addr, 4)
        return addr

    def delete_breakpoint(self, where: int | str) -> None:
        addr = self.address_of(where)
        self.breakpoints.discard(addr)
        self.space.forget_code(addr, 4)

    def watch(self, addr: int | str, size: int = 8, kinds: str = "w") -> tuple[int, int, str]:
        """Stop after an instruction reads ("r"), writes ("w") or does either ("rw") any of
        `size` bytes at `addr` (an address or a symbol)."""
        if kinds not in WATCH_KINDS:
            raise ValueError(f"watch kinds are {', '.join(WATCH_KINDS)}, not {kinds!r}")
        watch = (self.address_of(addr), size, kinds)
        self.watchpoints.append(watch)
        self.space.watch([(a, a + s) for a, s, _ in self.watchpoints])
        return watch

    def delete_watch(self, addr: int | str, size: int | None = None,
                     kinds: str | None = None) -> None:
        """Remove the watchpoints at `addr` (those of that size and kinds, when given)."""
        addr = self.address_of(addr)
        self.watchpoints = [w for w in self.watchpoints if not (
            w[0] == addr and size in (None, w[1]) and kinds in (None, w[2]))]
        self.space.watch([(a, a + s) for a, s, _ in self.watchpoints])

    def observe(self, listener) -> None:
        """Tell `listener` what the guest does from now on, by calling those of its methods
        block_entered(pcs), instruction_retired(pc, state), memory_accessed(pc, addr, size,
        access), system_call(number, args, result) and thread_switched(tid) that it has
        (docs/api.md, "Observing a run"). Listening to the first three runs the guest on the
        reference engine; a machine nobody listens to runs as fast as before."""
        self.observers.add(listener)

    def unobserve(self, listener) -> None:
        """Stop telling `listener` (given to observe()) anything."""
        self.observers.remove(listener)

    def _observers_changed(self) -> None:
        observers = self.observers
        self.kernel.trace = functools.partial(observers.tell, "system_call") \
            if observers.system_call else None
        self._reference.observers_changed()

    def hook_syscall(self, name_or_number: str | int, fn: SyscallHook | None) -> None:
        """Call `fn(machine, a0, a1, a2, a3, a4, a5)` when the guest makes this system call;
        when it returns a number, that is the call's result and the kernel does not run it
        (None: the call runs as usual). fn=None removes the hook."""
        number = self.syscall_number(name_or_number)
        if fn is None:
            self._hooks.pop(number, None)
        else:
            self._hooks[number] = fn

    def syscall_number(self, name_or_number: str | int) -> int:
        if isinstance(name_or_number, int):
            return name_or_number
        number = self.kernel.numbers.get(name_or_number)
        if number is None:
            raise KeyError(f"no system call named {name_or_number!r}")
        return number

    def syscall_name(self, number: int) -> str:
        entry = self.kernel.table.get(number)
        return entry.name if entry else f"syscall_{number}"

    # ----------------------------------------------------------------- looking at it

    def _load_what_runs_later(self) -> None:
        """Load now what pyemu loads when it needs it (the compiled loop's machine code at
        tier-up, pyelftools and the mapped files' symbols for reports, the disassembler): the
        guest is about to drop root's privileges, after which they may be out of its reach."""
        tier_up_now = getattr(self.engine, "tier_up_now", None)
        if tier_up_now is not None:
            tier_up_now()
        self.symbolize(self.state.pc)
        self.disasm(self.state.pc)

    def symbolize(self, addr: int) -> str:
        """`main+0x10 (hello.c:12)`: the symbol, and the source line when the file has DWARF
        line information; the address in hex when no symbol covers it."""
        return self.symbols.describe(addr)

    def disasm(self, addr: int | str | None = None, n: int = 1) -> Listing:
        """`n` instructions from `addr` (an address or symbol; default pc)."""
        if self._disassembler is None:
            self._disassembler = Disassembler(self.state.xlen)
        addr = self.state.pc if addr is None else self.address_of(addr)
        listing = Listing()
        for _ in range(n):
            try:
                code = self.space.peek(addr, 4 if self.space.is_mapped(addr, 4) else 2)
            except GuestFault:
                break
            size, mnemonic, operands = self._disassembler.at(code)
            symbol = self.symbols.lookup(addr)
            listing.append(Instruction(addr, size, mnemonic, operands,
                                       str(symbol) if symbol else ""))
            addr += size
        return listing

    def describe_fault(self, fault: GuestSignal) -> str:
        where = f"pc {fault.pc:#x} ({self.symbols.describe(fault.pc, lines=False)})"
        if fault.cause in ACCESS_WORDS:
            return (f"guest killed by {fault.name} at {where}: "
                    f"{ACCESS_WORDS[fault.cause]} of address {fault.addr:#x}")
        if fault.cause == CAUSE_ILLEGAL_INSTRUCTION:
            return f"guest killed by {fault.name} at {where}: illegal instruction {fault.addr:#x}"
        return f"guest killed by {fault.name} at {where}"

    def __repr__(self) -> str:
        where = "exited with status " + str(self.exit.status) if self.exit else \
            f"stopped at {self.state.pc:#x} ({self.symbolize(self.state.pc)})"
        return f"<Machine {self.image.executable}: {where}, step {self.steps}>"

    # ----------------------------------------------------------------- snapshots, history

    def state_changed(self, journal: list | None = None) -> None:
        """The debugger changed registers, or memory (as `journal` says, see
        emulator/journal.py): the history records it before the machine runs on."""
        self.timeline.state_changed(journal)

    def snapshot(self, path: str | os.PathLike | None = None) -> Snapshot:
        """The whole process at this step (also written to `path` when given)."""
        return self.timeline.snapshot(path)

    def restore(self, snapshot: Snapshot | str | os.PathLike) -> None:
        """Bring back a snapshot (or one saved in a file). Open files are reopened where they
        were; the recorded history starts again from here."""
        self.timeline.restore(snapshot)

    def _control(self) -> dict:
        """The machine's own counters and flags, for a checkpoint."""
        scheduler = self.scheduler
        return {"retired": self.kernel.process.retired, "events": self._events,
                "exit": self.exit, "pending_fault": self._pending_fault,
                "slice_end": scheduler.slice_end, "turn_over": scheduler.turn_over,
                "slept": getattr(self.kernel.clock, "slept", None)}

    def _set_control(self, control: dict) -> None:
        """Counters and flags back as `_control` gave them (a checkpoint restored)."""
        self.kernel.process.retired = control["retired"]
        self._events = control["events"]
        self.exit = control["exit"]
        self._pending_fault = control["pending_fault"]
        self.scheduler.slice_end = control["slice_end"]
        self.scheduler.turn_over = control["turn_over"]
        if control.get("slept") is not None:
            self.kernel.clock.slept = control["slept"]


def make_engine(name: str, state: CpuState, mem: AddressSpace, tier_up: int | None = None,
                clock=None):
    """The fast (tiered) engine when numba is installed (noticed once otherwise), or the
    reference engine. `tier_up`: instructions before the fast engine's compiled loop takes
    over (None: its default); `clock`: what rdtime reads (None: the host's time)."""
    if name == "fast":
        if importlib.util.find_spec("numba") is None:
            print_error("numba is not installed: using the python engine")
        else:
            from .emulator.tiered import TieredEngine

            return TieredEngine(state, mem, clock, tier_up=tier_up)
    return PythonEngine(state, mem, clock)


def print_error(message: str) -> None:
    """One line on stderr; none when stderr is closed or broken (the guest may be why)."""
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            print(f"pyemu: {message}", file=sys.stderr, flush=True)


__all__ = ["CHECKPOINT_INTERVAL", "Exited", "GuestSignal", "HistoryStart", "Machine",
           "Snapshot", "default_sysroot"]
