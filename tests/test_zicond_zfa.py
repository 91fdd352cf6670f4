"""Zicond and Zfa, which qemu-riscv64 7.2 does not implement: checked against the spec.

Each case runs hand-encoded instructions (encoded here from the spec's field layouts, not from
pyemu's ISA description) on both engines and compares registers and fflags with values worked
out by hand from the spec. Zicond is also run against qemu through XVentanaCondOps, the
vendor extension qemu 7.2 does have, whose vt.maskc/vt.maskcn compute exactly what
czero.eqz/czero.nez compute.
"""

from __future__ import annotations

import itertools
import random
import struct
import subprocess

import oracles
import pytest
from conftest import require_tool
from isa_harness import (
    CC,
    CFLAGS,
    QEMU,
    Case,
    decode,
    differences,
    program_source,
    pyemu_command,
    pyemu_engines,
    run,
)
from pyemu.emulator.cpu import CAUSE_ILLEGAL_INSTRUCTION, CpuState
from pyemu.emulator.engine_fast import FastEngine
from pyemu.emulator.engine_python import PythonEngine
from pyemu.emulator.memory import PROT_EXEC, PROT_READ, AddressSpace
from pyemu.syscalls.info import HWPROBE_ANSWERS, HWPROBE_IMA_EXT_0

CODE = 0x10000
EBREAK = 0x00100073
CAUSE_BREAKPOINT = 3
NV, NX = 16, 1
RNE, RTZ, RDN, RUP, RMM, DYN = 0, 1, 2, 3, 4, 7
A0, A1, A2 = 10, 11, 12
FA0, FA1, FA2 = 10, 11, 12
BOX = 0xFFFF_FFFF_0000_0000
CANONICAL_S, CANONICAL_D = 0x7FC0_0000, 0x7FF8_0000_0000_0000
ENGINES = [PythonEngine, FastEngine]


def r_type(funct7: int, rs2: int, rs1: int, funct3: int, rd: int, opcode: int) -> int:
    return funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode


def op_fp(funct7: int, rs2: int, rs1: int, funct3: int, rd: int) -> int:
    return r_type(funct7, rs2, rs1, funct3, rd, 0b1010011)


def s(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", value))[0]


def d(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def execute(engine_class, words: list[int], xlen: int = 64, x: dict | None = None,
            f: dict | None = None, fcsr: int = 0) -> tuple[CpuState, int]:
    """Run `words` then ebreak; the state and the cause of the trap that ended the run."""
    mem = AddressSpace()
    mem.map(CODE, 1 << 12, PROT_READ | PROT_EXEC)
    mem.poke(CODE, b"".join(w.to_bytes(4, "little") for w in [*words, EBREAK]))
    state = CpuState(xlen)
    for index, value in (x or {}).items():
        state.set(index, value)
    for index, bits in (f or {}).items():
        state.set_f(index, bits)
    state.fcsr = fcsr
    state.pc = CODE
    stop = engine_class(state, mem).run(100)
    return state, stop.cause


# ---------------------------------------------------------------------------- Zicond

CZERO_EQZ, CZERO_NEZ = 0b101, 0b111


@pytest.mark.parametrize("engine_class", ENGINES)
@pytest.mark.parametrize("xlen", [64, 32])
@pytest.mark.parametrize("condition, eqz, nez", [(0, 0, 0x1234), (1, 0x1234, 0),
                                                 (-1, 0x1234, 0), (1 << 31, 0x1234, 0)])
def test_czero_keeps_or_zeroes_rs1_by_rs2(engine_class, xlen, condition, eqz, nez):
    words = [r_type(0b0000111, A2, A1, CZERO_EQZ, A0, 0b0110011),
             r_type(0b0000111, A2, A1, CZERO_NEZ, 13, 0b0110011),
             r_type(0b0000111, A2, A1, CZERO_NEZ, 0, 0b0110011)]  # rd x0: no write
    state, cause = execute(engine_class, words, xlen, x={A1: 0x1234, A2: condition})
    assert cause == CAUSE_BREAKPOINT
    assert (state.get(A0), state.get(13), state.get(0)) == (eqz, nez, 0)


def condops_program(directory, name: str, opcode: int, funct7: int, eqz: int, nez: int):
    """A harness program applying the pair (eqz, nez) to 30 value/condition pairs, the
    results stored in the scratch buffer that the program writes out."""
    lines = []
    pairs = itertools.product((0, 1, -1, 1 << 63, 0x1234), CONDITIONS)
    for i, (value, condition) in enumerate(pairs):
        lines += [f"li t0, {value}", f"li t1, {condition}",
                  f".insn {r_type(funct7, 6, 5, eqz, 7, opcode):#010x}",  # t2 = t0 by t1
                  f".insn {r_type(funct7, 6, 5, nez, 28, opcode):#010x}",  # t3
                  f"sd t2, {16 * i}(sp)", f"sd t3, {16 * i + 8}(sp)"]
    source = directory / f"{name}.S"
    source.write_text(program_source([Case("Zicond-condops", "\n".join(lines))]))
    binary = directory / name
    subprocess.run([require_tool(CC), *CFLAGS, "-o", str(binary), str(source)], check=True)
    return binary


CONDITIONS = (0, 1, -1, 1 << 63, 0x1_0000_0000, 0x8000_0000)


@pytest.mark.parametrize("engine", pyemu_engines())
def test_czero_computes_what_qemus_ventana_condops_compute(tmp_path, engine):
    """qemu 7.2 implements XVentanaCondOps, whose vt.maskc rd, rs1, rs2 (custom-3, funct3 6)
    is czero.eqz and vt.maskcn (funct3 7) czero.nez: the same cases run as vt.* under qemu
    and as czero.* under pyemu must store the same results."""
    vendor = condops_program(tmp_path, "vt", 0b1111011, 0, 0b110, 0b111)
    standard = condops_program(tmp_path, "czero", 0b0110011, 0b0000111, CZERO_EQZ, CZERO_NEZ)
    qemu = run([require_tool(QEMU), "-cpu", "rv64,xventanacondops=true", str(vendor)],
               tmp_path / "qemu-cwd")
    ours = run([*pyemu_command(engine), str(standard)], tmp_path / "pyemu-cwd")
    assert qemu.returncode == ours.returncode == 0, ours.stderr
    expected, actual = decode(qemu.stdout)[0].scratch, decode(ours.stdout)[0].scratch
    assert expected[:16 * 30] == actual[:16 * 30]
    assert expected[:16] == bytes(8) + bytes(8)  # 0 kept or zeroed is 0 either way
    assert expected[16 * 7:16 * 8] == (1).to_bytes(8, "little") + bytes(8)  # 1 by cond 1


# ---------------------------------------------------------------------------- Zfa

SINGLE, DOUBLE = 0b00, 0b01
# fli.s and fli.d, by rs1: the spec's table, written out.
FLI_S = (0xBF800000, 0x00800000, 0x37800000, 0x38000000, 0x3B800000, 0x3C000000, 0x3D800000,
         0x3E000000, 0x3E800000, 0x3EA00000, 0x3EC00000, 0x3EE00000, 0x3F000000, 0x3F200000,
         0x3F400000, 0x3F600000, 0x3F800000, 0x3FA00000, 0x3FC00000, 0x3FE00000, 0x40000000,
         0x40200000, 0x40400000, 0x40800000, 0x41000000, 0x41800000, 0x43000000, 0x43800000,
         0x47000000, 0x47800000, 0x7F800000, 0x7FC00000)
FLI_D = (0xBFF0 << 48, 0x0010 << 48, 0x3EF0 << 48, 0x3F00 << 48, 0x3F70 << 48, 0x3F80 << 48,
         0x3FB0 << 48, 0x3FC0 << 48, 0x3FD0 << 48, 0x3FD4 << 48, 0x3FD8 << 48, 0x3FDC << 48,
         0x3FE0 << 48, 0x3FE4 << 48, 0x3FE8 << 48, 0x3FEC << 48, 0x3FF0 << 48, 0x3FF4 << 48,
         0x3FF8 << 48, 0x3FFC << 48, 0x4000 << 48, 0x4004 << 48, 0x4008 << 48, 0x4010 << 48,
         0x4020 << 48, 0x4030 << 48, 0x4060 << 48, 0x4070 << 48, 0x40E0 << 48, 0x40F0 << 48,
         0x7FF0 << 48, 0x7FF8 << 48)


@pytest.mark.parametrize("engine_class", ENGINES)
def test_fli_loads_the_table_of_constants_without_flags(engine_class):
    for fmt, table, box in ((SINGLE, FLI_S, BOX), (DOUBLE, FLI_D, 0)):
        words = [op_fp(0b1111000 | fmt, 1, index, 0, index) for index in range(32)]
        state, cause = execute(engine_class, words)
        assert cause == CAUSE_BREAKPOINT
        assert [state.get_f(i) for i in range(32)] == [bits | box for bits in table]
        assert state.fcsr == 0


def binary_fp(engine_class, funct7, funct3, a, b, fmt=SINGLE, to_x=False, fcsr=0):
    """(result, fflags) of `op rd, fa1, fa2` on the raw values a and b (singles NaN-boxed)."""
    box = BOX if fmt == SINGLE else 0
    word = op_fp(funct7 | fmt, FA2, FA1, funct3, A0 if to_x else FA0)
    state, cause = execute(engine_class, [word], f={FA1: a | box, FA2: b | box}, fcsr=fcsr)
    assert cause == CAUSE_BREAKPOINT
    result = state.get(A0) if to_x else state.get_f(FA0) & ~box
    return result, state.fcsr & 0x1F


SNAN_S, QNAN_S = 0x7F800001, 0x7FC00000 | 0x123
FMINM, FMAXM = (0b0010100, 0b010), (0b0010100, 0b011)


@pytest.mark.parametrize("engine_class", ENGINES)
@pytest.mark.parametrize("op, a, b, expected", [
    (FMINM, s(2.0), s(3.0), (s(2.0), 0)),
    (FMINM, s(-0.0), s(0.0), (s(-0.0), 0)),
    (FMINM, s(0.0), s(-0.0), (s(-0.0), 0)),
    (FMINM, s(1.0), QNAN_S, (CANONICAL_S, 0)),  # fmin.s would give 1.0
    (FMINM, SNAN_S, s(1.0), (CANONICAL_S, NV)),
    (FMAXM, s(2.0), s(3.0), (s(3.0), 0)),
    (FMAXM, s(-0.0), s(0.0), (s(0.0), 0)),
    (FMAXM, QNAN_S, s(-1.0), (CANONICAL_S, 0)),
    (FMAXM, s(1.0), SNAN_S, (CANONICAL_S, NV)),
])
def test_fminm_fmaxm_are_ieee_minimum_and_maximum(engine_class, op, a, b, expected):
    assert binary_fp(engine_class, *op, a, b) == expected


@pytest.mark.parametrize("engine_class", ENGINES)
def test_fminm_fmaxm_double(engine_class):
    assert binary_fp(engine_class, *FMINM, d(1.5), d(-2.0), DOUBLE) == (d(-2.0), 0)
    assert binary_fp(engine_class, *FMAXM, d(1.0), CANONICAL_D | 1, DOUBLE) == (CANONICAL_D, 0)


FLEQ, FLTQ = (0b1010000, 0b100), (0b1010000, 0b101)


@pytest.mark.parametrize("engine_class", ENGINES)
@pytest.mark.parametrize("op, a, b, expected", [
    (FLEQ, s(1.0), s(2.0), (1, 0)), (FLTQ, s(1.0), s(2.0), (1, 0)),
    (FLEQ, s(2.0), s(2.0), (1, 0)), (FLTQ, s(2.0), s(2.0), (0, 0)),
    (FLEQ, s(-0.0), s(0.0), (1, 0)), (FLTQ, s(-0.0), s(0.0), (0, 0)),
    (FLEQ, QNAN_S, s(1.0), (0, 0)), (FLTQ, s(1.0), QNAN_S, (0, 0)),  # fle/flt: NV
    (FLEQ, SNAN_S, s(1.0), (0, NV)), (FLTQ, s(1.0), SNAN_S, (0, NV)),
])
def test_fleq_fltq_are_quiet_comparisons(engine_class, op, a, b, expected):
    assert binary_fp(engine_class, *op, a, b, to_x=True) == expected


def fround(engine_class, value, rm, exact=False, fmt=SINGLE, fcsr=0):
    box = BOX if fmt == SINGLE else 0
    word = op_fp(0b0100000 | fmt, 0b00101 if exact else 0b00100, FA1, rm, FA0)
    state, cause = execute(engine_class, [word], f={FA1: value | box}, fcsr=fcsr)
    if cause != CAUSE_BREAKPOINT:
        return cause
    return state.get_f(FA0) & ~box, state.fcsr & 0x1F


@pytest.mark.parametrize("engine_class", ENGINES)
@pytest.mark.parametrize("value, rm, exact, expected", [
    (s(2.5), RNE, False, (s(2.0), 0)),
    (s(2.5), RNE, True, (s(2.0), NX)),
    (s(3.5), RNE, False, (s(4.0), 0)),
    (s(2.5), RMM, False, (s(3.0), 0)),
    (s(2.5), RTZ, True, (s(2.0), NX)),
    (s(-2.5), RUP, False, (s(-2.0), 0)),
    (s(-0.3), RNE, True, (s(-0.0), NX)),  # the zero keeps the sign
    (s(-0.3), RDN, False, (s(-1.0), 0)),
    (s(0.3), RUP, False, (s(1.0), 0)),
    (s(3.0), RNE, True, (s(3.0), 0)),  # already integral: exact
    (s(1e30), RUP, True, (s(1e30), 0)),
    (s(-0.0), RUP, True, (s(-0.0), 0)),
    (0x7F800000, RNE, True, (0x7F800000, 0)),
    (QNAN_S, RNE, True, (CANONICAL_S, 0)),
    (SNAN_S, RNE, False, (CANONICAL_S, NV)),
    (0x00000001, RUP, True, (s(1.0), NX)),  # the smallest subnormal
])
def test_fround_and_froundnx_round_to_an_integral_value(engine_class, value, rm, exact,
                                                        expected):
    assert fround(engine_class, value, rm, exact) == expected


@pytest.mark.parametrize("engine_class", ENGINES)
def test_fround_double_with_the_dynamic_rounding_mode_and_a_reserved_one(engine_class):
    assert fround(engine_class, d(-7.5), DYN, True, DOUBLE, fcsr=RMM << 5) == (d(-8.0), NX)
    assert fround(engine_class, d(2.0**52 + 1), RNE, True, DOUBLE) == (d(2.0**52 + 1), 0)
    assert fround(engine_class, d(1.5), 5, False, DOUBLE) == CAUSE_ILLEGAL_INSTRUCTION
    assert fround(engine_class, d(1.5), DYN, False, DOUBLE, fcsr=6 << 5) \
        == CAUSE_ILLEGAL_INSTRUCTION


def fcvtmod(engine_class, value, rm=RTZ, xlen=64):
    state, cause = execute(engine_class, [op_fp(0b1100001, 0b01000, FA1, rm, A0)], xlen,
                           f={FA1: value})
    if cause != CAUSE_BREAKPOINT:
        return cause
    return state.get_signed(A0), state.fcsr & 0x1F


@pytest.mark.parametrize("engine_class", ENGINES)
@pytest.mark.parametrize("value, expected", [
    (d(-3.7), (-3, NX)),
    (d(42.0), (42, 0)),
    (d(2.0**31 - 1), (2**31 - 1, 0)),
    (d(2.0**31), (-2**31, NV)),  # fcvt.w.d would saturate to 2**31 - 1
    (d(-2.0**31 - 1), (2**31 - 1, NV)),
    (d(1e10), (10_000_000_000 - 2 * 2**32, NV)),
    (d(4294967296.5), (0, NV)),  # out of range: NV, never NX with it
    (d(1e20), ((10**20 % 2**32) - 2**32 if 10**20 % 2**32 >= 2**31 else 10**20 % 2**32, NV)),
    (d(2.0**60 + 2.0**31), (-2**31, NV)),
    (d(-0.0), (0, 0)),
    (d(0.75), (0, NX)),
    (0x7FF0 << 48, (0, NV)),  # infinities and NaNs give 0
    (0xFFF0 << 48, (0, NV)),
    (CANONICAL_D, (0, NV)),
])
def test_fcvtmod_w_d_truncates_modulo_2_to_the_32(engine_class, value, expected):
    assert fcvtmod(engine_class, value) == expected


@pytest.mark.parametrize("engine_class", ENGINES)
def test_fcvtmod_w_d_on_rv32_and_its_reserved_rounding_modes(engine_class):
    assert fcvtmod(engine_class, d(-5.5), xlen=32) == (-5, NX)
    assert fcvtmod(engine_class, d(2.0**32 + 7), xlen=32) == (7, NV)
    for rm in (RNE, RDN, DYN):
        assert fcvtmod(engine_class, d(1.0), rm) == CAUSE_ILLEGAL_INSTRUCTION


@pytest.mark.parametrize("engine_class", ENGINES)
def test_fmvh_x_d_and_fmvp_d_x_move_doubles_through_rv32_register_pairs(engine_class):
    words = [op_fp(0b1110001, 1, FA1, 0, A0),  # fmvh.x.d a0, fa1
             op_fp(0b1110000, 0, FA1, 0, 13),  # fmv.x.w a3, fa1: the low half
             op_fp(0b1011001, A2, A1, 0, FA2)]  # fmvp.d.x fa2, a1, a2
    state, cause = execute(engine_class, words, 32, x={A1: 0x89AB_CDEF, A2: 0xFEDC_BA98},
                           f={FA1: 0x8123_4567_0000_0001})
    assert cause == CAUSE_BREAKPOINT
    assert (state.get(A0), state.get(13)) == (0x8123_4567, 0x0000_0001)
    assert state.get_signed(A0) == -(1 << 32) + 0x8123_4567  # sign-extended in the register
    assert state.get_f(FA2) == 0xFEDC_BA98_89AB_CDEF
    # RV64 moves doubles with fmv.x.d / fmv.d.x: the pair forms are illegal there.
    for word in words[::2]:
        assert execute(engine_class, [word])[1] == CAUSE_ILLEGAL_INSTRUCTION


def test_hwprobe_reports_zicond_and_zfa():
    zfa, zicond = 1 << 32, 1 << 35  # RISCV_HWPROBE_EXT_ZFA, RISCV_HWPROBE_EXT_ZICOND
    assert HWPROBE_ANSWERS[HWPROBE_IMA_EXT_0] & (zfa | zicond) == zfa | zicond


# ------------------------------------------------- Zfa, Zfhmin and Zicboz against qemu 10
# qemu 10 (tests/oracles.py) implements them. These programs have no vector instruction and no
# system call before their last case, so that on the fast engine (--tier-up 0) the compiled
# loop runs every instruction itself: the reference engine runs bursts of instructions after
# each hand-over, which would hide the loop's mistakes.

ZFHMIN_CFLAGS = ("-march=rv64gc_zfhmin_zicboz", *CFLAGS[1:])
SPECIAL_SINGLES = (0, 0x8000_0000, 0x3F80_0000, 0x3FC0_0000, 0xC020_0000, 0x4B00_0001,
                   0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7F80_0001, 0x0000_0001,
                   0x0080_0000, 0x3F00_0000, 0xBF00_0000, 0x4F00_0000, 0x3EFF_FFFF)
SPECIAL_DOUBLES = (0, 1 << 63, d(2.5), d(-3.5), d(0.5), d(-0.49999999999999994), d(2.0**52 + 1),
                   d(2.0**31 + 0.5), d(-2.0**31 - 1), d(2.0**63), d(-2.0**40 + 3.75),
                   d(1e300), 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
                   0x7FF8_0000_0000_0000, 0x7FF0_0000_0000_0001, 1, 0x0010_0000_0000_0000)
# (funct7 for singles, funct3 or rs2) of the two-operand and the rounding instructions
MINIMUM_MAXIMUM = [(0b0010100, 0b010), (0b0010100, 0b011)]
QUIET_COMPARISONS = [(0b1010000, 0b100), (0b1010000, 0b101)]
ROUNDS = [(0b0100000, 4), (0b0100000, 5)]


def zfa_body(rng: random.Random) -> str:
    """Each Zfa instruction on f1..f4 (two singles, two doubles), results in f5.. and x
    registers, with one static rounding mode or the dynamic one."""
    lines = []
    rm = rng.choice((RNE, RTZ, RDN, RUP, RMM, DYN))
    fd = 5
    for (funct7, funct3), fmt in itertools.product(MINIMUM_MAXIMUM, (SINGLE, DOUBLE)):
        rs1, rs2 = (1, 2) if fmt == SINGLE else (3, 4)
        lines.append(f".insn {op_fp(funct7 | fmt, rs2, rs1, funct3, fd):#010x}")
        fd += 1
    for (funct7, rs2), fmt in itertools.product(ROUNDS, (SINGLE, DOUBLE)):
        for rs1 in (1, 2) if fmt == SINGLE else (3, 4):
            lines.append(f".insn {op_fp(funct7 | fmt, rs2, rs1, rm, fd):#010x}")
            fd += 1
    rd = iter((5, 6, 7, 8, 9, *range(18, 32)))  # any but sp
    for (funct7, funct3), fmt in itertools.product(QUIET_COMPARISONS, (SINGLE, DOUBLE)):
        rs1, rs2 = (1, 2) if fmt == SINGLE else (3, 4)
        for a, b in ((rs1, rs2), (rs2, rs1), (rs1, rs1)):
            lines.append(f".insn {op_fp(funct7 | fmt, b, a, funct3, next(rd)):#010x}")
    for rs1 in (3, 4):  # fcvtmod.w.d
        lines.append(f".insn {op_fp(0b1100001, 0b01000, rs1, RTZ, next(rd)):#010x}")
    lines.append(f".insn {op_fp(0b1111000, 1, rng.randrange(32), 0, fd):#010x}")  # fli.s
    lines.append(f".insn {op_fp(0b1111001, 1, rng.randrange(32), 0, fd + 1):#010x}")  # fli.d
    return "\n".join(lines)


def zfa_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for n in range(count):
        def single() -> int:
            return BOX | (rng.choice(SPECIAL_SINGLES) if rng.random() < 0.6
                          else rng.getrandbits(32))

        def double() -> int:
            return rng.choice(SPECIAL_DOUBLES) if rng.random() < 0.6 else rng.getrandbits(64)

        cases.append(Case(f"zfa-{seed}-{n}", zfa_body(rng),
                          f={1: single(), 2: single(), 3: double(), 4: double()},
                          fcsr=rng.randrange(5) << 5))
    return cases


HALF_BODY = """fmv.h.x ft0, a0
fcvt.s.h ft1, ft0
fcvt.d.h ft2, ft0
fmv.x.h s2, ft0
fcvt.h.s ft4, fa1, {rm}
fcvt.h.d ft5, fa2, {rm}
fcvt.s.h ft6, fa3
fcvt.h.s ft7, fa4, {rm}
fcvt.h.d fs0, fa5, {rm}
flh fs1, 6(sp)
fsh fs1, 32(sp)
fsh ft4, 40(sp)
addi a6, sp, 130
cbo.zero (a6)"""


def half_cases(count: int, seed: int) -> list[Case]:
    """Zfhmin's conversions of special and random values (fa3 is not a NaN-boxed half: it
    reads as the canonical NaN), and a cache block zeroed."""
    rng = random.Random(seed)
    halves = (0, 0x8000, 0x3C00, 0x7BFF, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E00, 0x7D00)
    singles = (0x47800000, 0x477FF000, 0x477FE000, 0x33800000, 0x33000000, 0x387FC000,
               0x7F800001, 0xFF800000, 0x3EAAAAAB, 0x38800000, 0x387FFFFF, 0xB3000001)
    doubles = (0x3FD5555555555555, 0x40EFFE0000000000, 0x3E70000000000000,
               0x7FF4000000000000, 0x3F10000000000000, 0x3E6FFFFFFFFFFFFF, 1)
    cases = []
    for n in range(count):
        rm = ("rne", "rtz", "rdn", "rup", "rmm", "dyn")[n % 6]
        cases.append(Case(
            f"zfhmin-{seed}-{n}", HALF_BODY.format(rm=rm),
            x={A0: rng.choice(halves) if rng.random() < 0.5 else rng.getrandbits(16)},
            f={11: BOX | (rng.choice(singles) if rng.random() < 0.6 else rng.getrandbits(32)),
               12: rng.choice(doubles) if rng.random() < 0.6 else rng.getrandbits(64),
               13: rng.getrandbits(48),
               14: BOX | rng.getrandbits(32), 15: rng.getrandbits(64)},
            fcsr=rng.randrange(5) << 5))
    return cases


QEMU10_CASES = zfa_cases(48, 15) + half_cases(36, 15)


@pytest.fixture(scope="module")
def qemu10_program(tmp_path_factory):
    """The cases' program, and its states under qemu 10."""
    directory = tmp_path_factory.mktemp("zfa-qemu10")
    source = directory / "cases.S"
    source.write_text(program_source(QEMU10_CASES))
    binary = directory / "cases"
    subprocess.run([require_tool(CC), *ZFHMIN_CFLAGS, "-o", str(binary), str(source)],
                   check=True)
    try:
        command = oracles.qemu10_command()
    except oracles.OracleMissing as missing:
        pytest.fail(f"qemu 10, the oracle of these tests, is missing: {missing}")
    oracle = run([*command, str(binary)], directory / "qemu-cwd")
    assert oracle.returncode == 0, oracle.stderr
    return binary, decode(oracle.stdout)


@pytest.mark.parametrize("engine", pyemu_engines())
def test_zfa_zfhmin_and_zicboz_agree_with_qemu10(qemu10_program, engine, tmp_path):
    binary, expected = qemu10_program
    ours = run([*pyemu_command(engine), str(binary)], tmp_path)
    assert ours.returncode == 0, ours.stderr
    actual = decode(ours.stdout)
    assert len(expected) == len(actual) == len(QEMU10_CASES)
    failures = [f"{c.id}: {problems}" for c, want, got in zip(QEMU10_CASES, expected, actual)
                if (problems := differences(c, want, got))]
    assert not failures, "\n".join(failures[:10])
