"""Differential ISA tests: each case runs under qemu-riscv64 (the oracle) and under pyemu,
and the registers, fcsr and scratch memory they leave must be identical (see isa_harness).

Cases are grouped by extension: ids "I-...", "M-...", "A-...", "F-..." (single precision),
"D-..." (double precision), "C-...", "Zicsr-...", "fault-..." (the program must die of a
signal), "SMC-..." (self-modifying code) and "random-...". Each runs on every pyemu engine
(test ids "python:I-add-grid-0", "fast:..."); PYEMU_ISA_ENGINES=python,fast chooses.
Random cases ("random-N") are 40 instructions drawn from the ISA description (every extension
qemu implements, full-size and compressed) with random operands, registers, fcsr and memory;
PYEMU_ISA_RANDOM_COUNT sets how many run (default 30), PYEMU_ISA_RANDOM_SEED their seed. A long
campaign of the same cases runs outside pytest, at low priority:

    nice -n 19 .venv/bin/python tests/isa_campaign.py --count 100000   # --first N resumes
"""

from __future__ import annotations

import itertools
import os
import random
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from isa_harness import (
    CC,
    OBJDUMP,
    QEMU,
    SCRATCH_SIZE,
    SLOT,
    Case,
    F,
    Op,
    Outcome,
    Run,
    Runner,
    State,
    X,
    batch,
    case,
    compare,
    executed_mnemonics,
    known_bug,
    plan,
    pyemu_engines,
    require_tools,
    unused_known_bugs,
)
from pyemu.emulator.decoder import Decoded, Decoder
from pyemu.emulator.disassembly import Disassembler
from pyemu.emulator.engine_python import writes_integer_rd
from pyemu.emulator.isa import all_instructions

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
UINT32_MAX, UINT64_MAX = (1 << 32) - 1, (1 << 64) - 1
SIGILL, SIGTRAP, SIGBUS, SIGSEGV = 4, 5, 7, 11


def binary_grid(mnemonic: str, lefts, rights, group: str | None = None) -> list[Case]:
    """`mnemonic rd, rs1, rs2` for every pair of the two value lists."""
    group = group or ("M" if mnemonic.startswith(("mul", "div", "rem")) else "I")
    ops = [Op(f"{mnemonic} {{d}}, {{s0}}, {{s1}}", "x", (X(a), X(b)))
           for a, b in itertools.product(lefts, rights)]
    return batch(f"{group}-{mnemonic}-grid", ops)


def immediate_grid(mnemonic: str, values, immediates, group: str = "I") -> list[Case]:
    """`mnemonic rd, rs1, imm` for every value and immediate."""
    ops = [Op(f"{mnemonic} {{d}}, {{s0}}, {imm}", "x", (X(v),))
           for v, imm in itertools.product(values, immediates)]
    return batch(f"{group}-{mnemonic}-grid", ops)


# ============================================================================ RV64I

EDGES = (0, 1, -1, INT64_MIN, INT64_MAX, 0x0123_4567_89AB_CDEF)
# Values whose low 32 bits sit at the edges of the 32-bit range, some with junk above them.
WORD_EDGES = (0, -1, INT32_MAX, INT32_MIN, UINT32_MAX, 0x8000_0000, 0xDEAD_BEEF_0000_0001,
              0x1234_5678_7FFF_FFFF)
SHIFTED = (1, -1, INT64_MIN, 0x8123_4567_89AB_CDEF)
SHIFT_AMOUNTS = (0, 1, 31, 32, 63, 64 + 33, -1)  # only the low 6 (5 for *w) bits count
IMMEDIATES = (0, 1, -1, 2047, -2048)
LOAD_BYTES = bytes.fromhex("80ff7f01fe800081 7ec0334455667788 99aabbccddeeff00")


def rv64i_cases() -> list[Case]:
    cases: list[Case] = []
    for mnemonic in ("add", "sub", "slt", "sltu", "xor", "or", "and"):
        cases += binary_grid(mnemonic, EDGES, EDGES)
    for mnemonic in ("addw", "subw"):
        cases += binary_grid(mnemonic, WORD_EDGES, WORD_EDGES[:4])
    for mnemonic in ("sll", "srl", "sra"):
        cases += binary_grid(mnemonic, SHIFTED, SHIFT_AMOUNTS)
    for mnemonic in ("sllw", "srlw", "sraw"):
        cases += binary_grid(mnemonic, WORD_EDGES, SHIFT_AMOUNTS)
    for mnemonic in ("addi", "slti", "sltiu", "xori", "ori", "andi"):
        cases += immediate_grid(mnemonic, EDGES, IMMEDIATES)
    cases += immediate_grid("addiw", WORD_EDGES, IMMEDIATES)
    for mnemonic in ("slli", "srli", "srai"):
        cases += immediate_grid(mnemonic, SHIFTED, (0, 1, 31, 32, 63))
    for mnemonic in ("slliw", "srliw", "sraiw"):
        cases += immediate_grid(mnemonic, WORD_EDGES, (0, 1, 16, 31))
    cases += [
        case("I-slt-signed-vs-sltu", """
            slt a0, a1, a2
            sltu a3, a1, a2
            slti a4, a1, 1
            sltiu a5, a1, 1
            sltiu a6, a2, -1
            sltu a7, zero, a1
            """, x={"a1": -1, "a2": 1}),
        case("I-addiw-sign-extension", """
            addiw a0, a1, 1
            addiw a2, a3, 0
            addw a4, a1, a1
            subw a5, zero, a3
            sllw a6, a3, a7
            sraw t0, a1, a7
            srlw t1, a1, a7
            """, x={"a1": INT32_MAX, "a3": INT32_MIN, "a7": 31}),
        *batch("I-lui", [Op(f"lui {{d}}, {imm:#x}") for imm in
                         (0, 1, 0x7FFFF, 0x80000, 0xFFFFF, 0xABCDE)]),
        *batch("I-auipc", [Op(f"auipc {{d}}, {imm:#x}") for imm in
                           (0, 1, 0x7FFFF, 0x80000, 0xFFFFF)]),
        case("I-x0-discards", """
            addi zero, a0, 5
            lui zero, 0x12345
            add a1, zero, zero
            ld zero, 0(sp)
            jal zero, 1f
            1:
            or a2, zero, a0
            """),
    ]
    # Loads of every width at every alignment, from a slot holding LOAD_BYTES.
    for mnemonic, offsets in (("lb", (0, 1, 3, 7)), ("lbu", (0, 1, 3, 7)),
                              ("lh", (0, 1, 2, 6, 7)), ("lhu", (0, 1, 2, 6, 7)),
                              ("lw", (0, 1, 3, 4, 6)), ("lwu", (0, 1, 3, 4, 6)),
                              ("ld", (0, 1, 3, 4, 7, 8))):
        ops = [Op(f"{mnemonic} {{d}}, {{m}}+{off}(sp)", mem=LOAD_BYTES) for off in offsets]
        ops += [Op(f"{mnemonic} {{d}}, -4({{s0}})", srcs=(X("{slot}+13"),), mem=LOAD_BYTES),
                Op(f"addi {{d}}, {{s0}}, 0\n{mnemonic} {{d}}, 2({{d}})", srcs=(SLOT,),
                   mem=LOAD_BYTES)]  # rd = rs1
        cases += batch(f"I-{mnemonic}", ops)
    # Stores of every width at every alignment, into slots of 0xAA.
    for mnemonic, size in (("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)):
        ops = [Op(f"{mnemonic} {{s1}}, {{m}}+{off}(sp)", None, (SLOT, X(v)), bytes([0xAA]) * 16)
               for off in sorted({0, 1, size - 1, 3, 5}) for v in (-2, 0x1122_3344_5566_7788)]
        ops.append(Op(f"{mnemonic} {{s1}}, -3({{s0}})", None, (X("{slot}+8"), X(-3)),
                      bytes([0xAA]) * 16))
        cases += batch(f"I-{mnemonic}", ops)
    # Branches taken and not taken: the destination is 1 when the branch is taken.
    pairs = ((1, 1), (1, 2), (2, 1), (-1, 1), (1, -1), (-1, -1), (INT64_MIN, INT64_MAX),
             (INT64_MAX, INT64_MIN), (0, INT64_MIN))
    for mnemonic in ("beq", "bne", "blt", "bge", "bltu", "bgeu"):
        cases += batch(f"I-{mnemonic}", [
            Op(f"addi {{d}}, zero, 1\n{mnemonic} {{s0}}, {{s1}}, 1f\naddi {{d}}, zero, 0\n1:",
               "x", (X(a), X(b))) for a, b in pairs])
    cases += [
        case("I-branch-backward-loop", """
            li a0, 0
            li a1, 5
            1: addi a0, a0, 3
            addi a1, a1, -1
            bnez a1, 1b
            li a2, -3
            2: addi a2, a2, 1
            bltu a2, a3, 2b
            """, x={"a3": -1}),
        case("I-branch-far", """
            li a0, 0
            j 3f
            2: addi a0, a0, 2
            bne a0, zero, 4f
            .fill 1000, 4, 0x00000013
            3: addi a0, a0, 1
            beq zero, zero, 2b
            4: addi a0, a0, 4
            """),
        case("I-jal-link", """
            jal ra, 1f
            1: jal t0, 2f
            li a0, 7
            2: jal zero, 3f
            li a1, 8
            3:
            """),
        case("I-jal-far", """
            li a0, 0
            jal ra, 2f
            1: addi a0, a0, 1
            jal t1, 3f
            .skip 0xF0000
            2: addi a0, a0, 2
            jal t0, 1b
            3: addi a0, a0, 4
            """),
        case("I-jalr", """
            lla t0, 1f
            jalr ra, 0(t0)
            1: lla t1, 2f + 8
            jalr t2, -8(t1)
            2: lla a0, 3f
            jalr a0, 0(a0)
            3: lla a1, 4f
            addi a1, a1, 1
            jalr a2, 0(a1)
            4: lla a3, 5f - 1
            jalr a4, 2(a3)
            5: lla a5, 6f
            jalr zero, 0(a5)
            li a6, 1
            6:
            """),
        case("I-fence", """
            fence
            fence rw, rw
            fence iorw, iorw
            fence r, w
            fence.tso
            fence.i
            addi a0, a1, 1
            """),
        case("I-misaligned-across-page", """
            .pushsection .data
            .balign 4096
            {L}page: .fill 1024, 8, 0x8899aabbccddeeff
            .popsection
            lla t0, {L}page + 4093
            sd a1, 0(t0)
            ld a0, 0(t0)
            lw a2, 1(t0)
            lhu a3, 2(t0)
            sw a1, -2(t0)
            lwu a4, -2(t0)
            fld fa0, 0(t0)
            fsw fa1, 1(t0)
            flw fa2, 1(t0)
            ld a5, -8(t0)
            ld a6, 8(t0)
            """, x={"a1": 0x0123_4567_89AB_CDEF}, f={"fa1": SINGLE.box(0xBF80_0001)}),
        case("I-ecall-write-nothing", """
            li a0, 1
            mv a1, sp
            li a2, 0
            li a7, 64
            ecall
            """),
    ]
    return cases


# ============================================================================ M

DIV_EDGES = (0, 1, -1, 2, -7, INT64_MIN, INT64_MAX, 0x0123_4567_89AB_CDEF)


def rv64m_cases() -> list[Case]:
    cases: list[Case] = []
    for mnemonic in ("mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"):
        cases += binary_grid(mnemonic, DIV_EDGES, DIV_EDGES[:6])
    for mnemonic in ("mulw", "divw", "divuw", "remw", "remuw"):
        cases += binary_grid(mnemonic, WORD_EDGES, (0, 1, -1, 7, INT32_MIN, 0xFFFF_FFFF_0000_0003))
    dividends = (5, -5, INT64_MIN, INT32_MIN)
    cases += batch("M-division-by-zero", [
        Op(f"{m} {{d}}, {{s0}}, zero", "x", (X(v),))
        for m in ("div", "divu", "rem", "remu", "divw", "divuw", "remw", "remuw")
        for v in dividends])
    cases += batch("M-signed-overflow", [
        Op(f"{m} {{d}}, {{s0}}, {{s1}}", "x", (X(a), X(-1)))
        for m, a in (("div", INT64_MIN), ("rem", INT64_MIN), ("divw", INT32_MIN),
                     ("remw", INT32_MIN), ("divw", 0x7FFF_FFFF_8000_0000), ("mulh", INT64_MIN),
                     ("mulhsu", INT64_MIN), ("mulhu", INT64_MIN))])
    return cases


# ============================================================================ A

AMO_PAIRS = ((5, -3), (-5, 3), (INT64_MIN, -1), (-1, INT64_MAX), (0x7FFF_FFFF, INT32_MIN))


def amo_memory(value: int, width: int) -> bytes:
    # The word is followed by a marker that a too-wide write would change.
    return (value & ((1 << 8 * width) - 1)).to_bytes(width, "little") + b"\x5a" * (16 - width)


def rv64a_cases() -> list[Case]:
    cases: list[Case] = []
    for op in ("swap", "add", "xor", "and", "or", "min", "max", "minu", "maxu"):
        for width, suffix in ((4, "w"), (8, "d")):
            ops = [Op(f"amo{op}.{suffix} {{d}}, {{s1}}, ({{s0}})", "x", (SLOT, X(new)),
                      amo_memory(old, width)) for old, new in AMO_PAIRS]
            ops.append(Op(f"amo{op}.{suffix}.aqrl {{d}}, {{s1}}, ({{s0}})", "x",
                          (SLOT, X(0xFFFF_FFFF_FFFF_0001 - (1 << 64) if width == 8 else
                                   0x1234_5678_8000_0001)), amo_memory(0x8000_0002, width)))
            ops.append(Op(f"amo{op}.{suffix} zero, {{s1}}, ({{s0}})", None, (SLOT, X(-9)),
                          amo_memory(7, width)))
            cases += batch(f"A-amo{op}.{suffix}", ops)
    scratch = {"s0": "{scratch}", "s1": "{scratch}+12", "a2": -2}
    cases += [
        case("A-lr-sc-d-success", """
            lr.d a0, (s0)
            sc.d a1, a2, (s0)
            ld a3, 0(s0)
            """, x=scratch),
        case("A-lr-sc-w-success-negative", """
            lr.w.aq a0, (s1)
            sc.w.rl a1, a2, (s1)
            lw a3, 0(s1)
            ld a4, 0(s1)
            """, x=scratch, scratch=bytes(12) + bytes.fromhex("fedcba98 01234567")),
        case("A-sc-without-lr", """
            sc.d a1, a2, (s0)
            sc.w a3, a2, (s1)
            ld a4, 0(s0)
            lw a5, 0(s1)
            """, x=scratch),
        case("A-sc-other-address", """
            lr.d a0, (s0)
            sc.w a1, a2, (s1)
            sc.d a3, a2, (s0)
            lr.w a4, (s1)
            sc.w a5, a2, (s0)
            ld a6, 0(s0)
            lw a7, 0(s1)
            """, x=scratch),
        case("A-sc-twice", """
            lr.w a0, (s0)
            sc.w a1, a2, (s0)
            sc.w a3, a4, (s0)
            ld a5, 0(s0)
            """, x=scratch),
        case("A-amo-register-aliasing", """
            amoswap.d a2, a2, (s0)
            amoadd.w a3, a3, (s1)
            amomaxu.w t2, a3, (s1)
            amomin.d a4, a4, (s0)
            mv a5, s0
            amoor.d a5, a6, (a5)
            lr.d a7, (s0)
            sc.d a7, a7, (s0)
            ld t0, 0(s0)
            ld t1, 8(s0)
            """, x={**scratch, "a3": -7, "a4": INT64_MIN, "a6": 0x100}),
        case("A-lr-sc-loop", """
            li a3, 5
            1: lr.d a0, (s0)
            add a0, a0, a3
            sc.d a1, a0, (s0)
            bnez a1, 1b
            addi a3, a3, -1
            bnez a3, 1b
            ld a4, 0(s0)
            """, x=scratch),
    ]
    return cases


# ============================================================================ F and D


class Precision:
    """Single (group F, NaN-boxed in the registers) or double (group D) precision."""

    def __init__(self, group: str, suffix: str, pack: str, mantissa: int):
        self.group, self.suffix, self.pack, self.mantissa = group, suffix, pack, mantissa
        self.width = struct.calcsize(pack) * 8
        self.sign = 1 << (self.width - 1)
        exponent_ones = ((1 << (self.width - 1 - mantissa)) - 1) << mantissa
        self.raw = {
            "+0": 0, "-0": self.sign, "one": self.bits_of(1.0), "-1.5": self.bits_of(-1.5),
            "third": self.bits_of(1 / 3), "max": exponent_ones - 1,
            "-max": self.sign | (exponent_ones - 1), "minnorm": 1 << mantissa, "minsub": 1,
            "-maxsub": self.sign | ((1 << mantissa) - 1), "inf": exponent_ones,
            "-inf": self.sign | exponent_ones, "qnan": exponent_ones | (1 << (mantissa - 1)),
            "snan": exponent_ones | 1, "-qnan-payload": self.sign | exponent_ones | (
                1 << (mantissa - 1)) | 0x123,
        }

    def bits_of(self, value: float) -> int:
        return int.from_bytes(struct.pack("<" + self.pack, value), "little")

    def box(self, raw: int) -> int:
        """Register bits of a raw value: singles are NaN-boxed."""
        return raw | (0xFFFF_FFFF_0000_0000 if self.width == 32 else 0)

    def f(self, value: float | str) -> F:
        """A source operand: a number, or the name of a special value."""
        raw = self.raw[value] if isinstance(value, str) else self.bits_of(value)
        return F(self.box(raw))

    def op(self, mnemonic: str, dest: str, *values: float | str | X, rm: str = "") -> Op:
        """`mnemonic.<suffix> {d}, sources[, rm]` with fflags read and cleared after it."""
        srcs = tuple(v if isinstance(v, X) else self.f(v) for v in values)
        operands = ["{d}", *(f"{{s{i}}}" for i in range(len(srcs)))]
        if rm:
            operands.append(rm)
        name = mnemonic.replace("#", self.suffix)
        return Op(f"{name} {', '.join(operands)}", dest, srcs, flags=True)


SINGLE = Precision("F", "s", "f", 23)
DOUBLE = Precision("D", "d", "d", 52)
PRECISIONS = (SINGLE, DOUBLE)
ROUNDING_MODES = ("rne", "rtz", "rdn", "rup", "rmm")
ARITHMETIC = ("fadd.#", "fsub.#", "fmul.#", "fdiv.#")
FUSED = ("fmadd.#", "fmsub.#", "fnmsub.#", "fnmadd.#")
SPECIALS = ("+0", "-0", "one", "-1.5", "third", "max", "minnorm", "minsub", "inf", "-inf",
            "qnan", "snan")
# Not NaN-boxed, so a single-precision operation reads each as the canonical NaN.
UNBOXED = (0x3FF0_0000_0000_0000, 0xFFFF_FFFE_3F80_0000, 0x0000_0000_3F80_0000)
FLOAT32_MAX_PLUS_HALF_ULP = 3.4028235677973366e38  # a tie: to nearest even is infinity


def rounding_probes(p: Precision, rm: str) -> list[Op]:
    """Operations whose results depend on the rounding mode (ties, inexact, overflow,
    underflow, exact zeros, conversions)."""
    ulp = 2.0 ** -p.mantissa
    tie, above = ulp / 2, ulp * 0.75
    ops = [p.op("fadd.#", "f", *pair, rm=rm) for pair in (
        (1.0, tie), (-1.0, -tie), (1.0, above), (1.0 + ulp, tie), ("max", "max"),
        ("-1.5", 1.5))]
    ops += [p.op("fsub.#", "f", *pair, rm=rm) for pair in ((1.0, 1.0), (-1.0, tie))]
    ops += [p.op("fmul.#", "f", *pair, rm=rm) for pair in (
        ("third", 3.0), ("third", -3.0), ("max", 2.0), ("max", -2.0), ("minsub", 0.5),
        ("minsub", -0.5), ("minnorm", "third"), ("minnorm", 1.0 - ulp / 2),
        ("-maxsub", 1.0 + ulp))]  # tininess is detected after rounding
    ops += [p.op("fdiv.#", "f", *pair, rm=rm) for pair in ((1.0, 3.0), (-2.0, 3.0), (1.0, "+0"))]
    ops += [p.op("fsqrt.#", "f", v, rm=rm) for v in (2.0, 3.0)]
    ops += [p.op(m, "f", "third", 3.0, -1.0, rm=rm) for m in FUSED]
    ops += [p.op("fmadd.#", "f", 1.0, 1.0, -1.0, rm=rm)]
    ops += [p.op(f"fcvt.{kind}.#", "x", v, rm=rm) for kind in ("w", "wu", "l", "lu")
            for v in (2.5, -2.5, -0.5, 0.5)]
    ops += [p.op(f"fcvt.#.{kind}", "f", X(v), rm=rm) for kind, v in (
        ("l", INT64_MAX), ("lu", UINT64_MAX), ("l", (1 << 53) + 1), ("l", -(1 << 24) - 1))]
    if p is SINGLE:  # the conversions from 32-bit integers to double are exact: no rm
        ops += [p.op(f"fcvt.s.{kind}", "f", X(v), rm=rm) for kind, v in (
            ("w", (1 << 24) + 1), ("wu", UINT32_MAX))]
    else:
        ops += [Op(f"fcvt.s.d {{d}}, {{s0}}, {rm}", "f", (DOUBLE.f(v),), flags=True)
                for v in ("third", "max", "-maxsub", 1e-40, 2.0 ** -126 * (1 - 2.0 ** -24),
                          -(2.0 ** -126) * (1 - 2.0 ** -25))]
    return ops


def to_integer_values(p: Precision) -> list[float | str]:
    values: list[float | str] = [0.0, "-0", 1.5, -1.5, -0.9, -1.0, 2.0 ** 31, -(2.0 ** 31),
                                 2.0 ** 32, 2.0 ** 63, -(2.0 ** 63), 2.0 ** 64, "inf", "-inf",
                                 "qnan", "snan", "max", "minsub"]
    if p is SINGLE:
        return [*values, -(2.0 ** 31) - 256, 2.0 ** 32 - 256]
    return [*values, -(2.0 ** 31) - 1, 2.0 ** 31 - 0.5, 2.0 ** 32 - 1, -(2.0 ** 63) - 2048]


def fd_cases(p: Precision) -> list[Case]:
    g, sfx = p.group, p.suffix
    cases: list[Case] = []
    for mnemonic, a in itertools.product(ARITHMETIC, SPECIALS):
        name = mnemonic.replace("#", sfx)
        cases += batch(f"{g}-{name}-{a}", [p.op(mnemonic, "f", a, b) for b in SPECIALS])
    cases += batch(f"{g}-fsqrt.{sfx}", [p.op("fsqrt.#", "f", v) for v in
                                        (*SPECIALS, "-maxsub", 4.0, 2.0)])
    triples = (("inf", "+0", 1.0), ("+0", "inf", "qnan"), ("inf", 1.0, "-inf"),
               ("qnan", 1.0, 1.0), (1.0, 1.0, "snan"), (1.0, -1.0, 1.0), ("+0", -1.0, "+0"),
               ("-0", 1.0, "-0"), ("max", 2.0, "-max"),
               ("minsub", "minsub", "+0"), ("third", 3.0, -1.0), ("-inf", "-inf", "inf"))
    for mnemonic in FUSED:
        name = mnemonic.replace("#", sfx)
        cases += batch(f"{g}-{name}-special", [p.op(mnemonic, "f", *t) for t in triples])
    for rm in ROUNDING_MODES:
        cases += batch(f"{g}-round-{rm}", rounding_probes(p, rm))
        frm = ROUNDING_MODES.index(rm)
        cases += batch(f"{g}-round-dyn-{rm}", rounding_probes(p, "dyn"), fcsr=frm << 5)
    pairs = (("+0", "-0"), ("-0", "+0"), ("qnan", 1.0), (1.0, "qnan"), ("snan", 1.0),
             (1.0, "snan"), ("qnan", "qnan"), ("snan", "qnan"), (1.0, "-1.5"), ("-inf", "max"),
             ("inf", "-inf"), ("minsub", "-0"))
    for mnemonic in ("fmin.#", "fmax.#"):
        cases += batch(f"{g}-{mnemonic.replace('#', sfx)}",
                       [p.op(mnemonic, "f", a, b) for a, b in pairs])
    comparisons = (*pairs, (1.0, 1.0), ("inf", "inf"), ("snan", "snan"))
    for mnemonic in ("feq.#", "flt.#", "fle.#"):
        cases += batch(f"{g}-{mnemonic.replace('#', sfx)}",
                       [p.op(mnemonic, "x", a, b) for a, b in comparisons])
    classes = ("-inf", -1.5, "-maxsub", "-0", "+0", "minsub", "one", "inf", "snan", "qnan",
               "-qnan-payload", "max")
    cases += batch(f"{g}-fclass.{sfx}", [p.op("fclass.#", "x", v) for v in classes])
    for kind in ("w", "wu", "l", "lu"):
        cases += batch(f"{g}-fcvt.{kind}.{sfx}", [p.op(f"fcvt.{kind}.#", "x", v, rm="rtz")
                                                  for v in to_integer_values(p)])
        integers = (0, 1, -1, INT32_MIN, INT32_MAX, UINT32_MAX, 0x1234_5678_8000_0000,
                    (1 << 53) + 1, INT64_MIN, INT64_MAX, (1 << 24) + 1, -(1 << 24) - 1)
        cases += batch(f"{g}-fcvt.{sfx}.{kind}", [p.op(f"fcvt.#.{kind}", "f", X(v))
                                                  for v in integers])
    signs = ((1.0, "-1.5"), ("-1.5", 1.0), ("qnan", "-0"), ("-qnan-payload", "+0"),
             ("snan", -1.0), ("inf", "-inf"))
    for mnemonic in ("fsgnj.#", "fsgnjn.#", "fsgnjx.#"):
        cases += batch(f"{g}-{mnemonic.replace('#', sfx)}",
                       [p.op(mnemonic, "f", a, b) for a, b in signs])
    # Moves between register files: no conversion, no NaN canonicalisation, no flags.
    to_x, from_x = ("fmv.x.w", "fmv.w.x") if p is SINGLE else ("fmv.x.d", "fmv.d.x")
    cases += batch(f"{g}-{to_x}", [Op(f"{to_x} {{d}}, {{s0}}", "x", (F(v),)) for v in (
        p.box(p.raw["-1.5"]), p.box(p.raw["snan"]), p.box(p.raw["one"]), *UNBOXED)])
    cases += batch(f"{g}-{from_x}", [Op(f"{from_x} {{d}}, {{s0}}", "f", (X(v),)) for v in (
        0x1234_5678_BF80_0000, -1, 0x7FF0_0000_0000_0001, 1)])
    # Loads and stores, aligned and not: flw NaN-boxes; fsw stores the low 32 bits.
    width = p.width // 8
    load, store = ("flw", "fsw") if p is SINGLE else ("fld", "fsd")
    cases += batch(f"{g}-{load}", [Op(f"{load} {{d}}, {{m}}+{off}(sp)", "f", mem=LOAD_BYTES)
                                   for off in (0, 1, 2, 4, 7, 8)]
                   + [Op(f"{load} {{d}}, -6({{s0}})", "f", (X("{slot}+8"),), LOAD_BYTES)])
    cases += batch(f"{g}-{store}", [
        Op(f"{store} {{s0}}, {{m}}+{off}(sp)", None, (F(v),), bytes([0xAA]) * 16)
        for off in (0, 1, width - 1, 6) for v in (p.box(p.raw["-1.5"]), UNBOXED[0])])
    return cases


def nan_boxing_cases() -> list[Case]:
    """Single-precision operations on registers whose upper half is not all ones."""
    one = SINGLE.f(1.0)
    ops = []
    for unboxed in UNBOXED:
        nb = F(unboxed)
        ops += [Op(text, dest, srcs, flags=True) for text, dest, srcs in (
            ("fadd.s {d}, {s0}, {s1}", "f", (nb, one)),
            ("fmul.s {d}, {s0}, {s1}", "f", (one, nb)),
            ("fsqrt.s {d}, {s0}", "f", (nb,)),
            ("fmadd.s {d}, {s0}, {s1}, {s2}", "f", (one, one, nb)),
            ("fsgnj.s {d}, {s0}, {s1}", "f", (nb, one)),
            ("fsgnjn.s {d}, {s0}, {s1}", "f", (one, nb)),
            ("fsgnjx.s {d}, {s0}, {s1}", "f", (nb, nb)),
            ("fmin.s {d}, {s0}, {s1}", "f", (nb, one)),
            ("fmax.s {d}, {s0}, {s1}", "f", (nb, nb)),
            ("feq.s {d}, {s0}, {s1}", "x", (nb, nb)),
            ("flt.s {d}, {s0}, {s1}", "x", (nb, one)),
            ("fclass.s {d}, {s0}", "x", (nb,)),
            ("fcvt.w.s {d}, {s0}, rtz", "x", (nb,)),
            ("fcvt.d.s {d}, {s0}", "f", (nb,)),
            ("fmv.x.w {d}, {s0}", "x", (nb,)),
        )]
    return batch("F-nan-boxing", ops)


def precision_conversion_cases() -> list[Case]:
    cases = batch("D-fcvt.d.s", [Op("fcvt.d.s {d}, {s0}", "f", (SINGLE.f(v),), flags=True)
                                  for v in ("snan", "-qnan-payload", "minsub", "max", "-0",
                                            "-inf", 1.5)])
    cases += batch("D-fcvt.s.d", [Op("fcvt.s.d {d}, {s0}", "f", (DOUBLE.f(v),), flags=True)
                                  for v in ("third", "max", "-max", "-inf",
                                            "minsub", 1e-40, "qnan", "snan", "-qnan-payload",
                                            "-0", 1.5, FLOAT32_MAX_PLUS_HALF_ULP)])
    return cases


# ============================================================================ C


def rvc_cases() -> list[Case]:
    """Every RV64C instruction, written as explicit c.* mnemonics."""
    return [case(id, body, rvc=True, **kw) for id, body, kw in (
        ("C-loads-stores", """
            c.addi4spn a0, sp, 16
            c.addi4spn a1, sp, 1020
            c.lw a2, 4(a0)
            c.ld a3, 8(a0)
            c.lw a4, 124(a0)
            c.ld a5, 248(a0)
            c.fld fa0, 16(a0)
            c.fld fs1, 240(a0)
            c.sw a2, 0(a0)
            c.sd a3, 232(a0)
            c.fsd fa0, 32(a0)
            c.sw s1, 124(a0)
            c.sd s0, 40(a0)
            c.fsd fs1, 8(a0)
            c.lwsp s0, 12(sp)
            c.lwsp t3, 252(sp)
            c.ldsp t4, 504(sp)
            c.ldsp t5, 0(sp)
            c.fldsp ft5, 496(sp)
            c.fldsp fs11, 8(sp)
            c.swsp t3, 248(sp)
            c.sdsp ra, 400(sp)
            c.sdsp gp, 504(sp)
            c.fsdsp ft5, 0(sp)
            c.fsdsp fa7, 352(sp)
            c.lwsp a6, 248(sp)
            """, {}),
        ("C-immediates", """
            c.li a0, -32
            c.li a1, 31
            c.li t0, 0
            c.addi a0, 31
            c.addi a1, -32
            c.addi t1, 1
            c.addiw a2, 1
            c.addiw a3, 0
            c.addiw t2, -1
            c.lui a4, 0xfffe0
            c.lui a5, 31
            c.lui t3, 1
            c.lui t4, 0xfffff
            c.addi16sp sp, -512
            c.mv s2, sp
            c.addi16sp sp, 496
            c.sdsp a0, 8(sp)
            c.addi16sp sp, 16
            c.nop
            """, {"x": {"a2": INT32_MAX, "a3": 0x1234_5678_8765_4321, "t2": INT32_MIN,
                        "t1": INT64_MAX}}),
        ("C-shifts-logic", """
            c.srli s0, 1
            c.srli s1, 63
            c.srai a0, 1
            c.srai a1, 63
            c.srai a2, 32
            c.andi a3, -1
            c.andi a4, -32
            c.andi a5, 31
            c.slli t5, 63
            c.slli t6, 32
            c.slli ra, 1
            """, {"x": {"s0": -1, "s1": -1, "a0": INT64_MIN, "a1": 0x7000_0000_0000_0000,
                        "a2": 0x8000_0000_0000_0000 - (1 << 64), "t5": 3, "t6": -1}}),
        ("C-register-ops", """
            c.sub s0, s1
            c.xor a0, a1
            c.or a2, a3
            c.and a4, a5
            c.subw s1, a1
            c.addw a3, a5
            c.mv t0, a3
            c.add t1, a4
            c.add t2, t2
            """, {"x": {"s0": INT64_MIN, "s1": 1, "a0": -1, "a1": 0x5555_5555_5555_5555,
                        "a3": INT32_MAX, "a5": 1, "t1": INT64_MAX, "a4": 5}}),
        ("C-jumps-branches", """
            li a0, 0
            c.j 1f
            c.li a0, 1
            1: lla t0, 2f
            c.jr t0
            c.li a0, 2
            2: lla t1, 3f
            c.jalr t1
            c.li a0, 3
            3: c.mv a1, ra
            c.beqz s0, 4f
            c.li a2, 1
            4: c.bnez s0, 5f
            c.li a3, 1
            5: c.beqz s1, 6f
            c.li a4, 1
            6: c.bnez s1, 7f
            c.li a5, 1
            7: c.li s1, 3
            8: c.addi s1, -1
            c.bnez s1, 8b
            c.j 9f
            10: c.addi a0, 5
            c.beqz s0, 11f
            .fill 100, 2, 0x0001
            9: c.addi a0, 7
            c.j 10b
            .fill 400, 2, 0x0001
            11: c.addi a0, 9
            """, {"x": {"s0": 0, "s1": -1, "a2": 0, "a3": 0, "a4": 0, "a5": 0}}),
        ("C-hints", """
            .2byte 0x4015  # c.li zero, 5
            .2byte 0x6005  # c.lui zero, 1
            .2byte 0x802a  # c.mv zero, a0
            .2byte 0x902a  # c.add zero, a0
            .2byte 0x0006  # c.slli zero, 1
            .2byte 0x0501  # c.addi a0, 0
            .2byte 0x0005  # c.nop 1
            .2byte 0x8001  # c.srli s0, 0
            .2byte 0x8401  # c.srai s0, 0
            .2byte 0x0402  # c.slli s0, 0
            c.mv a1, s0
            """, {}),
        ("C-instruction-across-page", """
            c.j 1f
            .balign 4096
            .skip 4094
            1: .option norvc
            addi a0, a0, 1
            .option rvc
            c.j 2f
            .skip 4092
            2: c.addi a1, 2
            addi a2, a1, 3
            """, {}),
    )]


# ============================================================================ Zicsr


def counters_ordered(state: State) -> list[str]:
    """Each counter read later is not below the same counter read earlier."""
    problems = []
    for first, later, name in (("a0", "a3", "cycle"), ("a1", "a4", "time"),
                               ("a2", "a5", "instret"), ("a3", "a6", "cycle"),
                               ("a5", "a7", "instret")):
        if state.register(later) < state.register(first):
            problems.append(f"{name} went backwards: {first}={state.register(first):#x} "
                            f"then {later}={state.register(later):#x}")
    return problems


def zicsr_cases() -> list[Case]:
    return [
        case("Zicsr-fp-csrs", """
            csrrw a0, fcsr, a1
            csrrs a2, fflags, a3
            csrrc a4, frm, a5
            csrr a6, fcsr
            csrrwi a7, frm, 31
            csrrsi s2, fflags, 0x10
            csrrci s3, fcsr, 0x1f
            csrrs s4, fcsr, zero
            csrrsi s5, frm, 0
            csrrci s6, frm, 0
            csrrc s7, fflags, zero
            frflags s8
            frrm s9
            fsrm s10, t3
            fsflagsi s11, 5
            fsrmi t4, 2
            csrw fflags, t6
            csrrw s0, fcsr, s0
            csrrs s1, fflags, s1
            frcsr t5
            """, x={"s0": 0x5A, "s1": 0x3, "a1": 0x1234_567F, "a3": -1, "a5": 0b101, "t3": 0xFFFF_FFF9, "t6": 0x2A},
            fcsr=0b101_00110),
        case("Zicsr-frm-write-masks", """
            csrrw a0, frm, a1
            csrrw a2, fflags, a3
            csrrw a4, fcsr, a5
            csrr a6, fcsr
            """, x={"a1": 0x1E, "a3": 0xFFE1, "a5": 0x1_0000_0123}),
        case("Zicsr-fflags-accrue", """
            fdiv.d ft0, fa0, fa1
            frflags a0
            fadd.d ft1, fa2, fa3
            frflags a1
            fmul.d ft2, fa1, fa4
            frflags a2
            fsqrt.d ft3, fa5
            frflags a3
            csrrci a4, fflags, 0x11
            csrr a5, fcsr
            """, f={"fa0": DOUBLE.box(DOUBLE.raw["one"]), "fa1": 0, "fa2": DOUBLE.raw["third"],
                    "fa3": DOUBLE.raw["one"], "fa4": DOUBLE.raw["inf"],
                    "fa5": DOUBLE.raw["-1.5"]}, fcsr=0b001_00000),
        case("Zicsr-counters", """
            rdcycle a0
            rdtime a1
            rdinstret a2
            li t0, 10
            1: addi t0, t0, -1
            bnez t0, 1b
            rdcycle a3
            rdtime a4
            rdinstret a5
            csrrs a6, cycle, zero
            csrrsi a7, instret, 0
            """, mask=frozenset(f"a{i}" for i in range(8)), check=counters_ordered),
    ]


# ============================================================================ faults


def fault_cases() -> list[Case]:
    """Programs that die of a signal: both emulators must die of the same one."""
    return [case(f"fault-{name}", body, signal=signal, rvc=name.startswith("c."))
            for name, signal, body in (
        ("illegal-zero-word", SIGILL, ".word 0"),
        ("illegal-all-ones", SIGILL, ".word 0xffffffff"),
        ("reserved-rounding-mode", SIGILL, ".insn r OP_FP, 5, 0, fa0, fa1, fa2"),
        ("dyn-with-invalid-frm", SIGILL, "li t0, 0xa0\nfscsr t0\nfadd.s fa0, fa1, fa2, dyn"),
        ("write-read-only-csr", SIGILL, "csrrw a0, cycle, a1"),
        ("machine-mode-csr", SIGILL, "csrr a0, mstatus"),
        ("c.lui-zero", SIGILL, ".2byte 0x6501"),
        ("c.addi16sp-zero", SIGILL, ".2byte 0x6101"),
        ("c.jr-x0", SIGILL, ".2byte 0x8002"),
        ("c.lwsp-x0", SIGILL, ".2byte 0x4002"),
        ("c.addiw-x0", SIGILL, ".2byte 0x2001"),
        ("slliw-shamt-32", SIGILL, ".word 0x0215151b"),
        ("half-precision-fadd", SIGILL, ".insn r OP_FP, 7, 2, fa0, fa1, fa2"),
        ("fsqrt-with-rs2", SIGILL, ".insn r OP_FP, 7, 0x2c, fa0, fa1, fa2"),
        ("lr-with-rs2", SIGILL, ".insn r AMO, 3, 0x08, a0, a1, a2"),
        ("ebreak", SIGTRAP, "ebreak"),
        ("c.ebreak", SIGTRAP, "c.ebreak"),
        ("load-null", SIGSEGV, "ld a0, 0(zero)"),
        ("store-null", SIGSEGV, "sb a0, 8(zero)"),
        ("jump-null", SIGSEGV, "jalr ra, 0(zero)"),
        ("store-to-text", SIGSEGV, "lla t0, _start\nsw zero, 0(t0)"),
        ("misaligned-amo", SIGBUS, "addi t0, sp, 2\namoadd.w a0, a1, (t0)"),
        ("misaligned-lr", SIGBUS, "addi t0, sp, 4\nlr.d a0, (t0)"),
    )]


# ============================================================================ SMC


def smc_cases() -> list[Case]:
    """Stores over code, fence.i, then run the new code."""
    return [case(id, body, writable_text=True, rvc=id.endswith("compressed")) for id, body in (
        ("SMC-patch-loop", """
            li a0, 0
            li s1, 2
            lla t1, 1f
            lla t2, 2f
            lw t2, 0(t2)
            1: addi a0, a0, 1
            addi s1, s1, -1
            sw t2, 0(t1)
            fence.i
            bnez s1, 1b
            j 3f
            2: addi a0, a0, 16
            3:
            """),
        ("SMC-patch-next", """
            lla t1, 1f
            lla t2, 2f
            lw t2, 0(t2)
            sw t2, 0(t1)
            fence.i
            1: addi a0, zero, 1
            j 3f
            2: addi a0, zero, 2
            3:
            """),
        ("SMC-patch-compressed", """
            li s1, 2
            li a1, 0
            lla t1, 1f
            lla t2, 2f
            lhu t2, 0(t2)
            1: c.addi a1, 1
            sh t2, 0(t1)
            fence.i
            addi s1, s1, -1
            bnez s1, 1b
            j 3f
            2: c.addi a1, 8
            3:
            """),
    )]


# ============================================================================ random


RANDOM_COUNT = int(os.environ.get("PYEMU_ISA_RANDOM_COUNT", "30"))
RANDOM_SEED = int(os.environ.get("PYEMU_ISA_RANDOM_SEED", "20240611"))
RANDOM_LENGTH = 40
INTS = (0, 1, -1, 2, INT64_MIN, INT64_MAX, INT32_MIN, INT32_MAX, UINT32_MAX, 0x8000_0000)
RANDOM_DECODER = Decoder(64)
RANDOM_TEXT = Disassembler(64)
# Not drawn: control transfers and traps (a case runs straight through; branches are drawn and
# then made to skip the next instruction), LR/SC (drawn as an adjacent pair: what a store in
# between does to a reservation differs between qemu and the spec's allowances), compressed
# loads and stores (their base register, x8..x15, cannot be the scratch pointer sp), sp's own
# adjustment, and ctzw (qemu 7.2 counts a zero word's trailing zeros into the upper half; the
# engines are checked against the spec for it in test_engines).
RANDOM_EXCLUDED = {"jal", "jalr", "ecall", "ebreak", "c.j", "c.jal", "c.jr", "c.jalr",
                   "c.ebreak", "lr.w", "lr.d", "sc.w", "sc.d", "c.lw", "c.ld", "c.sw", "c.sd",
                   "c.fld", "c.fsd", "c.flw", "c.fsw", "c.addi16sp", "ctzw"}
# Extensions qemu-riscv64 7.2 does not implement: tested against the spec instead
# (test_zicond_zfa), or against qemu 10 (test_vector).
QEMU_LACKS = {"Zicond", "Zfa", "V", "Zvbb", "Zcb", "Zcmop", "Zimop", "Zicbom", "Zicbop",
              "Zicboz", "Zawrs", "Zfhmin"}
RANDOM_CANDIDATES = [i for i in all_instructions()
                     if 64 in i.xlens and i.name not in RANDOM_EXCLUDED
                     and i.extension not in QEMU_LACKS]
RV64_DECLARED = {i.name: i for i in all_instructions() if 64 in i.xlens}
BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu"}
LOAD_STORE_OPCODES = (0x03, 0x07, 0x23, 0x27)
AMO_OPCODE, SYSTEM_OPCODE = 0x2F, 0x73
CSR_FFLAGS, CSR_FRM, CSR_FCSR = 1, 2, 3
VALID_RM = (0, 1, 2, 3, 4, 7)


def constrain(insn, ops: dict[str, int], rng: random.Random) -> dict[str, int]:
    """Operands that let a random instruction run inside a case: loads, stores and atomics
    address the scratch buffer through sp, rounding modes are valid, and CSR accesses touch
    the floating-point CSRs only, never writing an invalid frm."""
    opcode = insn.match & 0x7F if insn.length == 4 else None
    if opcode in LOAD_STORE_OPCODES:
        size = 1 << ((insn.match >> 12) & 3)
        ops.update(rs1=2, imm=rng.randrange(SCRATCH_SIZE - size + 1))
    elif opcode == AMO_OPCODE:
        ops["rs1"] = 2
    elif opcode == SYSTEM_OPCODE:
        funct3 = (insn.match >> 12) & 7
        source = ops.get("rs1", ops.get("imm", 0))
        if funct3 in (2, 3, 6, 7) and source == 0:  # a read: no write happens
            ops["csr"] = rng.choice((CSR_FFLAGS, CSR_FRM, CSR_FCSR))
        elif funct3 == 5 and source in VALID_RM[:5]:  # csrrwi of a valid rounding mode
            ops["csr"] = rng.choice((CSR_FFLAGS, CSR_FRM))
        else:
            ops["csr"] = CSR_FFLAGS
    if "rm" in ops and not insn.mask & (7 << 12):
        ops["rm"] = rng.choice(VALID_RM)
    return ops


def random_word(rng: random.Random, insn) -> Decoded | None:
    """A random encoding of `insn` fit for a case, decoded; None when the draw is unusable
    (a reserved encoding, or one that would write sp)."""
    word = insn.match | (rng.getrandbits(8 * insn.length) & ~insn.mask)
    word = insn.format.insert(word, constrain(insn, insn.format.extract(word), rng))
    decoded = RANDOM_DECODER.decode(word)
    if decoded is None or decoded.name != insn.name:
        return None
    if decoded.ops.get("rd") == 2 and writes_integer_rd(decoded.insn):
        return None
    return decoded


def branch_over_next(decoded: Decoded, next_length: int) -> Decoded:
    """A branch whose target is the instruction after the next one (taken or not, the case
    goes on straight)."""
    insn = RV64_DECLARED[decoded.name]
    word = insn.format.insert(decoded.word, {"imm": decoded.length + next_length})
    return RANDOM_DECODER.decode(word)


def random_sequence(rng: random.Random, length: int) -> list[Decoded]:
    """`length` random instructions of every extension qemu implements; branches skip
    exactly the next instruction, and none is last."""
    sequence: list[Decoded] = []
    while len(sequence) < length:
        if rng.random() < 0.02:  # a load-reserved and its store-conditional, side by side
            width = rng.choice("wd")
            pair = [random_word(rng, RV64_DECLARED[f"{kind}.{width}"]) for kind in ("lr", "sc")]
            if None not in pair:
                sequence += pair
            continue
        decoded = random_word(rng, rng.choice(RANDOM_CANDIDATES))
        if decoded is not None and not (len(sequence) == length - 1
                                        and decoded.insn.name in BRANCHES):
            sequence.append(decoded)
    for i, decoded in enumerate(sequence):
        if decoded.insn.name in BRANCHES:
            sequence[i] = branch_over_next(decoded, sequence[i + 1].length)
    return sequence


def random_float(rng) -> int:
    p = rng.choice(PRECISIONS)
    kind = rng.randrange(4)
    if kind == 0:
        return p.box(p.raw[rng.choice(list(p.raw))])
    if kind == 1:
        return p.box(rng.getrandbits(p.width))
    if kind == 2:
        return p.box(p.bits_of(rng.uniform(-100, 100)))
    return rng.getrandbits(64)  # most likely not NaN-boxed


def random_cases(count: int = RANDOM_COUNT, seed: int = RANDOM_SEED,
                 first: int = 0) -> list[Case]:
    """Random cases number `first` to `first + count - 1`; each depends only on the seed and
    its own number."""
    cases = []
    for n in range(first, first + count):
        rng = random.Random(f"{seed}-{n}")
        text = "\n".join(f".insn {d.word:#0{2 + 2 * d.length}x}  # {RANDOM_TEXT.render(d)}"
                         for d in random_sequence(rng, RANDOM_LENGTH))
        x = {i: rng.choice(INTS) if rng.random() < 0.4 else rng.getrandbits(64) - (1 << 63)
             for i in range(1, 32) if i != 2}
        f = {i: random_float(rng) for i in range(32)}
        cases.append(case(f"random-{n:03d}", text, x=x, f=f,
                          fcsr=rng.randrange(5) << 5 | rng.randrange(32),
                          scratch=rng.randbytes(512), rvc=True))
    return cases


# ============================================================================ cases


# ============================================================================ B (Zba Zbb Zbc Zbs)

BITMANIP_VALUES = (0, 1, -1, 0x80, 0xFF00, 0x8000_0000, INT64_MIN, INT64_MAX,
                   0x0123_4567_89AB_CDEF, -0x0123_4567_89AB_CDEF, 0x0000_0001_0000_0000)
BITMANIP_BINARY = ("sh1add", "sh2add", "sh3add", "add.uw", "sh1add.uw", "sh2add.uw",
                   "sh3add.uw", "andn", "orn", "xnor", "max", "maxu", "min", "minu", "rol",
                   "ror", "rolw", "rorw", "clmul", "clmulh", "clmulr", "bclr", "bext", "binv",
                   "bset")
BITMANIP_UNARY = ("clz", "clzw", "ctz", "ctzw", "cpop", "cpopw", "sext.b", "sext.h", "zext.h",
                  "orc.b", "rev8")


def qemu_ctzw_bug(mnemonic: str, value: int) -> bool:
    """qemu 7.2 counts ctzw of a word of zeros into the upper half (ctzw of 1 << 63 gives 63;
    the spec says 32): such cases are checked against the spec in test_engines instead."""
    return mnemonic == "ctzw" and value & 0xFFFF_FFFF == 0 and value & (1 << 63) != 0


def bitmanip_cases() -> list[Case]:
    cases: list[Case] = []
    for mnemonic in BITMANIP_BINARY:
        cases += binary_grid(mnemonic, BITMANIP_VALUES, (0, 1, -1, 31, 32, 63, 0x1234_5678),
                             group="B")
    cases += batch("B-unary", [Op(f"{m} {{d}}, {{s0}}", "x", (X(v),))
                               for m in BITMANIP_UNARY for v in BITMANIP_VALUES
                               if not qemu_ctzw_bug(m, v)])
    for mnemonic in ("slli.uw", "rori", "bclri", "bexti", "binvi", "bseti"):
        cases += immediate_grid(mnemonic, BITMANIP_VALUES, (0, 1, 31, 32, 63), group="B")
    cases += immediate_grid("roriw", BITMANIP_VALUES, (0, 1, 16, 31), group="B")
    return cases


def all_cases() -> list[Case]:
    return [*rv64i_cases(), *rv64m_cases(), *rv64a_cases(), *bitmanip_cases(),
            *fd_cases(SINGLE), *fd_cases(DOUBLE), *nan_boxing_cases(),
            *precision_conversion_cases(), *rvc_cases(), *zicsr_cases(), *fault_cases(),
            *smc_cases(), *random_cases()]


# Known pyemu bugs: (engine or "*", regular expression searched in each case's id and body
# lines, e.g. a mnemonic at the start of a line: r"^\s*mulh") -> the reason. Those cases run
# in programs of their own and are xfail(strict=True): a fix shows up as XPASS, and then the
# entry must go.
KNOWN_PYEMU_BUGS: dict[tuple[str, str], str] = {}
ENGINES = pyemu_engines()
CASES = all_cases()


def case_params():
    for c in CASES:
        for engine in ENGINES:
            reason = known_bug(c, engine, KNOWN_PYEMU_BUGS)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(c, engine, id=f"{engine}:{c.id}", marks=marks)


@pytest.fixture(scope="session")
def isa_runner(tmp_path_factory) -> Runner:
    require_tools(CC, OBJDUMP, QEMU)
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this run
    plans = {engine: plan([replace(c, alone=bool(known_bug(c, engine, KNOWN_PYEMU_BUGS)))
                           for c in CASES]) for engine in ENGINES}
    return Runner(plans, base / "pyemu-isa")


@pytest.mark.parametrize(("isa_case", "engine"), list(case_params()))
def test_isa(isa_case: Case, engine: str, isa_runner: Runner) -> None:
    isa_runner.check(isa_case, engine)


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in set(ids) if ids.count(i) > 1)


def test_known_bugs_name_existing_cases() -> None:
    assert not unused_known_bugs(CASES, KNOWN_PYEMU_BUGS)


def test_known_bug_patterns_match_ids_and_mnemonics() -> None:
    c = case("M-example", "li a0, 1\nmulhsu a1, a0, a0")
    known = {("python", r"^\s*mulh"): "bug A", ("*", r"^M-ex"): "bug B",
             ("*", r"^\s*div"): "bug C"}
    assert known_bug(c, "python", known) == "bug A; bug B"
    assert known_bug(c, "fast", known) == "bug B"
    assert unused_known_bugs([c], known) == [("*", r"^\s*div")]


def test_every_instruction_is_exercised(isa_runner: Runner) -> None:
    """Each RV64 instruction of the ISA description qemu implements appears in some case's
    body."""
    declared = {i.name for i in all_instructions()
                if 64 in i.xlens and i.extension not in QEMU_LACKS}
    missing = declared - executed_mnemonics(isa_runner)
    assert not missing, f"instructions no case exercises: {sorted(missing)}"


def test_mismatch_report_names_registers_values_and_lines() -> None:
    """The report of a difference is readable without decoding anything by hand."""
    c = case("I-report", "fadd.s fa0, fa1, fa2\nfsflags a0, zero\nsd a1, 8(sp)")
    qemu = State(tuple(range(32)), tuple(range(100, 132)), 0x20, bytes(SCRATCH_SIZE))
    ours = qemu._replace(x=(*qemu.x[:10], 99, *qemu.x[11:]), fcsr=0x21,
                         f=(*qemu.f[:10], 7, *qemu.f[11:]),
                         scratch=bytes(8) + b"\x01" + bytes(SCRATCH_SIZE - 9))
    report = compare(c, 1, Outcome(Path("prog"), Run(0, (qemu.to_bytes() * 2), ""),
                                   Run(0, qemu.to_bytes() + ours.to_bytes(), "")))
    assert report is not None
    assert "a0    qemu 0x000000000000000a  pyemu 0x0000000000000063" in report
    assert "(fflags of: fadd.s fa0, fa1, fa2)" in report
    assert "fa0   qemu 0x000000000000006e  pyemu 0x0000000000000007   <- fadd.s" in report
    assert "fcsr  qemu 0x0000000000000020  pyemu 0x0000000000000021" in report
    assert "scratch+8   qemu 00 00 00 00 00 00 00 00  pyemu 01 00" in report
    assert "a1 " not in report
    assert compare(c, 0, Outcome(Path("prog"), Run(0, qemu.to_bytes(), ""),
                                 Run(0, qemu.to_bytes(), ""))) is None
    crashed = compare(c, 1, Outcome(Path("prog"), Run(0, qemu.to_bytes() * 2, ""),
                                    Run(70, qemu.to_bytes(), "pyemu: internal error")))
    assert crashed is not None and "pyemu exit status 70, qemu 0" in crashed
