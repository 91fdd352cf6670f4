"""The random campaigns as Hypothesis strategies: instruction sequences and system-call
sequences built from the same parts as fuzz/cases.py, which Hypothesis shrinks to a minimal
failing case (fewest parcels or calls, simplest values) and keeps in its example database, so
a failure found once is replayed first by every later run."""

from __future__ import annotations

import functools

from hypothesis import strategies as st

from . import cases
from .elfgen import DATA_ADDRESS, DATA_SIZE

MASK64 = cases.MASK64


def _register_values() -> st.SearchStrategy[int]:
    """As cases._register_value: the data segment (often aligned), small values, anything."""
    return st.one_of(
        st.integers(0, DATA_SIZE - 1).map(lambda offset: DATA_ADDRESS + (offset & ~7)),
        st.sampled_from([0, 1, 2, 63, 64, 0x7FF, 0x800]),
        st.integers(-4096, 4095).map(lambda value: value & MASK64),
        st.integers(0, MASK64))


@functools.cache
def _qemus_encodings(xlen: int) -> list[tuple[int, int, int, str]]:
    """Every instruction pyemu knows for `xlen` but those of extensions qemu 7.2 lacks (so
    that every case can be compared with qemu)."""
    return [e for e in cases._encodings(xlen) if e[3] not in cases.QEMU_LACKS]


@st.composite
def _parcel(draw, xlen: int) -> bytes:
    """A known instruction with random operands, a compressed parcel or a random word."""
    encodings = _qemus_encodings(xlen)
    kind = draw(st.sampled_from(["known", "known", "compressed", "word"]))
    if kind == "known":
        mask, match, length, _ = draw(st.sampled_from(encodings))
        word = (draw(st.integers(0, (1 << 8 * length) - 1)) & ~mask) | match
        return cases._harmless(word).to_bytes(4, "little") if length == 4 \
            else word.to_bytes(2, "little")
    if kind == "compressed":
        return draw(st.integers(0, 0xFFFF).filter(lambda half: half & 3 != 3)
                    ).to_bytes(2, "little")
    return cases._harmless(draw(st.integers(0, 0xFFFFFFFF))).to_bytes(4, "little")


@st.composite
def instruction_cases(draw) -> cases.Case:
    """A program of up to 64 random parcels from random registers and data."""
    xlen = draw(st.sampled_from([64, 32]))
    registers = {r: draw(_register_values()) for r in range(1, 32)}
    registers[2] = cases.STACK_POINTER
    parcels = draw(st.lists(_parcel(xlen), min_size=1, max_size=64))
    data = draw(st.binary(min_size=256, max_size=256))
    listing = " ".join(parcel[::-1].hex() for parcel in parcels)  # as the disassembly shows
    return cases.Case("insn", 0, cases.insn_program(xlen, registers, parcels, data),
                      note=f"rv{xlen}, {len(parcels)} parcels: {listing}")


def _arguments() -> st.SearchStrategy[int]:
    """As cases._argument: small numbers, descriptors, strings, buffers, sizes, flags."""
    strings = cases._string_table()[1]
    return st.one_of(
        st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 64, 100, 1024]),
        st.sampled_from([0, 1, 2, 3, 4, 5, 10, 1023, -1, -100]).map(lambda v: v & MASK64),
        st.sampled_from(strings),
        st.sampled_from([0, 8, 64, 4096, 0x8000]).map(lambda offset: cases.BUFFER + offset),
        st.sampled_from([0, 1, 4096, 1 << 16, 1 << 20, 1 << 31, 1 << 32, 1 << 40, MASK64]),
        st.integers(0, (1 << 32) - 1),
        st.integers(0, MASK64))


@st.composite
def syscall_cases(draw) -> cases.Case:
    """A program of up to 24 system calls with random arguments, run on the python engine
    (an odd case number) or the compiled loop."""
    xlen = draw(st.sampled_from([64, 32]))
    known = cases.syscall_numbers(xlen)
    implemented = [call for call in known if call[2]]
    made, names = [], []
    for _ in range(draw(st.integers(1, 24))):
        syscall, name, _ = draw(st.sampled_from(implemented) | st.sampled_from(known))
        args = draw(st.lists(_arguments(), min_size=6, max_size=6))
        syscall, name, args = cases.tamed(name, syscall, args, exiting=draw(st.booleans()))
        made.append((syscall, args))
        names.append(f"{name}({', '.join(hex(a) for a in args)})")
    return cases.Case("syscall", draw(st.integers(0, 1)), cases.syscall_program(xlen, made),
                      note=" ".join(names))
