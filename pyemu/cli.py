"""`pyemu [options] PROGRAM [ARGS...]`: run a RISC-V Linux program like qemu-riscv64 does."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import sys
import time
import traceback
from collections import Counter
from typing import TextIO

from . import __version__

ENGINES = ("fast", "python")
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug of pyemu's, never the guest's status
EXIT_CANNOT_CREATE = 73  # EX_CANTCREAT: a --coverage/--profile file could not be written


def _listed(variable: str) -> list[str]:
    """The comma-separated items of an environment variable (qemu-user's QEMU_SET_ENV and
    QEMU_UNSET_ENV)."""
    return [item for item in os.environ.get(variable, "").split(",") if item]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pyemu",
        description="Run a RISC-V Linux ELF program (RV64) in a Python process virtual machine.",
        usage="pyemu [options] PROGRAM [ARGS...]",
    )
    p.add_argument("--version", action="version", version=f"pyemu {__version__}")
    p.add_argument("-L", dest="sysroot", metavar="DIR",
                   default=os.environ.get("QEMU_LD_PREFIX"),
                   help="look for the ELF interpreter in DIR (env QEMU_LD_PREFIX; default: "
                        "/usr/riscv64-linux-gnu when present)")
    p.add_argument("--root", metavar="DIR",
                   help="the guest sees DIR as / and reaches no file outside it (the program "
                        "and -L are host paths; its ELF interpreter is looked up in DIR)")
    p.add_argument("--read-only", action="store_true",
                   help="with --root: the guest cannot change anything below DIR (EROFS)")
    p.add_argument("-E", dest="set_env", metavar="VAR=VALUE", action="append",
                   default=_listed("QEMU_SET_ENV"),
                   help="set VAR in the guest's environment (env QEMU_SET_ENV: a comma list)")
    p.add_argument("-U", dest="unset_env", metavar="VAR", action="append",
                   default=_listed("QEMU_UNSET_ENV"),
                   help="remove VAR from the guest's environment (env QEMU_UNSET_ENV: a comma "
                        "list)")
    p.add_argument("-0", dest="argv0", metavar="ARGV0", default=os.environ.get("QEMU_ARGV0"),
                   help="the guest's argv[0] (env QEMU_ARGV0)")
    p.add_argument("--engine", choices=ENGINES,
                   default=os.environ.get("PYEMU_ENGINE", "fast"),
                   help="fast: numba-compiled (default); python: the reference interpreter "
                        "(env PYEMU_ENGINE)")
    # (emulator.cpu.VLENS, not imported here: it would load numpy before any option is read)
    p.add_argument("--vlen", type=int, choices=(128, 256, 512, 1024), default=128,
                   metavar="BITS",
                   help="the vector registers' length: 128 (default, as qemu's), 256, 512 "
                        "or 1024")
    p.add_argument("--max-insns", type=positive_count, metavar="N",
                   help="stop the guest after N instructions (exit status 124)")
    p.add_argument("--deterministic", action="store_true",
                   help="repeatable runs: time starts at 2024-01-01 and advances 1 ns per "
                        "instruction (sleeps skip ahead), random bytes come from the seed, "
                        "the pid is fixed")
    p.add_argument("--seed", type=int, metavar="N",
                   help="the seed of --deterministic (default 0; implies --deterministic)")
    p.add_argument("--max-memory", type=byte_count, metavar="BYTES",
                   help="the most memory the guest may map (suffixes K, M, G, T: powers of "
                        "1024); beyond it brk, mmap and mremap fail with ENOMEM")
    p.add_argument("--stats", action="store_true",
                   help="print instructions, blocks translated, system calls by name, time and "
                        "instructions/s on stderr at exit")
    p.add_argument("--trace", action="store_true",
                   help="one line per instruction on stderr: pc, symbol+offset, instruction, "
                        "registers written (runs on the python engine)")
    p.add_argument("--trace-file", metavar="FILE",
                   help="write the --trace lines to FILE instead of stderr")
    p.add_argument("--strace", action="store_true", default="QEMU_STRACE" in os.environ,
                   help="log each system call on stderr (env QEMU_STRACE)")
    p.add_argument("--report", metavar="FILE",
                   help="write a JSON summary at exit: status, signal, last pc and its symbol, "
                        "instructions (what the pytest plugin shows when a guest fails)")
    p.add_argument("--coverage", metavar="FILE",
                   help="write the program's source-line coverage to FILE in lcov format "
                        "(from its DWARF line tables: build it with -g)")
    p.add_argument("--profile", metavar="FILE",
                   help="write where the guest's instructions went, by function and call "
                        "stack, to FILE as a speedscope profile")
    p.add_argument("--profile-svg", metavar="FILE", help="the same as a flame graph (SVG)")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of pyemu errors")
    p.add_argument("-g", dest="gdb_port", metavar="PORT", type=int,
                   default=int(os.environ["QEMU_GDB"]) if os.environ.get("QEMU_GDB", "").isdigit()
                   else None,
                   help="wait for gdb on localhost:PORT (env QEMU_GDB; 0: any free port, "
                        "printed on stderr)")
    p.add_argument("--repl", action="store_true",
                   help="open a Python shell (IPython when installed) with the machine bound "
                        "to m, stopped at the entry point")
    p.add_argument("--break", dest="breaks", metavar="SYMBOL", action="append", default=[],
                   help="with --repl: run to SYMBOL (or an address) first")
    p.add_argument("--tier-up", type=int, metavar="N", default=os.environ.get("PYEMU_TIER_UP"),
                   help="instructions the fast engine runs on the python engine before it "
                        "loads its compiled loop (default 5000; 0: compiled from the start; "
                        "env PYEMU_TIER_UP)")
    p.add_argument("--warm-up", action="store_true",
                   help="compile the fast engine into its on-disk cache, then exit")
    p.add_argument("program", metavar="PROGRAM", nargs="?", help="the RISC-V ELF program")
    p.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER, help="its arguments")
    return p


def positive_count(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


BYTE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def byte_count(text: str) -> int:
    """A number of bytes, such as 4096, 512K, 64M or 2G."""
    number, suffix = text.rstrip("KMGTkmgt"), text[len(text.rstrip("KMGTkmgt")):].upper()
    if not number.isdigit() or suffix not in BYTE_SUFFIXES or not int(number):
        raise argparse.ArgumentTypeError(f"not a size in bytes (like 4096, 512K, 64M, 2G): "
                                         f"{text!r}")
    return int(number) * BYTE_SUFFIXES[suffix]


def initial_environment() -> dict[str, str]:
    """The environment pyemu was started with. os.environ is not it: Python's locale coercion
    (PEP 538) adds LC_CTYPE when LANG is C or unset, and the guest must not see that."""
    try:
        with open("/proc/self/environ", "rb") as f:
            entries = f.read().split(b"\0")
    except OSError:
        return dict(os.environ)
    env = {}
    for entry in entries:
        name, sep, value = entry.partition(b"=")
        if sep:
            env[os.fsdecode(name)] = os.fsdecode(value)
    return env


def guest_environment(options: argparse.Namespace) -> dict[str, str]:
    env = initial_environment()
    for assignment in options.set_env:
        name, _, value = assignment.partition("=")
        env[name] = value
    for name in options.unset_env:
        env.pop(name, None)
    return env


def main(argv: list[str] | None = None) -> int:
    # Until the guest runs (when SIGINT goes to it), Ctrl-C ends pyemu as it ends any
    # program: by the signal, not by a KeyboardInterrupt traceback from numba's import.
    # Inherited as ignored, it stays ignored (for the guest too).
    previous = signal.getsignal(signal.SIGINT)
    if previous != signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    pid = os.getpid()
    try:
        status = run(argv)
    finally:
        signal.signal(signal.SIGINT, previous)
    if os.getpid() != pid:
        # A guest's fork is a fork of pyemu. The interpreter's clean-up would walk the heap
        # it shares with its parent, copying it page by page: 0.8 s for each process a
        # shell starts. Nothing of the guest's is left in Python's buffers but these.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def run(argv: list[str] | None) -> int:
    arguments = parser()
    options = arguments.parse_args(argv)
    if options.engine not in ENGINES:  # argparse checks choices on the command line only
        arguments.error(f"PYEMU_ENGINE: invalid choice {options.engine!r} "
                        f"(choose from {', '.join(ENGINES)})")
    if options.warm_up:
        from .emulator.engine_fast import warm_up

        warm_up()
        return 0
    if options.program is None:
        arguments.error("the following arguments are required: PROGRAM")
    if options.breaks and not options.repl:
        arguments.error("--break needs --repl")
    if options.read_only and options.root is None:
        arguments.error("--read-only needs --root DIR")
    from .loader import LoadError
    from .machine import Machine, print_error
    from .trace import Tracer

    profiling = bool(options.profile or options.profile_svg)
    observing = profiling or bool(options.coverage)
    trace_file = None
    if options.trace_file is not None:
        try:  # closed by trace_output
            trace_file = open(options.trace_file, "w", buffering=1 << 16)  # noqa: SIM115
        except OSError as error:
            arguments.error(f"cannot write the trace file: {error}")
    guest_argv = [options.argv0 or options.program, *options.args]
    machine = observer = stats = None
    started = time.perf_counter()
    try:
        tracing = options.trace or options.trace_file is not None
        machine = Machine.load(options.program, guest_argv, guest_environment(options),
                               sysroot=options.sysroot,
                               engine="python" if observing or tracing else options.engine,
                               tier_up=options.tier_up, seed=seed(options), vlen=options.vlen,
                               record=options.repl or options.gdb_port is not None,
                               root=options.root, read_only=options.read_only)
        machine.kernel.process.memory_limit = options.max_memory
        if options.repl:
            from .repl import interact

            return interact(machine, options.breaks)
        if options.gdb_port is not None:
            return debug_with_gdb(machine, options.gdb_port)
        if observing:
            from .observe import Observer

            observer = Observer(machine, profile=profiling)
        if options.strace:
            machine.observe(StracePrinter(machine))
        stats = Stats(machine) if options.stats else None
        with machine.forwarding_host_signals(), trace_output(options, trace_file) as trace:
            tracer = None if trace is None else Tracer(machine, trace)
            outcome = run_to_the_end(machine, options.max_insns)
            if tracer is not None:
                tracer.finish()
        if machine.exit is None:
            print_error(f"stopped the guest after {options.max_insns} instructions "
                        f"(--max-insns), at pc {machine.state.pc:#x} "
                        f"({machine.symbolize(machine.state.pc)})")
            status = 124
        else:
            if outcome.fault is not None:
                print_error(machine.describe_fault(outcome.fault))
            if outcome.signal and machine.kernel.process.forked:
                die_by_signal(outcome.signal)  # the guest parent's wait must see the signal
            status = outcome.status
    except LoadError as error:
        print_error(str(error))
        return error.status
    except Exception as error:  # noqa: BLE001 - a bug of ours: one line, traceback on request
        print_error(f"{internal_error(machine, error)} "
                    "(run with --debug for the traceback; please report it)")
        if options.debug:
            traceback.print_exc()
        return EXIT_INTERNAL_ERROR
    if stats is not None:
        stats.write(time.perf_counter() - started)
    if options.report and machine is not None and not machine.kernel.process.forked:
        write_report(options.report, machine, status)
    if observer is not None and not machine.kernel.process.forked:
        try:
            write_observations(options, observer)
        except OSError as error:
            print_error(f"cannot write {error.filename}: {error.strerror}")
            return EXIT_CANNOT_CREATE
    return status


def debug_with_gdb(machine, port: int) -> int:
    """-g PORT: the gdb stub serves one connection; the guest's exit status."""
    from .gdbstub import listen, serve
    from .machine import print_error

    try:
        server = listen(port)
    except OSError as error:
        print_error(f"cannot wait for gdb on port {port}: {error.strerror}")
        return 1
    if port == 0:
        print_error(f"waiting for gdb on port {server.getsockname()[1]}")
    return serve(machine, server)


def run_to_the_end(machine, max_insns: int | None):
    """Run until the process exits or `max_insns` steps have run; faults stop a run before
    they are delivered, so it runs on."""
    from .stops import Signalled

    end = None if max_insns is None else machine.steps + max_insns
    outcome = machine.run(max_insns)
    while isinstance(outcome, Signalled):
        outcome = machine.run(None if end is None else end - machine.steps)
    return outcome


@contextlib.contextmanager
def trace_output(options: argparse.Namespace, trace_file: TextIO | None):
    """Where --trace lines go: the --trace-file, stderr, or nowhere (None) without tracing."""
    if trace_file is not None:
        with trace_file:
            yield trace_file
    else:
        yield sys.stderr if options.trace else None


def write_observations(options: argparse.Namespace, observer) -> None:
    for path, write in ((options.coverage, observer.write_coverage),
                        (options.profile, observer.write_profile),
                        (options.profile_svg, observer.write_flame_graph)):
        if path:
            write(path)


def write_report(path: str, machine, status: int) -> None:
    """The end of the run, for tools: a guest's fork children leave theirs unwritten."""
    pc = machine.state.pc
    summary = {"status": status, "signal": machine.exit.signal if machine.exit else 0,
               "pc": pc, "symbol": machine.symbolize(pc), "instructions": machine.instructions}
    with open(path, "w") as f:
        json.dump(summary, f)


def seed(options: argparse.Namespace) -> int | None:
    """The seed of a deterministic run, None for a run on the host's time and entropy."""
    if options.seed is not None:
        return options.seed
    return 0 if options.deterministic else None


def internal_error(machine, error: Exception) -> str:
    """What failed, and where: in which system call, or at which guest instruction."""
    from .syscalls.kernel import SyscallBug

    if machine is None:
        return f"internal error before the guest started: {type(error).__name__}: {error}"
    if isinstance(error, SyscallBug) and error.__cause__ is not None:
        cause = error.__cause__
        return (f"internal error in system call {error.name} ({error.number}) at pc "
                f"{error.pc:#x} ({machine.symbolize(error.pc)}): {type(cause).__name__}: {cause}")
    pc = machine.state.pc
    return (f"internal error at pc {pc:#x} ({machine.symbolize(pc)}), instruction "
            f"{instruction_at(machine, pc)}: {type(error).__name__}: {error}")


def instruction_at(machine, pc: int) -> str:
    """The instruction at pc, disassembled, with its encoding."""
    try:
        [instruction] = machine.disasm(pc)
        code = machine.space.peek(pc, instruction.size)
    except Exception:  # noqa: BLE001 - an unmapped pc, say: describe what there is
        return "(unreadable)"
    word = f"{int.from_bytes(code, 'little'):0{2 * instruction.size}x}"
    return f"{instruction.mnemonic} {instruction.operands}".strip() + f" ({word})"


def die_by_signal(signum: int) -> None:
    """End pyemu itself by the guest's signal, without a core file of pyemu's own."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if signum != signal.SIGKILL:  # whose action is always the default (Python refuses it)
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
    os.kill(os.getpid(), signum)


class Stats:
    """What --stats prints at exit: the system calls made, by name (counted as a listener of
    the machine's), and the machine's counters of instructions retired and blocks translated
    (counters, not events: counting instructions one by one would make the engine step)."""

    def __init__(self, machine):
        self.machine = machine
        self.system_calls: Counter[int] = Counter()
        machine.observe(self)

    def system_call_made(self, number: int, args: tuple[int, ...]) -> None:
        self.system_calls[number] += 1

    def write(self, seconds: float) -> None:
        machine, counts = self.machine, self.system_calls
        instructions = machine.instructions
        rate = instructions / seconds if seconds > 0 else 0.0
        print(f"pyemu: stats: instructions={instructions} seconds={seconds:.6f}",
              file=sys.stderr)
        print(f"pyemu: stats: instructions/s={rate:.0f} blocks={machine.blocks_translated} "
              f"syscalls={sum(counts.values())}", file=sys.stderr)
        by_name = sorted(counts.items(),
                         key=lambda item: (-item[1], machine.syscall_name(item[0])))
        if by_name:
            print("pyemu: stats: syscalls: " + " ".join(
                f"{machine.syscall_name(number)}={count}" for number, count in by_name),
                file=sys.stderr)


class StracePrinter:
    """Each call as strace shows it, after the thread's id (strace -f's), arguments decoded:
    a listener of the machine's system calls."""

    def __init__(self, machine):
        self.machine = machine

    def system_call(self, number: int, args: tuple[int, ...], result: int | None) -> None:
        from .syscalls import strace

        machine = self.machine
        entry = machine.kernel.table.get(number)
        name = entry.name if entry else f"syscall_{number}"
        print(f"{machine.current_thread} {strace.describe(machine.kernel, name, args, result)}",
              file=sys.stderr)
