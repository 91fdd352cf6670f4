"""Guest instructions as text: capstone, and pyemu's own decoder for what capstone does not
know (capstone 5 has no bit-manipulation extension)."""

from __future__ import annotations

from dataclasses import dataclass

from .emulator.cpu import ABI_NAMES, FP_ABI_NAMES
from .emulator.decoder import Decoded, Decoder, instruction_length


@dataclass(frozen=True)
class Instruction:
    address: int
    size: int
    mnemonic: str
    operands: str
    symbol: str = ""  # name+offset of the address, when known

    def __str__(self) -> str:
        where = f" <{self.symbol}>" if self.symbol else ""
        return f"{self.address:#x}{where}: {self.mnemonic} {self.operands}".rstrip()


class Listing(list):
    """A list of Instructions that prints as one line each."""

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self)

    __repr__ = __str__


class Disassembler:
    def __init__(self, xlen: int):
        import capstone

        mode = capstone.CS_MODE_RISCV64 if xlen == 64 else capstone.CS_MODE_RISCV32
        self._capstone = capstone.Cs(capstone.CS_ARCH_RISCV, mode | capstone.CS_MODE_RISCVC)
        self._decoder = Decoder(xlen)

    def one(self, address: int, code: bytes) -> tuple[int, str, str]:
        """(size, mnemonic, operands) of the instruction at the start of `code`."""
        for insn in self._capstone.disasm(code[:4], address, 1):
            return insn.size, insn.mnemonic, insn.op_str
        length = instruction_length(int.from_bytes(code[:2], "little")) or 2
        word = int.from_bytes(code[:length], "little")
        decoded = self._decoder.decode(word) if len(code) >= length else None
        if decoded is None:
            return length, "(illegal)", f"{word:#x}"
        return decoded.length, decoded.name, _operands(decoded)


def _operands(decoded: Decoded) -> str:
    """Operands in assembler order, from pyemu's decoder (integer registers by ABI name)."""
    ops = decoded.ops
    floating = decoded.name.startswith(("f", "c.f"))
    names = FP_ABI_NAMES if floating else ABI_NAMES
    out = [names[ops[r]] for r in ("rd", "rs1", "rs2", "rs3") if r in ops]
    if "imm" in ops:
        out.append(f"{ops['imm']:#x}" if ops["imm"] >= 0 else f"-{-ops['imm']:#x}")
    return ", ".join(out)
