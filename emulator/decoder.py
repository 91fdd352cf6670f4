"""Instruction decoding, derived from the ISA description for one XLEN."""

from __future__ import annotations

from dataclasses import dataclass

from .isa import all_instructions
from .isa.base import Instruction
from .semantics import CSR_VCSR, CSR_VL, CSR_VLENB, CSR_VSTART, CSR_VTYPE, CSR_VXRM, CSR_VXSAT

# The CSRs that belong to V: reaching them is using V.
VECTOR_CSRS = frozenset({CSR_VSTART, CSR_VXSAT, CSR_VXRM, CSR_VCSR, CSR_VL, CSR_VTYPE, CSR_VLENB})


@dataclass(frozen=True)
class Decoded:
    """One decoded instruction: what runs (`insn`, a full-size instruction) with which operands.

    For a compressed instruction, `name` is its own mnemonic (c.addi) while `insn` is the
    full-size twin whose semantics it runs.
    """

    name: str
    insn: Instruction
    ops: dict[str, int]
    length: int
    word: int


# The word bits that select the candidates of a 32-bit word: the major opcode, funct3 and
# funct6/funct7's top six bits, which most patterns fix (OP-V alone has hundreds of forms).
KEY_BITS = 0xFC00707F


def key_values(insn: Instruction) -> list[int]:
    """Every value of the KEY_BITS of words the instruction's pattern may match."""
    free = KEY_BITS & ~insn.mask
    fixed = insn.match & KEY_BITS
    values, subset = [], free
    while True:
        values.append(fixed | subset)
        if subset == 0:
            return values
        subset = (subset - 1) & free


def instruction_length(parcel: int) -> int:
    """Length in bytes of the instruction whose first 16-bit parcel is given (0: unsupported)."""
    if parcel & 3 != 3:
        return 2
    if parcel & 0x1C != 0x1C:
        return 4
    return 0  # 48-bit and longer encodings: none is defined for user mode


class Decoder:
    def __init__(self, xlen: int):
        self.xlen = xlen
        usable = [i for i in all_instructions() if xlen in i.xlens]
        self.by_name = {i.name: i for i in usable if i.length == 4}
        # Candidates grouped by the bits that tell them apart (KEY_BITS for 32-bit
        # instructions, quadrant and funct3 for compressed ones). Most specific patterns first.
        self._full: dict[int, list[Instruction]] = {}
        self._compressed: dict[int, list[Instruction]] = {}
        for insn in sorted(usable, key=lambda i: -i.mask.bit_count()):
            if insn.length == 4:
                for key in key_values(insn):
                    self._full.setdefault(key, []).append(insn)
            else:
                self._compressed.setdefault(self._compressed_key(insn.match), []).append(insn)
        # Vector instructions (V's and the Zv* extensions') and accesses to the vector CSRs
        # decode as illegal while the program has V turned off (Linux's prctl
        # PR_RISCV_V_SET_CONTROL: its first-use trap, insn_is_vector in
        # arch/riscv/kernel/vector.c, gives SIGILL then).
        self.vector_off = False

    @staticmethod
    def _compressed_key(word: int) -> int:
        return (word & 3) | ((word >> 11) & 0x1C)

    def decode(self, word: int) -> Decoded | None:
        """Decode an instruction word (its low 16 bits for compressed forms); None if illegal."""
        length = instruction_length(word & 0xFFFF)
        if length == 2:
            word &= 0xFFFF
            for insn in self._compressed.get(self._compressed_key(word), ()):
                if insn.matches(word):
                    return self._compressed_form(insn, word)
            return None
        if length == 4:
            word &= 0xFFFF_FFFF
            for insn in self._full.get(word & KEY_BITS, ()):
                if insn.matches(word):
                    ops = insn.format.extract(word)
                    if insn.legal and not insn.legal(ops, self.xlen):
                        return None
                    if self.vector_off and (insn.extension.startswith(("V", "Zv"))
                                            or ops.get("csr") in VECTOR_CSRS):
                        return None
                    return Decoded(insn.name, insn, ops, 4, word)
        return None

    def _compressed_form(self, insn: Instruction, word: int) -> Decoded | None:
        ops = insn.format.extract(word)
        if word == 0 or (insn.legal and not insn.legal(ops, self.xlen)):
            return None
        twin = self.by_name[insn.expands_to]
        return Decoded(insn.name, twin, insn.expand(ops), 2, word)
