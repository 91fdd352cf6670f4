"""The reference engine: Python, from the ISA description, instruction by instruction.

Runs of instructions up to a control transfer are translated into one Python function each,
the semantic functions' bodies inlined with their operands as constants; near the end of a
budget (stepping, tracing) single instructions run through their semantic function, compiled
once per XLEN and cached per address with bound arguments. A store into a page with cached
code drops that page's blocks and entries, so self-modifying code stays correct.
"""

from __future__ import annotations

import ast
import bisect
import inspect
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

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
from .inline import inline_statements
from .isa import rv_a, rv_c, rv_fd, rv_i, rv_m, rv_zicsr
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


def block_namespace(helpers: dict) -> dict:
    """Globals of translated blocks: every ISA module's own helpers, then the XLEN-bound ones."""
    namespace: dict = {}
    for module in (rv_i, rv_m, rv_a, rv_fd, rv_c, rv_zicsr):
        namespace.update(vars(module))
    namespace.update(helpers)
    return namespace


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
        self._blocks: dict[int, Block] = {}
        self._heat: dict[int, int] = {}  # visits of addresses not yet translated
        self._cached_pages: dict[int, list[int]] = {}
        self._block_namespace = block_namespace(self._helpers)
        mem.code_write_listeners.append(self.invalidate_page)

    # ----------------------------------------------------------------- decode cache

    def invalidate_page(self, vpn: int) -> None:
        for pc in self._cached_pages.pop(vpn, ()):
            self._cache.pop(pc, None)
            self._blocks.pop(pc, None)

    def invalidate_all(self) -> None:
        self._cache.clear()
        self._blocks.clear()
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
            self._remember_code(vpn, pc)
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

        Whole blocks run while the budget allows, single instructions after that. On a trap,
        pc is left at the trapping instruction, which has not retired.
        """
        self._load_state()
        pc = self.state.pc
        blocks = self._blocks
        heat = self._heat
        cache = self._cache
        X, F, C, M = self.X, self.F, self.C, self.mem
        limit = C[INSTRET] + max_insns
        stop = Stop(StopReason.LIMIT)
        block = None
        try:
            while True:
                remaining = limit - C[INSTRET]
                if remaining <= 0:
                    break
                block = blocks.get(pc)
                if block is None and remaining >= BLOCK_LIMIT:
                    visits = heat[pc] = heat.get(pc, 0) + 1
                    if visits >= HOT_VISITS:
                        block = self._block(pc)
                if block is not None and block.length <= remaining:
                    pc = block.run(X, F, C, M)
                    continue
                block = None
                fn, args, length = cache.get(pc) or self._entry(pc)
                target = fn(*args)
                C[INSTRET] += 1
                pc = pc + length if target is None else target
        except (Trap, GuestFault) as exc:
            if block is not None and block.pcs[0] == pc:
                done = block.retired_before(exc.__traceback__)
                C[INSTRET] += done
                pc = block.pcs[done]
            if isinstance(exc, Trap):
                stop = Stop(StopReason.TRAP, exc.cause, exc.tval)
            else:
                stop = Stop(StopReason.TRAP, FAULT_CAUSES[exc.access], exc.addr)
        finally:
            self.X[DISCARD] = 0
            self._store_state(pc)
        return stop

    # ----------------------------------------------------------------- block translation

    def _block(self, pc: int) -> Block:
        """Translate the instructions from pc to the next control transfer into one Python
        function with the operands as constants. A fault fetching the first one propagates."""
        decoded = [self.fetch(pc)]
        pcs = [pc]
        vpn = pc >> PAGE_SHIFT
        while len(decoded) < BLOCK_LIMIT and decoded[-1].insn.name not in CONTROL_TRANSFERS:
            next_pc = pcs[-1] + decoded[-1].length
            if next_pc >> PAGE_SHIFT != vpn:
                break
            try:
                decoded.append(self.fetch(next_pc))
            except (Trap, GuestFault):
                break  # raised again, at its own pc, when execution reaches it
            pcs.append(next_pc)
        block = translate_block(decoded, pcs, self._block_namespace)
        self._blocks[pc] = block
        last = pcs[-1] + decoded[-1].length - 1
        for page in {vpn, last >> PAGE_SHIFT}:
            self._remember_code(page, pc)
        return block

    def _remember_code(self, vpn: int, pc: int) -> None:
        if vpn not in self._cached_pages:
            self._cached_pages[vpn] = []
            self.mem.mark_code(vpn)
        self._cached_pages[vpn].append(pc)


CONTROL_TRANSFERS = {"jal", "jalr", "beq", "bne", "blt", "bge", "bltu", "bgeu", "ecall", "ebreak",
                     "fence.i"}
BLOCK_LIMIT = 32
# Translating a block costs about as much as running its instructions a few hundred times one
# by one: only code reached this often is translated (a glibc hello runs mostly cold code).
HOT_VISITS = 16


@dataclass
class Block:
    """A translated run of instructions; `run(X, F, C, M)` returns the next pc."""

    run: Callable
    pcs: list[int]
    first_lines: list[int]  # the first source line of each instruction
    length: int = 0  # instructions

    def __post_init__(self) -> None:
        self.length = len(self.pcs)

    def retired_before(self, traceback: TracebackType | None) -> int:
        """How many instructions of this block retired before the one that raised."""
        code = self.run.__code__
        line = None
        while traceback is not None:
            if traceback.tb_frame.f_code is code:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        if line is None:
            return 0
        return bisect.bisect_right(self.first_lines, line) - 1


def translate_block(decoded: list[Decoded], pcs: list[int], namespace: dict) -> Block:
    count = len(decoded)
    # The helpers the block calls become defaults of its parameters: local lookups are faster.
    helpers = sorted(name for name in ("sx", "ux", "sx32", "ltu") if name in namespace)
    lines = [f"def block(X, F, C, M, {', '.join(f'{h}={h}' for h in helpers)}):"]
    first_lines = []

    def retire_and_return(value: ast.expr) -> list[ast.stmt]:
        return [ast.parse(f"C[{INSTRET}] += {count}").body[0], ast.Return(value)]

    for index, (instruction, pc) in enumerate(zip(decoded, pcs)):
        constants = dict(instruction.ops, pc=pc, ilen=instruction.length)
        if writes_integer_rd(instruction.insn) and constants.get("rd") == 0:
            constants["rd"] = DISCARD
        statements = inline_statements(instruction.insn, f"i{index}_", retire_and_return,
                                       constants)
        first_lines.append(len(lines) + 1)
        source = ast.unparse(ast.fix_missing_locations(ast.Module(statements, [])))
        lines += [f"    {line}" for line in source.splitlines() or ["pass"]]
    lines += [f"    C[{INSTRET}] += {count}",
              f"    return {pcs[-1] + decoded[-1].length}"]
    code = compile("\n".join(lines), f"<pyemu block {pcs[0]:#x}>", "exec")
    defined: dict[str, Callable] = {}
    exec(code, namespace, defined)  # noqa: S102 - generated from our own ISA description
    return Block(defined["block"], pcs, first_lines)
