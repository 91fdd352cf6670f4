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
import functools
import inspect
import sys
import types
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
from .isa import all_instructions
from .isa.base import Instruction
from .memory import PAGE_SHIFT, AddressSpace, GuestFault, WatchpointHit
from .observe import ObservedMemory, Observers
from .stops import Stop, StopReason

FAULT_CAUSES = {"r": CAUSE_LOAD_PAGE_FAULT, "w": CAUSE_STORE_PAGE_FAULT, "x": CAUSE_FETCH_PAGE_FAULT}
MASK64 = (1 << 64) - 1

Entry = tuple[Callable, tuple, int]


def bind_semantics(insn: Instruction, helpers: dict) -> Callable:
    """The instruction's semantic function with `helpers` (bound for an XLEN, see
    semantics.namespace) in place of its module's RV64 bindings: the same code object over
    other globals, so nothing is parsed or compiled again."""
    fn = insn.semantics
    return types.FunctionType(fn.__code__, {**vars(sys.modules[fn.__module__]), **helpers},
                              fn.__name__, fn.__defaults__, fn.__closure__)


def block_namespace(helpers: dict, mem: AddressSpace) -> dict:
    """Globals of translated blocks: every ISA module's own helpers, then the XLEN-bound ones,
    and the address space's TLB dictionaries (RT, WT) for inlined accesses."""
    namespace: dict = {}
    modules = dict.fromkeys(sys.modules[i.semantics.__module__] for i in all_instructions()
                            if i.semantics)
    for module in modules:
        namespace.update(vars(module))
    namespace.update(helpers)
    namespace.update(RT=mem.read_tlb, WT=mem.write_tlb)
    return namespace


def writes_integer_rd(insn: Instruction) -> bool:
    """Whether rd names an integer register (then x0 as rd writes the discard slot)."""
    return _source_writes_x_rd(insn.semantics)


@functools.cache
def _source_writes_x_rd(semantics: Callable) -> bool:
    return "X[rd]" in inspect.getsource(semantics)


class PythonEngine:
    name = "python"

    def __init__(self, state: CpuState, mem: AddressSpace, clock: Callable[[], int] | None = None):
        self.state = state
        self.mem = mem
        self.xlen = state.xlen
        self.decoder = Decoder(self.xlen)
        self.hot_visits = HOT_VISITS  # visits of a pc before its block is translated
        self._helpers = semantics.namespace(self.xlen, clock or semantics.host_time)
        self._functions: dict[int, tuple[Callable, bool]] = {}
        # Working copies of the registers as Python ints, synced with `state` around runs.
        self.X: list[int] = [0] * 33
        self.F: list[int] = [0] * 32
        self.C: list[int] = [0] * len(state.ctrl)
        # The vector registers, bytes of v0..v31 (one object for the engine's life: entries
        # and blocks hold it; each run copies the running hart's in and out).
        self.V = bytearray(state.v.size)
        self._cache: dict[int, Entry] = {}
        self._blocks: dict[int, Block] = {}
        self._heat: dict[int, int] = {}  # visits of addresses not yet translated
        self._cached_pages: dict[int, list[int]] = {}
        self._block_namespace = block_namespace(self._helpers, mem)
        self._block_namespace["V"] = self.V
        # Superblocks run only part of their instructions when they leave at a branch, and
        # loop: listeners to blocks entered (coverage) turn them off.
        self.superblocks = True
        self.observers = Observers()
        self._observed_memory: ObservedMemory | None = None
        mem.code_write_listeners.append(self.invalidate_page)
        # Addresses where runs stop before executing (a debugger's breakpoints): their cache
        # entries stop instead, and blocks end before them. Changing the set needs the pages
        # dropped (AddressSpace.forget_code). The one at passing_breakpoint runs once.
        self.breakpoints: set[int] = set()
        self.passing_breakpoint: int | None = None
        self.blocks_translated = 0

    def switch(self, state: CpuState) -> None:
        """Run another hart's registers (a thread) over the same memory and caches."""
        self.state = state

    def observe(self, observers: Observers) -> None:
        """Tell `observers`' listeners what runs (emulator/observe.py), from now on; call
        observers_changed() when its listeners change."""
        self.observers = observers
        self.observers_changed()

    def observers_changed(self) -> None:
        """Units of code are prepared for the listeners of the time: prepare them again."""
        observers = self.observers
        self.superblocks = not observers.block_entered
        self._observed_memory = ObservedMemory(self.mem, observers.memory_accessed) \
            if observers.memory_accessed else None
        self.invalidate_all()

    def _entered(self, run: Callable, pcs: list[int]) -> Callable:
        """`run`, telling the block listeners first that the unit of `pcs` is entered."""
        listeners, unit = tuple(self.observers.block_entered), tuple(pcs)

        def entered(*args):
            for listen in listeners:
                listen(unit)
            return run(*args)

        return entered

    # ----------------------------------------------------------------- decode cache

    def invalidate_page(self, vpn: int) -> None:
        for pc in self._cached_pages.pop(vpn, ()):
            self._cache.pop(pc, None)
            block = self._blocks.pop(pc, None)
            if block is not None:
                block.alive.clear()

    def invalidate_all(self) -> None:
        self._cache.clear()
        for block in self._blocks.values():
            block.alive.clear()
        self._blocks.clear()
        self._cached_pages.clear()

    def _function(self, insn: Instruction) -> tuple[Callable, bool]:
        key = id(insn)
        if key not in self._functions:
            fn = bind_semantics(insn, self._helpers)
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
        values.update(X=self.X, F=self.F, C=self.C, V=self.V, M=self._observed_memory or self.mem,
                      pc=pc, ilen=decoded.length)
        if self.observers.block_entered:
            fn = self._entered(fn, [pc])
        entry = (fn, tuple(values[p] for p in decoded.insn.params), decoded.length)
        if pc in self.breakpoints:
            entry = self._stopping(pc, entry)
        self._cache[pc] = entry
        for vpn in {pc >> PAGE_SHIFT, (pc + decoded.length - 1) >> PAGE_SHIFT}:
            self._remember_code(vpn, pc)
        return entry

    def _stopping(self, pc: int, entry: Entry) -> Entry:
        """The entry of a breakpoint: it stops before the instruction, unless it is the one
        being passed."""
        fn, args, length = entry

        def stop_or_run(*args):
            if self.passing_breakpoint != pc:
                raise BreakpointReached
            self.passing_breakpoint = None
            return fn(*args)

        return stop_or_run, args, length

    # ----------------------------------------------------------------- execution

    def _load_state(self) -> None:
        self.X[:] = self.state.x.tolist()
        self.X[0] = 0
        self.F[:] = [v & MASK64 for v in self.state.f.tolist()]
        self.C[:] = self.state.ctrl.tolist()
        self.V[:] = self.state.v.data

    def _store_state(self, pc: int) -> None:
        self.state.x[:] = self.X
        self.state.x[DISCARD] = 0
        self.state.f[:] = np.array(self.F, dtype=np.uint64).view(np.int64)
        self.C[PC] = pc - (1 << 64) if pc >= 1 << 63 else pc
        self.state.ctrl[:] = self.C
        self.state.v[:] = np.frombuffer(self.V, dtype=np.uint8)

    def run(self, max_insns: int) -> Stop:
        """Execute up to `max_insns` instructions from state.pc; returns why it stopped.

        Whole blocks run while the budget allows, single instructions after that. On a trap,
        pc is left at the trapping instruction, which has not retired.
        """
        if self.observers.stepping:
            return self._run_stepping(max_insns)
        self._load_state()
        pc = self.state.pc
        blocks = self._blocks
        heat = self._heat
        cache = self._cache
        X, F, C, M = self.X, self.F, self.C, self.mem
        limit = C[INSTRET] + max_insns
        no_overrun = limit - BLOCK_LIMIT  # below it, any block fits in what is left
        stop = Stop(StopReason.LIMIT)
        block = None
        try:
            while True:
                while C[INSTRET] <= no_overrun:  # the common case, with the fewest checks
                    block = blocks.get(pc)
                    if block is None:
                        break
                    pc = block.run(X, F, C, M, limit)
                remaining = limit - C[INSTRET]
                if remaining <= 0:
                    break
                block = blocks.get(pc)
                if block is None and remaining >= BLOCK_LIMIT:
                    visits = heat[pc] = heat.get(pc, 0) + 1
                    if visits >= self.hot_visits:
                        block = self._block(pc)
                if block is not None and block.length <= remaining:
                    pc = block.run(X, F, C, M, limit)
                    continue
                block = None
                fn, args, length = cache.get(pc) or self._entry(pc)
                target = fn(*args)
                C[INSTRET] += 1
                pc = pc + length if target is None else target
        except STOPPING as exc:
            if block is not None and block.pcs[0] == pc:
                done = block.retired_before(exc.__traceback__)
                C[INSTRET] += done
                pc = block.pcs[done]
            stop = _stop_for(exc)
        finally:
            self.X[DISCARD] = 0
            self._store_state(pc)
        return stop

    def _run_stepping(self, max_insns: int) -> Stop:
        """`run` one instruction at a time, for listeners to instructions or memory: the
        instruction listeners are told after each, with the state stored."""
        self._load_state()
        pc = self.state.pc
        C, cache, memory = self.C, self._cache, self._observed_memory
        retired = self.observers.instruction_retired
        stop = Stop(StopReason.LIMIT)
        try:
            for _ in range(max_insns):
                fn, args, length = cache.get(pc) or self._entry(pc)
                if memory is not None:
                    memory.pc = pc
                target = fn(*args)
                C[INSTRET] += 1
                at, pc = pc, pc + length if target is None else target
                if retired:
                    self.X[DISCARD] = 0
                    self._store_state(pc)
                    for listen in retired:
                        listen(at, self.state)
        except STOPPING as exc:
            stop = _stop_for(exc)
        finally:
            self.X[DISCARD] = 0
            self._store_state(pc)
        return stop

    # ----------------------------------------------------------------- block translation

    def _block(self, pc: int) -> Block | None:
        """Translate the instructions from pc into one Python function with the operands as
        constants: a superblock, which goes on past conditional branches (their taken side
        leaves it) and through plain jumps. A fault fetching the first one propagates.
        None at a breakpoint: blocks end before breakpoints, and none starts at one."""
        if pc in self.breakpoints:
            return None
        decoded = [self.fetch(pc)]
        pcs = [pc]
        while len(decoded) < BLOCK_LIMIT:
            next_pc = continuation(decoded[-1], pcs[-1], self.xlen, self.superblocks)
            if next_pc is None or next_pc in pcs or next_pc in self.breakpoints:
                break  # (back into the block: a loop, not unrolled)
            try:
                decoded.append(self.fetch(next_pc))
            except (Trap, GuestFault):
                break  # raised again, at its own pc, when execution reaches it
            pcs.append(next_pc)
        block = translate_block(decoded, pcs, self._block_namespace, loops=self.superblocks)
        if self.observers.block_entered:
            block.translated, block.run = block.run, self._entered(block.run, pcs)
        self.blocks_translated += 1
        self._blocks[pc] = block
        pages = {page for at, insn in zip(pcs, decoded)
                 for page in (at >> PAGE_SHIFT, (at + insn.length - 1) >> PAGE_SHIFT)}
        for page in pages:
            self._remember_code(page, pc)
        return block

    def _remember_code(self, vpn: int, pc: int) -> None:
        if vpn not in self._cached_pages:
            self._cached_pages[vpn] = []
            self.mem.mark_code(vpn)
        self._cached_pages[vpn].append(pc)


class BreakpointReached(Exception):
    """Execution reached a breakpoint: the instruction there has not run."""


STOPPING = (Trap, GuestFault, WatchpointHit, BreakpointReached)


def _stop_for(exc: Exception) -> Stop:
    """Why a run stopped, when an instruction raised one of STOPPING."""
    if isinstance(exc, Trap):
        return Stop(StopReason.TRAP, exc.cause, exc.tval)
    if isinstance(exc, GuestFault):
        return Stop(StopReason.TRAP, FAULT_CAUSES[exc.access], exc.addr)
    if isinstance(exc, WatchpointHit):
        return Stop(StopReason.WATCHPOINT, tval=exc.addr)
    return Stop(StopReason.BREAKPOINT)


CONDITIONAL_BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu"}
CONTROL_TRANSFERS = {"jal", "jalr", "ecall", "ebreak", "fence.i", *CONDITIONAL_BRANCHES}


def continuation(decoded: Decoded, pc: int, xlen: int, superblock: bool) -> int | None:
    """Where a block goes on after this instruction: the next one; None after a control
    transfer. A superblock goes on past a conditional branch and to a plain jump's target."""
    name = decoded.insn.name
    if not superblock:
        return None if name in CONTROL_TRANSFERS else pc + decoded.length
    if name == "jal" and decoded.ops.get("rd") == 0:
        return (pc + decoded.ops["imm"]) & ((1 << xlen) - 1)
    if name in CONTROL_TRANSFERS and name not in CONDITIONAL_BRANCHES:
        return None
    return pc + decoded.length
BLOCK_LIMIT = 32
# Translating a block costs about as much as running its instructions a few hundred times one
# by one: only code reached this often is translated (a glibc hello runs mostly cold code).
HOT_VISITS = 256


@dataclass
class Block:
    """A translated run of instructions; `run(X, F, C, M, limit)` returns the next pc (`limit`:
    the instruction count a looping block stops repeating at)."""

    run: Callable
    pcs: list[int]
    first_lines: list[int]  # the first source line of each instruction
    alive: list[bool]  # emptied when the code is written: a looping block then stops
    length: int = 0  # instructions
    translated: Callable | None = None  # the translated function, when `run` wraps it

    def __post_init__(self) -> None:
        self.length = len(self.pcs)

    def retired_before(self, traceback: TracebackType | None) -> int:
        """How many instructions of this block retired before the one that raised."""
        code = (self.translated or self.run).__code__
        line = None
        while traceback is not None:
            if traceback.tb_frame.f_code is code:
                line = traceback.tb_lineno
            traceback = traceback.tb_next
        if line is None:
            return 0
        return bisect.bisect_right(self.first_lines, line) - 1


# struct formats of the loads and stores written out in blocks, by (size, signed).
ACCESS_FORMATS = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h",
                  (4, False): "I", (4, True): "i", (8, False): "Q", (8, True): "q"}
LOAD_METHODS = {"load_u16": (2, False), "load_u32": (4, False), "load_s32": (4, True),
                "load_u64": (8, False), "load_s64": (8, True)}
FOLDED_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift,
                    ast.RShift)


def _name(identifier: str) -> ast.Name:
    return ast.Name(identifier, ast.Load())


class _Specialise(ast.NodeTransformer):
    """Rewrites inlined instructions for speed, in one pass (children first):

    - arithmetic on constants is computed here (with the operands as constants, branch
      targets, XLEN - 1 and x0 + imm are constants), and reads of x0 are 0;
    - sx(e), ux(e) and ltu(a, b) are written out in place: sx as a range test that calls the
      helper only when the value left the XLEN range, ux as a mask, ltu as a signed comparison
      of the operands with their sign bits flipped; each saves a call per use (about a third of
      the time of a typical translated instruction);
    - loads and stores become a look-up in the address space's TLB dictionary and a struct
      access, falling back to the AddressSpace method (a TLB miss, a page-crossing access, a
      fault): the method call and its own look-ups cost more than the access;
    - X[n] becomes the local variable xn (`used` and `written` collect them); `nonlocal_x` is
      set if X is used otherwise (then the block must keep X as it is).
    Statements the block compiler made itself (returns) are already rewritten."""

    def __init__(self, xlen: int, local_registers: bool):
        self.low, self.high, self.mask = -(1 << (xlen - 1)), 1 << (xlen - 1), (1 << xlen) - 1
        self.local_registers = local_registers
        self.used: set[int] = set()
        self.written: set[int] = set()
        self.nonlocal_x = False
        self.temporaries = 0

    def _temporary(self, kind: str) -> str:
        self.temporaries += 1
        return f"_{kind}{self.temporaries}"

    def visit_Return(self, node: ast.Return) -> ast.AST:
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == "X":
            self.nonlocal_x = True
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "X" \
                and isinstance(node.slice, ast.Constant):
            number = node.slice.value
            if number == 0 and isinstance(node.ctx, ast.Load):
                return ast.Constant(0)
            if not self.local_registers:
                return node
            self.used.add(number)
            if isinstance(node.ctx, ast.Store):
                self.written.add(number)
            return ast.Name(f"x{number}", node.ctx)
        return self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        return self._fold(node)

    def _fold(self, node: ast.BinOp) -> ast.expr:
        left, right = node.left, node.right
        if isinstance(left, ast.Constant) and isinstance(right, ast.Constant) \
                and isinstance(node.op, FOLDED_OPERATORS):
            expression = ast.Expression(ast.BinOp(left, node.op, right))
            return ast.Constant(eval(compile(ast.fix_missing_locations(expression), "", "eval")))
        if isinstance(node.op, (ast.Add, ast.Sub, ast.BitOr, ast.BitXor)) \
                and isinstance(right, ast.Constant) and right.value == 0:
            return left
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and node.args:
            return self._wrapping(node, func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == "M":
            return self._load(node, func)
        return node

    def _wrapping(self, node: ast.Call, helper: str) -> ast.expr:
        args = node.args
        if helper == "ux" and len(args) == 1:
            return self._fold(ast.BinOp(args[0], ast.BitAnd(), ast.Constant(self.mask)))
        if helper == "ltu" and len(args) == 2:
            a, b = (self._fold(ast.BinOp(arg, ast.BitXor(), ast.Constant(-(1 << 63))))
                    for arg in args)
            return ast.Compare(a, [ast.Lt()], [b])
        if helper == "sx" and len(args) == 1:
            if self._in_range(args[0]):
                return args[0]
            name = self._temporary("w")
            value = ast.NamedExpr(ast.Name(name, ast.Store()), args[0])
            in_range = ast.Compare(ast.Constant(self.low), [ast.LtE(), ast.Lt()],
                                   [value, ast.Constant(self.high)])
            return ast.IfExp(in_range, _name(name), ast.Call(node.func, [_name(name)], []))
        return node

    def _in_range(self, node: ast.expr) -> bool:
        """Whether the value is surely a signed XLEN-bit one already: a constant in range, or
        a value masked to XLEN bits and shifted right (srli, srl by a non-zero constant)."""
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int) and self.low <= node.value < self.high
        return isinstance(node, ast.BinOp) and isinstance(node.op, ast.RShift) \
            and isinstance(node.right, ast.Constant) and node.right.value >= 1 \
            and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.BitAnd) \
            and isinstance(node.left.right, ast.Constant) and node.left.right.value == self.mask

    def _fast_path(self, tlb: str, addr: ast.expr, size: int, signed: bool
                   ) -> tuple[ast.expr, ast.expr, str]:
        """(condition, element of M.as_<code>, address temporary) of an access the TLB serves:
        an aligned one (which never crosses a page) to a page in the TLB."""
        a, base = self._temporary("m"), self._temporary("m")
        lookup = ast.parse(f"({base} := {tlb}.get(({a} := 0) >> 12))", mode="eval").body
        lookup.value.args[0].left.value = addr  # the address expression, evaluated once
        condition = ast.Compare(lookup, [ast.IsNot()], [ast.Constant(None)])
        if size > 1:
            condition = ast.BoolOp(ast.And(), [
                condition, ast.parse(f"not {a} & {size - 1}", mode="eval").body])
        view = f"M.as_{ACCESS_FORMATS[size, signed]}"
        element = ast.parse(f"{view}[({base} + ({a} & 4095)) >> {size.bit_length() - 1}]",
                            mode="eval").body
        return condition, element, a

    def _load(self, node: ast.Call, func: ast.Attribute) -> ast.expr:
        if func.attr in LOAD_METHODS:
            size, signed = LOAD_METHODS[func.attr]
        elif func.attr == "load" and all(isinstance(a, ast.Constant) for a in node.args[1:]):
            size, signed = node.args[1].value, node.args[2].value
        else:
            return node
        condition, element, a = self._fast_path("RT", node.args[0], size, signed)
        slow = ast.Call(func, [_name(a), *node.args[1:]], [])
        return ast.IfExp(condition, element, slow)

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        self.generic_visit(node)
        call = node.value
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "M"
                and call.func.attr == "store" and isinstance(call.args[1], ast.Constant)):
            return node
        size = call.args[1].value
        condition, element, a = self._fast_path("WT", call.args[0], size, False)
        element.ctx = ast.Store()
        value = ast.BinOp(call.args[2], ast.BitAnd(), ast.Constant((1 << (8 * size)) - 1))
        fast = ast.Assign([element], value)
        slow = ast.Expr(ast.Call(call.func, [_name(a), *call.args[1:]], []))
        return ast.If(condition, [fast], [slow])


# Source lines of a translated block: instruction i's statements all carry line FIRST_LINE + i
# (the template around them has fewer lines), so a traceback's line says which one raised.
FIRST_LINE = 1000
# The function around the instructions; the `pass` under `while` stands for them.
BLOCK_TEMPLATE = """\
def block(X, F, C, M, limit, alive=alive, {helpers}):
    looped = 0
    room = limit - C[{instret}] - {count}
    try:
        while True:
            pass
    except BaseException:
        C[{instret}] += looped
        raise
    finally:
        pass
"""


def translate_block(decoded: list[Decoded], pcs: list[int], namespace: dict,
                    loops: bool = True, local_registers: bool = True) -> Block:
    """One function for the run of instructions, compiled from its syntax tree. The integer
    registers it uses live in local variables, written back when it returns or raises. A block
    whose last instruction may branch back to its first (a loop) repeats in a `while` while
    the instruction limit allows, so that each iteration is not a return to the engine's
    dispatch."""
    count, start = len(decoded), pcs[0]
    specialise = _Specialise(namespace["XLEN"], local_registers)
    # The helpers the block calls become defaults of its parameters: local lookups are faster.
    helpers = sorted(name for name in namespace if name in ("sx", "ux", "sx32", "ltu", "RT", "WT"))
    may_loop, loops = loops, False
    retirements: list[ast.AugAssign] = []  # `C[INSTRET] += looped + n`, as made by retire()
    index = 0  # of the instruction being inlined

    def retire(count: int) -> ast.AugAssign:
        """Retire `count` instructions, and those of the loop's whole iterations."""
        statement = ast.parse(f"C[{INSTRET}] += looped + {count}").body[0]
        retirements.append(statement)
        return statement

    def retire_and_return(value: ast.expr) -> list[ast.stmt]:
        """A jump to the next instruction of the superblock goes on to it; one back to the
        start goes round the loop; any other leaves, retiring the instructions run so far."""
        nonlocal loops
        value = specialise.visit(value)
        target = value.value if isinstance(value, ast.Constant) else None
        if index + 1 < count and target == pcs[index + 1]:
            return [ast.Pass()]
        if target == start and may_loop:
            loops = True
            return [*ast.parse(f"looped += {index + 1}\n"
                               f"if looped <= room and alive:\n    continue").body,
                    retire(0), ast.Return(value)]
        return [retire(index + 1), ast.Return(value)]

    body: list[ast.stmt] = []
    for index, (instruction, pc) in enumerate(zip(decoded, pcs)):  # retire_and_return reads index
        constants = dict(instruction.ops, pc=pc, ilen=instruction.length, XLEN=namespace["XLEN"])
        if writes_integer_rd(instruction.insn) and constants.get("rd") == 0:
            constants["rd"] = DISCARD
        statements = [specialise.visit(s) for s in
                      inline_statements(instruction.insn, f"i{index}_", retire_and_return,
                                        constants)]
        if index == count - 1:
            statements += [retire(count), ast.Return(ast.Constant(pcs[-1] + instruction.length))]
        _place(statements, FIRST_LINE + index)
        body += statements
    if specialise.nonlocal_x and local_registers:
        return translate_block(decoded, pcs, namespace, may_loop, local_registers=False)
    if not loops:  # no iterations were run before
        for statement in retirements:
            statement.value = statement.value.right

    function = ast.parse(BLOCK_TEMPLATE.format(
        helpers=", ".join(f"{h}={h}" for h in helpers), instret=INSTRET, count=count)).body[0]
    looped, room, guarded = function.body
    guarded.body[0].body = body
    if not loops:  # a single pass, and nothing to retire on a raise but what returns retired
        guarded.body, guarded.handlers = body, []
    guarded.finalbody = ast.parse("\n".join(f"X[{n}] = x{n}"
                                            for n in sorted(specialise.written))).body
    loads = ast.parse("\n".join(f"x{n} = X[{n}]" for n in sorted(specialise.used))).body
    function.body = [*loads, *([looped, room] if loops else []),
                     *([guarded] if guarded.handlers or guarded.finalbody else guarded.body)]
    # `alive` empties when the block's code is written (a store in the loop itself may do it).
    alive = [True]
    module = ast.Module([function], [])
    code = compile(module, f"<pyemu block {start:#x}>", "exec")
    defined: dict[str, Callable] = {}
    exec(code, {**namespace, "alive": alive}, defined)  # noqa: S102 - from our ISA description
    return Block(defined["block"], pcs, [FIRST_LINE + i for i in range(count)], alive)


def _place(statements: list[ast.stmt], line: int) -> None:
    """Give every node of the statements the source position `line`."""
    for statement in statements:
        for node in ast.walk(statement):
            if "lineno" in node._attributes:
                node.lineno = node.end_lineno = line
                node.col_offset = node.end_col_offset = 0
