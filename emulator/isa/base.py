"""The vocabulary of the ISA description: bit fields, formats, instructions, extensions.

Each extension module declares its instructions once, Pydgin-style: a bit pattern written as in
the specification's tables, a format that extracts the operands (QEMU decodetree-style: formats
are shared, never per-instruction bit twiddling), and a small semantic function written in the
specification's pseudo-code style. The decoder, the engines, the disassembly names and the
tests are all derived from these declarations.

A semantic function names what it needs in its parameters:
  X, F    integer and floating-point register files (X[rd] with rd = 0 writes a discard slot)
  C       control registers (pc, fcsr, instret, the LR/SC reservation): see emulator.cpu
  M       the address space (loads and stores)
  pc      the address of this instruction; ilen: its length in bytes (2 or 4)
  rd, rs1, rs2, rs3, imm, rm, csr: operands extracted by the instruction's format
It returns the next pc when it transfers control, else None. Helpers (sx, ltu, load, ...) come
from emulator.semantics, which binds them for the configured XLEN.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field


def sign_extend(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


@dataclass(frozen=True)
class BitField:
    """Operand bits scattered over an instruction word, written as in the spec's tables.

    `layout` lists the operand bits stored in word bits hi..lo, most significant word bit
    first, e.g. BitField("12|10:5", 31, 25) for the upper half of a B-type offset.
    """

    layout: str
    hi: int
    lo: int

    def parts(self) -> list[tuple[int, int, int]]:
        """(word bit, operand high bit, operand low bit) pieces, in word order."""
        out = []
        word_bit = self.hi
        for piece in self.layout.split("|"):
            top, _, bottom = piece.partition(":")
            top_i = int(top)
            bottom_i = int(bottom) if bottom else top_i
            out.append((word_bit, top_i, bottom_i))
            word_bit -= top_i - bottom_i + 1
        if word_bit != self.lo - 1:
            raise ValueError(f"layout {self.layout} does not fill bits {self.hi}:{self.lo}")
        return out

    def extract(self, word: int) -> int:
        value = 0
        for word_bit, top, bottom in self.parts():
            width = top - bottom + 1
            chunk = (word >> (word_bit - width + 1)) & ((1 << width) - 1)
            value |= chunk << bottom
        return value

    def insert(self, word: int, value: int) -> int:
        """`word` with this field's bits set from operand `value` (the inverse of extract)."""
        for word_bit, top, bottom in self.parts():
            width = top - bottom + 1
            shift = word_bit - width + 1
            chunk = (value >> bottom) & ((1 << width) - 1)
            word = (word & ~(((1 << width) - 1) << shift)) | (chunk << shift)
        return word


@dataclass(frozen=True)
class Operand:
    """One operand of a format: bit fields OR-ed together, then sign-extended or offset."""

    fields: tuple[BitField, ...]
    signed: bool = False
    # Compressed register fields name x8..x15 (or f8..f15) in three bits.
    plus: int = 0

    def extract(self, word: int) -> int:
        value = 0
        width = 0
        for f in self.fields:
            value |= f.extract(word)
            width = max(width, max(top for _, top, _ in f.parts()) + 1)
        if self.signed:
            value = sign_extend(value, width)
        return value + self.plus

    def insert(self, word: int, value: int) -> int:
        for f in self.fields:
            word = f.insert(word, value - self.plus)
        return word


def field_(layout: str, hi: int, lo: int, signed: bool = False, plus: int = 0) -> Operand:
    return Operand((BitField(layout, hi, lo),), signed, plus)


def reg(hi: int, lo: int) -> Operand:
    return field_(f"{hi - lo}:0", hi, lo)


def creg(hi: int) -> Operand:
    """A three-bit compressed register field naming x8..x15."""
    return field_("2:0", hi, hi - 2, plus=8)


@dataclass(frozen=True)
class Format:
    name: str
    operands: dict[str, Operand]

    def extract(self, word: int) -> dict[str, int]:
        return {name: op.extract(word) for name, op in self.operands.items()}

    def insert(self, word: int, ops: dict[str, int]) -> int:
        """`word` with the given operands encoded (bits of values too wide are dropped)."""
        for name, value in ops.items():
            word = self.operands[name].insert(word, value)
        return word


RD, RS1, RS2, RS3 = reg(11, 7), reg(19, 15), reg(24, 20), reg(31, 27)
RM = field_("2:0", 14, 12)

R = Format("R", {"rd": RD, "rs1": RS1, "rs2": RS2})
R4 = Format("R4", {"rd": RD, "rs1": RS1, "rs2": RS2, "rs3": RS3, "rm": RM})
R_RM = Format("R_RM", {"rd": RD, "rs1": RS1, "rs2": RS2, "rm": RM})
R1_RM = Format("R1_RM", {"rd": RD, "rs1": RS1, "rm": RM})  # one source: fsqrt, fcvt
R1 = Format("R1", {"rd": RD, "rs1": RS1})  # one source, no rounding: fmv, fclass, lr
I = Format("I", {"rd": RD, "rs1": RS1, "imm": field_("11:0", 31, 20, signed=True)})
SHIFT = Format("SHIFT", {"rd": RD, "rs1": RS1, "imm": field_("5:0", 25, 20)})
SHIFTW = Format("SHIFTW", {"rd": RD, "rs1": RS1, "imm": field_("4:0", 24, 20)})
S = Format(
    "S",
    {
        "rs1": RS1,
        "rs2": RS2,
        "imm": Operand((BitField("11:5", 31, 25), BitField("4:0", 11, 7)), signed=True),
    },
)
B = Format(
    "B",
    {
        "rs1": RS1,
        "rs2": RS2,
        "imm": Operand((BitField("12|10:5", 31, 25), BitField("4:1|11", 11, 7)), signed=True),
    },
)
U = Format("U", {"rd": RD, "imm": Operand((BitField("31:12", 31, 12),), signed=True)})
J = Format("J", {"rd": RD, "imm": field_("20|10:1|11|19:12", 31, 12, signed=True)})
CSR = Format("CSR", {"rd": RD, "rs1": RS1, "csr": field_("11:0", 31, 20)})
CSRI = Format("CSRI", {"rd": RD, "imm": field_("4:0", 19, 15), "csr": field_("11:0", 31, 20)})
FENCE = Format("FENCE", {})
NONE = Format("NONE", {})


@dataclass
class Instruction:
    """One instruction as the specification defines it."""

    name: str
    extension: str
    mask: int
    match: int
    format: Format
    semantics: Callable | None
    length: int = 4
    xlens: tuple[int, ...] = (32, 64)
    # Compressed instructions run the semantics of a full-size twin with mapped operands.
    expands_to: str | None = None
    expand: Callable[[dict[str, int]], dict[str, int]] | None = None
    # Decode-time legality beyond the bit pattern (reserved encodings, shift amounts).
    legal: Callable[[dict[str, int], int], bool] | None = None
    params: tuple[str, ...] = field(default=())

    def matches(self, word: int) -> bool:
        return word & self.mask == self.match


def parse_pattern(pattern: str) -> tuple[int, int, int]:
    """(mask, match, length in bits) of a pattern of 0, 1 and wildcard characters.

    Space-separated groups made only of 0 and 1 are fixed bits; any other group is a field of
    as many wildcard bits as it has characters, so a pattern may name its fields:
    "0000000 rs2.. rs1.. 000 rd... 0110011".
    """
    mask = match = length = 0
    for group in pattern.split():
        fixed = set(group) <= {"0", "1"}
        for ch in group:
            mask = (mask << 1) | fixed
            match = (match << 1) | (fixed and ch == "1")
        length += len(group)
    return mask, match, length


class Extension:
    """A named group of instruction declarations (one module of the ISA description)."""

    def __init__(self, name: str):
        self.name = name
        self.instructions: list[Instruction] = []

    def insn(
        self,
        pattern: str,
        fmt: Format,
        *,
        name: str | None = None,
        xlens: tuple[int, ...] = (32, 64),
        legal: Callable[[dict[str, int], int], bool] | None = None,
    ) -> Callable[[Callable], Callable]:
        """Declare a full-size instruction; the function's name is the mnemonic, with
        underscores as dots (fence_i is fence.i) and a trailing underscore to keep it apart
        from a Python keyword or a helper of the same name (or_, mulh_)."""

        def declare(fn: Callable) -> Callable:
            mask, match, nbits = parse_pattern(pattern)
            if nbits != 32:
                raise ValueError(f"{fn.__name__}: pattern has {nbits} bits")
            self.instructions.append(
                Instruction(
                    name=name or fn.__name__.rstrip("_").replace("_", "."),
                    extension=self.name,
                    mask=mask,
                    match=match,
                    format=fmt,
                    semantics=fn,
                    xlens=xlens,
                    legal=legal,
                    params=tuple(inspect.signature(fn).parameters),
                )
            )
            return fn

        return declare

    def compressed(
        self,
        name: str,
        pattern: str,
        fmt: Format,
        expands_to: str,
        expand: Callable[[dict[str, int]], dict[str, int]],
        *,
        xlens: tuple[int, ...] = (32, 64),
        legal: Callable[[dict[str, int], int], bool] | None = None,
    ) -> None:
        """Declare a 16-bit instruction that runs as the full-size `expands_to`."""
        mask, match, nbits = parse_pattern(pattern)
        if nbits != 16:
            raise ValueError(f"{name}: pattern has {nbits} bits")
        self.instructions.append(
            Instruction(
                name=name,
                extension=self.name,
                mask=mask,
                match=match,
                format=fmt,
                semantics=None,
                length=2,
                xlens=xlens,
                expands_to=expands_to,
                expand=expand,
                legal=legal,
            )
        )
