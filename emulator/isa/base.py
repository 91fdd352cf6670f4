"""The vocabulary of the ISA description: bit fields, formats, instructions, extensions.

Each extension module declares its instructions once, Pydgin-style: a bit pattern written as in
the specification's tables, a format that extracts the operands (QEMU decodetree-style: formats
are shared, never per-instruction bit twiddling), and a small semantic function written in the
specification's pseudo-code style. The decoder, the engines, the disassembly and the tests
are all derived from these declarations.

Assembly syntax: each format names its operands' default syntax, e.g. "rd, rs1, imm"; an
instruction may give its own (`syntax=`, or `@syntax(...)` on a semantic function that serves
several instructions). Tokens: rd rs1 rs2 (integer registers), frd frs1 frs2 frs3 (floating
point), imm (signed, in capstone's style), hi20 (an upper immediate's 20 bits), imm(rs1) and
(rs1) (memory), csr, rm (rounding mode, not shown when dynamic), rm0 (that of an exact
conversion, not shown when 0: the value assemblers encode), pred and succ (fence sets), fli
(the constant a Zfa fli loads, by its rs1 index).
Pseudo-instructions the disassembly prints for particular operands are declared as aliases
(Extension.alias), once each.

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

import functools
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

    @functools.cached_property
    def parts(self) -> list[tuple[int, int, int]]:
        """(word bit, operand high bit, operand low bit) pieces, in word order (parsed once:
        decoding extracts operands many thousand times)."""
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
        for word_bit, top, bottom in self.parts:
            width = top - bottom + 1
            chunk = (word >> (word_bit - width + 1)) & ((1 << width) - 1)
            value |= chunk << bottom
        return value

    def insert(self, word: int, value: int) -> int:
        """`word` with this field's bits set from operand `value` (the inverse of extract)."""
        for word_bit, top, bottom in self.parts:
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

    @functools.cached_property
    def width(self) -> int:
        """Bits of the operand before sign extension."""
        return max(top for f in self.fields for _, top, _ in f.parts) + 1

    def extract(self, word: int) -> int:
        value = 0
        for f in self.fields:
            value |= f.extract(word)
        if self.signed:
            value = sign_extend(value, self.width)
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
    syntax: str = ""

    def extract(self, word: int) -> dict[str, int]:
        return {name: op.extract(word) for name, op in self.operands.items()}

    def insert(self, word: int, ops: dict[str, int]) -> int:
        """`word` with the given operands encoded (bits of values too wide are dropped)."""
        for name, value in ops.items():
            word = self.operands[name].insert(word, value)
        return word


RD, RS1, RS2, RS3 = reg(11, 7), reg(19, 15), reg(24, 20), reg(31, 27)
RM = field_("2:0", 14, 12)

R = Format("R", {"rd": RD, "rs1": RS1, "rs2": RS2}, "rd, rs1, rs2")
R1 = Format("R1", {"rd": RD, "rs1": RS1}, "rd, rs1")  # one source: clz, sext.b, ...
I = Format("I", {"rd": RD, "rs1": RS1, "imm": field_("11:0", 31, 20, signed=True)},
           "rd, rs1, imm")
SHIFT = Format("SHIFT", {"rd": RD, "rs1": RS1, "imm": field_("5:0", 25, 20)}, "rd, rs1, imm")
SHIFTW = Format("SHIFTW", {"rd": RD, "rs1": RS1, "imm": field_("4:0", 24, 20)}, "rd, rs1, imm")
S = Format(
    "S",
    {
        "rs1": RS1,
        "rs2": RS2,
        "imm": Operand((BitField("11:5", 31, 25), BitField("4:0", 11, 7)), signed=True),
    },
    "rs2, imm(rs1)",
)
B = Format(
    "B",
    {
        "rs1": RS1,
        "rs2": RS2,
        "imm": Operand((BitField("12|10:5", 31, 25), BitField("4:1|11", 11, 7)), signed=True),
    },
    "rs1, rs2, imm",
)
U = Format("U", {"rd": RD, "imm": Operand((BitField("31:12", 31, 12),), signed=True)},
           "rd, hi20")
J = Format("J", {"rd": RD, "imm": field_("20|10:1|11|19:12", 31, 12, signed=True)}, "rd, imm")
CSR = Format("CSR", {"rd": RD, "rs1": RS1, "csr": field_("11:0", 31, 20)}, "rd, csr, rs1")
CSRI = Format("CSRI", {"rd": RD, "imm": field_("4:0", 19, 15), "csr": field_("11:0", 31, 20)},
              "rd, csr, imm")
# fm, pred and succ of a fence; rs1 and rd are reserved and ignored.
FENCE = Format("FENCE", {"fm": field_("3:0", 31, 28), "pred": field_("3:0", 27, 24),
                         "succ": field_("3:0", 23, 20)}, "pred, succ")
NONE = Format("NONE", {})


def parameters(fn: Callable) -> tuple[str, ...]:
    """The names of a semantic function's parameters (read from its code object: faster than
    inspect.signature, which V's hundreds of declarations would pay for at every start)."""
    code = fn.__code__
    return code.co_varnames[:code.co_argcount]


def syntax(text: str) -> Callable[[Callable], Callable]:
    """The assembly syntax of every instruction a semantic function serves (unless one
    declares its own)."""

    def mark(fn: Callable) -> Callable:
        fn.syntax = text
        return fn

    return mark


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
    syntax: str = ""

    def matches(self, word: int) -> bool:
        return word & self.mask == self.match


@dataclass(frozen=True)
class Alias:
    """A pseudo-instruction: how the disassembly shows `base` for particular operands."""

    name: str
    base: str
    syntax: str
    fixed: tuple[tuple[str, int], ...]
    equal: tuple[str, ...] = ()

    def applies(self, ops: dict[str, int]) -> bool:
        return (all(ops.get(k) == v for k, v in self.fixed)
                and len({ops[k] for k in self.equal}) <= 1)

    @property
    def constraints(self) -> int:
        return len(self.fixed) + len(self.equal)


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
        self.aliases: list[Alias] = []

    def insn(
        self,
        pattern: str,
        fmt: Format,
        *,
        name: str | None = None,
        xlens: tuple[int, ...] = (32, 64),
        legal: Callable[[dict[str, int], int], bool] | None = None,
        syntax: str | None = None,
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
                    params=parameters(fn),
                    syntax=syntax if syntax is not None else getattr(fn, "syntax", fmt.syntax),
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
        syntax: str | None = None,
    ) -> None:
        """Declare a 16-bit instruction that runs as the full-size `expands_to`; its syntax
        names the operands of the full-size twin (c.lwsp: "rd, imm(rs1)", rs1 being sp)."""
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
                syntax=fmt.syntax if syntax is None else syntax,
            )
        )

    def alias(self, name: str, base: str, syntax: str, *, equal: tuple[str, ...] = (),
              **fixed: int) -> None:
        """Declare that the disassembly shows instruction `base` as `name` with `syntax`
        when its operands have the `fixed` values (and the `equal` ones are equal)."""
        self.aliases.append(Alias(name, base, syntax, tuple(fixed.items()), equal))
