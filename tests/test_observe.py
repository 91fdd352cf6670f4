"""The observation API (Machine.observe, emulator/observe.py) and the one DWARF line reader
(pyemu/symbols.py), each against an oracle:

- instructions retired and memory accessed: qemu-riscv64 single-stepping with `-d cpu`, which
  logs the pc and the registers before every instruction it runs; objdump says which of them
  are loads and stores, of what size, at which base register and offset;
- system calls: `qemu-riscv64 -strace` on the same program;
- thread switches: the threads `qemu-riscv64 -strace` sees created (clone calls);
- line tables: `objdump --dwarf=decodedline` on a program built with DWARF 5 and DWARF 4
  whose code comes from two source files (riscv64 addr2line 2.40 names the wrong file for
  DWARF 5: it is not the oracle here).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import GUEST_SOURCES, require_tool

from pyemu import Machine
from pyemu.symbols import ObjectFile

OBJDUMP = "riscv64-linux-gnu-objdump"
STACK_REACH = 1 << 20  # below the initial sp: the guest's stack frames
LOAD_STORE = re.compile(r"^(?P<kind>[ls])(?P<width>[bhwd])u?$")
ACCESS_SIZES = {"b": 1, "h": 2, "w": 4, "d": 8}


class Recorder:
    """A listener of every event, keeping what it is told."""

    def __init__(self) -> None:
        self.retired: list[int] = []
        self.accesses: list[tuple[int, int, int, str]] = []
        self.calls: list[tuple[int, tuple[int, ...], int | None]] = []
        self.switches: list[int] = []
        self.blocks = 0

    def instruction_retired(self, pc: int, state) -> None:
        self.retired.append(pc)

    def memory_accessed(self, pc: int, addr: int, size: int, access: str) -> None:
        self.accesses.append((pc, addr, size, access))

    def system_call(self, number: int, args: tuple[int, ...], result: int | None) -> None:
        self.calls.append((number, args, result))

    def thread_switched(self, tid: int) -> None:
        self.switches.append(tid)


class SystemCalls:
    """A listener of system calls only (the engine runs as it would unobserved): those made,
    and those returned."""

    def __init__(self) -> None:
        self.made: list[int] = []
        self.calls: list[tuple[int, int | None]] = []

    def system_call_made(self, number: int, args: tuple[int, ...]) -> None:
        self.made.append(number)

    def system_call(self, number: int, args: tuple[int, ...], result: int | None) -> None:
        self.calls.append((number, result))


class Signals:
    """A listener of faults and signal deliveries."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.faults: list[tuple[int, int, int]] = []
        self.delivered: list[tuple[int, int]] = []

    def instruction_faulted(self, pc: int, signum: int, addr: int) -> None:
        self.faults.append((pc, signum, addr))

    def signal_delivered(self, signum: int, handler: int) -> None:
        assert self.machine.state.pc == handler
        self.delivered.append((signum, handler))


def observed(program: Path, args: list[str], listener, engine: str) -> Machine:
    machine = Machine.load(str(program), [str(program), *args], {}, engine=engine,
                           record=False)
    machine.observe(listener)
    outcome = machine.run()
    assert machine.exit is not None, outcome
    return machine


def qemu_steps(qemu: str, program: Path, args: list[str], tmp_path: Path
               ) -> list[tuple[int, dict[str, int]]]:
    """(pc, integer registers by ABI name) before each instruction qemu runs."""
    log = tmp_path / "qemu.log"
    subprocess.run([qemu, "-singlestep", "-d", "cpu,nochain", "-D", str(log), str(program),
                    *args], check=False, capture_output=True, env={}, timeout=60)
    steps: list[tuple[int, dict[str, int]]] = []
    for line in log.read_text().splitlines():
        fields = line.split()
        if fields[:1] == ["pc"]:
            steps.append((int(fields[1], 16), {}))
        elif fields and fields[0].startswith("x") and "/" in fields[0] and steps:
            for name, value in zip(fields[::2], fields[1::2]):
                steps[-1][1][name.split("/")[1]] = int(value, 16)
    return steps


def objdump_instructions(program: Path) -> dict[int, tuple[str, str]]:
    """address -> (mnemonic, operands) of every instruction objdump disassembles."""
    listing = subprocess.run([require_tool(OBJDUMP), "-d", str(program)], check=True,
                             capture_output=True, text=True).stdout
    instructions = {}
    for line in listing.splitlines():
        match = re.match(r"^\s+([0-9a-f]+):\t[0-9a-f]+\s*\t(\S+)\s*(\S*)", line)
        if match:
            instructions[int(match.group(1), 16)] = (match.group(2), match.group(3))
    return instructions


@pytest.fixture(scope="module")
def freestanding(build_guest) -> Path:
    return build_guest("freestanding.c", opt="-O0", freestanding=True)


@pytest.mark.parametrize("args", [[], ["unknown"], ["exit", "7"]])
@pytest.mark.parametrize("engine", ["python", "fast"])
def test_instructions_retired_are_those_qemu_runs(freestanding, qemu, tmp_path, args, engine):
    """Every instruction qemu runs retires, in the same order, but the ecalls (a system call
    is an exception: its instruction does not retire)."""
    instructions = objdump_instructions(freestanding)
    expected = [pc for pc, _ in qemu_steps(qemu, freestanding, args, tmp_path)
                if instructions[pc][0] != "ecall"]
    recorder = Recorder()
    machine = observed(freestanding, args, recorder, engine)
    assert recorder.retired == expected
    assert machine.instructions == len(expected)


@pytest.mark.parametrize("args", [["unknown"], ["exit", "7"]])
def test_memory_accessed_as_qemus_registers_say(freestanding, qemu, tmp_path, args):
    """Each load and store, at the address its base register and offset make in qemu's run.
    Stack addresses differ between the two (each places the stack itself): those are compared
    relative to the initial sp, and the strings above the initial stack are not compared."""
    instructions = objdump_instructions(freestanding)
    steps = qemu_steps(qemu, freestanding, args, tmp_path)
    qemu_sp = steps[0][1]["sp"]
    expected = []
    for pc, registers in steps:
        mnemonic, operands = instructions[pc]
        kind = LOAD_STORE.match(mnemonic)
        if kind is None:
            continue
        offset, base = re.fullmatch(r"[^,]+,(-?\d+)\((\w+)\)", operands).groups()
        addr = (registers[base] + int(offset)) % (1 << 64)
        expected.append((pc, addr, ACCESS_SIZES[kind["width"]],
                         "r" if kind["kind"] == "l" else "w"))
    recorder = Recorder()
    machine = Machine.load(str(freestanding), [str(freestanding), *args], {}, engine="python",
                           record=False)
    our_sp = machine.state.get(2)
    machine.observe(recorder)
    machine.run()
    argument_words = 8 * (len(args) + 2)  # argc and argv[]: the same layout in both

    def placed(accesses, sp):
        for pc, addr, size, access in accesses:
            if sp - STACK_REACH <= addr < sp + argument_words:
                yield pc, ("stack", addr - sp), size, access
            elif sp <= addr < sp + STACK_REACH:
                yield pc, ("above the stack",), size, access
            else:
                yield pc, addr, size, access

    assert len(expected) > 20
    assert list(placed(recorder.accesses, our_sp)) == list(placed(expected, qemu_sp))


def qemu_strace(qemu: str, program: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """qemu's run with -strace (the log in its stderr); the program's output goes to a file,
    as pytest's capture sends the machine's (stdio buffers by the kind of file)."""
    with open(tmp_path / "stdout", "wb") as stdout:
        return subprocess.run([qemu, "-strace", str(program)], check=False, stdout=stdout,
                              stderr=subprocess.PIPE, text=True, env={}, cwd=tmp_path,
                              timeout=60)


@pytest.mark.parametrize("engine", ["python", "fast"])
def test_system_calls_are_those_qemu_strace_shows(build_guest, qemu, tmp_path, monkeypatch,
                                                  engine):
    """The calls a program makes, in order and by name, as qemu's -strace lists them: all of
    them made, and all but the exit_group, which never returns, returned. Each run makes its
    files in a directory of its own."""
    program = build_guest("files.c")
    (tmp_path / "qemu").mkdir()
    expected = re.findall(r"^\d+ (\w+)\(", qemu_strace(qemu, program, tmp_path / "qemu").stderr,
                          re.MULTILINE)
    monkeypatch.chdir(tmp_path)
    assert expected[-1] == "exit_group"
    listener = SystemCalls()
    machine = observed(program, [], listener, engine)
    assert [machine.syscall_name(number) for number, _ in listener.calls] == expected[:-1]
    assert [machine.syscall_name(number) for number in listener.made] == expected


@pytest.mark.parametrize("engine", ["python", "fast"])
@pytest.mark.parametrize("source", ["illegal_handler.c", "signals.c"])
def test_faults_and_deliveries_are_the_signals_qemu_strace_shows(build_guest, qemu, tmp_path,
                                                                 source, engine):
    """The signals qemu's -strace shows taken: the faults among them (those with an si_addr:
    an illegal instruction, an ebreak, bad loads and stores) at their si_addr, and each
    delivered, into a handler nm names on_*, but a last one the process dies of (qemu's exit
    status says which)."""
    program = build_guest(source)
    qemu_run = qemu_strace(qemu, program, tmp_path)
    taken = re.findall(r"^--- (SIG\w+) \{si_signo=\w+, (.*)\} ---$", qemu_run.stderr,
                       re.MULTILINE)
    numbers = [getattr(signal, name) for name, _ in taken]
    faults = [(number, int(fields.split("si_addr=")[1], 16))
              for number, (_, fields) in zip(numbers, taken) if "si_addr=" in fields]
    if qemu_run.returncode == -numbers[-1]:
        numbers.pop()
    assert faults and numbers
    listing = subprocess.run([require_tool("riscv64-linux-gnu-nm"), str(program)], check=True,
                             capture_output=True, text=True).stdout
    handlers = {int(address, 16) for address, name in
                re.findall(r"^([0-9a-f]+) [tT] (\w+)$", listing, re.MULTILINE)
                if name.startswith("on_")}
    machine = Machine.load(str(program), [str(program)], {}, engine=engine, record=False)
    listener = Signals(machine)
    machine.observe(listener)
    while machine.exit is None:
        machine.run()
    assert [(signum, addr) for _, signum, addr in listener.faults] == faults
    assert [signum for signum, _ in listener.delivered] == numbers
    assert {handler for _, handler in listener.delivered} <= handlers


def test_thread_switches_name_the_threads_created(build_guest, qemu, tmp_path):
    """The threads told to run are the main thread and those the clones made, as many as
    qemu sees created."""
    program = build_guest("threads.c")
    # (threads' lines may interleave: a clone's is not always at the start of one)
    created = len(re.findall(r"\d+ clone\(", qemu_strace(qemu, program, tmp_path).stderr))
    recorder = Recorder()
    machine = observed(program, [], recorder, "python")
    clone = machine.syscall_number("clone")
    children = {result for number, _, result in recorder.calls
                if number == clone and result is not None}
    assert len(children) == created > 0
    assert set(recorder.switches) == {machine.kernel.process.pid, *children}


def test_observing_a_run_underway_and_stopping(freestanding, qemu, tmp_path):
    """A listener added after some steps hears the rest; one removed hears no more."""
    instructions = objdump_instructions(freestanding)
    expected = [pc for pc, _ in qemu_steps(qemu, freestanding, [], tmp_path)
                if instructions[pc][0] != "ecall"]
    machine = Machine.load(str(freestanding), [str(freestanding)], {}, engine="python")
    machine.step(5)
    recorder = Recorder()
    machine.observe(recorder)
    machine.step(10)
    machine.unobserve(recorder)
    machine.run()
    assert recorder.retired == expected[5:15]
    with pytest.raises(TypeError):
        machine.observe(object())


def decoded_lines(program: Path) -> list[tuple[int, tuple[str, int] | None]]:
    """(address, (file name, line) or None at a sequence's end) of each row objdump decodes,
    in its order."""
    listing = subprocess.run([require_tool(OBJDUMP), "--dwarf=decodedline", str(program)],
                             check=True, capture_output=True, text=True).stdout
    rows = []
    for line in listing.splitlines():
        match = re.match(r"^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)", line)
        if match:
            name, number, address = match.groups()
            rows.append((int(address, 16), None if number == "-" else (name, int(number))))
    return rows


@pytest.mark.parametrize("dwarf", [4, 5])
def test_line_table_matches_objdump(build_guest, dwarf):
    program = build_guest("line_files.c", opt="-O0", extra=("-g", f"-gdwarf-{dwarf}"))
    rows = decoded_lines(program)
    assert {"line_files.c", "helpers.h"} <= {row[0] for _, row in rows if row}
    at_address: dict[int, tuple[str, int] | None] = {}
    for address, row in rows:  # the last row at an address describes it
        if row is not None or address not in at_address:
            at_address[address] = row
    ours = ObjectFile(str(program))
    assert {address: ours.line(address) for address in at_address} == at_address
    sources = {row[0] for row in ours._line_table().rows if row}
    assert str(GUEST_SOURCES / "line_files" / "helpers.h") in sources
    assert all(os.path.isabs(source) for source in sources)
