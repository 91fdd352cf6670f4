"""The fast engine: a numba-compiled dispatch loop generated from the ISA description.

`generate_source(xlen)` writes one Python module: the helpers of fast_runtime, then a loop
whose dispatch inlines the semantic function of every instruction it can compile (their source,
with locals renamed, `return` turned into the next pc and loads and stores into the compiled
memory helpers). The loop runs over predecoded operand arrays, one row per 16-bit slot of each
code page, and returns to Python only to decode new code, to map a code page into its small
code TLB, and for instructions it leaves to the reference engine: system calls, traps, the
floating-point cases its fast paths do not cover, the counter CSRs, and any memory access its
page walk cannot serve. numba caches the compiled module on disk, so only the first run after
an install pays the compile.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import fast_runtime, softfloat
from .cpu import DISCARD, CpuState, Trap
from .decoder import Decoded
from .engine_python import PythonEngine, writes_integer_rd
from .inline import free_names, inline_statements, semantic_function
from .isa import all_instructions
from .isa.base import Instruction
from .memory import PAGE_SHIFT, PAGE_SIZE, TLB_EMPTY, AddressSpace, GuestFault
from .stops import Stop, StopReason

REASON_LIMIT, REASON_CODE_MISS, REASON_DECODE, REASON_STEP = 0, 1, 2, 3
OP_UNDECODED, OP_STEP = 0, -1  # d_op values: decode first / let the reference engine run it
SLOTS_PER_PAGE = PAGE_SIZE // 2
CODE_TLB_SIZE = 256
BLOCK_LIMIT = 64  # instructions decoded ahead in one visit to Python
STEP_BURST = 256  # instructions the reference engine runs when the loop hands over
LOOP_OPERANDS = {"X", "F", "C", "M", "pc", "ilen", "rd", "rs1", "rs2", "imm", "fmt", "rm", "w",
                 "rs3", "csr"}
_RUNTIME_AST = ast.parse(inspect.getsource(fast_runtime))
RUNTIME_NAMES = {node.name for node in _RUNTIME_AST.body if isinstance(node, ast.FunctionDef)}
RUNTIME_CONSTANTS = [
    *(alias.asname or alias.name for node in _RUNTIME_AST.body
      if isinstance(node, ast.ImportFrom) and node.level == 1 for alias in node.names),
    *(target.id for node in _RUNTIME_AST.body if isinstance(node, ast.Assign)
      for target in node.targets if isinstance(target, ast.Name)),
]
ALLOWED_GLOBALS = RUNTIME_NAMES | set(RUNTIME_CONSTANTS) | {"int", "min", "max"}
# Scratch words through which the loop reinterprets register bits as host floats.
FLOAT_SCRATCH = ("fs_i", "fs_f", "fs_s")
# The arrays of AddressSpace.fast_view(), in order, as the loop and the memory helpers name them.
MEMORY_ARRAYS = ("f8", "f16", "f32", "f64", "l1", "l2", "l3", "tlb_tag", "tlb_base", "st")
CONTROL_TRANSFERS = {"jal", "jalr", "beq", "bne", "blt", "bge", "bltu", "bgeu", "ecall", "ebreak"}


# ---------------------------------------------------------------- code generation


def compilable(insn: Instruction) -> bool:
    """Whether the loop can run this instruction itself (else the reference engine does)."""
    if insn.semantics is None or not set(insn.params) <= LOOP_OPERANDS:
        return False
    fn = semantic_function(insn)
    if any(isinstance(n, (ast.Raise, ast.Try)) for n in ast.walk(fn)):
        return False
    called = {id(n.func) for n in ast.walk(fn) if isinstance(n, ast.Call)}
    return free_names(fn) <= ALLOWED_GLOBALS | {"M", "softfloat"} and all(
        id(n) in called and _attribute_supported(n)
        for n in ast.walk(fn) if isinstance(n, ast.Attribute))


def _attribute_supported(node: ast.Attribute) -> bool:
    """Calls of M.<access> always; of softfloat.<op> when the runtime has its sf_<op> fast
    path."""
    if not isinstance(node.value, ast.Name):
        return False
    return node.value.id == "M" or node.value.id == "softfloat" \
        and f"sf_{node.attr}" in RUNTIME_NAMES


# Atomics are rare in hot loops: their loads and stores call the memory helpers out of line.
# Inlined into each of the 22 of them, as into ordinary loads and stores, they made the loop
# take several times as long to compile.
OUT_OF_LINE_MEMORY = {"A"}


def _memory_helper(prefix: str):
    def call(method: str, args: list[ast.expr]) -> ast.expr:
        memory = [ast.Name(name, ast.Load()) for name in MEMORY_ARRAYS]
        return ast.Call(ast.Name(f"{prefix}_{method}", ast.Load()), [*memory, *args], [])

    return call


class _RuntimeCalls(ast.NodeTransformer):
    """softfloat.<op>(...) becomes sf_<op>(st, scratch..., ...), the loop's fast path, its
    arguments all positional (defaults filled in); the status helpers get st first."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == "softfloat":
            bound = inspect.signature(getattr(softfloat, func.attr)).bind(
                *node.args, **{keyword.arg: keyword.value for keyword in node.keywords})
            bound.apply_defaults()
            args = [value if isinstance(value, ast.AST) else ast.Constant(value)
                    for value in bound.arguments.values()]
            extra = [ast.Name(name, ast.Load()) for name in ("st", *FLOAT_SCRATCH)]
            return ast.Call(ast.Name(f"sf_{func.attr}", ast.Load()), [*extra, *args], [])
        if isinstance(func, ast.Name) and func.id in fast_runtime.STATUS_HELPERS:
            node.args.insert(0, ast.Name("st", ast.Load()))
        return node


def _next_pc(value: ast.expr) -> list[ast.stmt]:
    cast = ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "int64", ast.Load()), [value], [])
    return [ast.Assign([ast.Name("npc", ast.Store())], cast)]


def _is_memory_call(node: ast.AST) -> bool:
    """Calls that may leave the instruction to the reference engine (the status word)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
        and (node.func.id.startswith(("mem_", "atomic_", "sf_"))
             or node.func.id in fast_runtime.STATUS_HELPERS)


STATUS_CHECK = ast.parse(f"if st[0] != 0:\n    reason = {REASON_STEP}\n    break").body[0]


class _HoistMemory(ast.NodeTransformer):
    """Replaces memory calls in expressions by temporaries (each named once in an
    instruction, so that numba types each by its own call), collecting the calls in order."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.hoisted: list[ast.stmt] = []

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not _is_memory_call(node):
            return node
        name = f"{self.prefix}m{len(self.hoisted) // 2}"
        self.hoisted += [ast.Assign([ast.Name(name, ast.Store())], node), STATUS_CHECK]
        return ast.Name(name, ast.Load())


def _check_memory(statements: list[ast.stmt], hoister: _HoistMemory) -> list[ast.stmt]:
    """Insert a status check after every load and store, before their results are used, so an
    access the loop cannot serve leaves the registers as they were."""
    out: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, ast.If):
            statement.body = _check_memory(statement.body, hoister)
            statement.orelse = _check_memory(statement.orelse, hoister)
            out.append(statement)
        elif isinstance(statement, ast.Expr) and _is_memory_call(statement.value):
            out += [statement, STATUS_CHECK]  # a store: its only effect is the store itself
        else:
            first = len(hoister.hoisted)
            rewritten = hoister.visit(statement)
            out += [*hoister.hoisted[first:], rewritten]
    return out


def inline_body(insn: Instruction, op: int) -> list[str]:
    prefix = f"v{op}_"
    memory = "atomic" if insn.extension in OUT_OF_LINE_MEMORY else "mem"
    statements = inline_statements(insn, prefix, _next_pc, memory_call=_memory_helper(memory))
    statements = [_RuntimeCalls().visit(statement) for statement in statements]
    statements = _check_memory(statements, _HoistMemory(prefix)) or [ast.Pass()]
    module = ast.fix_missing_locations(ast.Module(statements, []))
    return ast.unparse(module).splitlines()


def _dispatch(cases: list[tuple[int, list[str]]], indent: str) -> list[str]:
    """An if/elif chain on `op`: LLVM turns it into one jump table (measured on the sieve:
    147 M instructions/s, against 133 M for a balanced tree of comparisons)."""
    lines = []
    for position, (op, body) in enumerate(cases):
        lines.append(f"{indent}{'elif' if position else 'if'} op == {op}:")
        lines += [f"{indent}    {line}" for line in body]
    return lines


# Without the runtime's reference counting (_nrt=False): the loop allocates nothing, and numba
# would otherwise count references to every array it hands to a helper, atomically, several
# times per guest instruction (measured: 6 M instead of 88 M loads per second). The helpers
# are inlined by numba itself for the same reason.
JIT_OPTIONS = "cache=True, _nrt=False"

LOOP_TEMPLATE = '''
@njit({jit_options})
def run_loop(X, F, ctrl, {memory}, {scratch}, code_tag, code_base, d_op, d_rd, d_rs1, d_rs2,
             d_imm, d_len, d_aux, budget):
    pc = ctrl[0]
    C = ctrl
    st[0] = 0
    n = 0
    reason = {limit}
    page = -1  # the code page of the previous instruction, and its first row
    page_base = 0
    while n < budget:
        vpn = pc >> {page_shift}
        if vpn != page:
            slot = vpn & {code_tlb_mask}
            if code_tag[slot] != vpn:
                reason = {code_miss}
                break
            page = vpn
            page_base = code_base[slot]
        i = np.uint64(page_base + ((pc & {page_mask}) >> 1))
        op = d_op[i]
        if op <= 0:
            reason = {decode} if op == 0 else {step}
            break
        rd = np.uint64(d_rd[i])
        rs1 = np.uint64(d_rs1[i])
        rs2 = np.uint64(d_rs2[i])
        imm = d_imm[i]
        ilen = d_len[i]
        npc = pc + ilen
{dispatch}
        pc = npc
        n += 1
    ctrl[0] = pc
    ctrl[2] += n
    return reason
'''


# d_aux packs the operands only floating-point, atomic and CSR instructions have:
# fmt | rm << 2 | w << 5 | csr << 7 | rs3 << 19. Only the bodies that use them unpack them
# (doing it for every instruction cost 20% on the sieve).
AUX_FIELDS = {"fmt": "d_aux[i] & 3", "rm": "(d_aux[i] >> 2) & 7", "w": "(d_aux[i] >> 5) & 3",
              "csr": "(d_aux[i] >> 7) & 4095", "rs3": "(d_aux[i] >> 19) & 31"}


def aux_operands(insn: Instruction) -> list[str]:
    return [f"{name} = {expression}" for name, expression in AUX_FIELDS.items()
            if name in insn.params]


def fast_instructions(xlen: int) -> list[Instruction]:
    """The full-size instructions the loop runs itself, in op-id order (ids start at 1)."""
    return [i for i in all_instructions()
            if i.length == 4 and xlen in i.xlens and compilable(i)]


def runtime_source(xlen: int) -> list[str]:
    """The lines of fast_runtime's helpers, compiled by numba and bound for `xlen`."""
    constants = {name: xlen if name == "XLEN" else getattr(fast_runtime, name)
                 for name in RUNTIME_CONSTANTS}
    lines = [
        f"# Generated by pyemu.emulator.engine_fast for RV{xlen}; do not edit.",
        "import numpy as np",
        "from numba import njit",
        "",
    ]
    lines += [f"{name} = {value}" for name, value in constants.items()]
    runtime = ast.parse(inspect.getsource(fast_runtime))
    for node in runtime.body:
        if isinstance(node, ast.FunctionDef):
            # Floating point stays out of line: inlined into each FP instruction, it made the
            # loop take three times as long to compile, for no speed the measurements showed.
            inline = "" if node.name in fast_runtime.OUT_OF_LINE else ", inline='always'"
            lines += ["", "", f"@njit({JIT_OPTIONS}{inline})", ast.unparse(node)]
        elif isinstance(node, ast.ClassDef):
            lines += ["", "", ast.unparse(node)]
    return lines


def generate_source(xlen: int) -> str:
    lines = runtime_source(xlen)
    instructions = fast_instructions(xlen)
    lines += ["", f"OP_IDS = {({insn.name: op for op, insn in enumerate(instructions, 1)})!r}"]
    cases = []
    for op, insn in enumerate(instructions, start=1):
        cases.append((op, [f"# {insn.name}", *aux_operands(insn), *inline_body(insn, op)]))
    dispatch = "\n".join(_dispatch(cases, " " * 8))
    lines.append(LOOP_TEMPLATE.format(
        limit=REASON_LIMIT, code_miss=REASON_CODE_MISS, decode=REASON_DECODE, step=REASON_STEP,
        page_shift=PAGE_SHIFT, page_mask=PAGE_SIZE - 1, code_tlb_mask=CODE_TLB_SIZE - 1,
        dispatch=dispatch, memory=", ".join(MEMORY_ARRAYS), jit_options=JIT_OPTIONS,
        scratch=", ".join(FLOAT_SCRATCH),
    ))
    return "\n".join(lines)


def cache_dir() -> Path:
    """Where generated modules and numba's compiled cache live (site-packages may be read-only)."""
    configured = os.environ.get("PYEMU_CACHE_DIR")
    base = Path(configured) if configured else Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pyemu"
    try:
        base.mkdir(parents=True, exist_ok=True)
        probe = base / ".writable"
        probe.touch()
        return base
    except OSError:
        fallback = Path(tempfile.gettempdir()) / f"pyemu-cache-{os.getuid()}"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


_loaded: dict[int, object] = {}
# The files the generated module is made from: a digest of their bytes names it, so that
# start-up need not generate it (inspecting every semantic function costs 0.2 s) to find it.
GENERATOR_SOURCES = ("engine_fast.py", "fast_runtime.py", "inline.py", "memory.py",
                     "semantics.py", "softfloat.py", "isa/*.py")


def generator_digest(xlen: int) -> str:
    import numba

    digest = hashlib.sha256(f"RV{xlen} numba {numba.__version__}".encode())
    here = Path(__file__).parent
    for pattern in GENERATOR_SOURCES:
        for path in sorted(here.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def compiled_module(xlen: int):
    """The generated module for `xlen`, written once per version of its sources (so numba's
    cache stays valid)."""
    if xlen not in _loaded:
        digest = generator_digest(xlen)
        path = cache_dir() / f"fast_rv{xlen}_{digest}.py"
        if not path.exists():
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(generate_source(xlen))
            temporary.replace(path)
        name = f"pyemu_fast_rv{xlen}_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _loaded[xlen] = module
    return _loaded[xlen]


# ---------------------------------------------------------------- the engine


class FastEngine:
    name = "fast"

    def __init__(self, state: CpuState, mem: AddressSpace, clock=None,
                 reference: PythonEngine | None = None):
        self.state = state
        self.mem = mem
        self.reference = reference or PythonEngine(state, mem, clock)
        self.module = compiled_module(state.xlen)
        self.op_ids = self.module.OP_IDS
        self.code_tag = np.full(CODE_TLB_SIZE, TLB_EMPTY, dtype=np.int64)
        self.code_base = np.zeros(CODE_TLB_SIZE, dtype=np.int64)
        self.code_pages: dict[int, int] = {}  # page number -> first row in the operand arrays
        words = np.zeros(2, dtype=np.int64)
        self.float_scratch = (words, words.view(np.float64), words.view(np.float32))
        self._marked: set[int] = set()
        self.blocks_translated = 0
        self._allocate_rows(16 * SLOTS_PER_PAGE)
        mem.code_write_listeners.append(self.invalidate_page)

    def switch(self, state: CpuState) -> None:
        """Run another hart's registers (a thread) over the same memory and caches."""
        self.state = state
        self.reference.switch(state)

    def _allocate_rows(self, rows: int) -> None:
        old = getattr(self, "d_op", None)
        arrays = {
            "d_op": np.int32, "d_rd": np.int64, "d_rs1": np.int64, "d_rs2": np.int64,
            "d_imm": np.int64, "d_len": np.int64, "d_aux": np.int64,
        }
        for name, dtype in arrays.items():
            fresh = np.zeros(rows, dtype=dtype)
            if old is not None:
                previous = getattr(self, name)
                fresh[: previous.size] = previous
            setattr(self, name, fresh)

    def invalidate_page(self, vpn: int) -> None:
        base = self.code_pages.get(vpn)
        if base is not None:
            self.d_op[base : base + SLOTS_PER_PAGE] = OP_UNDECODED
        self._marked.discard(vpn)

    def invalidate_all(self) -> None:
        self.d_op[:] = OP_UNDECODED
        self._marked.clear()
        self.reference.invalidate_all()

    def _map_code_page(self, pc: int) -> None:
        vpn = pc >> PAGE_SHIFT
        base = self.code_pages.get(vpn)
        if base is None:
            base = len(self.code_pages) * SLOTS_PER_PAGE
            if base + SLOTS_PER_PAGE > self.d_op.size:
                self._allocate_rows(self.d_op.size * 2)
            self.code_pages[vpn] = base
        slot = vpn % CODE_TLB_SIZE
        self.code_tag[slot] = vpn
        self.code_base[slot] = base

    def _fill(self, row: int, decoded: Decoded | None) -> None:
        insn = decoded.insn if decoded else None
        op = self.op_ids.get(insn.name) if insn else None
        if op is None:
            self.d_op[row] = OP_STEP
            return
        ops = decoded.ops
        rd = ops.get("rd", 0)
        self.d_op[row] = op
        self.d_rd[row] = DISCARD if rd == 0 and writes_integer_rd(insn) else rd
        self.d_rs1[row] = ops.get("rs1", 0)
        self.d_rs2[row] = ops.get("rs2", 0)
        self.d_imm[row] = ops.get("imm", 0)
        self.d_len[row] = decoded.length
        self.d_aux[row] = ops.get("fmt", 0) | ops.get("rm", 0) << 2 | ops.get("w", 0) << 5 \
            | ops.get("csr", 0) << 7 | ops.get("rs3", 0) << 19

    def _decode_block(self, pc: int) -> None:
        """Decode from pc to the next control transfer, the page's end, or BLOCK_LIMIT."""
        vpn = pc >> PAGE_SHIFT
        base = self.code_pages[vpn]
        if vpn not in self._marked:
            self.mem.mark_code(vpn)
            self._marked.add(vpn)
        self.blocks_translated += 1
        breakpoints = self.reference.breakpoints  # left to the reference engine, which stops
        for _ in range(BLOCK_LIMIT):
            row = base + ((pc & (PAGE_SIZE - 1)) >> 1)
            try:
                decoded = self.reference.fetch(pc)
            except (GuestFault, Trap):  # the reference engine raises it when it runs
                decoded = None  # this instruction
            if decoded is not None and (pc + decoded.length - 1) >> PAGE_SHIFT != vpn \
                    or pc in breakpoints:
                decoded = None  # straddles two pages, or a breakpoint: left to the reference
            self._fill(row, decoded)
            if decoded is None or decoded.insn.name in CONTROL_TRANSFERS:
                return
            pc += decoded.length
            if pc >> PAGE_SHIFT != vpn or self.d_op[base + ((pc & (PAGE_SIZE - 1)) >> 1)]:
                return

    def run_loop(self, budget: int) -> int:
        """Run the compiled loop for at most `budget` instructions; why it stopped."""
        return self.module.run_loop(
            self.state.x, self.state.f, self.state.ctrl, *self.mem.fast_view(),
            *self.float_scratch, self.code_tag, self.code_base, self.d_op, self.d_rd, self.d_rs1,
            self.d_rs2, self.d_imm, self.d_len, self.d_aux, budget)

    def run(self, max_insns: int) -> Stop:
        ctrl = self.state.ctrl
        end = int(ctrl[2]) + max_insns
        while True:
            remaining = end - int(ctrl[2])
            if remaining <= 0:
                return Stop(StopReason.LIMIT)
            reason = self.run_loop(remaining)
            pc = self.state.pc
            if reason == REASON_LIMIT:
                return Stop(StopReason.LIMIT)
            if reason == REASON_CODE_MISS and pc < self.mem.limit:
                self._map_code_page(pc)
            elif reason == REASON_DECODE:
                self._decode_block(pc)
            else:
                # The reference engine takes over for a while, not one instruction: what the
                # loop leaves to it (floating point, above all) comes in runs, and each return
                # to the loop costs as much as a few hundred instructions on the reference.
                # It also raises the fetch fault of a pc outside the address space (which the
                # loop, seeing it as a negative number, would miss on forever).
                stop = self.reference.run(min(STEP_BURST, end - int(ctrl[2])))
                if stop.reason is not StopReason.LIMIT:
                    return stop


class TieredEngine:
    """Starts on the reference engine and moves to the compiled loop once the guest has run
    TIER_UP_INSTRUCTIONS: loading numba and the compiled loop takes about a second, which a
    short program (a glibc hello is 25 k instructions) would never earn back."""

    name = "fast"
    TIER_UP_INSTRUCTIONS = 1_000_000

    def __init__(self, state: CpuState, mem: AddressSpace, clock=None,
                 tier_up: int | None = None):
        self.state = state
        self.mem = mem
        self.reference = PythonEngine(state, mem, clock)
        self.compiled: FastEngine | None = None
        self.tier_up = self.TIER_UP_INSTRUCTIONS if tier_up is None else tier_up

    def switch(self, state: CpuState) -> None:
        self.state = state
        self.reference.switch(state)
        if self.compiled is not None:
            self.compiled.switch(state)

    def run(self, max_insns: int) -> Stop:
        if self.compiled is None:
            before_tier_up = self.tier_up - self.state.instret
            if before_tier_up > 0:
                return self.reference.run(min(max_insns, before_tier_up))
            self.tier_up_now()
        return self.compiled.run(max_insns)

    def tier_up_now(self) -> None:
        """Load the compiled loop (numba, the cached module; numba's typing of the arguments
        on a first call of no instructions) and run on it from now on."""
        if self.compiled is None:
            self.compiled = FastEngine(self.state, self.mem, reference=self.reference)
            self.compiled.run_loop(0)


def warm_up() -> None:
    """Compile (or load from numba's cache) the loop for both XLENs, e.g. in CI set-up."""
    for xlen in (64, 32):
        FastEngine(CpuState(xlen), AddressSpace()).run(1)  # faults at pc 0 once compiled


__all__ = ["FastEngine", "TieredEngine", "generate_source", "warm_up"]
