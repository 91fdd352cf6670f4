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
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
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
        self._lines: LineTable | None = None

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
        """(source file name, line) of the file address `addr` (DWARF line table), if known."""
        where = self._line_table().line_at(addr)
        return (os.path.basename(where[0]), where[1]) if where else None

    def _line_table(self) -> LineTable:
        if self._lines is None:
            self._lines = read_line_table(self._elf)
        return self._lines


@dataclass
class LineTable:
    """A file's DWARF line tables: the source line of each address, and every line with
    code (lcov's instrumented lines) and every function, by source file (absolute paths)."""

    starts: list[int] = field(default_factory=list)  # row addresses, ascending
    rows: list[tuple[str, int] | None] = field(default_factory=list)  # None: a sequence's end
    lines: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    functions: dict[str, list[tuple[int, str, int]]] = field(
        default_factory=lambda: defaultdict(list))  # file -> (line, name, address)

    def line_at(self, address: int) -> tuple[str, int] | None:
        index = bisect.bisect_right(self.starts, address) - 1
        return self.rows[index] if index >= 0 else None


def read_line_table(elf, functions: bool = False,
                    units: Callable[[list], Iterable] = lambda units: units) -> LineTable:
    """The line table of an ELFFile (empty without DWARF: built without -g); `functions`:
    with the functions each source file defines; `units` sees the compilation units go by
    (a progress line)."""
    table = LineTable()
    rows: list[tuple[int, int, tuple[str, int] | None]] = []
    if not elf.has_dwarf_info():
        return table
    dwarf = elf.get_dwarf_info()
    for cu in units(list(dwarf.iter_CUs())):
        program = dwarf.line_program_for_CU(cu)
        if program is None:
            continue
        top = cu.get_top_DIE()
        comp_dir = _text(top.attributes["DW_AT_comp_dir"].value) \
            if "DW_AT_comp_dir" in top.attributes else ""
        for entry in program.get_entries():
            state = entry.state
            if state is None:
                continue
            if state.end_sequence:  # sorts before a sequence that starts at its address
                rows.append((state.address, 0, None))
                continue
            source = _file_name(program, state.file, comp_dir)
            rows.append((state.address, 1, (source, state.line)))
            if state.line:
                table.lines[source].add(state.line)
        if functions:
            for die in cu.iter_DIEs():
                if die.tag == "DW_TAG_subprogram" and "DW_AT_low_pc" in die.attributes:
                    _add_function(table, program, die, comp_dir)
    rows.sort(key=lambda row: (row[0], row[1]))  # stable: rows at one address keep their order
    table.starts = [address for address, _, _ in rows]
    table.rows = [row for _, _, row in rows]
    return table


def _add_function(table: LineTable, program, die, comp_dir: str) -> None:
    declared = die
    for link in ("DW_AT_specification", "DW_AT_abstract_origin"):
        if link in die.attributes:
            declared = die.get_DIE_from_attribute(link)
            break
    attributes = declared.attributes
    if not {"DW_AT_name", "DW_AT_decl_line", "DW_AT_decl_file"} <= attributes.keys():
        return
    source = _file_name(program, attributes["DW_AT_decl_file"].value, comp_dir)
    table.functions[source].append((attributes["DW_AT_decl_line"].value,
                                    _text(attributes["DW_AT_name"].value),
                                    die.attributes["DW_AT_low_pc"].value))


def _text(value) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def _file_name(program, index: int, comp_dir: str) -> str:
    """The absolute path of file `index` of a line program (DWARF 5 counts from 0 and names
    the compilation directory as directory 0; earlier versions count from 1, and directory 0
    is the compilation directory)."""
    header = program.header
    modern = header.version >= 5
    files, directories = header.file_entry, header.include_directory
    position = index if modern else index - 1
    if not 0 <= position < len(files):
        return "<unknown>"
    entry = files[position]
    directory = ""
    if modern:
        if entry.dir_index < len(directories):
            directory = _text(directories[entry.dir_index])
    elif entry.dir_index:
        directory = _text(directories[entry.dir_index - 1])
    return os.path.normpath(os.path.join(comp_dir, directory, _text(entry.name)))


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
