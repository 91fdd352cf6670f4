"""The stopped guest seen from Python: registers by name or number, memory by address.

Both views read and write the machine's present state (the current thread's registers), so a
view kept in a variable stays valid across runs, thread switches and restores.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from .emulator.cpu import ABI_NAMES, FP_ABI_NAMES
from .emulator.memory import PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, Region

if TYPE_CHECKING:
    from .machine import Machine

INTEGER_NAMES = {name: i for i, name in enumerate(ABI_NAMES)} | {f"x{i}": i for i in range(32)}
INTEGER_NAMES["fp"] = 8
FLOAT_NAMES = {name: i for i, name in enumerate(FP_ABI_NAMES)} | {f"f{i}": i for i in range(32)}


class RegisterFile:
    """x[0] .. x[31] as unsigned XLEN-bit numbers (x[0] reads 0 and ignores writes), or
    f[0] .. f[31] as their raw 64-bit patterns (singles are NaN-boxed)."""

    def __init__(self, machine: Machine, floating: bool):
        self._machine = machine
        self._get, self._set = ("get_f", "set_f") if floating else ("get", "set")

    def __getitem__(self, index: int) -> int:
        return getattr(self._machine.state, self._get)(_index(index, 32))

    def __setitem__(self, index: int, value: int) -> None:
        getattr(self._machine.state, self._set)(_index(index, 32), value)
        self._machine.state_changed()

    def __len__(self) -> int:
        return 32

    def __repr__(self) -> str:
        return repr([self[i] for i in range(32)])

    def double(self, index: int) -> float:
        """An f register read as a double."""
        return struct.unpack("<d", struct.pack("<Q", self[index]))[0]

    def single(self, index: int) -> float:
        """An f register's low half read as a single."""
        return struct.unpack("<f", struct.pack("<I", self[index] & 0xFFFF_FFFF))[0]


def _index(index: int, count: int) -> int:
    if not isinstance(index, int) or not 0 <= index < count:
        raise IndexError(f"register number {index!r} outside 0..{count - 1}")
    return index


class Registers:
    """`regs.a0`, `regs["sp"]`, `regs[10]`, `regs.pc`, `regs.x[5]`, `regs.f[10]`, `regs.fa0`,
    `regs.fcsr`: read and written as unsigned numbers (f registers: raw bits)."""

    def __init__(self, machine: Machine):
        object.__setattr__(self, "_machine", machine)
        object.__setattr__(self, "x", RegisterFile(machine, floating=False))
        object.__setattr__(self, "f", RegisterFile(machine, floating=True))

    def __getitem__(self, name: str | int) -> int:
        state = self._machine.state
        if isinstance(name, int):
            return self.x[name]
        if name in INTEGER_NAMES:
            return state.get(INTEGER_NAMES[name])
        if name in FLOAT_NAMES:
            return state.get_f(FLOAT_NAMES[name])
        if name == "pc":
            return state.pc
        if name == "fcsr":
            return state.fcsr
        if name == "fflags":
            return state.fcsr & 0x1F
        if name == "frm":
            return state.fcsr >> 5
        raise KeyError(f"no register named {name!r}")

    def __setitem__(self, name: str | int, value: int) -> None:
        state = self._machine.state
        if isinstance(name, int):
            self.x[name] = value
            return
        if name in INTEGER_NAMES:
            state.set(INTEGER_NAMES[name], value)
        elif name in FLOAT_NAMES:
            state.set_f(FLOAT_NAMES[name], value)
        elif name == "pc":
            state.pc = value
        elif name == "fcsr":
            state.fcsr = value
        elif name == "fflags":
            state.fcsr = (state.fcsr & ~0x1F) | (value & 0x1F)
        elif name == "frm":
            state.fcsr = (state.fcsr & 0x1F) | ((value & 7) << 5)
        else:
            raise KeyError(f"no register named {name!r}")
        self._machine.state_changed()

    def __getattr__(self, name: str) -> int:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no register named {name!r}") from None

    def __setattr__(self, name: str, value: int) -> None:
        try:
            self[name] = value
        except KeyError:
            raise AttributeError(f"no register named {name!r}") from None

    def __dir__(self) -> list[str]:
        return [*ABI_NAMES, *FP_ABI_NAMES, "pc", "fcsr", "fflags", "frm", "x", "f"]

    def dict(self) -> dict[str, int]:
        """Every integer register by ABI name, then pc."""
        return {**{name: self[name] for name in ABI_NAMES}, "pc": self.pc}

    def __repr__(self) -> str:
        width = self._machine.state.xlen // 4
        cells = [f"{name:>4}={value:0{width}x}" for name, value in self.dict().items()]
        return "\n".join("  ".join(cells[i : i + 4]) for i in range(0, len(cells), 4))


def _flags(prot: int) -> str:
    return "".join(letter if prot & bit else "-" for letter, bit in
                   (("r", PROT_READ), ("w", PROT_WRITE), ("x", PROT_EXEC)))


class Memory:
    """The guest's memory as a debugger sees it: any mapped byte can be read and written,
    whatever its protection (writes into code reach the instructions that run next)."""

    def __init__(self, machine: Machine):
        self._machine = machine

    def read(self, addr: int, size: int) -> bytes:
        """`size` bytes at `addr`; GuestFault if a page of the range is not mapped."""
        return self._machine.space.peek(addr, size)

    def write(self, addr: int, data: bytes) -> None:
        space, data = self._machine.space, bytes(data)
        space.poke(addr, data)
        space.forget_code(addr, len(data))
        self._machine.state_changed([("poke", (addr, data), {}),
                                     ("forget_code", (addr, len(data)), {})])

    def read_int(self, addr: int, size: int = 8, signed: bool = False) -> int:
        return int.from_bytes(self.read(addr, size), "little", signed=signed)

    def write_int(self, addr: int, value: int, size: int = 8) -> None:
        self.write(addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

    def read_string(self, addr: int, limit: int = 4096) -> bytes:
        """The NUL-terminated string at `addr` (without the NUL, at most `limit` bytes)."""
        out = bytearray()
        while len(out) < limit:
            at = addr + len(out)
            chunk = self.read(at, min(64, limit - len(out), PAGE_SIZE - at % PAGE_SIZE))
            nul = chunk.find(0)
            if nul >= 0:
                return bytes(out + chunk[:nul])
            out += chunk
        return bytes(out)

    def maps(self) -> list[Region]:
        """The mappings, lowest first: start, end, prot, name (a file's path), offset."""
        return self._machine.space.maps()

    def is_mapped(self, addr: int, size: int = 1) -> bool:
        return self._machine.space.is_mapped(addr, size)

    def format_maps(self) -> str:
        """The mappings as /proc/self/maps shows them."""
        return "\n".join(f"{r.start:08x}-{r.end:08x} {_flags(r.prot)}p {r.offset:08x} {r.name}"
                         for r in self.maps())
