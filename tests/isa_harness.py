"""Differential ISA tests: instruction sequences run under qemu-riscv64 (the oracle) and pyemu.

A Case is an assembly body plus the machine state it starts from. Cases are batched into
freestanding RV64GC programs; for each case the program

  1. points sp at the case's 512-byte scratch buffer (so sp is not a free test register, and
     a body must leave it as it found it),
  2. loads fcsr, f0..f31 and x1, x3..x31 from the case's data table,
  3. runs the body,
  4. stores x0..x31, f0..f31 and fcsr just below the scratch buffer and writes that block
     and the scratch buffer to stdout with write(2) (one BLOCK of bytes per case),

and exits 0 after the last case. Each program is built once and run once under qemu and
once under each pyemu engine per test session (the results are cached in a directory shared
by the xdist workers); each case then compares its own block byte for byte and, on a
mismatch, names each differing register with both values and the body line that last
wrote it.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import pickle
import random
import re
import shutil
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest
from pyemu.emulator.cpu import ABI_NAMES as X_NAMES
from pyemu.emulator.cpu import FP_ABI_NAMES as F_NAMES

CC = "riscv64-linux-gnu-gcc"
OBJDUMP = "riscv64-linux-gnu-objdump"
QEMU = "qemu-riscv64"
ALLOW_MISSING_TOOLS = "PYEMU_ALLOW_MISSING_TOOLS"
PYEMU = (sys.executable, "-m", "pyemu")
# pyemu's fast engine starts on the reference (python) engine and moves to its compiled loop
# only after a million instructions, far more than an ISA program runs: to test the compiled
# loop, "fast" runs with --tier-up 0.
CFLAGS = ("-march=rv64gc_zba_zbb_zbc_zbs", "-mabi=lp64d", "-nostdlib", "-static", "-fno-pic", "-no-pie",
          "-Wl,--no-relax")  # no relaxation: gp is a test register, not the global pointer
# Self-modifying code needs writable text: one RWX segment (ld's -N, "omagic").
SMC_FLAGS = ("-Wl,-N", "-Wl,--no-warn-rwx-segments")
RUN_TIMEOUT = 120
GUEST_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C"}

FREE_X = tuple(i for i in range(1, 32) if i != 2)  # every x register a body may load: not sp

# Layout of one case's block: x0..x31, f0..f31, fcsr, padding, then the scratch buffer.
X_OFFSET, F_OFFSET, FCSR_OFFSET = 0, 256, 512
STATE_SIZE = 528
SCRATCH_SIZE = 512
BLOCK = STATE_SIZE + SCRATCH_SIZE
MASK64 = (1 << 64) - 1

# The scratch buffer's default contents: every byte value, so loads see both sign bits.
DEFAULT_SCRATCH = bytes((i * 0x9D + 0x31) & 0xFF for i in range(SCRATCH_SIZE))


def _default_registers() -> tuple[tuple[int, ...], tuple[int, ...]]:
    rng = random.Random(0x15A)
    x = tuple(rng.getrandbits(64) for _ in range(32))
    f = tuple(rng.getrandbits(64) for _ in range(32))
    return x, f


DEFAULT_X, DEFAULT_F = _default_registers()


def require_tools(*names: str) -> None:
    """Fail (never skip, unless PYEMU_ALLOW_MISSING_TOOLS=1) when a host tool is missing."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        message = (f"{', '.join(missing)} not installed: the ISA tests need the RISC-V cross "
                   f"toolchain and qemu-riscv64 (Debian: gcc-riscv64-linux-gnu qemu-user). "
                   f"Set {ALLOW_MISSING_TOOLS}=1 to skip them instead.")
        if os.environ.get(ALLOW_MISSING_TOOLS) == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)


def x_index(name: str | int) -> int:
    if isinstance(name, int):
        return name
    if re.fullmatch(r"x\d+", name):
        return int(name[1:])
    return 8 if name == "fp" else X_NAMES.index(name)


def f_index(name: str | int) -> int:
    if isinstance(name, int):
        return name
    if re.fullmatch(r"f\d+", name):
        return int(name[1:])
    return F_NAMES.index(name)


# ----------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One test: an assembly body and the state it starts from.

    In `body`, `{scratch}` names the case's scratch buffer (sp points at it too) and `{L}`
    is a prefix that makes a label unique to the case. Initial x values may be assembler
    expressions, e.g. "{scratch}+8". Registers not given start with fixed pseudo-random values.
    """

    id: str
    body: str
    x: Mapping[int, int | str] = field(default_factory=dict)
    f: Mapping[int, int] = field(default_factory=dict)
    fcsr: int = 0
    scratch: bytes = DEFAULT_SCRATCH
    rvc: bool = False  # assemble the body with compressed instructions allowed
    mask: frozenset[str] = frozenset()  # registers not compared (counters, time)
    check: Callable[[State], list[str]] | None = None  # own checks on each emulator's state
    signal: int | None = None  # the body must kill the program with this signal
    alone: bool = False  # in a program of its own (known bugs: a crash hides no other case)
    writable_text: bool = False  # self-modifying code

    @property
    def group(self) -> str:
        return self.id.split("-", 1)[0]


def case(id: str, body: str, *, x: Mapping[str | int, int | str] | None = None,
         f: Mapping[str | int, int] | None = None, scratch: bytes | None = None,
         **options) -> Case:
    """A hand-written case; registers are named as in assembly (a0, x5, fs1, f3...)."""
    if scratch is not None:
        scratch = scratch + DEFAULT_SCRATCH[len(scratch):]
    return Case(id, textwrap.dedent(body).strip("\n"),
                {x_index(k): v for k, v in (x or {}).items()},
                {f_index(k): v for k, v in (f or {}).items()},
                scratch=DEFAULT_SCRATCH if scratch is None else scratch, **options)


def known_bug(c: Case, engine: str, known: Mapping[tuple[str, str], str]) -> str | None:
    """The reason `c` fails on `engine` when it is a known pyemu bug, else None.

    `known` maps (engine or "*", regular expression) to the reason; the expression is
    searched in multi-line mode in the case's id and body lines.
    """
    reasons = [reason for (where, pattern), reason in known.items()
               if where in ("*", engine)
               and re.search(pattern, f"{c.id}\n{c.body}", re.MULTILINE)]
    return "; ".join(reasons) or None


def unused_known_bugs(cases: Sequence[Case], known: Mapping[tuple[str, str], str]) -> list:
    return [key for key in known
            if not any(re.search(key[1], f"{c.id}\n{c.body}", re.MULTILINE) for c in cases)]


# ----------------------------------------------------------------------------- batches


class X(NamedTuple):
    """An integer source operand: a value (or an assembler expression) in some x register."""

    value: int | str


class F(NamedTuple):
    """A floating-point source operand: raw register bits in some f register."""

    value: int


SLOT = X("{slot}")  # a register holding the address of the op's own scratch slot


@dataclass(frozen=True)
class Op:
    """One operation of a batch: a template with {d} (destination), {s0}, {s1}, {s2}
    (sources, in `srcs` order) and {m} (offset of its scratch slot from sp).

    dest is "x", "f" or None; `mem` is the initial content of the op's own scratch slot;
    with `flags`, the accrued fflags are read and cleared into an x register after the op.
    """

    text: str
    dest: str | None = "x"
    srcs: tuple[X | F, ...] = ()
    mem: bytes = b""
    flags: bool = False


class _Allocation:
    def __init__(self) -> None:
        self.x: dict[int | str, int] = {}
        self.f: dict[int, int] = {}
        self.x_used = 0
        self.f_used = 0
        self.scratch = bytearray(DEFAULT_SCRATCH)
        self.scratch_used = 0
        self.lines: list[str] = []

    def _x_values(self, op: Op) -> list[int | str]:
        """The op's integer sources, its slot address resolved."""
        slot = f"{{scratch}}+{self.scratch_used}"
        return [s.value.replace("{slot}", slot) if isinstance(s.value, str) else s.value
                for s in op.srcs if isinstance(s, X)]

    def fits(self, op: Op) -> bool:
        x_new = set(self._x_values(op)) - set(self.x)
        f_new = {s.value for s in op.srcs if isinstance(s, F)} - set(self.f)
        x_need = len(x_new) + (op.dest == "x") + op.flags
        f_need = len(f_new) + (op.dest == "f")
        slot = -(-len(op.mem) // 8) * 8
        return (self.x_used + x_need <= len(FREE_X) and self.f_used + f_need <= 32
                and self.scratch_used + slot <= SCRATCH_SIZE)

    def new_x(self) -> int:
        reg = FREE_X[self.x_used]
        self.x_used += 1
        return reg

    def new_f(self) -> int:
        reg = self.f_used
        self.f_used += 1
        return reg

    def add(self, op: Op) -> None:
        slot = self.scratch_used
        x_values = iter(self._x_values(op))
        self.scratch[slot:slot + len(op.mem)] = op.mem
        self.scratch_used += -(-len(op.mem) // 8) * 8
        names = []
        for src in op.srcs:
            if isinstance(src, F):
                if src.value not in self.f:
                    self.f[src.value] = self.new_f()
                names.append(F_NAMES[self.f[src.value]])
            else:
                value = next(x_values)
                if value not in self.x:
                    self.x[value] = self.new_x()
                names.append(X_NAMES[self.x[value]])
        dest = {"x": lambda: X_NAMES[self.new_x()], "f": lambda: F_NAMES[self.new_f()],
                None: lambda: ""}[op.dest]()
        self.lines.extend(op.text.format(d=dest, m=slot, **{f"s{i}": n for i, n in
                                                              enumerate(names)}).splitlines())
        if op.flags:
            self.lines.append(f"fsflags {X_NAMES[self.new_x()]}, zero")

    def case(self, id: str, **options) -> Case:
        # Inputs are loaded as the case's initial registers; the results get fresh registers.
        return Case(id, "\n".join(line.strip() for line in self.lines),
                    {reg: value for value, reg in self.x.items()},
                    {reg: value for value, reg in self.f.items()},
                    scratch=bytes(self.scratch), **options)


def batch(id: str, ops: Sequence[Op], **options) -> list[Case]:
    """As few cases as the registers and scratch allow, running `ops` with distinct
    destination registers; ids get a -0, -1... suffix when the ops need several cases."""
    chunks = [_Allocation()]
    for op in ops:
        if not chunks[-1].fits(op):
            chunks.append(_Allocation())
        if not chunks[-1].fits(op):
            raise ValueError(f"{id}: op does not fit in one case: {op}")
        chunks[-1].add(op)
    if len(chunks) == 1:
        return [chunks[0].case(id, **options)]
    return [chunk.case(f"{id}-{i}", **options) for i, chunk in enumerate(chunks)]


# ----------------------------------------------------------------------------- programs

_LOAD_STATE = "\n".join(
    [f"ld t0, {FCSR_OFFSET - STATE_SIZE}(sp)", "fscsr t0"]
    + [f"fld f{i}, {F_OFFSET + 8 * i - STATE_SIZE}(sp)" for i in range(32)]
    + [f"ld x{i}, {X_OFFSET + 8 * i - STATE_SIZE}(sp)" for i in FREE_X]
)
_DUMP_STATE = "\n".join(
    [f"sd x{i}, {X_OFFSET + 8 * i - STATE_SIZE}(sp)" for i in range(32)]
    + [f"fsd f{i}, {F_OFFSET + 8 * i - STATE_SIZE}(sp)" for i in range(32)]
    + ["frcsr t0", f"sd t0, {FCSR_OFFSET - STATE_SIZE}(sp)",
       f"addi a1, sp, {-STATE_SIZE}", f"li a2, {BLOCK}", "li a0, 1", "li a7, 64", "ecall"]
)


def _dwords(values: Iterable[int | str]) -> str:
    return "\n".join(f"    .dword {v if isinstance(v, str) else hex(v & MASK64)}" for v in values)


def program_source(cases: Sequence[Case]) -> str:
    text = ["    .option norvc", "    .text", "    .globl _start", "_start:"]
    data = ["    .data"]
    for n, c in enumerate(cases):
        name = f"case{n}"

        def subst(s: str, name: str = name) -> str:
            return s.replace("{scratch}", f"{name}_scratch").replace("{L}", f"{name}_")

        x = [c.x.get(i, DEFAULT_X[i]) for i in range(32)]
        x[0], x[2] = 0, f"{name}_scratch"
        f = [c.f.get(i, DEFAULT_F[i]) for i in range(32)]
        text += [f"# {c.id}", f"lla sp, {name}_scratch", _LOAD_STATE,
                 f"{name}_body:", "    .option push", f"    .option {'rvc' if c.rvc else 'norvc'}",
                 textwrap.indent(subst(c.body), "    "), "    .option pop",
                 "    .balign 4", f"{name}_end:", _DUMP_STATE]
        data += ["    .balign 16", f"{name}_state:",
                 _dwords(subst(v) if isinstance(v, str) else v for v in x), _dwords(f),
                 _dwords([c.fcsr, 0]), f"{name}_scratch:",
                 *(f"    .byte {', '.join(str(b) for b in c.scratch[i:i + 32])}"
                   for i in range(0, SCRATCH_SIZE, 32))]
    text += ["li a0, 0", "li a7, 93", "ecall"]
    return "\n".join(text + data) + "\n"


class State(NamedTuple):
    """What a case left: registers (unsigned 64-bit values), fcsr and the scratch buffer."""

    x: tuple[int, ...]
    f: tuple[int, ...]
    fcsr: int
    scratch: bytes

    def register(self, name: str) -> int:
        if name == "fcsr":
            return self.fcsr
        if name in F_NAMES:
            return self.f[F_NAMES.index(name)]
        return self.x[X_NAMES.index(name)]

    def to_bytes(self) -> bytes:
        return struct.pack("<66Q", *self.x, *self.f, self.fcsr, 0) + self.scratch


def decode(stdout: bytes) -> list[State]:
    states = []
    for start in range(0, len(stdout) - BLOCK + 1, BLOCK):
        block = stdout[start:start + BLOCK]
        words = struct.unpack_from("<66Q", block)
        states.append(State(words[:32], words[32:64], words[64], block[STATE_SIZE:]))
    return states


class Run(NamedTuple):
    returncode: int  # death by signal N is 128 + N, as shells and pyemu report it
    stdout: bytes
    stderr: str


def run(command: Sequence[str], cwd: Path, timeout: float = RUN_TIMEOUT) -> Run:
    cwd.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(list(command), capture_output=True, cwd=cwd, env=GUEST_ENV,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as expired:
        return Run(-1, expired.stdout or b"", f"timed out after {timeout} s")
    code = done.returncode
    return Run(128 - code if code < 0 else code, done.stdout,
               done.stderr.decode(errors="replace"))


@dataclass(frozen=True)
class Program:
    cases: tuple[Case, ...]

    @functools.cached_property
    def flags(self) -> tuple[str, ...]:
        return CFLAGS + (SMC_FLAGS if any(c.writable_text for c in self.cases) else ())

    @functools.cached_property
    def source(self) -> str:
        return program_source(self.cases)

    @functools.cached_property
    def key(self) -> str:
        digest = hashlib.sha256((self.source + "\0".join(self.flags)).encode()).hexdigest()
        return f"{self.cases[0].group}-{digest[:16]}"


def plan(cases: Sequence[Case], per_program: int = 150) -> dict[str, tuple[Program, int]]:
    """Program and position of each case id. Cases of a group share programs; a case that
    must die of a signal, or is marked `alone` (a known pyemu bug), gets a program of its
    own, so that it cannot hide the cases after it."""
    groups: dict[tuple, list[Case]] = {}
    for c in cases:
        alone = c.signal is not None or c.alone
        groups.setdefault((c.group, c.writable_text, c.id if alone else ""), []).append(c)
    where = {}
    for members in groups.values():
        for start in range(0, len(members), per_program):
            program = Program(tuple(members[start:start + per_program]))
            for i, c in enumerate(program.cases):
                where[c.id] = (program, i)
    return where


def pyemu_engines() -> tuple[str, ...]:
    """The execution engines to test: PYEMU_ISA_ENGINES (comma-separated), else every
    engine `pyemu --engine` offers ("fast" runs compiled from the first instruction)."""
    chosen = os.environ.get("PYEMU_ISA_ENGINES")
    if chosen:
        return tuple(name.strip() for name in chosen.split(",") if name.strip())
    from pyemu.cli import parser

    for action in parser()._actions:
        if action.dest == "engine" and action.choices:
            return tuple(action.choices)
    raise RuntimeError("pyemu --engine offers no choices")


def pyemu_command(engine: str) -> list[str]:
    if engine == "fast":
        return [*PYEMU, "--engine", "fast", "--tier-up", "0"]
    return [*PYEMU, "--engine", engine]


class Outcome(NamedTuple):
    binary: Path
    qemu: Run
    pyemu: Run


class Runner:
    """Builds and runs each program once per session, whichever xdist worker asks first.

    `plans` gives, for each pyemu engine, the program and position of each case (see plan).
    A worker that needs a run another worker is doing meanwhile does a pending run of its
    own choosing instead of waiting, so the workers stay busy.
    """

    def __init__(self, plans: Mapping[str, Mapping[str, tuple[Program, int]]], cache: Path):
        self.plans = plans
        self.cache = cache
        jobs: dict[tuple[str, str], Program] = {}
        for engine, where in plans.items():
            for program, _ in where.values():
                jobs.setdefault((program.key, "qemu"), program)
                jobs.setdefault((program.key, engine), program)
        self.jobs = [(program, runner) for (_, runner), program in jobs.items()]

    def programs(self) -> list[Program]:
        return list({program.key: program for program, _ in self.jobs}.values())

    def binary(self, program: Program) -> Path:
        directory = self.cache / program.key
        directory.mkdir(parents=True, exist_ok=True)
        binary = directory / "prog"
        with _locked(directory / "build.lock"):
            if not binary.exists():
                source = directory / "prog.S"
                source.write_text(program.source)
                partial = directory / f"prog.{os.getpid()}"
                built = subprocess.run([CC, *program.flags, "-o", str(partial), str(source)],
                                       capture_output=True, text=True, check=False)
                if built.returncode:
                    pytest.fail(f"cannot assemble {source}:\n{built.stderr[-4000:]}",
                                pytrace=False)
                os.replace(partial, binary)
        return binary

    def _try_run(self, program: Program, runner: str, wait: bool) -> Run | None:
        """The run's result if it is done or this call does it; None if another worker
        holds it (when not waiting)."""
        binary = self.binary(program)
        results = binary.with_name(f"{runner}.pickle")
        if results.exists():
            return pickle.loads(results.read_bytes())
        with _locked(binary.with_name(f"{runner}.lock"), wait) as held:
            if not held:
                return None
            if not results.exists():
                command = [QEMU] if runner == "qemu" else pyemu_command(runner)
                outcome = run([*command, str(binary)], binary.with_name(f"{runner}-cwd"))
                partial = results.with_name(f"{results.name}.{os.getpid()}")
                partial.write_bytes(pickle.dumps(outcome))
                os.replace(partial, results)
        return pickle.loads(results.read_bytes())

    def result(self, program: Program, runner: str) -> Run:
        """The run of `program` under "qemu" or under pyemu with engine `runner`."""
        while True:
            done = self._try_run(program, runner, wait=False)
            if done is not None:
                return done
            if not any(self._try_run(p, r, wait=False) is None for p, r in self._pending()):
                return self._try_run(program, runner, wait=True)

    def _pending(self) -> Iterator[tuple[Program, str]]:
        for program, runner in self.jobs:
            if not (self.cache / program.key / f"{runner}.pickle").exists():
                yield program, runner

    def check(self, c: Case, engine: str) -> None:
        program, index = self.plans[engine][c.id]
        outcome = Outcome(self.binary(program), self.result(program, "qemu"),
                          self.result(program, engine))
        failure = compare(c, index, outcome)
        if failure:
            pytest.fail(f"[engine {engine}] {failure}", pytrace=False)


@contextlib.contextmanager
def _locked(path: Path, wait: bool = True) -> Iterator[bool]:
    """An exclusive lock shared with the other xdist workers; yields whether it is held
    (always, when waiting for it)."""
    with open(path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
        else:
            yield True


# ----------------------------------------------------------------------------- comparison


def _tail(run_: Run) -> str:
    return f"status {run_.returncode}, stderr: {run_.stderr[-1500:].strip() or '(empty)'}"


def compare(c: Case, index: int, outcome: Outcome) -> str | None:
    """None when pyemu did what qemu did for case `c`, else a readable account."""
    where = f"case {c.id} (block {index} of {outcome.binary})"
    expected_status = 128 + c.signal if c.signal else 0
    if outcome.qemu.returncode != expected_status:
        return (f"{where}: the oracle did not behave as the case expects (status "
                f"{expected_status}); qemu: {_tail(outcome.qemu)}")
    if outcome.pyemu.returncode != outcome.qemu.returncode:
        return (f"{where}: pyemu exit status {outcome.pyemu.returncode}, qemu "
                f"{outcome.qemu.returncode}\npyemu: {_tail(outcome.pyemu)}\n\n"
                + _listing(c))
    expected_states, actual_states = decode(outcome.qemu.stdout), decode(outcome.pyemu.stdout)
    if c.signal:
        if outcome.qemu.stdout != outcome.pyemu.stdout:
            return f"{where}: output before the fault differs"
        return None
    if index >= len(actual_states):
        return (f"{where}: pyemu wrote no state for this case (it wrote {len(actual_states)} "
                f"blocks)\npyemu: {_tail(outcome.pyemu)}\n\n" + _listing(c))
    expected, actual = expected_states[index], actual_states[index]
    problems = []
    if c.check:
        problems += [f"qemu (oracle): {p}" for p in c.check(expected)]
        problems += [f"pyemu: {p}" for p in c.check(actual)]
    problems += differences(c, expected, actual)
    if not problems:
        return None
    return f"{where}: pyemu differs from qemu\n  " + "\n  ".join(problems) + "\n\n" + _listing(c)


_NO_DEST = re.compile(r"^(s[bhwd]|fs[wd]|c\.s[wd]|c\.fs[wd]|c\.s[wd]sp|c\.fsdsp|b\w*|c\.b\w*|"
                      r"j|c\.j|c\.jr|jr|fence.*|ecall|ebreak|\.\w+)$")


def _writers(body: str) -> dict[str, str]:
    """The last body line that names each register as its destination (for a read of
    fflags, with the instruction before it, whose flags it shows; for a raw .insn word, its
    disassembly in the comment)."""
    writers = {}
    previous = ""
    for line in body.splitlines():
        line = line.strip()
        if line.startswith(".insn") and "#" in line:  # a raw word, its disassembly after #
            line = line.split("#", 1)[1].strip()
        parts = line.split(None, 1)
        if len(parts) == 2 and not _NO_DEST.match(parts[0]):
            dest = parts[1].split(",")[0].strip()
            writers[dest] = line
            if parts[0] in ("fsflags", "frflags") and previous:
                writers[dest] = f"{line}   (fflags of: {previous})"
        previous = line
    return writers


def _hex(value: int) -> str:
    return f"{value:#018x}"


def differences(c: Case, expected: State, actual: State) -> list[str]:
    writers = _writers(c.body)
    out = []
    names = [*X_NAMES[1:], *F_NAMES, "fcsr"]
    for name in names:
        if name in c.mask:
            continue
        want, got = expected.register(name), actual.register(name)
        if want != got:
            source = f"   <- {writers[name]}" if name in writers else ""
            out.append(f"{name:5} qemu {_hex(want)}  pyemu {_hex(got)}{source}")
    for offset in range(0, SCRATCH_SIZE, 8):
        want, got = expected.scratch[offset:offset + 8], actual.scratch[offset:offset + 8]
        if want != got:
            out.append(f"scratch+{offset:<3} qemu {want.hex(' ')}  pyemu {got.hex(' ')}")
    return out


def _listing(c: Case) -> str:
    inputs = [f"{X_NAMES[i]}={v if isinstance(v, str) else _hex(v & MASK64)}"
              for i, v in sorted(c.x.items())]
    inputs += [f"{F_NAMES[i]}={_hex(v)}" for i, v in sorted(c.f.items())]
    if c.fcsr:
        inputs.append(f"fcsr={c.fcsr:#x}")
    return ("initial state: " + (", ".join(inputs) or "defaults") + "\nbody:\n"
            + textwrap.indent(c.body, "    "))


# ----------------------------------------------------------------------------- coverage


def executed_mnemonics(runner: Runner) -> set[str]:
    """Mnemonics (objdump, no aliases) assembled in the bodies of every planned program."""
    seen: set[str] = set()
    for program in runner.programs():
        binary = runner.binary(program)
        listing = subprocess.run([OBJDUMP, "-d", "-M", "no-aliases", str(binary)],
                                 capture_output=True, text=True, check=True).stdout
        inside = False
        for line in listing.splitlines():
            label = re.match(r"^[0-9a-f]+ <(case\d+)_(body|end)>:", line)
            if label:
                inside = label.group(2) == "body"
                continue
            fields = line.split("\t")
            if inside and len(fields) >= 3 and re.match(r"^\s*[0-9a-f]+:$", fields[0]):
                mnemonic = fields[2].strip()
                operands = fields[3] if len(fields) > 3 else ""
                if mnemonic == "c.addi" and operands.startswith("zero,"):
                    mnemonic = "c.nop"  # objdump's name for c.nop without aliases
                seen.add(mnemonic)
    return {re.sub(r"\.(aq|rl|aqrl)$", "", name) for name in seen}
