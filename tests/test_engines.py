"""The compiled engine against the reference engine on random programs.

Both engines run the same random instruction sequence from the same state; afterwards the
registers, the scratch memory and the instruction counts must be equal. Sequences draw on every
instruction of the ISA description that is not a jump or a trap, in full-size and compressed
forms; loads and stores address a scratch page through a base register no instruction writes;
branches skip exactly one instruction.
"""

import os
import random
import struct

import numpy as np
import pytest
from pyemu.emulator.cpu import CpuState
from pyemu.emulator.decoder import Decoder
from pyemu.emulator.engine_fast import FastEngine
from pyemu.emulator.engine_python import HOT_VISITS, PythonEngine, writes_integer_rd
from pyemu.emulator.isa import all_instructions
from pyemu.emulator.memory import PROT_EXEC, PROT_READ, PROT_WRITE, AddressSpace

CODE, SCRATCH = 0x10000, 0x40000
BASE_REGISTER = 5  # holds SCRATCH + 2048 for every load and store; never written
COUNTER_REGISTER = 6  # counts the repetitions of the sequence; never written by it
REPETITIONS = HOT_VISITS + 8  # enough for the reference engine to translate the sequence
BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu"}
EXCLUDED = {"jal", "jalr", "ecall", "ebreak", "fence.i"}
SEQUENCES = int(os.environ.get("PYEMU_ENGINE_RANDOM_COUNT", "40"))
INTERESTING = [0, 1, -1, 2, 7, 31, 32, 63, 64, (1 << 31) - 1, -(1 << 31), (1 << 63) - 1,
               -(1 << 63), 0x0123456789ABCDEF, -0x0123456789ABCDEF]

DECODER = Decoder(64)
# The vector instructions run on the reference engine under both (tests/test_vector.py
# compares them with qemu 10); the cache-block operations address memory through any register.
NOT_DRAWN = {"V", "Zvbb", "Zicbom", "Zicboz"}
CANDIDATES = [i for i in all_instructions()
              if 64 in i.xlens and (i.expands_to or i.name) not in EXCLUDED
              and i.extension not in NOT_DRAWN]


def field(word: int, hi: int, lo: int, value: int) -> int:
    width = hi - lo + 1
    return word & ~(((1 << width) - 1) << lo) | ((value & ((1 << width) - 1)) << lo)


MEMORY_OPCODES = (0x03, 0x07, 0x23, 0x27)  # loads, FP loads, stores, FP stores
AMO_OPCODE = 0x2F
SYSTEM_OPCODE = 0x73
FP_OPCODES = (0x43, 0x47, 0x4B, 0x4F, 0x53)
COMPRESSED_MEMORY = {"lw", "ld", "sw", "sd", "fld", "fsd", "flw", "fsw", "lbu", "lhu", "lh", "sb",
                     "sh"}


def constrain(insn, word: int, rng: random.Random) -> int:
    """Point memory accesses at the scratch page, make branches skip one instruction, and
    give floating-point instructions a valid rounding mode."""
    opcode = word & 0x7F
    if opcode in MEMORY_OPCODES:
        offset = rng.randrange(-2048, 2040)
        word = field(word, 19, 15, BASE_REGISTER)
        if opcode in (0x23, 0x27):
            word = field(field(word, 31, 25, offset >> 5), 11, 7, offset)
        else:
            word = field(word, 31, 20, offset)
    if opcode == AMO_OPCODE:
        word = field(word, 19, 15, BASE_REGISTER)  # aligned: the base is a multiple of 8
    if insn.name in BRANCHES:
        word = field(field(word, 31, 25, 0), 11, 7, 8)
    if opcode == SYSTEM_OPCODE:
        # Writes go to fflags only: a random frm would make the rest of the sequence illegal.
        reads_only = not (word >> 15) & 31 and (word >> 12) & 3 != 1
        word = field(word, 31, 20, rng.choice([1, 2, 3]) if reads_only else 1)
    if opcode in FP_OPCODES and not insn.mask & (7 << 12):
        word = field(word, 14, 12, rng.choice([0, 1, 2, 3, 4, 7]))
    return word


def random_program(rng: random.Random, count: int) -> bytes:
    """`count` instructions repeated REPETITIONS times by a counted loop, then ebreak. A
    branch skips 8 bytes, so a full-size instruction follows it."""
    parts: list[bytes] = []
    while len(parts) < count or is_branch(parts[-1]):  # a last branch would skip the counter
        instruction = random_instruction(rng)
        if parts and is_branch(parts[-1]) and len(instruction) != 4:
            continue
        parts.append(instruction)
    body = b"".join(parts)
    back = -(len(body) + 4)
    decrement = 0xFFF30313  # addi x6, x6, -1
    loop = (0x00031063 | field(0, 31, 25, ((back >> 6) & 0x40) | ((back >> 5) & 0x3F))
            | field(0, 11, 7, (back & 0x1E) | ((back >> 11) & 1)))  # bne x6, x0, back
    ebreak = 0x00100073
    return body + b"".join(w.to_bytes(4, "little") for w in (decrement, loop, ebreak))


def is_branch(instruction: bytes) -> bool:
    decoded = DECODER.decode(int.from_bytes(instruction, "little"))
    return decoded.insn.name in BRANCHES


def random_instruction(rng: random.Random) -> bytes:
    while True:
        insn = rng.choice(CANDIDATES)
        bits = 16 if insn.length == 2 else 32
        word = insn.match | (rng.getrandbits(bits) & ~insn.mask)
        if insn.length == 4:
            word = constrain(insn, word, rng)
        decoded = DECODER.decode(word)
        if decoded is None or decoded.insn.name in EXCLUDED:
            continue
        if decoded.length == 2 and (decoded.insn.name in COMPRESSED_MEMORY | BRANCHES):
            continue  # compressed forms cannot name the base register or a fixed offset
        if decoded.ops.get("rd") in (BASE_REGISTER, COUNTER_REGISTER) \
                and writes_integer_rd(decoded.insn):
            continue
        return word.to_bytes(decoded.length, "little")


def random_float_registers(rng: random.Random) -> list[int]:
    """Doubles and NaN-boxed singles of every kind, mostly ordinary numbers (which the
    compiled loop computes itself; the rest it leaves to the reference engine), with halfway
    and out-of-range values for the conversions to integers, and signalling NaNs."""
    values = []
    for _ in range(32):
        if rng.random() < 0.05:
            values.append(rng.choice([0x7FF0_0000_0000_0001, 0xFFFF_FFFF_7F80_0001]))
            continue
        number = rng.choice([rng.uniform(-1e6, 1e6), rng.uniform(-1, 1), 1 / 3, 2.5, -0.0,
                             0.0, 1e300, 1e-310, 1e-40, float("inf"), float("nan"), 2.0 ** 60,
                             rng.randrange(-100, 100) + 0.5, -3.5e9, 3e9, 2.0 ** 63, -1e19])
        if rng.random() < 0.5:
            values.append(struct.unpack("<Q", struct.pack("<d", number))[0])
        else:
            single = struct.unpack("<I", struct.pack("<f", max(min(number, 3e38), -3e38)))[0]
            values.append(single | 0xFFFF_FFFF_0000_0000)
    return values


def machine(program: bytes, registers: list[int], engine_class, floats=(), frm=0):
    mem = AddressSpace()
    mem.map(CODE, 1 << 16, PROT_READ | PROT_EXEC)
    mem.map(SCRATCH, 1 << 12, PROT_READ | PROT_WRITE)
    mem.poke(CODE, program)
    mem.poke(SCRATCH, bytes(range(256)) * 16)
    state = CpuState(64)
    for index, value in enumerate(registers[1:], start=1):
        state.set(index, value)
    for index, bits in enumerate(floats):
        state.set_f(index, bits)
    state.fcsr = frm << 5
    state.set(BASE_REGISTER, SCRATCH + 2048)
    state.set(COUNTER_REGISTER, REPETITIONS)
    state.pc = CODE
    return state, mem, engine_class(state, mem)


@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_fast_engine_matches_reference_engine(seed):
    rng = random.Random(seed)
    program = random_program(rng, 200)
    registers = [rng.choice(INTERESTING) if rng.random() < 0.5 else rng.getrandbits(64) - (1 << 63)
                 for _ in range(32)]
    floats = random_float_registers(rng)
    frm = rng.randrange(5)  # the dynamic rounding mode: any of the five
    results = []
    for engine_class in (PythonEngine, FastEngine):
        state, mem, engine = machine(program, registers, engine_class, floats, frm)
        stop = engine.run(100_000)
        if engine_class is PythonEngine:
            assert engine.blocks_translated, "the sequence should have run as translated blocks"
        results.append((stop, state.pc, state.x[:32].copy(), state.f.copy(), state.fcsr,
                        state.instret, mem.read(SCRATCH, 4096)))
    (stop_a, pc_a, x_a, f_a, fcsr_a, n_a, m_a), (stop_b, pc_b, x_b, f_b, fcsr_b, n_b, m_b) = results
    differing = [f"x{i}: reference {x_a[i]:#x}, fast {x_b[i]:#x}"
                 for i in range(32) if x_a[i] != x_b[i]]
    assert not differing, "\n".join(differing)
    assert np.array_equal(f_a, f_b) and fcsr_a == fcsr_b
    assert m_a == m_b, "scratch memory differs"
    assert (stop_a, pc_a, n_a) == (stop_b, pc_b, n_b)
    assert stop_a.cause == 3, "the sequence should end at its ebreak"


@pytest.mark.parametrize("engine_class", [PythonEngine, FastEngine])
def test_ctzw_of_a_zero_word_is_32_as_the_spec_says(engine_class):
    """qemu 7.2 answers 63 for the word of 1 << 63 (it counts into the upper half); the
    bitmanip spec: ctzw counts within the low 32 bits, 32 when they are all zero."""
    ctzw_a0_a1, ebreak = 0x6015951B, 0x00100073
    program = b"".join(w.to_bytes(4, "little") for w in (ctzw_a0_a1, ebreak))
    registers = [0] * 32
    registers[11] = -(1 << 63)
    state, _, engine = machine(program, registers, engine_class)
    engine.run(10)
    assert state.get(10) == 32
