"""The Python API: pyemu.Machine stopped, stepped (both ways), watched, hooked and restored.

The guest is tests/guests/inspect.c built with -g: it counts `counter` up to 5 in a loop that
calls twice(), prints "hello 20 5" and returns 20 % 7 = 6 (with "crash", it first stores to
address 16). Machines here run in-process on the python engine (quick to start); one test
runs the same breakpoints and watchpoints in the fast engine's compiled loop.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyemu.emulator.memory import (
    PROT_READ,
    PROT_WRITE,
    AddressSpace,
    GuestFault,
    WatchpointHit,
)

from pyemu import Machine
from pyemu.stops import Breakpoint, Exited, HistoryStart, Limit, Signalled, Watchpoint

SOURCE = Path(__file__).resolve().parent / "guests" / "inspect.c"
OUTPUT = b"hello 20 5\n"
STATUS = 6


def line_of(text: str) -> int:
    """The line number of the first line of inspect.c containing `text`."""
    for number, line in enumerate(SOURCE.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {SOURCE}")


@pytest.fixture(scope="module")
def guest(build_guest) -> Path:
    return build_guest("inspect.c", opt="-O0", extra=("-g",))


@pytest.fixture(scope="module")
def dynamic_guest(build_guest) -> Path:
    return build_guest("inspect.c", opt="-O0", extra=("-g",), static=False)


def load(path: Path, *args: str, **options) -> Machine:
    options.setdefault("engine", "python")
    return Machine.load(str(path), [str(path), *args], {"LANG": "C"}, **options)


def test_runs_to_the_exit_status(guest, capfd):
    m = load(guest)
    stop = m.run()
    assert isinstance(stop, Exited) and stop.reason == "exited"
    assert (stop.status, m.exit_status) == (STATUS, STATUS)
    assert capfd.readouterr().out.encode() == OUTPUT


def test_stopped_at_the_entry_point(guest):
    m = load(guest)
    assert m.regs.pc == m.image.entry == m.symbols["_start"]
    assert m.steps == 0 and m.exit_status is None
    assert m.mem.read_int(m.regs.sp) == 1  # argc


def test_registers_by_name_number_and_index(guest):
    m = load(guest)
    m.regs.a0 = 0x1234
    assert m.regs["a0"] == m.regs[10] == m.regs.x[10] == m.regs.x10 == 0x1234
    m.regs["s1"] = -1
    assert m.regs.s1 == (1 << 64) - 1  # unsigned XLEN-bit values
    m.regs.x[0] = 7
    assert m.regs.zero == 0
    m.regs.fa0 = 0x4000000000000000  # 2.0
    assert m.regs.f[10] == m.regs["f10"] == 0x4000000000000000
    assert m.regs.f.double(10) == 2.0
    m.regs.frm = 2
    m.regs.fflags = 1
    assert m.regs.fcsr == (2 << 5) | 1
    with pytest.raises(AttributeError):
        _ = m.regs.nonsense


def test_breakpoint_at_a_symbol_and_its_removal(guest, capfd):
    m = load(guest)
    main = m.breakpoint("main")
    stop = m.run()
    assert stop == Breakpoint(main) and m.regs.pc == main
    twice = m.breakpoint("twice")
    assert m.run() == Breakpoint(twice)
    for _ in range(4):  # twice() is called five times
        assert isinstance(m.run(), Breakpoint)
    m.delete_breakpoint("twice")
    assert m.run() == Exited(STATUS)
    assert capfd.readouterr().out.encode() == OUTPUT


def test_symbols_and_source_lines(guest):
    m = load(guest)
    twice = m.symbols["twice"]
    assert "main" in m.symbols and "counter" in m.symbols
    assert m.symbols.lookup(twice + 4).name == "twice"
    m.breakpoint("twice")
    m.run()
    text = m.symbolize(m.regs.pc)
    match = re.fullmatch(r"twice \(inspect\.c:(\d+)\)", text)
    assert match, text
    assert line_of("long twice(long x)") <= int(match.group(1)) <= line_of("return 2 * x;")
    m.step(4)
    match = re.fullmatch(r"twice\+0x[0-9a-f]+ \(inspect\.c:(\d+)\)", m.symbolize(m.regs.pc))
    assert match, m.symbolize(m.regs.pc)
    assert m.symbolize(0x10) == "0x10"


def test_step_counts_and_stepping_back_restores_everything(guest):
    m = load(guest)
    m.breakpoint("main")
    m.run()
    before = (m.steps, m.regs.dict(), m.mem.read(m.regs.sp - 256, 512))
    assert m.step(50) == Limit(m.regs.pc)
    assert m.steps == before[0] + 50
    assert m.step(-50) == Limit(m.regs.pc)
    assert (m.steps, m.regs.dict(), m.mem.read(m.regs.sp - 256, 512)) == before


def test_a_system_call_is_one_step_and_replays_without_running_again(guest, capfd):
    m = load(guest)
    write = m.syscall_number("write")
    m.breakpoint("write")
    m.run()
    while m.disasm()[0].mnemonic != "ecall":
        m.step()
    assert m.regs.a7 == write
    at_ecall = m.steps
    m.step()
    assert m.steps == at_ecall + 1 and m.regs.a0 == len(OUTPUT)
    assert capfd.readouterr().out.encode() == OUTPUT
    m.step(-1)
    assert m.steps == at_ecall and m.disasm()[0].mnemonic == "ecall"
    assert m.run() == Exited(STATUS)
    assert capfd.readouterr().out == ""  # the write happened once, in the recorded past
    assert m.syscall_counts[write] == 1


def test_write_watchpoint_stops_after_each_store(guest):
    m = load(guest)
    counter = m.symbols["counter"]
    m.watch("counter", 8, "w")
    values = []
    while isinstance(stop := m.run(), Watchpoint):
        assert (stop.access, stop.addr, stop.size) == ("w", counter, 8)
        assert m.symbolize(stop.pc).startswith("main+")
        assert m.regs.pc != stop.pc  # the store has run
        values.append(m.mem.read_int(counter))
    assert values == [1, 2, 3, 4, 5]
    assert stop == Exited(STATUS)


def test_read_watchpoint_ignores_writes(guest):
    m = load(guest)
    m.watch("counter", 8, "r")
    reads = 0
    while isinstance(stop := m.run(), Watchpoint):
        assert stop.access == "r"
        reads += 1
    assert reads == 6  # counter + 1 five times, then the printf argument
    assert stop == Exited(STATUS)


def test_reverse_continue_to_watchpoints_and_breakpoints(guest):
    m = load(guest)
    counter = m.symbols["counter"]
    m.breakpoint("twice")
    for _ in range(3):
        m.run()
    m.watch(counter, 8, "rw")
    stop = m.run(reverse=True)  # back to before the store of 3, in the third iteration
    assert isinstance(stop, Watchpoint) and stop.access == "w" and m.regs.pc == stop.pc
    assert m.mem.read_int(counter) == 2
    m.delete_watch(counter)
    assert m.run(reverse=True) == Breakpoint(m.symbols["twice"])  # the second call
    assert m.run(reverse=True) == Breakpoint(m.symbols["twice"])
    assert isinstance(m.run(reverse=True), HistoryStart)
    assert m.steps == 0 and m.regs.pc == m.image.entry
    m.delete_breakpoint("twice")
    assert m.run() == Exited(STATUS)


def test_back_to_the_start_and_forward_again(guest, capfd):
    m = load(guest)
    m.watch("counter", 8, "w")
    assert isinstance(m.run(), Watchpoint)
    m.delete_watch("counter")
    assert m.run() == Exited(STATUS)
    assert capfd.readouterr().out.encode() == OUTPUT
    assert isinstance(m.run(reverse=True), HistoryStart) and m.steps == 0
    assert m.run() == Exited(STATUS)  # replayed: the same end, the output not repeated
    assert capfd.readouterr().out == ""


def test_editing_the_past_replaces_the_future(guest, capfd):
    m = load(guest)
    m.breakpoint("printf")
    m.run()
    m.step(-3)
    m.mem.write(m.symbols["message"], b"howdy")
    m.delete_breakpoint("printf")
    assert m.run() == Exited(STATUS)
    assert capfd.readouterr().out.encode() == b"howdy 20 5\n"


def test_fault_stops_before_the_signal_is_delivered(guest):
    m = load(guest, "crash")
    stop = m.run()
    assert isinstance(stop, Signalled) and stop.name == "SIGSEGV" and stop.addr == 16
    assert m.regs.pc == stop.pc and m.pending_signal == stop
    assert m.symbolize(stop.pc).endswith(f"(inspect.c:{line_of('*(volatile int *)16')})")
    end = m.run()
    assert (end.status, end.signal, end.fault.addr) == (128 + 11, 11, 16)


def test_hook_replaces_a_system_call(guest, capfd):
    m = load(guest)
    written = []

    def capture(machine, fd, buf, count, *_):
        written.append((fd, machine.mem.read(buf, count)))
        return count  # done: the kernel does not run it

    m.hook_syscall("write", capture)
    assert m.run() == Exited(STATUS)
    assert written == [(1, OUTPUT)]
    assert capfd.readouterr().out == ""


def test_snapshot_restore_in_memory_and_from_a_file(guest, tmp_path, capfd):
    m = load(guest)
    m.breakpoint("twice")
    m.run()
    m.run()
    snapshot = m.snapshot(tmp_path / "at-second-call")
    steps, registers = m.steps, m.regs.dict()
    assert m.run() == Breakpoint(m.symbols["twice"])
    m.restore(snapshot)
    assert (m.steps, m.regs.dict(), m.mem.read_int(m.symbols["counter"])) == (steps, registers, 2)
    other = load(guest)
    other.restore(tmp_path / "at-second-call")
    assert (other.steps, other.regs.dict()) == (steps, registers)
    assert other.run() == Exited(STATUS)
    assert capfd.readouterr().out.encode() == OUTPUT


def test_disassembly(guest):
    m = load(guest)
    listing = m.disasm("twice", 3)
    assert len(listing) == 3
    assert listing[0].address == m.symbols["twice"] and listing[0].symbol == "twice"
    assert listing[1].address == listing[0].address + listing[0].size
    assert str(listing).splitlines()[0].startswith(f"{m.symbols['twice']:#x} <twice>: ")
    assert "ecall" in str(m.disasm("_exit", 20))


def test_memory_maps_and_shared_library_symbols(dynamic_guest, capfd):
    m = load(dynamic_guest)
    m.breakpoint("main")
    m.run()
    names = {Path(r.name).name for r in m.mem.maps()}
    assert {"libc.so.6", "[stack]", dynamic_guest.name} <= names
    printf = m.symbols["printf"]
    libc = next(r for r in m.mem.maps() if r.name.endswith("libc.so.6") and r.prot & 4)
    assert libc.start <= printf < libc.end
    m.breakpoint(printf)
    assert m.run() == Breakpoint(printf)
    assert m.mem.read_string(m.regs.a0) == b"%s %ld %ld\n"
    assert m.symbolize(m.regs.ra).startswith("main+")
    m.delete_breakpoint(printf)
    assert m.run() == Exited(STATUS)
    assert capfd.readouterr().out.encode() == OUTPUT


def test_breakpoints_and_watchpoints_in_the_compiled_loop(guest, capfd):
    m = load(guest, engine="fast", tier_up=0)
    m.breakpoint("twice")
    m.watch("counter", 8, "w")
    stops = []
    while not isinstance(stop := m.run(), Exited):
        stops.append(stop.reason)
    assert stops == ["watchpoint", "breakpoint"] * 5
    assert stop == Exited(STATUS)
    assert capfd.readouterr().out.encode() == OUTPUT


def test_watched_pages_keep_their_protection_through_mprotect_and_mmap():
    """A watched page's read/write bits are hidden from the TLBs and the compiled loop's page
    walk, yet its real protection still rules the guest's accesses."""
    space = AddressSpace()
    space.map(0x10000, 0x2000, PROT_READ | PROT_WRITE)
    space.watch([(0x10008, 0x10010)])
    with pytest.raises(WatchpointHit):
        space.store(0x10008, 8, 1)
    space.store(0x10100, 8, 2)  # the same page, outside the range: no hit
    assert space.load(0x10100, 8, False) == 2 and 0x10 not in space.write_tlb
    space.protect(0x10000, 0x1000, PROT_READ)
    with pytest.raises(GuestFault):
        space.store(0x10100, 8, 3)  # read-only now, watched or not
    space.watch([])
    assert space.pte(0x10) & (PROT_READ | PROT_WRITE) == PROT_READ
    space.watch([(0x11000, 0x11008)])
    space.map(0x11000, 0x1000, PROT_READ | PROT_WRITE)  # mapped again: still watched
    with pytest.raises(WatchpointHit):
        space.load(0x11000, 8, False)
    space.watches.log = []
    assert space.load(0x11000, 8, False) == 0
    assert space.watches.log == [(0x11000, 8, "r")]
