"""What `Machine.disasm` returns: guest instructions with their addresses and symbols. The
text comes from the disassembly derived from the ISA description (emulator/disassembly.py)."""

from __future__ import annotations

from dataclasses import dataclass


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
