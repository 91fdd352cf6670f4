"""The reference engine: one Python call per guest instruction.

Each instruction's semantic function is compiled once per XLEN from the ISA description, and
each decoded instruction is cached per address as (function, bound arguments, length). A store
into a page with cached code drops that page's entries, so self-modifying code stays correct.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Callable

import numpy as np

from . import semantics
from .cpu import (
    CAUSE_FETCH_PAGE_FAULT,
    CAUSE_ILLEGAL_INSTRUCTION,
    CAUSE_LOAD_PAGE_FAULT,
    CAUSE_STORE_PAGE_FAULT,
    DISCARD,
    INSTRET,
    PC,
    CpuState,
    Trap,
)
from .decoder import Decoded, Decoder, instruction_length
from .isa.base import Instruction
from .memory import PAGE_SHIFT, AddressSpace, GuestFault
from .stops import Stop, StopReason

FAULT_CAUSES = {"r": CAUSE_LOAD_PAGE_FAULT, "w": CAUSE_STORE_PAGE_FAULT, "x": CAUSE_FETCH_PAGE_FAULT}
MASK64 = (1 << 64) - 1

Entry = tuple[Callable, tuple, int]


def compile_semantics(insn: Instruction, helpers: dict) -> Callable:
    """The instruction's semantic function, compiled again with `helpers` (bound for an XLEN,
    see semantics.namespace) in place of the module's RV64 bindings."""
    source = textwrap.dedent(inspect.getsource(insn.semantics))
    lines = source.splitlines()
    while lines[0].startswith("@"):  # decorators may span several lines
        lines.pop(0)
        while not lines[0].startswith(("@", "def ")):
            lines.pop(0)
    namespace = dict(sys.modules[insn.semantics.__module__].__dict__)
    namespace.update(helpers)
    defined: dict[str, Callable] = {}  # kept apart, so the function cannot shadow a helper
    exec(compile(  # noqa: S102 - our own ISA source, compiled per XLEN
        "\n".join(lines), inspect.getsourcefile(insn.semantics), "exec"), namespace, defined)
    return defined[insn.semantics.__name__]


def writes_integer_rd(insn: Instruction) -> bool:
    return "X[rd]" in inspect.getsource(insn.semantics)


class PythonEngine:
    name = "python"

    def __init__(self, state: CpuState, mem: AddressSpace, clock: Callable[[], int] | None = None):
        self.state = state
        self.mem = mem
        self.xlen = state.xlen
        self.decoder = Decoder(self.xlen)
        self._helpers = semantics.namespace(self.xlen, clock or semantics.host_time)
        self._functions: dict[int, tuple[Callable, bool]] = {}
        # Working copies of the registers as Python ints, synced with `state` around runs.
        self.X: list[int] = [0] * 33
        self.F: list[int] = [0] * 32
        self.C: list[int] = [0] * len(state.ctrl)
        self._cache: dict[int, Entry] = {}
        self._cached_pages: dict[int, list[int]] = {}
        mem.code_write_listeners.append(self.invalidate_page)

    # ----------------------------------------------------------------- decode cache

    def invalidate_page(self, vpn: int) -> None:
        for pc in self._cached_pages.pop(vpn, ()):
            self._cache.pop(pc, None)

    def invalidate_all(self) -> None:
        self._cache.clear()
        self._cached_pages.clear()

    def _function(self, insn: Instruction) -> tuple[Callable, bool]:
        key = id(insn)
        if key not in self._functions:
            fn = compile_semantics(insn, self._helpers)
            self._functions[key] = (fn, writes_integer_rd(insn))
        return self._functions[key]

    def fetch(self, pc: int) -> Decoded:
        """Decode the instruction at pc; GuestFault if it cannot be fetched, Trap if illegal."""
        mem = self.mem
        word = mem.fetch16(pc)
        length = instruction_length(word)
        if length == 4:
            word |= mem.fetch16(pc + 2) << 16
        decoded = self.decoder.decode(word) if length else None
        if decoded is None:
            raise Trap(CAUSE_ILLEGAL_INSTRUCTION, word)
        return decoded

    def _entry(self, pc: int) -> Entry:
        decoded = self.fetch(pc)
        fn, integer_rd = self._function(decoded.insn)
        values = dict(decoded.ops)
        if integer_rd and values.get("rd") == 0:
            values["rd"] = DISCARD
        values.update(X=self.X, F=self.F, C=self.C, M=self.mem, pc=pc, ilen=decoded.length)
        entry = (fn, tuple(values[p] for p in decoded.insn.params), decoded.length)
        self._cache[pc] = entry
        for vpn in {pc >> PAGE_SHIFT, (pc + decoded.length - 1) >> PAGE_SHIFT}:
            if vpn not in self._cached_pages:
                self._cached_pages[vpn] = []
                self.mem.mark_code(vpn)
            self._cached_pages[vpn].append(pc)
        return entry

    # ----------------------------------------------------------------- execution

    def _load_state(self) -> None:
        self.X[:] = self.state.x.tolist()
        self.X[0] = 0
        self.F[:] = [v & MASK64 for v in self.state.f.tolist()]
        self.C[:] = self.state.ctrl.tolist()

    def _store_state(self, pc: int) -> None:
        self.state.x[:] = self.X
        self.state.x[DISCARD] = 0
        self.state.f[:] = np.array(self.F, dtype=np.uint64).view(np.int64)
        self.C[PC] = pc - (1 << 64) if pc >= 1 << 63 else pc
        self.state.ctrl[:] = self.C

    def run(self, max_insns: int) -> Stop:
        """Execute up to `max_insns` instructions from state.pc; returns why it stopped.

        On a trap, pc is left at the trapping instruction, which has not retired.
        """
        self._load_state()
        pc = self.state.pc
        cache = self._cache
        C = self.C
        start = C[INSTRET]
        limit = start + max_insns
        stop = Stop(StopReason.LIMIT)
        try:
            while C[INSTRET] < limit:
                entry = cache.get(pc)
                if entry is None:
                    entry = self._entry(pc)
                fn, args, length = entry
                target = fn(*args)
                C[INSTRET] += 1
                pc = pc + length if target is None else target
        except Trap as trap:
            stop = Stop(StopReason.TRAP, trap.cause, trap.tval)
        except GuestFault as fault:
            stop = Stop(StopReason.TRAP, FAULT_CAUSES[fault.access], fault.addr)
        finally:
            self.X[DISCARD] = 0
            self._store_state(pc)
        return stop
