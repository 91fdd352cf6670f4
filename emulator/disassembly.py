"""Disassembly derived from the ISA description, in capstone's style.

Each instruction's syntax and the pseudo-instructions (aliases) come from its declaration in
emulator/isa; this module only knows how to print each kind of operand. The text is what
capstone 5 prints for the instructions it knows (tests/test_decoder.py compares them all).
"""

from __future__ import annotations

from .cpu import ABI_NAMES as X_NAMES
from .cpu import FP_ABI_NAMES as F_NAMES
from .decoder import Decoded, Decoder, instruction_length
from .isa import all_aliases, all_instructions
from .isa.base import Alias, Instruction
from .isa.rv_zfa import fli_text
from .isa.rv_zicsr import CSR_NAMES

# Rounding modes 5 and 6 are reserved (the instruction is illegal when it runs).
ROUNDING = ("rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn")
ORDERING = ("", ".rl", ".aq", ".aqrl")  # the aq and rl bits of an atomic
DYNAMIC = 7


def number(value: int) -> str:
    """An immediate as capstone prints one: decimal up to 9, hexadecimal beyond."""
    magnitude = abs(value)
    digits = f"{magnitude:#x}" if magnitude > 9 else str(magnitude)
    return f"-{digits}" if value < 0 else digits


def fence_set(bits: int) -> str:
    """The devices and memory accesses a fence orders: i, o, r, w (none: "unknown")."""
    return "".join(c for c, bit in zip("iorw", (8, 4, 2, 1)) if bits & bit) or "unknown"


def vtype_text(vtype: int) -> str:
    """A vsetvli's vtype as assemblers write it (e32, m1, ta, ma); a reserved one as a
    number."""
    vlmul, vsew = vtype & 7, (vtype >> 3) & 7
    if vtype >> 8 or vsew > 3 or vlmul == 4:
        return number(vtype)
    lmul = f"mf{1 << (8 - vlmul)}" if vlmul & 4 else f"m{1 << vlmul}"
    tail, mask = ("ta" if vtype & 0x40 else "tu"), ("ma" if vtype & 0x80 else "mu")
    return f"e{8 << vsew}, {lmul}, {tail}, {mask}"


OPERANDS = {
    "rd": lambda ops: X_NAMES[ops["rd"]],
    "rs1": lambda ops: X_NAMES[ops["rs1"]],
    "rs2": lambda ops: X_NAMES[ops["rs2"]],
    "frd": lambda ops: F_NAMES[ops["rd"]],
    "frs1": lambda ops: F_NAMES[ops["rs1"]],
    "frs2": lambda ops: F_NAMES[ops["rs2"]],
    "frs3": lambda ops: F_NAMES[ops["rs3"]],
    "imm": lambda ops: number(ops["imm"]),
    "hi20": lambda ops: number((ops["imm"] >> 12) & 0xFFFFF),
    "imm(rs1)": lambda ops: f"{number(ops['imm'])}({X_NAMES[ops['rs1']]})",
    "(rs1)": lambda ops: f"({X_NAMES[ops['rs1']]})",
    "csr": lambda ops: CSR_NAMES.get(ops["csr"], str(ops["csr"])),
    "rm": lambda ops: "" if ops["rm"] == DYNAMIC else ROUNDING[ops["rm"]],
    "rm0": lambda ops: ROUNDING[ops["rm"]] if ops["rm"] else "",
    "fli": lambda ops: fli_text(ops["rs1"]),
    "vd": lambda ops: f"v{ops['vd']}",
    "vs1": lambda ops: f"v{ops['vs1']}",
    "vs2": lambda ops: f"v{ops['vs2']}",
    "vm": lambda ops: "" if ops["vm"] else "v0.t",
    "v0": lambda ops: "v0",
    "uimm": lambda ops: number(ops["uimm"]),
    "vtypei": lambda ops: vtype_text(ops["imm"]),
    "pred": lambda ops: fence_set(ops["pred"]),
    "succ": lambda ops: fence_set(ops["succ"]),
}


class Disassembler:
    """Text of the instructions of one XLEN."""

    def __init__(self, xlen: int):
        self.decoder = Decoder(xlen)
        self.declared: dict[str, Instruction] = {
            i.name: i for i in all_instructions() if xlen in i.xlens}
        # Each instruction's aliases, the most constrained first (ties: declaration order).
        self.aliases: dict[str, list[Alias]] = {}
        for alias in sorted(all_aliases(), key=lambda a: -a.constraints):
            self.aliases.setdefault(alias.base, []).append(alias)

    def parts(self, decoded: Decoded) -> tuple[str, str]:
        """(mnemonic, operands) of a decoded instruction, as capstone splits them."""
        ops = decoded.ops
        mnemonic, syntax = decoded.name, self.declared[decoded.name].syntax
        for alias in self.aliases.get(decoded.name, ()):
            if alias.applies(ops):
                mnemonic, syntax = alias.name, alias.syntax
                break
        mnemonic += ORDERING[ops.get("aqrl", 0)]
        shown = (OPERANDS[token](ops) for token in syntax.split(", ") if token)
        return mnemonic, ", ".join(text for text in shown if text)

    def render(self, decoded: Decoded) -> str:
        mnemonic, operands = self.parts(decoded)
        return f"{mnemonic} {operands}" if operands else mnemonic

    def at(self, code: bytes) -> tuple[int, str, str]:
        """(length, mnemonic, operands) of the instruction `code` starts with. An illegal
        one, or one cut short by the end of `code`, shows as `(illegal)` and its word."""
        length = instruction_length(int.from_bytes(code[:2], "little")) or 2
        word = int.from_bytes(code[:length], "little")
        decoded = self.decoder.decode(word) if len(code) >= length else None
        if decoded is None:
            return length, "(illegal)", f"{word:#x}"
        return (decoded.length, *self.parts(decoded))

    def text(self, word: int) -> str | None:
        """The instruction `word` (its low 16 bits for a compressed one) as text; None if
        it is not a legal instruction."""
        decoded = self.decoder.decode(word)
        return None if decoded is None else self.render(decoded)
