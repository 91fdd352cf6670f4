"""The fast engine: a numba-compiled dispatch loop generated from the ISA description.

`generate_source(xlen)` writes one Python module: the helpers of fast_runtime, a decoder, and a
loop whose dispatch inlines the semantic function of every instruction it can compile (their
source, with locals renamed, `return` turned into the next pc and loads and stores into the
compiled memory helpers). The loop runs over predecoded operand arrays, one row per 16-bit
slot of each code page; it decodes an instruction itself the first time it reaches it
(decode_row, generated from the instructions' patterns and formats; compressed instructions
through a table the Python decoder fills). It returns to Python to map a code page into its
small code TLB, to decode on pages with breakpoints and instructions that straddle pages, and
for the instructions it leaves to the reference engine: system calls, traps, the
floating-point cases its fast paths do not cover, the counter CSRs, and any memory access its
page walk cannot serve. numba compiles the module once per version (`warm_up`), and its
machine code is kept in the cache behind a C entry point (native.py): a run loads it without
numba.
"""

from __future__ import annotations

import ast
import fcntl
import functools
import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import fast_runtime, native, softfloat
from .cpu import CAUSE_ECALL_U, DISCARD, CpuState, Trap
from .decoder import Decoded, Decoder, instruction_length
from .engine_python import PythonEngine, writes_integer_rd
from .inline import free_names, inline_statements, semantic_function
from .isa import all_instructions
from .isa.base import Format, Instruction, Operand
from .memory import PAGE_SHIFT, PAGE_SIZE, TLB_EMPTY, AddressSpace, GuestFault
from .stops import Stop, StopReason

REASON_LIMIT, REASON_CODE_MISS, REASON_DECODE, REASON_STEP = 0, 1, 2, 3
# d_op values: decode first / let the reference engine run it / a system call, which leaves
# the loop straight to the caller (no reference engine to load registers into)
OP_UNDECODED, OP_STEP, OP_ECALL = 0, -1, -2
LEAVING_OPS = {"ecall": OP_ECALL}  # instructions the loop leaves with an op of their own
SLOTS_PER_PAGE = PAGE_SIZE // 2
CODE_TLB_SIZE = 4096  # pages: python3.13's start-up missed 90,000 times in 256
BLOCK_LIMIT = 64  # instructions decoded ahead in one visit to Python
STEP_BURST = 256  # instructions the reference engine runs when the loop hands over
LOOP_OPERANDS = {"X", "F", "C", "M", "pc", "ilen", "rd", "rs1", "rs2", "imm", "fmt", "rm", "w",
                 "rs3", "csr"}


@functools.cache
def runtime_names() -> tuple[frozenset[str], tuple[str, ...]]:
    """fast_runtime's functions and constants, read from its source (when generating: it
    is 40 ms that a run does not need)."""
    body = ast.parse(inspect.getsource(fast_runtime)).body
    functions = frozenset(node.name for node in body if isinstance(node, ast.FunctionDef))
    constants = (
        *(alias.asname or alias.name for node in body
          if isinstance(node, ast.ImportFrom) and node.level == 1 for alias in node.names),
        *(target.id for node in body if isinstance(node, ast.Assign)
          for target in node.targets if isinstance(target, ast.Name)),
    )
    return functions, constants


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
    functions, constants = runtime_names()
    allowed = functions | set(constants) | {"int", "min", "max", "M", "softfloat"}
    return free_names(fn) <= allowed and all(
        id(n) in called and _attribute_supported(n)
        for n in ast.walk(fn) if isinstance(n, ast.Attribute))


def _attribute_supported(node: ast.Attribute) -> bool:
    """Calls of M.<access> always; of softfloat.<op> when the runtime has its sf_<op> fast
    path."""
    if not isinstance(node.value, ast.Name):
        return False
    return node.value.id == "M" or node.value.id == "softfloat" \
        and f"sf_{node.attr}" in runtime_names()[0]


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
def run_loop(X, F, ctrl, {memory}, {scratch}, code_tag, code_base, code_frame, compressed,
             decoded, d_op, d_rd, d_rs1, d_rs2, d_imm, d_len, d_aux, budget):
    pc = ctrl[0]
    C = ctrl
    st[0] = 0
    n = 0
    reason = {limit}
    page = -1  # the code page of the previous instruction, its first row and its frame
    page_base = 0
    page_frame = -1
    while n < budget:
        vpn = pc >> {page_shift}
        if vpn != page:
            slot = vpn & {code_tlb_mask}
            if code_tag[slot] != vpn:
                reason = {code_miss}
                break
            page = vpn
            page_base = code_base[slot]
            page_frame = code_frame[slot]
        i = np.uint64(page_base + ((pc & {page_mask}) >> 1))
        op = d_op[i]
        if op == 0 and page_frame >= 0:
            offset = pc & {page_mask}
            word = np.int64(f16[(page_frame + offset) >> 1])
            if word & 3 == 3:
                if offset > {last_parcel}:
                    reason = {decode}  # the instruction straddles two pages
                    break
                word |= np.int64(f16[((page_frame + offset) >> 1) + 1]) << 16
            decode_row(word, i, compressed, d_op, d_rd, d_rs1, d_rs2, d_imm, d_len, d_aux)
            decoded[0] += 1
            op = d_op[i]
        if op <= 0:
            reason = {decode} if op == 0 else {step}
            break
        rd = np.uint64(d_rd[i])
        rs1 = np.uint64(d_rs1[i])
        rs2 = np.uint64(d_rs2[i])
        imm = np.int64(d_imm[i])
        ilen = np.int64(d_len[i])
        npc = pc + ilen
{dispatch}
        pc = npc
        n += 1
    ctrl[0] = pc
    ctrl[2] += n
    return reason
'''


# d_aux packs the operands only floating-point, atomic and CSR instructions have, each at
# (bit, width). Only the bodies that use them unpack them (doing it for every instruction
# cost 20% on the sieve).
AUX_LAYOUT = {"fmt": (0, 2), "rm": (2, 3), "w": (5, 2), "csr": (7, 12), "rs3": (19, 5)}
AUX_FIELDS = {name: f"(np.int64(d_aux[i]) >> {bit}) & {(1 << width) - 1}"
              for name, (bit, width) in AUX_LAYOUT.items()}


def pack_aux(ops: dict[str, int]) -> int:
    return sum(ops.get(name, 0) << bit for name, (bit, _) in AUX_LAYOUT.items())


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
                 for name in runtime_names()[1]}
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
    lines += decoder_source(xlen, {insn.name: op for op, insn in enumerate(instructions, 1)})
    lines.append(LOOP_TEMPLATE.format(
        limit=REASON_LIMIT, code_miss=REASON_CODE_MISS, decode=REASON_DECODE, step=REASON_STEP,
        page_shift=PAGE_SHIFT, page_mask=PAGE_SIZE - 1, code_tlb_mask=CODE_TLB_SIZE - 1,
        last_parcel=PAGE_SIZE - 4,
        dispatch=dispatch, memory=", ".join(MEMORY_ARRAYS), jit_options=JIT_OPTIONS,
        scratch=", ".join(FLOAT_SCRATCH),
    ))
    return "\n".join(lines)



# ---------------------------------------------------------------- the decoder


def _operand_expression(operand: Operand) -> str:
    """The operand's value from `word`, as its bit fields define it."""
    pieces = []
    for bit_field in operand.fields:
        for word_bit, top, bottom in bit_field.parts:
            width = top - bottom + 1
            pieces.append(f"(((word >> {word_bit - width + 1}) & {(1 << width) - 1}) << {bottom})")
    value = " | ".join(pieces) or "0"
    if operand.signed:
        sign = 1 << (operand.width - 1)
        value = f"((({value}) ^ {sign}) - {sign})"
    return f"{value} + {operand.plus}" if operand.plus else value


class _LegalOperands(ast.NodeTransformer):
    """ops["name"] in a legality function becomes the decoder's local `name`, xlen its value."""

    def __init__(self, ops: str, xlen_name: str, xlen: int):
        self.ops, self.xlen_name, self.xlen = ops, xlen_name, xlen

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == self.ops \
                and isinstance(node.slice, ast.Constant):
            return ast.Name(f"o_{node.slice.value}", ast.Load())
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Constant(self.xlen) if node.id == self.xlen_name else node


def _legal_expression(insn: Instruction, xlen: int) -> str:
    """The instruction's decode-time legality test as an expression of its operands (the
    ISA's legality functions are each one `return` of one)."""
    fn = ast.parse(textwrap.dedent(inspect.getsource(insn.legal))).body[0]
    if not (isinstance(fn, ast.FunctionDef) and len(fn.body) == 1
            and isinstance(fn.body[0], ast.Return)):
        raise ValueError(f"{insn.name}: its legality function is not one return statement")
    ops, xlen_name = (argument.arg for argument in fn.args.args)
    return ast.unparse(_LegalOperands(ops, xlen_name, xlen).visit(fn.body[0].value))


DECODER_TEMPLATE = '''
# One row per full-size instruction, in the Python decoder's order (most specific pattern
# first) and grouped by major opcode (DECODE_RANGES[opcode]: first row, row after the last):
# mask, match, op (or what leaves the loop), format, legality test, writes an integer rd.
DECODE_TABLE = np.array({table!r}, dtype=np.int64)
DECODE_RANGES = np.array({ranges!r}, dtype=np.int64)


@njit({jit_options})
def decode_row(word, i, compressed, d_op, d_rd, d_rs1, d_rs2, d_imm, d_len, d_aux):
    """Decode the instruction `word` into row i (OP_STEP: the reference engine runs it, or
    raises it as illegal). Compressed ones are rows of the table made by the decoder."""
    if word & 3 != 3:
        w = word & 0xFFFF
{compressed}
        return
    if word & 0x1C == 0x1C:
        d_op[i] = {step}  # 48 bits and longer: none is defined
        return
    opcode = word & 0x7F
    for k in range(DECODE_RANGES[opcode, 0], DECODE_RANGES[opcode, 1]):
        if word & DECODE_TABLE[k, 0] != DECODE_TABLE[k, 1]:
            continue
        op = DECODE_TABLE[k, 2]
        if op <= 0:
            d_op[i] = op
            return
        fmt = DECODE_TABLE[k, 3]
        legal = DECODE_TABLE[k, 4]
{operands}
{formats}
{legality}
        d_op[i] = op
        d_rd[i] = {discard} if o_rd == 0 and DECODE_TABLE[k, 5] else o_rd
        d_rs1[i] = o_rs1
        d_rs2[i] = o_rs2
        d_imm[i] = o_imm
        d_len[i] = 4
        d_aux[i] = {aux}
        return
    d_op[i] = {step}
'''


def decoder_source(xlen: int, op_ids: dict[str, int]) -> list[str]:
    """decode_row for `xlen`: a table of the instructions' patterns, and the operand
    extraction of each format and the legality functions written out once each (a branch
    per instruction made the loop's compile take a third longer)."""
    usable = sorted((i for i in all_instructions() if xlen in i.xlens and i.length == 4),
                    key=lambda i: -i.mask.bit_count())
    usable.sort(key=lambda i: i.match & 0x7F)  # stable: most specific first within an opcode
    formats: dict[int, Format] = {}  # by identity: two formats may share a name
    legality: dict[str, int] = {}  # expression -> its number (1, 2, ...; 0: none)
    table, ranges = [], [[0, 0] for _ in range(128)]
    for insn in usable:
        opcode = insn.match & 0x7F
        if ranges[opcode] == [0, 0]:
            ranges[opcode] = [len(table), len(table)]
        ranges[opcode][1] += 1
        formats.setdefault(id(insn.format), insn.format)
        legal = 0
        if insn.legal:
            legal = legality.setdefault(_legal_expression(insn, xlen), len(legality) + 1)
        op = op_ids.get(insn.name, LEAVING_OPS.get(insn.name, OP_STEP))
        table.append([insn.mask, insn.match, op, list(formats).index(id(insn.format)), legal,
                      int(insn.semantics is not None and writes_integer_rd(insn))])
    names = sorted({name for f in formats.values() for name in f.operands})
    indent = " " * 8
    extraction = []
    for number, fmt in enumerate(formats.values()):
        extraction.append(f"{indent}{'elif' if number else 'if'} fmt == {number}:  # {fmt.name}")
        extraction += [f"{indent}    o_{name} = {_operand_expression(operand)}"
                       for name, operand in fmt.operands.items()] or [f"{indent}    pass"]
    tests = [f"{indent}if legal == {number} and not ({expression}):\n"
             f"{indent}    d_op[i] = {OP_STEP}\n{indent}    return"
             for expression, number in legality.items()]
    aux = " | ".join(f"(o_{name} << {bit})" for name, (bit, _) in AUX_LAYOUT.items()
                     if name in names) or "0"
    compressed = [f"        {array}[i] = compressed[w, {column}]"
                  for column, array in enumerate(ROW_ARRAYS)]
    return DECODER_TEMPLATE.format(
        jit_options=JIT_OPTIONS, step=OP_STEP, discard=DISCARD, table=table, ranges=ranges,
        compressed="\n".join(compressed), aux=aux, formats="\n".join(extraction),
        legality="\n".join(tests),
        operands="\n".join(f"{indent}o_{name} = 0" for name in sorted({*names, "rd", "rs1",
                                                                          "rs2", "imm"})),
    ).splitlines()

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


@functools.cache
def generator_digest(xlen: int) -> str:
    digest = hashlib.sha256(f"RV{xlen}".encode())
    numba = importlib.util.find_spec("numba")  # found, not imported (numba's version)
    if numba is not None and numba.origin:
        digest.update(Path(numba.origin).with_name("_version.py").read_bytes())
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


# Row fields in the order of ROW_ARRAYS: what the loop reads of an instruction, each in the
# narrowest type that holds it (a row per 16-bit slot of every code page: python3.13's
# start-up has 1500 code pages, 160 MB of rows in int64, 43 MB so).
ROW_ARRAYS = ("d_op", "d_rd", "d_rs1", "d_rs2", "d_imm", "d_len", "d_aux")
ROW_TYPES = (np.int16, np.uint8, np.uint8, np.uint8, np.int32, np.uint8, np.int32)
# The loop's array arguments (FastEngine.loop_arrays), before its budget.
LOOP_ARRAYS = ("x", "f", "ctrl", *MEMORY_ARRAYS, *FLOAT_SCRATCH, "code_tag", "code_base",
               "code_frame", "compressed", "decoded", *ROW_ARRAYS)


def row_values(decoded: Decoded | None, op_ids: dict[str, int]) -> tuple[int, ...]:
    """The operand row of a decoded instruction; OP_STEP for what the loop leaves to the
    reference engine (None: an illegal or unfetchable one, which the reference raises)."""
    insn = decoded.insn if decoded else None
    op = op_ids.get(insn.name) if insn else None
    if op is None:
        return (LEAVING_OPS.get(insn.name, OP_STEP) if insn else OP_STEP, 0, 0, 0, 0, 0, 0)
    ops = decoded.ops
    rd = ops.get("rd", 0)
    return (op, DISCARD if rd == 0 and writes_integer_rd(insn) else rd, ops.get("rs1", 0),
            ops.get("rs2", 0), ops.get("imm", 0), decoded.length, pack_aux(ops))


def compressed_rows(xlen: int, op_ids: dict[str, int]) -> np.ndarray:
    """The operand row of every 16-bit word as a compressed instruction, from the decoder
    (65536 rows, 3.5 MB, made once per version in the cache): the loop decodes a compressed
    instruction by indexing it."""
    path = cache_dir() / f"compressed_rv{xlen}_{generator_digest(xlen)}.npy"
    try:
        return np.load(path)
    except (OSError, ValueError):
        pass
    decoder = Decoder(xlen)
    table = np.zeros((1 << 16, len(ROW_ARRAYS)), dtype=np.int64)
    for word in range(1 << 16):
        if instruction_length(word) == 2:
            table[word] = row_values(decoder.decode(word), op_ids)
    temporary = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(temporary, table)
    temporary.replace(path)
    return table


# ---------------------------------------------------------------- the engine


class FastEngine:
    name = "fast"

    def __init__(self, state: CpuState, mem: AddressSpace, clock=None,
                 reference: PythonEngine | None = None, code: MachineCode | None = None):
        self.state = state
        self.mem = mem
        self.reference = reference or PythonEngine(state, mem, clock)
        self.code = code or machine_code(state.xlen)
        self.op_ids = self.code.op_ids
        self.code_tag = np.full(CODE_TLB_SIZE, TLB_EMPTY, dtype=np.int64)
        self.code_base = np.zeros(CODE_TLB_SIZE, dtype=np.int64)
        self.code_frame = np.zeros(CODE_TLB_SIZE, dtype=np.int64)  # -1: decoded in Python
        self.compressed = compressed_rows(state.xlen, self.op_ids)
        self.decoded = np.zeros(1, dtype=np.int64)  # instructions the loop decoded
        self.tlb_generation = mem.tlb_generation
        self.code_pages: dict[int, int] = {}  # page number -> first row in the operand arrays
        words = np.zeros(2, dtype=np.int64)
        self.float_scratch = (words, words.view(np.float64), words.view(np.float32))
        self._marked: set[int] = set()
        self.straddling: dict[int, list[int]] = {}  # page -> rows of instructions ending in it
        self.python_blocks = 0
        self.burst = 1  # instructions the reference engine runs at the next hand-over
        # The loop's arguments as addresses and lengths, for the arrays of `bound_to`
        self.pointers = np.zeros(len(LOOP_ARRAYS), dtype=np.uint64)
        self.sizes = np.zeros(len(LOOP_ARRAYS), dtype=np.int64)
        self.bound_to: tuple = (None, None, None)
        self._allocate_rows(16 * SLOTS_PER_PAGE)
        mem.code_write_listeners.append(self.invalidate_page)

    def switch(self, state: CpuState) -> None:
        """Run another hart's registers (a thread) over the same memory and caches."""
        self.state = state
        self.reference.switch(state)

    def _allocate_rows(self, rows: int) -> None:
        old = getattr(self, "d_op", None)
        for name, dtype in zip(ROW_ARRAYS, ROW_TYPES):
            fresh = np.zeros(rows, dtype=dtype)
            if old is not None:
                previous = getattr(self, name)
                fresh[: previous.size] = previous
            setattr(self, name, fresh)
        self.rows = tuple(getattr(self, name) for name in ROW_ARRAYS)

    def _mark(self, vpn: int) -> None:
        """Have stores to this page reported (invalidate_page), its code being decoded."""
        if vpn not in self._marked:
            self.mem.mark_code(vpn)
            self._marked.add(vpn)

    def invalidate_page(self, vpn: int) -> None:
        base = self.code_pages.get(vpn)
        if base is not None:
            self.d_op[base : base + SLOTS_PER_PAGE] = OP_UNDECODED
        for row in self.straddling.pop(vpn, ()):
            self.d_op[row] = OP_UNDECODED
        self._marked.discard(vpn)
        slot = vpn % CODE_TLB_SIZE
        if self.code_tag[slot] == vpn:  # mapped again (and its frame looked up) when next run
            self.code_tag[slot] = TLB_EMPTY

    def invalidate_all(self) -> None:
        self.d_op[:] = OP_UNDECODED
        self._marked.clear()
        self.straddling.clear()
        self.code_tag[:] = TLB_EMPTY
        self.reference.invalidate_all()

    def _map_code_page(self, pc: int) -> None:
        """Give the page rows and a code TLB entry; with the offset of its frame, so that
        the loop decodes there itself, unless the page holds a breakpoint or cannot be
        fetched from (then instructions are decoded here, and faults raised by the
        reference engine)."""
        vpn = pc >> PAGE_SHIFT
        base = self.code_pages.get(vpn)
        if base is None:
            base = len(self.code_pages) * SLOTS_PER_PAGE
            if base + SLOTS_PER_PAGE > self.d_op.size:
                self._allocate_rows(self.d_op.size * 2)
            self.code_pages[vpn] = base
        frame = -1
        if not any(at >> PAGE_SHIFT == vpn for at in self.reference.breakpoints):
            frame = self.mem.code_frame(vpn)
            if frame >= 0:
                self._mark(vpn)
        slot = vpn % CODE_TLB_SIZE
        self.code_tag[slot] = vpn
        self.code_base[slot] = base
        self.code_frame[slot] = frame

    def _fill(self, row: int, decoded: Decoded | None) -> None:
        for array, value in zip(self.rows, row_values(decoded, self.op_ids)):
            array[row] = value

    def _decode_block(self, pc: int) -> None:
        """Decode from pc to the next control transfer, the page's end, or BLOCK_LIMIT."""
        vpn = pc >> PAGE_SHIFT
        base = self.code_pages[vpn]
        self._mark(vpn)
        self.python_blocks += 1
        breakpoints = self.reference.breakpoints  # left to the reference engine, which stops
        for _ in range(BLOCK_LIMIT):
            row = base + ((pc & (PAGE_SIZE - 1)) >> 1)
            try:
                decoded = self.reference.fetch(pc)
            except (GuestFault, Trap):  # the reference engine raises it when it runs
                decoded = None  # this instruction
            if pc in breakpoints:
                decoded = None  # left to the reference engine, which stops there
            elif decoded is not None and (pc + decoded.length - 1) >> PAGE_SHIFT != vpn:
                # It straddles two pages (in a hot loop, as often as any other): its row
                # goes when either page's code does.
                self._mark(vpn + 1)
                self.straddling.setdefault(vpn + 1, []).append(row)
            self._fill(row, decoded)
            if decoded is None or decoded.insn.name in CONTROL_TRANSFERS:
                return
            pc += decoded.length
            if pc >> PAGE_SHIFT != vpn or self.d_op[base + ((pc & (PAGE_SIZE - 1)) >> 1)]:
                return

    @property
    def blocks_translated(self) -> int:
        """Blocks decoded in Python and instructions decoded by the loop (the units of
        translation of the two paths)."""
        return self.python_blocks + int(self.decoded[0])

    def _row_op(self, pc: int) -> int:
        base = self.code_pages.get(pc >> PAGE_SHIFT)
        return OP_UNDECODED if base is None else int(self.d_op[base + ((pc & (PAGE_SIZE - 1)) >> 1)])

    def loop_arrays(self) -> tuple[np.ndarray, ...]:
        """The loop's array arguments, in LOOP_ARRAYS' order."""
        return (self.state.x, self.state.f, self.state.ctrl, *self.mem.fast_view(),
                *self.float_scratch, self.code_tag, self.code_base, self.code_frame,
                self.compressed, self.decoded, *self.rows)

    def run_loop(self, budget: int) -> int:
        """Run the compiled loop for at most `budget` instructions; why it stopped."""
        if self.mem.tlb_generation != self.tlb_generation:  # mappings changed: frames too
            self.tlb_generation = self.mem.tlb_generation
            self.code_tag[:] = TLB_EMPTY
        view = self.mem.fast_view()
        bound_state, bound_view, bound_rows = self.bound_to
        if bound_state is not self.state or bound_view is not view or bound_rows is not self.rows:
            # (a thread switch, grown memory or rows: the arrays moved)
            self.bound_to = (self.state, view, self.rows)
            arrays = self.loop_arrays()
            self.pointers[:] = [array.ctypes.data for array in arrays]
            self.sizes[:] = [array.shape[0] for array in arrays]
        return self.code.entry(self.pointers.ctypes.data, self.sizes.ctypes.data, budget)

    def run(self, max_insns: int) -> Stop:
        ctrl = self.state.ctrl
        end = int(ctrl[2]) + max_insns
        while True:
            remaining = end - int(ctrl[2])
            if remaining <= 0:
                return Stop(StopReason.LIMIT)
            started = int(ctrl[2])
            reason = self.run_loop(remaining)
            pc = self.state.pc
            if reason == REASON_LIMIT:
                return Stop(StopReason.LIMIT)
            if reason == REASON_CODE_MISS and pc < self.mem.limit:
                self._map_code_page(pc)
            elif reason == REASON_DECODE:
                self._decode_block(pc)
            elif self._row_op(pc) == OP_ECALL:
                return Stop(StopReason.TRAP, CAUSE_ECALL_U)
            else:
                # The reference engine runs what the loop leaves to it: one instruction, as
                # a rule (a page's first touch, a system call), but more when the loop
                # keeps handing over after a few instructions (floating point its fast
                # paths do not cover comes in runs, and a return to the loop costs as much
                # as a few dozen instructions on the reference). It also raises the fetch
                # fault of a pc outside the address space (which the loop, seeing it as a
                # negative number, would miss on forever).
                ran = int(ctrl[2]) - started
                self.burst = min(self.burst * 2, STEP_BURST) if ran < 16 else 1
                stop = self.reference.run(min(self.burst, end - int(ctrl[2])))
                if stop.reason is not StopReason.LIMIT:
                    return stop


@dataclass(frozen=True)
class MachineCode:
    """The compiled loop of one XLEN: its entry point, and the op numbers its rows use."""

    entry: native.Entry | None
    op_ids: dict[str, int]


_machine_code: dict[int, MachineCode] = {}  # loaded in this process


def code_stem(xlen: int) -> Path:
    """The cache's name for this version's loop (.py the generated module, .o and .json its
    machine code)."""
    return cache_dir() / f"fast_rv{xlen}_{generator_digest(xlen)}"


def is_loaded(xlen: int) -> bool:
    """Whether this process has loaded the loop's machine code for `xlen`."""
    return xlen in _machine_code


def is_compiled(xlen: int) -> bool:
    """Whether the cache holds this version's machine code for `xlen`, for this CPU."""
    return xlen in _machine_code or native.metadata(code_stem(xlen)) is not None


def machine_code(xlen: int) -> MachineCode:
    """The loop's machine code, loaded from the cache (and made first if it is not there)."""
    if xlen not in _machine_code:
        stem = code_stem(xlen)
        try:
            entry, recorded = native.load(stem)
        except FileNotFoundError:  # not made yet, for this version and CPU
            make_machine_code(xlen)
            entry, recorded = native.load(stem)
        _machine_code[xlen] = MachineCode(entry, recorded["op_ids"])
    return _machine_code[xlen]


def make_machine_code(xlen: int) -> None:
    """numba compiles the generated module (or loads it from its own cache) and the entry
    point around it, into the cache; one process at a time (a lock file)."""
    stem = code_stem(xlen)
    with open(stem.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if native.metadata(stem) is not None:
            return  # made by another process meanwhile
        module = compiled_module(xlen)
        sample = FastEngine(CpuState(xlen), AddressSpace(), code=MachineCode(None, module.OP_IDS))
        native.write(stem, module.run_loop, sample.loop_arrays(), {"op_ids": module.OP_IDS})


def warm_up(xlens: tuple[int, ...] = (64, 32)) -> None:
    """Make (or find in the cache) the loop's machine code for each XLEN, e.g. in CI set-up."""
    for xlen in xlens:
        machine_code(xlen)


__all__ = ["FastEngine", "generate_source", "machine_code", "warm_up"]
