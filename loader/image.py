"""Building the initial process image the way Linux's binfmt_elf does on RISC-V.

load_program maps the program (and its interpreter) into an AddressSpace and writes the initial
stack, reproducing the kernel's addresses with address-space randomization off, so that runs are
deterministic and look like a `setarch -R` run on a riscv64 (Sv39) or riscv32 Linux.

Segments are mapped like the kernel's elf_map/elf_load: each PT_LOAD gets the file's whole pages
around it (so the bytes next to a segment in its first and last page are the file's neighbouring
bytes, as with mmap), the rest of its last file page is zeroed when it has a .bss, and the .bss
beyond gets fresh zero pages. When two segments share a page, the later one is mapped over it:
the page gets the later segment's permissions and its view of the file, exactly as the kernel's
second MAP_FIXED mmap replaces the first.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from ..emulator.memory import (
    PAGE_SIZE,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    AddressSpace,
    page_ceil,
    page_floor,
)
from .elf import (
    ET_DYN,
    ET_EXEC,
    PF_R,
    PF_W,
    PF_X,
    PT_LOAD,
    ElfFile,
    LoadError,
    Opener,
    ProgramHeader,
    format_error,
    open_for_reading,
    parse_header,
    read_elf,
    read_file,
)

# Auxiliary vector keys (include/uapi/linux/auxvec.h, arch/riscv/include/uapi/asm/auxvec.h).
AT_NULL = 0
AT_PHDR = 3
AT_PHENT = 4
AT_PHNUM = 5
AT_PAGESZ = 6
AT_BASE = 7
AT_FLAGS = 8
AT_ENTRY = 9
AT_UID = 11
AT_EUID = 12
AT_GID = 13
AT_EGID = 14
AT_HWCAP = 16
AT_CLKTCK = 17
AT_SECURE = 23
AT_RANDOM = 25
AT_EXECFN = 31
AT_MINSIGSTKSZ = 51


def hwcap_bits(extensions: str) -> int:
    """AT_HWCAP for single-letter ISA extensions: bit (letter - 'A') for each letter."""
    return sum(1 << (ord(letter) - ord("A")) for letter in set(extensions.upper()))


DEFAULT_HWCAP = hwcap_bits("IMAFDC")

CLOCK_TICKS = 100  # USER_HZ, what AT_CLKTCK reports
STACK_SIZE = 8 << 20  # the default RLIMIT_STACK; the whole stack is mapped up front
MIN_MMAP_ADDR = PAGE_SIZE  # the default vm.mmap_min_addr: nothing may be mapped below it
_STACK_GUARD_GAP = 256 * PAGE_SIZE
_MIN_MMAP_GAP = 128 << 20  # mmap_base keeps at least this far below the stack top
_MAX_ARG_STRLEN = 32 * PAGE_SIZE  # one argument or environment string, NUL included
# sizeof(struct rt_sigframe) without the vector extension, rounded to 16: the kernel's
# signal_minsigstksz. The emulator's signal frames must not be bigger than this.
MINSIGSTKSZ = {64: 1088, 32: 944}


@dataclass(frozen=True)
class Layout:
    """The fixed user address-space geometry of a RISC-V Linux process of one XLEN."""

    task_size: int  # TASK_SIZE: the end of user space

    @property
    def stack_top(self) -> int:
        return self.task_size  # riscv: STACK_TOP == TASK_SIZE

    @property
    def stack_bottom(self) -> int:
        return self.stack_top - STACK_SIZE

    @property
    def et_dyn_base(self) -> int:
        return self.task_size // 3 * 2  # ELF_ET_DYN_BASE

    @property
    def mmap_base(self) -> int:
        """Where top-down mmap placement starts: the stack rlimit plus guard gap, >= 128 MiB."""
        return page_floor(self.stack_top - max(_MIN_MMAP_GAP, STACK_SIZE + _STACK_GUARD_GAP))


# riscv64 with Sv39 (user space is the lower half of 2**39), and native riscv32 whose
# TASK_SIZE is FIXADDR_START just below the kernel's 0xC0000000 PAGE_OFFSET.
LAYOUTS = {64: Layout(task_size=0x40_0000_0000), 32: Layout(task_size=0x9FC0_0000)}


@dataclass(frozen=True)
class Segment:
    """One PT_LOAD as loaded: its bytes are [start, end), page-rounded in the address space."""

    start: int
    end: int
    prot: int
    path: str  # resolved host path of the file it came from, as /proc/self/maps names it


@dataclass
class ProcessImage:
    """The loaded process: where it starts and what the kernel would remember about it."""

    entry: int  # where execution starts: the interpreter's entry if there is one
    stack_pointer: int  # points at argc
    brk: int  # initial program break: the page-aligned end of the program's segments
    xlen: int
    executable: str  # resolved host path of the program (/proc/self/exe)
    interpreter: str | None  # host path of the interpreter actually loaded
    load_bias: int  # added to the program's addresses (0 for ET_EXEC)
    interp_bias: int  # AT_BASE
    phdr: int  # AT_PHDR
    auxv: list[tuple[int, int]]  # as written to the stack, AT_NULL included
    argv: list[bytes]
    envp: list[bytes]
    stack_top: int
    stack_bottom: int  # lowest address of the mapped stack
    mmap_base: int  # top-down mmap placement starts below this
    task_size: int  # end of the user address space
    # The argument and environment strings, as /proc/self/cmdline and environ show them.
    arg_start: int
    arg_end: int
    env_start: int
    env_end: int
    segments: list[Segment] = field(default_factory=list)  # program's, then interpreter's


def probe(path: str | os.PathLike[str]) -> int:
    """XLEN (32 or 64) of the program at `path`, from its ELF header; LoadError if unusable."""
    path = os.fspath(path)
    return parse_header(path, read_file(path, limit=64)).xlen


def load_program(
    path: str | os.PathLike[str],
    argv: list[str | bytes],
    envp: list[str | bytes],
    mem: AddressSpace,
    *,
    sysroot: str | None = None,
    random_bytes: bytes | None = None,
    execfn: str | bytes | None = None,
    hwcap: int = DEFAULT_HWCAP,
    open_interpreter: Opener | None = None,
) -> ProcessImage:
    """Map the program at `path` into the empty `mem` and build its initial stack.

    `sysroot` is searched first for the program interpreter; `random_bytes` are the 16 AT_RANDOM
    bytes (fresh ones by default); `execfn` is the name execve was given (default: `path`);
    `hwcap` describes the CPU's single-letter extensions; `open_interpreter`, when given,
    opens the PT_INTERP name instead of `sysroot` and the host (a guest's --root). On
    LoadError `mem` may be partly filled and should be discarded.
    """
    path = os.fspath(path)
    if random_bytes is None:
        random_bytes = os.urandom(16)
    if len(random_bytes) != 16:
        raise ValueError("AT_RANDOM needs exactly 16 bytes")
    program = read_elf(path)
    layout = LAYOUTS[program.xlen]
    if mem.limit < layout.task_size:
        raise ValueError(f"address space too small for a {program.xlen}-bit process")
    args = [_c_string(a) for a in argv] or [b""]  # like Linux, never start with argc == 0
    env = [_c_string(e) for e in envp]
    strings = _StackStrings(
        layout.stack_top,
        program.xlen // 8,
        args,
        env,
        _c_string(path if execfn is None else execfn),
    )
    strings.check_size(path)
    interp = _read_interpreter(path, program.interp, sysroot, program.xlen, open_interpreter)

    stack_prot = PROT_READ | PROT_WRITE | (PROT_EXEC if program.exec_stack else 0)
    mem.map(layout.stack_bottom, STACK_SIZE, stack_prot, "[stack]")
    load_bias = _program_bias(program, layout)
    segments = _map_segments(mem, program, load_bias, layout)
    brk = page_ceil(max(s.end for s in segments))
    entry = _entry(program, load_bias, layout)
    interp_bias = 0
    mmap_base = layout.mmap_base
    if interp is not None:
        interp_bias = _interpreter_bias(mem, interp, mmap_base)
        interp_segments = _map_segments(mem, interp, interp_bias, layout)
        if interp.header.type == ET_DYN:  # it was placed top-down from mmap_base
            mmap_base = page_floor(min(s.start for s in interp_segments))
        segments += interp_segments
        entry = _entry(interp, interp_bias, layout)

    word_mask = (1 << program.xlen) - 1
    phdr = _phdr_address(program, load_bias) & word_mask
    random_addr = (strings.start & ~15) - 16  # arch_align_stack, then 16 random bytes
    auxv = [
        (AT_MINSIGSTKSZ, MINSIGSTKSZ[program.xlen]),  # ARCH_DLINFO comes first
        (AT_HWCAP, hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, CLOCK_TICKS),
        (AT_PHDR, phdr),
        (AT_PHENT, program.header.phentsize),
        (AT_PHNUM, program.header.phnum),
        (AT_BASE, interp_bias & word_mask),
        (AT_FLAGS, 0),
        (AT_ENTRY, (program.header.entry + load_bias) & word_mask),
        (AT_UID, os.getuid()),
        (AT_EUID, os.geteuid()),
        (AT_GID, os.getgid()),
        (AT_EGID, os.getegid()),
        (AT_SECURE, 0),
        (AT_RANDOM, random_addr),
        (AT_EXECFN, strings.execfn),
        (AT_NULL, 0),
    ]
    mem.poke(strings.start, strings.blob)
    mem.poke(random_addr, random_bytes)
    sp = _write_tables(mem, program.xlen, random_addr, strings, auxv)

    return ProcessImage(
        entry=entry,
        stack_pointer=sp,
        brk=brk,
        xlen=program.xlen,
        executable=os.path.realpath(path),
        interpreter=None if interp is None else interp.path,
        load_bias=load_bias,
        interp_bias=interp_bias,
        phdr=phdr,
        auxv=auxv,
        argv=args,
        envp=env,
        stack_top=layout.stack_top,
        stack_bottom=layout.stack_bottom,
        mmap_base=mmap_base,
        task_size=layout.task_size,
        arg_start=strings.start,
        arg_end=strings.env_start,
        env_start=strings.env_start,
        env_end=strings.execfn,
        segments=segments,
    )


def _c_string(value: str | bytes) -> bytes:
    data = os.fsencode(value)
    if b"\0" in data:
        raise ValueError(f"argument or environment string with a NUL byte: {data!r}")
    return data


class _StackStrings:
    """Where execve's strings land: at the top of the stack, one word below its end.

    copy_strings() copies the file name first, then the environment, then the arguments, each
    list from its last string down, so from low to high addresses they read argv[0..], envp[0..]
    and the file name (AT_EXECFN).
    """

    def __init__(self, top: int, word: int, args: list[bytes], env: list[bytes], execfn: bytes):
        self.word = word
        self.pieces = [*args, *env, execfn]
        self.blob = b"".join(piece + b"\0" for piece in self.pieces)
        self.start = top - word - len(self.blob)
        addresses = []
        at = self.start
        for piece in self.pieces:
            addresses.append(at)
            at += len(piece) + 1
        self.argv = addresses[: len(args)]
        self.envp = addresses[len(args) : -1]
        self.execfn = addresses[-1]
        self.env_start = addresses[len(args)]  # the file name's address when envp is empty

    def check_size(self, path: str) -> None:
        """E2BIG like the kernel: per string, and a quarter of the stack rlimit for all."""
        pointers = (len(self.argv) + len(self.envp)) * self.word
        too_long = any(len(piece) + 1 > _MAX_ARG_STRLEN for piece in self.pieces)
        if too_long or len(self.blob) + self.word + pointers > STACK_SIZE // 4:
            raise LoadError(f"{path}: Argument list too long")


def _read_interpreter(
    path: str, name: str | None, sysroot: str | None, xlen: int, opener: Opener | None
) -> ElfFile | None:
    """The checked interpreter file: opened by `opener` when given, else `sysroot` + name
    when that exists, else name on the host."""
    if name is None:
        return None
    host_path = name
    if sysroot is not None and opener is None:
        candidate = os.path.join(sysroot, name.lstrip("/"))
        if os.path.lexists(candidate):
            host_path = candidate
    try:
        interp = read_elf(host_path, opener or open_for_reading)
    except LoadError as e:  # a missing interpreter is "cannot execute", not "not found"
        raise LoadError(f"{path}: bad ELF interpreter: {e}") from None
    if interp.xlen != xlen:
        raise LoadError(
            f"{path}: bad ELF interpreter: {host_path}: {interp.xlen}-bit, "
            f"but the program is {xlen}-bit"
        )
    return interp


def _program_bias(program: ElfFile, layout: Layout) -> int:
    """ET_DYN programs (static PIE, ld.so run directly) go to ELF_ET_DYN_BASE."""
    if program.header.type == ET_EXEC:
        return 0
    aligns = [ph.align for ph in program.loads if ph.align & (ph.align - 1) == 0]
    alignment = max(PAGE_SIZE, page_ceil(max(aligns, default=0)))
    base = layout.et_dyn_base & ~(alignment - 1)
    return page_floor(base - min(ph.vaddr for ph in program.loads))


def _interpreter_bias(mem: AddressSpace, interp: ElfFile, mmap_base: int) -> int:
    """An ET_DYN interpreter goes where mmap would put its whole span: top-down from mmap_base."""
    if interp.header.type == ET_EXEC:
        return 0
    low = page_floor(min(ph.vaddr for ph in interp.loads))
    span = page_ceil(max(ph.vaddr + ph.memsz for ph in interp.loads)) - low
    start = mem.find_free(span, below=mmap_base, above=MIN_MMAP_ADDR)
    if start is None:
        raise format_error(interp.path, "no room for the interpreter")
    return start - low


def _map_segments(mem: AddressSpace, elf: ElfFile, bias: int, layout: Layout) -> list[Segment]:
    """Check where the PT_LOADs of `elf` land, then map them; the Segments in file order."""
    for index, ph in enumerate(elf.phdrs):
        if ph.type != PT_LOAD or not ph.memsz:
            continue
        start = bias + ph.vaddr
        if page_floor(start) < MIN_MMAP_ADDR:
            raise format_error(elf.path, f"segment {index} at {start:#x}: below {MIN_MMAP_ADDR:#x}")
        if start + ph.memsz > layout.stack_bottom:
            raise format_error(
                elf.path, f"segment {index} at {start:#x}: beyond the user address space"
            )
    name = elf.real_path
    segments = []
    for ph in elf.loads:
        if ph.memsz:
            _map_segment(mem, elf.data, ph, bias + ph.vaddr, name)
        segments.append(Segment(bias + ph.vaddr, bias + ph.vaddr + ph.memsz, _prot(ph), name))
    return segments


def _map_segment(mem: AddressSpace, data: bytes, ph: ProgramHeader, start: int, name: str) -> None:
    prot = _prot(ph)
    file_end = start + ph.filesz
    if ph.filesz:
        first_page = page_floor(start)
        page_offset = ph.offset - (start - first_page)  # page-aligned: checked in elf.py
        length = page_ceil(file_end) - first_page
        mem.map(first_page, length, prot, name, page_offset)
        # Whole file pages, like mmap; past the end of the file they stay zero.
        mem.poke(first_page, data[page_offset : page_offset + length])
        if ph.memsz > ph.filesz:  # padzero(): the rest of the last file page is .bss
            mem.poke(file_end, bytes(page_ceil(file_end) - file_end))
        bss_start = page_ceil(file_end)
    else:
        bss_start = page_floor(start)
    bss_end = page_ceil(start + ph.memsz)
    if bss_end > bss_start:
        mem.map(bss_start, bss_end - bss_start, prot)  # anonymous, like the kernel's .bss


def _prot(ph: ProgramHeader) -> int:
    return (
        (PROT_READ if ph.flags & PF_R else 0)
        | (PROT_WRITE if ph.flags & PF_W else 0)
        | (PROT_EXEC if ph.flags & PF_X else 0)
    )


def _entry(elf: ElfFile, bias: int, layout: Layout) -> int:
    entry = (elf.header.entry + bias) & ((1 << elf.xlen) - 1)
    if entry >= layout.task_size:
        raise format_error(elf.path, f"entry point {entry:#x} outside the user address space")
    return entry


def _phdr_address(program: ElfFile, bias: int) -> int:
    """AT_PHDR: where the segment holding the program headers put them (0 if none does)."""
    address = 0
    phoff = program.header.phoff
    for ph in program.loads:  # the kernel takes the last segment that contains them
        if ph.offset <= phoff < ph.offset + ph.filesz:
            address = phoff - ph.offset + ph.vaddr
    return address + bias


def _write_tables(
    mem: AddressSpace, xlen: int, below: int, strings: _StackStrings, auxv: list[tuple[int, int]]
) -> int:
    """Write argc, argv, envp and auxv under `below` as create_elf_tables does; the new sp.

    The table starts 16-byte aligned, which may leave a gap between its end and `below`.
    """
    words = [
        len(strings.argv),
        *strings.argv,
        0,
        *strings.envp,
        0,
        *(value for pair in auxv for value in pair),
    ]
    sp = (below - len(words) * (xlen // 8)) & ~15
    mask = (1 << xlen) - 1
    code = "Q" if xlen == 64 else "I"
    mem.poke(sp, struct.pack(f"<{len(words)}{code}", *(value & mask for value in words)))
    return sp
