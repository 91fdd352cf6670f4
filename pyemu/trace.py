"""`pyemu --trace`: one line per step of the guest, on the reference engine.

    0x10632 twice                    c.addi sp, -0x20                 sp=0x3ffffff660

Each line shows the pc, the symbol and offset there, the instruction, and the registers it
wrote (integer, floating point and fcsr). A system call is one line (its result in a0);
signal deliveries, thread switches and faults get a line of their own starting with "---".
"""

from __future__ import annotations

from typing import TextIO

import numpy as np

from .emulator.cpu import ABI_NAMES, FP_ABI_NAMES
from .emulator.disassembly import Disassembler
from .emulator.memory import GuestFault
from .machine import Machine
from .stops import Limit, Signalled, StopEvent


class Tracer:
    def __init__(self, machine: Machine, out: TextIO):
        self.machine = machine
        self.out = out
        self._disassembler = Disassembler(machine.state.xlen)
        self._text: dict[tuple[int, bytes], str] = {}  # (pc, code) -> instruction text
        self._symbols: dict[int, str] = {}

    def run(self, max_insns: int | None = None) -> StopEvent:
        """Run to the end (or `max_insns` steps), writing a line per step."""
        m = self.machine
        end = None if max_insns is None else m.steps + max_insns
        while end is None or m.steps < end:
            state, tid, instructions = m.state, m.current_thread, m.instructions
            pc = state.pc
            x, f, fcsr = state.x.copy(), state.f.copy(), state.fcsr
            text = self._instruction(pc)
            if text == "ecall":
                text = f"ecall ({m.syscall_name(state.get(17))})"
            stop = m.step()
            if isinstance(stop, Signalled):
                self.out.write(f"--- {stop.name} at {pc:#x} (address {stop.addr:#x})\n")
                continue
            if m.current_thread != tid:
                self.out.write(f"--- thread {m.current_thread} runs\n")
            elif m.instructions > instructions or text.startswith("ecall "):
                self.out.write(f"{pc:#x} {self._symbol(pc):<24} {text:<32} "
                               f"{self._writes(state, x, f, fcsr)}".rstrip() + "\n")
            elif isinstance(stop, Limit):
                self.out.write(f"--- signal delivered: handler at {m.state.pc:#x} "
                               f"({self._symbol(m.state.pc)})\n")
            if not isinstance(stop, Limit):
                return stop
        return Limit(m.state.pc)

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

    def _writes(self, state, x: np.ndarray, f: np.ndarray, fcsr: int) -> str:
        """The registers whose value changed, as name=value."""
        changed = [f"{ABI_NAMES[i]}={state.get(i):#x}"
                   for i in np.flatnonzero(state.x[1:32] != x[1:32]) + 1]
        changed += [f"{FP_ABI_NAMES[i]}={state.get_f(i):#x}"
                    for i in np.flatnonzero(state.f != f)]
        if state.fcsr != fcsr:
            changed.append(f"fcsr={state.fcsr:#x}")
        return " ".join(changed)
