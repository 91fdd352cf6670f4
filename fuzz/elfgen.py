"""Writing small RISC-V ELF programs without a compiler: a code segment (instructions, then a
table of constants they load) and a writable data segment, for the instruction and
system-call fuzzers."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

PAGE = 4096
CODE_ADDRESS = 0x10000
DATA_ADDRESS = 0x200000
DATA_SIZE = 0x10000  # the data segment: file contents, then zeros
TABLE_REGISTER = 27  # s11: points at the constants while they are loaded
A0, A7 = 10, 17
EM_RISCV = 243
PT_LOAD, PF_X, PF_W, PF_R = 1, 1, 2, 4


def lui(rd: int, imm20: int) -> int:
    return ((imm20 & 0xFFFFF) << 12) | (rd << 7) | 0x37


def addi(rd: int, rs1: int, imm12: int) -> int:
    return ((imm12 & 0xFFF) << 20) | (rs1 << 15) | (rd << 7) | 0x13


def load_word(rd: int, rs1: int, offset: int, xlen: int) -> int:
    """ld (RV64) or lw (RV32) rd, offset(rs1)."""
    funct3 = 3 if xlen == 64 else 2
    return ((offset & 0xFFF) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x03


ECALL = 0x00000073


def load_address(rd: int, address: int) -> list[int]:
    """lui + addi of a 32-bit address."""
    high = (address + 0x800) >> 12
    return [lui(rd, high), addi(rd, rd, address - (high << 12))]


@dataclass
class Program:
    """Instructions (as 16- or 32-bit parcels) and the constants they load."""

    xlen: int = 64
    parcels: list[bytes] = field(default_factory=list)
    constants: list[int] = field(default_factory=list)
    # Where load_constants() calls left instructions to patch: (parcel index, first constant).
    _table_loads: list[tuple[int, int]] = field(default_factory=list)

    @property
    def word(self) -> int:
        return self.xlen // 8

    def emit(self, *words: int) -> None:
        self.parcels.extend(struct.pack("<I", w & 0xFFFFFFFF) for w in words)

    def emit_raw(self, data: bytes) -> None:
        self.parcels.append(data)

    def load_constants(self, values: dict[int, int]) -> None:
        """Set registers to 64-bit (or 32-bit) values, read from the constant table."""
        first = len(self.constants)
        self._table_loads.append((len(self.parcels), first))
        self.emit(0, 0)  # lui + addi of the table address, patched by build()
        # The table register itself last: the loads after it would read elsewhere.
        ordered = sorted(values.items(), key=lambda item: item[0] == TABLE_REGISTER)
        for index, (register, value) in enumerate(ordered):
            self.constants.append(value & ((1 << self.xlen) - 1))
            self.emit(load_word(register, TABLE_REGISTER, index * self.word, self.xlen))

    def exit(self, status: int = 0) -> None:
        self.emit(addi(A0, 0, status), addi(A7, 0, 94), ECALL)

    def build(self, data: bytes = b"") -> bytes:
        code_size = sum(len(p) for p in self.parcels)
        table_start = CODE_ADDRESS + PAGE + ((code_size + 7) & ~7)
        parcels = list(self.parcels)
        for index, first in self._table_loads:
            high, low = load_address(TABLE_REGISTER, table_start + first * self.word)
            parcels[index:index + 2] = [struct.pack("<I", high), struct.pack("<I", low)]
        code = b"".join(parcels).ljust((code_size + 7) & ~7, b"\0")
        fmt = "<Q" if self.xlen == 64 else "<I"
        code += b"".join(struct.pack(fmt, c) for c in self.constants)
        return elf(code, data, self.xlen)


def elf(code: bytes, data: bytes, xlen: int) -> bytes:
    """An ET_EXEC with code (R+X, at CODE_ADDRESS + PAGE, the entry) and data (R+W)."""
    code_offset = PAGE
    data_offset = (code_offset + len(code) + PAGE - 1) & ~(PAGE - 1)
    entry = CODE_ADDRESS + code_offset
    data_vaddr = DATA_ADDRESS + data_offset % PAGE
    segments = [
        (PF_R | PF_X, code_offset, CODE_ADDRESS + code_offset, len(code), len(code)),
        (PF_R | PF_W, data_offset, data_vaddr, len(data), max(len(data), DATA_SIZE)),
    ]
    if xlen == 64:
        header = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7),
                             2, EM_RISCV, 1, entry, 64, 0, 5, 64, 56, len(segments), 64, 0, 0)
        phdrs = b"".join(struct.pack("<IIQQQQQQ", PT_LOAD, flags, offset, vaddr, vaddr, filesz,
                                     memsz, PAGE)
                         for flags, offset, vaddr, filesz, memsz in segments)
    else:
        header = struct.pack("<4sBBBBB7sHHIIIIIHHHHHH", b"\x7fELF", 1, 1, 1, 0, 0, bytes(7),
                             2, EM_RISCV, 1, entry, 52, 0, 5, 52, 32, len(segments), 40, 0, 0)
        phdrs = b"".join(struct.pack("<IIIIIIII", PT_LOAD, offset, vaddr, vaddr, filesz, memsz,
                                     flags, PAGE)
                         for flags, offset, vaddr, filesz, memsz in segments)
    image = bytearray((header + phdrs).ljust(code_offset, b"\0"))
    image += code
    image = image.ljust(data_offset, b"\0")
    image += data
    return bytes(image)
