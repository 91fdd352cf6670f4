"""`pyemu --trace`: one line per step of the guest, written by a listener of the machine's run
(Machine.observe, emulator/observe.py); listening to instructions runs it on the reference
engine.

    0x10632 twice                    c.addi sp, -0x20                 sp=0x3ffffff660

Each line shows the pc, the symbol and offset there, the instruction, and the registers it
wrote (integer, floating point and fcsr). A system call is one line (its result in a0),
written when the guest goes on, as only then has the call done all it does (a handler it
made the thread enter shows in its registers); signal deliveries, thread switches and faults
get a line of their own starting with "---".
"""

from __future__ import annotations

from typing import TextIO

import numpy as np

from .emulator.cpu import ABI_NAMES, FP_ABI_NAMES, CpuState
from .emulator.disassembly import Disassembler
from .emulator.memory import GuestFault
from .machine import Machine
from .stops import signal_name


class Tracer:
    """Writes a line to `out` for each step of `machine`'s run from when it is made; finish()
    writes the line of a last system call (exit_group's), which no step follows."""

    def __init__(self, machine: Machine, out: TextIO):
        self.machine = machine
        self.out = out
        self._disassembler = Disassembler(machine.state.xlen)
        self._text: dict[tuple[int, bytes], str] = {}  # (pc, code) -> instruction text
        self._symbols: dict[int, str] = {}
        self._thread = machine.current_thread
        # A system call made, whose line waits for the call to be done: (pc, text, thread).
        self._call: tuple[int, str, int] | None = None
        self._remember(machine.state)
        machine.observe(self)

    # ------------------------------------------------------------------ the events

    def block_entered(self, pcs: tuple[int, ...]) -> None:
        self._write_call()  # (told before each instruction: the trace single-steps)

    def instruction_retired(self, pc: int, state: CpuState) -> None:
        self._write_step(pc, self._instruction(pc), state)
        self._remember(state)

    def system_call_made(self, number: int, args: tuple[int, ...]) -> None:
        self._write_call()
        self._call = (self.machine.state.pc, f"ecall ({self.machine.syscall_name(number)})",
                      self._thread)

    def instruction_faulted(self, pc: int, signum: int, addr: int) -> None:
        self._write_call()
        self.out.write(f"--- {signal_name(signum)} at {pc:#x} (address {addr:#x})\n")

    def signal_delivered(self, signum: int, handler: int) -> None:
        self._write_call()
        self.out.write(f"--- signal delivered: handler at {handler:#x} "
                       f"({self._symbol(handler)})\n")
        self._remember(self.machine.state)

    def thread_switched(self, tid: int) -> None:
        if self._call is not None and self._call[2] not in self.machine.threads:
            self._call = None  # the thread's exit: the switch is its line
        self._write_call(switching=True)
        if tid != self._thread:
            self.out.write(f"--- thread {tid} runs\n")
            self._thread = tid
        self._remember(self.machine.state)

    def finish(self) -> None:
        self._write_call()

    # ------------------------------------------------------------------ the lines

    def _write_call(self, switching: bool = False) -> None:
        """The line of the system call made last, now that the guest goes on (`switching`:
        to another thread, after the call's thread)."""
        if self._call is None:
            return
        pc, text, thread = self._call
        self._call = None
        running = self.machine.current_thread
        if switching or running == thread:
            self._write_step(pc, text, self._state)
        else:  # a forked child, which goes on as a thread of its own
            self.out.write(f"--- thread {running} runs\n")
            self._thread = running
        self._remember(self.machine.state)  # (a new program's after an execve)

    def _write_step(self, pc: int, text: str, state: CpuState) -> None:
        self.out.write(f"{pc:#x} {self._symbol(pc):<24} {text:<32} "
                       f"{self._writes(state)}".rstrip() + "\n")

    def _remember(self, state: CpuState) -> None:
        """The registers before the next step, to show which it writes."""
        self._state, self._x, self._f, self._fcsr = state, state.x.copy(), state.f.copy(), \
            state.fcsr

    def _instruction(self, pc: int) -> str:
        space = self.machine.space
        try:
            code = space.peek(pc, 4 if space.is_mapped(pc, 4) else 2)
        except GuestFault:
            return "(unmapped)"
        key = (pc, code)
        if key not in self._text:
            _, mnemonic, operands = self._disassembler.at(code)
            self._text[key] = f"{mnemonic} {operands}".rstrip()
        return self._text[key]

    def _symbol(self, pc: int) -> str:
        if pc not in self._symbols:
            symbol = self.machine.symbols.lookup(pc)
            self._symbols[pc] = str(symbol) if symbol else ""
        return self._symbols[pc]

    def _writes(self, state: CpuState) -> str:
        """The registers whose value changed since the last step, as name=value."""
        x, f = self._x, self._f
        changed = [f"{ABI_NAMES[i]}={state.get(i):#x}"
                   for i in np.flatnonzero(state.x[1:32] != x[1:32]) + 1]
        changed += [f"{FP_ABI_NAMES[i]}={state.get_f(i):#x}"
                    for i in np.flatnonzero(state.f != f)]
        if state.fcsr != self._fcsr:
            changed.append(f"fcsr={state.fcsr:#x}")
        return " ".join(changed)
