"""Names and source lines of guest addresses, from the ELF files mapped in the guest.

Every file-backed mapping that is an ELF file (the program, its interpreter, the shared
libraries the interpreter maps) contributes its symbol tables and, when it was built with -g,
its DWARF line table. Files are read once per process (pyelftools) and looked up at their own
addresses, so a library mapped at another place costs nothing more.
"""

from __future__ import annotations

import bisect
import functools
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .emulator.memory import page_floor
from .loader.elf import MAX_PROGRAM_FILE

if TYPE_CHECKING:
    from .machine import Machine

SYMBOL_TYPES = ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE", "STT_GNU_IFUNC")


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int  # where the symbol starts, in the guest
    offset: int  # of the address asked about, from the start
    path: str  # the file that defines it

    def __str__(self) -> str:
        return self.name if not self.offset else f"{self.name}+{self.offset:#x}"


class ObjectFile:
    """The symbols and line table of one ELF file, at the file's own addresses."""

    def __init__(self, path: str):
        from elftools.elf.elffile import ELFFile
        from elftools.elf.sections import SymbolTableSection

        self.path = path
        with open(path, "rb") as f:
            self._data = io.BytesIO(f.read())
        elf = self._elf = ELFFile(self._data)
        self.loads = [(seg["p_vaddr"], seg["p_offset"]) for seg in elf.iter_segments()
                      if seg["p_type"] == "PT_LOAD"]
        self.by_name: dict[str, int] = {}
        global_names: set[str] = set()
        # address -> (rank, name): the name shown there, a function's before an object's, a
        # global before a local, a public one before one with a leading underscore (then the
        # last in alphabetical order: _exit before _Exit)
        ranked: dict[int, tuple[tuple[bool, bool, bool, str], str]] = {}
        for section in elf.iter_sections():
            if not isinstance(section, SymbolTableSection):
                continue
            for sym in section.iter_symbols():
                kind, bind = sym["st_info"]["type"], sym["st_info"]["bind"]
                name, value = sym.name, sym["st_value"]
                if kind not in SYMBOL_TYPES or not name or not value or sym["st_shndx"] == \
                        "SHN_UNDEF" or name.startswith(("$", ".L")):
                    continue
                is_global = bind != "STB_LOCAL"
                if name not in self.by_name or is_global and name not in global_names:
                    self.by_name[name] = value  # a global definition hides local ones
                if is_global:
                    global_names.add(name)
                rank = (kind == "STT_FUNC", is_global, not name.startswith("_"), name)
                if value not in ranked or rank > ranked[value][0]:
                    ranked[value] = (rank, name)
        self.addresses = sorted(ranked)
        self.names = [ranked[a][1] for a in self.addresses]
        self._lines: tuple[list[int], list[tuple[str, int] | None]] | None = None

    def bias_for(self, start: int, offset: int) -> int | None:
        """The load bias when the file's page at `offset` is mapped at `start`."""
        for vaddr, file_offset in self.loads:
            if page_floor(file_offset) == offset:
                return start - page_floor(vaddr)
        return None

    def lookup(self, addr: int) -> tuple[str, int] | None:
        """(name, offset) of the symbol at or before the file address `addr`."""
        i = bisect.bisect_right(self.addresses, addr) - 1
        return None if i < 0 else (self.names[i], self.addresses[i])

    def line(self, addr: int) -> tuple[str, int] | None:
        """(source file, line) of the file address `addr` (DWARF line table), if known."""
        addresses, rows = self._line_table()
        i = bisect.bisect_right(addresses, addr) - 1
        return rows[i] if i >= 0 else None

    def _line_table(self) -> tuple[list[int], list[tuple[str, int] | None]]:
        if self._lines is None:
            entries: list[tuple[int, int, tuple[str, int] | None]] = []
            if self._elf.has_dwarf_info():
                dwarf = self._elf.get_dwarf_info()
                for cu in dwarf.iter_CUs():
                    program = dwarf.line_program_for_CU(cu)
                    if program is not None:
                        entries += _line_rows(program)
            entries.sort(key=lambda e: (e[0], e[1]))
            self._lines = ([e[0] for e in entries], [e[2] for e in entries])
        return self._lines


def _line_rows(program) -> list[tuple[int, int, tuple[str, int] | None]]:
    """(address, order, (file, line) or None at the end of a sequence) of a line program; ends
    sort before a sequence starting at the same address."""
    files = program["file_entry"]
    first = 0 if program["version"] >= 5 else 1  # DWARF 5 numbers files from 0
    rows = []
    for entry in program.get_entries():
        state = entry.state
        if state is None:
            continue
        if state.end_sequence:
            rows.append((state.address, 0, None))
            continue
        index = state.file - first
        name = files[index].name.decode(errors="replace") if 0 <= index < len(files) else "?"
        rows.append((state.address, 1, (os.path.basename(name), state.line)))
    return rows


@functools.lru_cache(maxsize=64)
def _object_file(path: str, mtime_ns: int, size: int) -> ObjectFile | None:
    from elftools.common.exceptions import ELFError

    try:
        return ObjectFile(path)
    except (OSError, ELFError, ValueError, KeyError):
        return None


def object_file(path: str) -> ObjectFile | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size > MAX_PROGRAM_FILE:
        return None  # read whole, it would not fit (a guest may make its file sparse and huge)
    return _object_file(path, st.st_mtime_ns, st.st_size)


class Symbols(Mapping):
    """`symbols["main"]` -> its guest address. The program's own symbols come first, then the
    interpreter's and the shared libraries' in the order they are mapped."""

    def __init__(self, machine: Machine):
        self._machine = machine
        self._key: tuple | None = None
        self._objects: list[tuple[ObjectFile, int]] = []

    def objects(self) -> list[tuple[ObjectFile, int]]:
        """(file, load bias) of each ELF file mapped in the guest, the program first."""
        regions = self._machine.space.maps()
        key = tuple((r.start, r.name, r.offset) for r in regions if r.name.startswith("/"))
        if key != self._key:
            self._key = key
            placed: dict[str, tuple[ObjectFile, int]] = {}
            for start, name, offset in key:
                if name in placed:
                    continue
                elf = object_file(name)
                bias = elf.bias_for(start, offset) if elf else None
                if bias is not None:
                    placed[name] = (elf, bias)
            program = os.path.realpath(self._machine.image.executable)
            self._objects = sorted(placed.values(), key=lambda o: o[0].path != program)
        return self._objects

    def __getitem__(self, name: str) -> int:
        for elf, bias in self.objects():
            if name in elf.by_name:
                return elf.by_name[name] + bias
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for elf, _ in self.objects():
            for name in elf.by_name:
                if name not in seen:
                    seen.add(name)
                    yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _containing(self, addr: int) -> tuple[ObjectFile, int] | None:
        region = self._machine.space.region_at(addr)
        if region is None:
            return None
        for elf, bias in self.objects():
            if elf.path == region.name:
                return elf, bias
        return None

    def lookup(self, addr: int) -> Symbol | None:
        """The symbol at or before `addr`, in the file mapped there."""
        found = self._containing(addr)
        hit = found and found[0].lookup(addr - found[1])
        if not hit:
            return None
        elf, bias = found
        name, start = hit
        return Symbol(name, start + bias, addr - start - bias, elf.path)

    def line(self, addr: int) -> tuple[str, int] | None:
        """(source file name, line) of `addr` from the DWARF line table, if it has one."""
        found = self._containing(addr)
        return found[0].line(addr - found[1]) if found else None

    def describe(self, addr: int, lines: bool = True) -> str:
        """`main+0x10 (hello.c:12)`; without a symbol, the address in hex."""
        symbol = self.lookup(addr)
        text = str(symbol) if symbol else f"{addr:#x}"
        where = self.line(addr) if lines else None
        return f"{text} ({where[0]}:{where[1]})" if where else text
