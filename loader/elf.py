"""Reading and checking the ELF headers of a RISC-V Linux program or interpreter.

The input may be hostile, so the headers are unpacked here with `struct` and every field the
loader relies on is checked before use: whatever is wrong with a file becomes a LoadError, never
an exception from a parser. The checks follow what binfmt_elf refuses, plus a few the kernel
leaves to a later crash (segment data past the end of the file, overlapping segments).
"""

from __future__ import annotations

import itertools
import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass

from ..emulator.memory import PAGE_OFFSET_MASK

STATUS_NOT_FOUND = 127  # what a shell returns when the command does not exist
STATUS_CANNOT_EXECUTE = 126  # ... and when it exists but cannot be executed

EM_RISCV = 243
ET_EXEC = 2
ET_DYN = 3
PT_LOAD = 1
PT_INTERP = 3
PT_GNU_STACK = 0x6474E551
PF_X = 1
PF_W = 2
PF_R = 4

_ELF_MAGIC = b"\x7fELF"
_EI_CLASS = 4
_EI_DATA = 5
_ELFDATA2LSB = 1
# Program files are read whole: larger ones are refused (execve's EFBIG, exit 126). A guest can
# make a file this large and sparse (truncate), and pyemu must not try to hold it.
MAX_PROGRAM_FILE = 1 << 31
_PATH_MAX = 4096  # the kernel's limit on the PT_INTERP string, NUL included
_MAX_PHDR_BYTES = 65536  # load_elf_phdrs refuses bigger program header tables
_TYPE_NAMES = {0: "no file type", 1: "a relocatable object", 4: "a core dump"}


class LoadError(Exception):
    """A program that cannot be executed; str() is one line for the user, `status` the exit code."""

    def __init__(self, message: str, status: int = STATUS_CANNOT_EXECUTE):
        super().__init__(message)
        self.status = status


def format_error(path: str, reason: str) -> LoadError:
    """The error for a file whose contents are not a loadable program (the kernel's ENOEXEC)."""
    return LoadError(f"{path}: exec format error: {reason}")


@dataclass(frozen=True)
class _ElfClass:
    """Layouts of the two ELF classes; the 32-bit program header keeps p_flags further down."""

    xlen: int
    header: struct.Struct  # e_type .. e_shstrndx, following the 16 identification bytes
    phdr: struct.Struct
    phdr_fields: tuple[int, ...]  # indices of type, flags, offset, vaddr, filesz, memsz, align


_CLASSES = {
    1: _ElfClass(32, struct.Struct("<HHIIIIIHHHHHH"), struct.Struct("<8I"), (0, 6, 1, 2, 4, 5, 7)),
    2: _ElfClass(
        64, struct.Struct("<HHIQQQIHHHHHH"), struct.Struct("<IIQQQQQQ"), (0, 1, 2, 3, 5, 6, 7)
    ),
}
_IDENT_SIZE = 16


@dataclass(frozen=True)
class ProgramHeader:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int


@dataclass(frozen=True)
class ElfHeader:
    """The fields of the ELF file header that loading uses, already checked."""

    xlen: int
    type: int
    entry: int
    phoff: int
    phnum: int
    phentsize: int


@dataclass(frozen=True)
class ElfFile:
    """A checked RISC-V executable or interpreter with its whole contents."""

    path: str  # as the caller named it, for messages
    real_path: str  # the host file it was read from, symlinks resolved
    data: bytes
    header: ElfHeader
    phdrs: tuple[ProgramHeader, ...]
    loads: tuple[ProgramHeader, ...]  # the PT_LOAD entries, in file order
    interp: str | None  # the PT_INTERP path, without its NUL
    exec_stack: bool  # PT_GNU_STACK asks for an executable stack

    @property
    def xlen(self) -> int:
        return self.header.xlen


Opener = Callable[[str], int]  # opens a file by name for reading (OSError when it cannot)


def open_for_reading(path: str) -> int:
    # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)


def read_file(path: str, limit: int = -1, opener: Opener = open_for_reading) -> bytes:
    """The file's bytes (at most `limit`); LoadError with the shell's status when unreadable."""
    return _read_file(path, limit, opener)[0]


def _read_file(path: str, limit: int, opener: Opener) -> tuple[bytes, str]:
    """The file's bytes and the host path it was read from."""
    try:
        fd = opener(path)
    except FileNotFoundError:
        raise LoadError(f"{path}: No such file or directory", STATUS_NOT_FOUND) from None
    except OSError as e:
        raise LoadError(f"{path}: {e.strerror}") from None
    try:
        status = os.fstat(fd)
        mode = status.st_mode
        if stat.S_ISDIR(mode):
            raise LoadError(f"{path}: Is a directory")
        if not stat.S_ISREG(mode):
            raise LoadError(f"{path}: Permission denied")  # execve's EACCES for special files
        if limit < 0 and status.st_size > MAX_PROGRAM_FILE:
            raise LoadError(f"{path}: File too large")
        with open(fd, "rb", closefd=False) as f:
            data = f.read(limit)
        real_path = os.path.realpath(path) if opener is open_for_reading \
            else os.readlink(f"/proc/self/fd/{fd}")
        return data, real_path
    except OSError as e:
        raise LoadError(f"{path}: {e.strerror}") from None
    finally:
        os.close(fd)


def parse_header(path: str, data: bytes) -> ElfHeader:
    """Check the ELF file header at the start of `data` (which may be just a prefix)."""
    if data[:4] != _ELF_MAGIC:
        raise format_error(path, "not an ELF file")
    if len(data) < _IDENT_SIZE:
        raise format_error(path, "truncated ELF header")
    elf_class = _CLASSES.get(data[_EI_CLASS])
    if elf_class is None:
        raise format_error(path, f"unsupported ELF class {data[_EI_CLASS]}")
    if data[_EI_DATA] != _ELFDATA2LSB:
        raise format_error(path, "not a little-endian ELF file")
    if len(data) < _IDENT_SIZE + elf_class.header.size:
        raise format_error(path, "truncated ELF header")
    fields = elf_class.header.unpack_from(data, _IDENT_SIZE)  # same order in both classes
    e_type, machine, entry, phoff, phentsize, phnum = (fields[i] for i in (0, 1, 3, 4, 8, 9))
    if machine != EM_RISCV:
        raise format_error(path, f"not a RISC-V program (e_machine {machine})")
    if e_type not in (ET_EXEC, ET_DYN):
        raise format_error(
            path, f"not an executable ({_TYPE_NAMES.get(e_type, f'e_type {e_type}')})"
        )
    if phentsize != elf_class.phdr.size:
        raise format_error(path, f"bad program header size {phentsize}")
    if not 0 < phnum * phentsize <= _MAX_PHDR_BYTES:
        raise format_error(path, f"bad number of program headers ({phnum})")
    return ElfHeader(elf_class.xlen, e_type, entry, phoff, phnum, phentsize)


def read_elf(path: str, opener: Opener = open_for_reading) -> ElfFile:
    """Read and check a whole program or interpreter file."""
    data, real_path = _read_file(path, -1, opener)
    header = parse_header(path, data)
    if header.phoff + header.phnum * header.phentsize > len(data):
        raise format_error(path, "program headers beyond the end of the file")
    elf_class = _CLASSES[data[_EI_CLASS]]
    phdrs = tuple(
        ProgramHeader(*(fields[i] for i in elf_class.phdr_fields))
        for fields in elf_class.phdr.iter_unpack(
            data[header.phoff : header.phoff + header.phnum * header.phentsize]
        )
    )
    loads = tuple(ph for ph in phdrs if ph.type == PT_LOAD)
    for index, ph in enumerate(phdrs):
        if ph.type == PT_LOAD:
            _check_load(path, index, ph, len(data), header.xlen)
    _check_no_overlap(path, phdrs)
    exec_stack = False
    for ph in phdrs:
        if ph.type == PT_GNU_STACK:  # like the kernel, the last one counts
            exec_stack = bool(ph.flags & PF_X)
    return ElfFile(path, real_path, data, header, phdrs, loads, _interpreter(path, phdrs, data),
                   exec_stack)


def _check_load(path: str, index: int, ph: ProgramHeader, file_size: int, xlen: int) -> None:
    where = f"segment {index}"
    if ph.filesz > ph.memsz:
        raise format_error(path, f"{where}: file size {ph.filesz:#x} > memory size {ph.memsz:#x}")
    if ph.offset + ph.filesz > file_size:
        raise format_error(path, f"{where}: contents beyond the end of the file")
    # Segments are mapped as whole file pages, so address and offset must agree within a page.
    if (ph.vaddr ^ ph.offset) & PAGE_OFFSET_MASK:
        raise format_error(path, f"{where}: address and file offset differ within the page")
    if ph.vaddr + ph.memsz > 1 << xlen:
        raise format_error(path, f"{where}: wraps around the end of the address space")


def _check_no_overlap(path: str, phdrs: tuple[ProgramHeader, ...]) -> None:
    """Two PT_LOADs may share a page, but no byte."""
    ranges = sorted(
        (ph.vaddr, ph.vaddr + ph.memsz, index)
        for index, ph in enumerate(phdrs)
        if ph.type == PT_LOAD and ph.memsz
    )
    if not ranges:
        raise format_error(path, "no loadable segments")
    for (_, end, first), (start, _, second) in itertools.pairwise(ranges):
        if start < end:
            raise format_error(path, f"segments {first} and {second} overlap")


def _interpreter(path: str, phdrs: tuple[ProgramHeader, ...], data: bytes) -> str | None:
    """The program interpreter named by PT_INTERP, if any."""
    interps = [ph for ph in phdrs if ph.type == PT_INTERP]
    if not interps:
        return None
    if len(interps) > 1:
        raise format_error(path, "more than one PT_INTERP")
    ph = interps[0]
    if not 2 <= ph.filesz <= _PATH_MAX:
        raise format_error(path, f"bad PT_INTERP size {ph.filesz}")
    if ph.offset + ph.filesz > len(data):
        raise format_error(path, "PT_INTERP beyond the end of the file")
    name = data[ph.offset : ph.offset + ph.filesz]
    if name[-1] != 0 or 0 in name[:-1]:
        raise format_error(path, "PT_INTERP is not a NUL-terminated path")
    return os.fsdecode(name[:-1])
