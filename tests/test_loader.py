"""Tests of pyemu.loader: guests are compiled at test time with the RISC-V cross toolchain.

Nothing here runs a guest: each test loads one into an AddressSpace and inspects the memory.
Malformed programs are made by patching the ELF64 headers of a small freestanding build.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from elftools.elf.elffile import ELFFile
from pyemu.emulator.memory import (
    PAGE_SIZE,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    AddressSpace,
    page_ceil,
    page_floor,
)
from pyemu.loader import (
    AT_BASE,
    AT_CLKTCK,
    AT_EGID,
    AT_ENTRY,
    AT_EUID,
    AT_EXECFN,
    AT_FLAGS,
    AT_GID,
    AT_HWCAP,
    AT_MINSIGSTKSZ,
    AT_NULL,
    AT_PAGESZ,
    AT_PHDR,
    AT_PHENT,
    AT_PHNUM,
    AT_RANDOM,
    AT_SECURE,
    AT_UID,
    LAYOUTS,
    LoadError,
    ProcessImage,
    hwcap_bits,
    load_program,
    probe,
)

CC = "riscv64-linux-gnu-gcc"
SYSROOT = "/usr/riscv64-linux-gnu"
INTERP = "/lib/ld-linux-riscv64-lp64d.so.1"
RANDOM = bytes(range(0xA0, 0xB0))
RX = PROT_READ | PROT_EXEC
RW = PROT_READ | PROT_WRITE

FREESTANDING = r"""
char big[3 * 4096 + 100];                /* .bss over several pages */
int initialized = 0x12345678;            /* .data */
const char message[] = "hello, loader";  /* .rodata, in the text segment */
void _start(void) { big[5] = message[1] + initialized; for (;;) ; }
"""
HOSTED = "int main(void) { return 0; }\n"
_FREE = ["-O1", "-nostdlib", "-ffreestanding"]
_STATIC = [*_FREE, "-static", "-fno-pic", "-no-pie"]
GUESTS = {
    "static64": (FREESTANDING, ["-march=rv64imac", "-mabi=lp64", *_STATIC]),
    "static32": (FREESTANDING, ["-march=rv32imac", "-mabi=ilp32", *_STATIC]),
    "execstack": (FREESTANDING, ["-march=rv64imac", "-mabi=lp64", *_STATIC, "-z", "execstack"]),
    "staticpie": (
        FREESTANDING,
        [
            "-march=rv64imac",
            "-mabi=lp64",
            *_FREE,
            "-fpie",
            "-static-pie",
            "-Wl,--no-dynamic-linker",
        ],
    ),
    "dynamic": (HOSTED, []),  # a glibc PIE with PT_INTERP
}

# ELF64 field offsets used to patch headers.
E_TYPE, E_MACHINE, E_ENTRY, E_PHOFF, E_PHENTSIZE, E_PHNUM = 16, 18, 24, 32, 54, 56
P_TYPE, P_OFFSET, P_VADDR, P_FILESZ, P_MEMSZ = 0, 8, 16, 32, 40
PHENT = 56
Patch = Callable[[bytearray], None]


@pytest.fixture(scope="session")
def guests(tmp_path_factory) -> dict[str, Path]:
    if shutil.which(CC) is None:
        pytest.fail(f"{CC} is needed to build the test guests")  # never a skip
    out = tmp_path_factory.mktemp("guests")
    paths = {}
    for name, (source, flags) in GUESTS.items():
        src = out / f"{name}.c"
        src.write_text(source)
        paths[name] = out / name
        subprocess.run([CC, *flags, "-o", str(paths[name]), str(src)], check=True)
    return paths


def load(path, argv=None, envp=(), mem=None, **kwargs) -> tuple[ProcessImage, AddressSpace]:
    mem = mem or AddressSpace()
    argv = [str(path)] if argv is None else list(argv)
    image = load_program(path, argv, list(envp), mem, random_bytes=RANDOM, **kwargs)
    return image, mem


def symbol(path: Path, name: str) -> int:
    with open(path, "rb") as f:
        return ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)[0]["st_value"]


def segments(data: bytes) -> list[tuple[str, Any]]:
    """(p_type name, header) of each program header, in table order."""
    return [(seg["p_type"], seg.header) for seg in ELFFile(io.BytesIO(data)).iter_segments()]


def phdr_index(data: bytes, p_type: str, nth: int = 0) -> int:
    return [i for i, (t, _) in enumerate(segments(data)) if t == p_type][nth]


def prot_of(mem: AddressSpace, addr: int) -> int:
    return mem.pte(addr // PAGE_SIZE) & 7


def words(mem: AddressSpace, addr: int, count: int, xlen: int) -> list[int]:
    size = xlen // 8
    return [mem.load(addr + i * size, size, False) for i in range(count)]


# ----------------------------------------------------------------------------- loading


def test_probe_reports_xlen(guests):
    assert probe(guests["static64"]) == 64
    assert probe(guests["static32"]) == 32


def test_static_segments_permissions_and_contents(guests):
    path = guests["static64"]
    image, mem = load(path)
    data = path.read_bytes()
    text, rw = (h for t, h in segments(data) if t == "PT_LOAD")
    assert image.entry == symbol(path, "_start") == ELFFile(io.BytesIO(data)).header.e_entry
    assert image.load_bias == 0 and image.interpreter is None and image.xlen == 64
    assert image.executable == str(path.resolve())

    # Text: read + execute, file pages as they are in the file (ELF header included).
    assert prot_of(mem, text.p_vaddr) == RX
    assert mem.read(page_floor(text.p_vaddr), 4) == b"\x7fELF"
    assert mem.read_cstring(symbol(path, "message")) == b"hello, loader"
    # Data: read + write, initialized from the file.
    assert prot_of(mem, rw.p_vaddr) == RW
    assert mem.load_u32(symbol(path, "initialized")) == 0x12345678
    # .bss: zero (the rest of its first page, which came from the file, too), writable to its end.
    bss_start, bss_end = rw.p_vaddr + rw.p_filesz, rw.p_vaddr + rw.p_memsz
    assert mem.read(bss_start, bss_end - bss_start) == bytes(bss_end - bss_start)
    big = symbol(path, "big")
    assert bss_start <= big and big + 3 * 4096 + 100 <= bss_end
    for page in range(page_floor(rw.p_vaddr), bss_end, PAGE_SIZE):
        assert prot_of(mem, page) == RW

    regions = {(r.start, r.end): r for r in mem.maps()}
    text_region = regions[(page_floor(text.p_vaddr), page_ceil(text.p_vaddr + text.p_filesz))]
    assert (text_region.prot, text_region.name) == (RX, str(path.resolve()))
    data_region = regions[(page_floor(rw.p_vaddr), page_ceil(bss_start))]
    assert (data_region.prot, data_region.name) == (RW, str(path.resolve()))
    assert data_region.offset == rw.p_offset - (rw.p_vaddr - page_floor(rw.p_vaddr))
    assert regions[(page_ceil(bss_start), page_ceil(bss_end))].name == ""  # anonymous .bss
    assert [(s.start, s.end, s.prot) for s in image.segments] == [
        (text.p_vaddr, text.p_vaddr + text.p_memsz, RX),
        (rw.p_vaddr, bss_end, RW),
    ]
    assert image.brk == page_ceil(bss_end)


def test_stack_and_mmap_layout(guests):
    image, mem = load(guests["static64"])
    layout = LAYOUTS[64]
    assert image.stack_top == layout.task_size == 0x40_0000_0000
    assert image.stack_bottom == image.stack_top - (8 << 20)
    stack = mem.region_at(image.stack_top - 1)
    assert (stack.start, stack.end, stack.prot, stack.name) == (
        image.stack_bottom,
        image.stack_top,
        RW,
        "[stack]",
    )
    assert image.mmap_base == 0x40_0000_0000 - (128 << 20)


def test_executable_stack_only_when_asked(guests):
    image, mem = load(guests["execstack"])
    assert prot_of(mem, image.stack_pointer) == RW | PROT_EXEC


@pytest.mark.parametrize("name, xlen", [("static64", 64), ("static32", 32)])
def test_initial_stack_matches_create_elf_tables(guests, name, xlen):
    path = guests[name]
    argv = ["prog", "", "second arg"]
    envp = ["A=1", b"B=\xff\xfe"]
    image, mem = load(path, argv, envp, mem=AddressSpace(xlen), execfn="/bin/prog")
    word = xlen // 8
    sp = image.stack_pointer
    assert sp % 16 == 0

    argc, *rest = words(mem, sp, 1 + 3 + 1 + 2 + 1, xlen)
    assert argc == 3
    argv_ptrs, envp_ptrs = rest[:3], rest[4:6]
    assert rest[3] == 0 and rest[6] == 0
    assert [mem.read_cstring(p) for p in argv_ptrs] == [b"prog", b"", b"second arg"]
    assert [mem.read_cstring(p) for p in envp_ptrs] == [b"A=1", b"B=\xff\xfe"]
    assert image.argv == [b"prog", b"", b"second arg"] and image.envp == [b"A=1", b"B=\xff\xfe"]

    # The auxv follows envp's NULL, exactly as reported, in the kernel's order.
    auxv_at = sp + (1 + 3 + 1 + 2 + 1) * word
    flat = words(mem, auxv_at, 2 * len(image.auxv), xlen)
    assert list(zip(flat[::2], flat[1::2])) == image.auxv
    keys = [key for key, _ in image.auxv]
    assert keys == [
        AT_MINSIGSTKSZ,
        AT_HWCAP,
        AT_PAGESZ,
        AT_CLKTCK,
        AT_PHDR,
        AT_PHENT,
        AT_PHNUM,
        AT_BASE,
        AT_FLAGS,
        AT_ENTRY,
        AT_UID,
        AT_EUID,
        AT_GID,
        AT_EGID,
        AT_SECURE,
        AT_RANDOM,
        AT_EXECFN,
        AT_NULL,
    ]
    aux = dict(image.auxv)
    data = path.read_bytes()
    header = ELFFile(io.BytesIO(data)).header
    assert aux[AT_MINSIGSTKSZ] == {64: 1088, 32: 944}[xlen]
    assert aux[AT_HWCAP] == hwcap_bits("imafdc") == 0x112D
    assert (aux[AT_PAGESZ], aux[AT_CLKTCK], aux[AT_FLAGS], aux[AT_SECURE]) == (4096, 100, 0, 0)
    assert (aux[AT_PHENT], aux[AT_PHNUM]) == (header.e_phentsize, header.e_phnum)
    assert aux[AT_BASE] == 0 and aux[AT_ENTRY] == header.e_entry == image.entry
    assert (aux[AT_UID], aux[AT_EUID]) == (os.getuid(), os.geteuid())
    assert (aux[AT_GID], aux[AT_EGID]) == (os.getgid(), os.getegid())
    phdrs = data[header.e_phoff : header.e_phoff + header.e_phnum * header.e_phentsize]
    assert aux[AT_PHDR] == image.phdr and mem.read(image.phdr, len(phdrs)) == phdrs

    # Strings from the top: one empty word, execfn, then envp and argv below in order.
    top = image.stack_top
    assert words(mem, top - word, 1, xlen) == [0]
    assert aux[AT_EXECFN] == top - word - len(b"/bin/prog\0") == image.env_end
    assert mem.read_cstring(aux[AT_EXECFN]) == b"/bin/prog"
    assert argv_ptrs[0] == image.arg_start < argv_ptrs[1] < argv_ptrs[2] < image.arg_end
    assert image.arg_end == envp_ptrs[0] == image.env_start < envp_ptrs[1] < image.env_end
    strings = b"prog\0\0second arg\0A=1\0B=\xff\xfe\0/bin/prog\0"
    assert mem.read(image.arg_start, len(strings)) == strings
    # AT_RANDOM: 16 bytes just under the 16-byte aligned start of the strings, above the table.
    assert aux[AT_RANDOM] == (image.arg_start & ~15) - 16
    assert mem.read(aux[AT_RANDOM], 16) == RANDOM
    assert auxv_at + 2 * len(image.auxv) * word <= aux[AT_RANDOM]
    assert image.stack_bottom < sp


def test_empty_argv_gets_an_empty_argv0(guests):
    image, mem = load(guests["static64"], argv=[])
    assert mem.load_u64(image.stack_pointer) == 1
    assert mem.read_cstring(mem.load_u64(image.stack_pointer + 8)) == b""
    assert dict(image.auxv)[AT_EXECFN] == image.env_end  # execfn defaults to the path


def test_random_bytes_default_to_fresh_ones(guests):
    mem = AddressSpace()
    image = load_program(guests["static64"], ["x"], [], mem)
    assert len(mem.read(dict(image.auxv)[AT_RANDOM], 16)) == 16


def test_rv32_words_and_layout(guests):
    image, mem = load(guests["static32"], mem=AddressSpace(32))
    assert image.xlen == 32 and image.stack_top == image.task_size == 0x9FC0_0000
    assert image.mmap_base == 0x9FC0_0000 - (128 << 20)
    assert mem.load_u32(image.stack_pointer) == 1  # argc, in a 32-bit word


def test_static_pie_loads_at_et_dyn_base(guests):
    path = guests["staticpie"]
    image, mem = load(path)
    header = ELFFile(io.BytesIO(path.read_bytes())).header
    assert header.e_type == "ET_DYN"
    assert image.load_bias == 0x2A_AAAA_A000 == page_floor(0x40_0000_0000 // 3 * 2)
    assert image.entry == header.e_entry + image.load_bias == dict(image.auxv)[AT_ENTRY]
    assert dict(image.auxv)[AT_BASE] == 0 and image.interpreter is None
    assert mem.read(image.load_bias, 4) == b"\x7fELF"
    assert image.phdr == image.load_bias + header.e_phoff
    assert image.brk == page_ceil(max(s.end for s in image.segments))


def test_dynamic_program_loads_its_interpreter(guests):
    path = guests["dynamic"]
    image, mem = load(path, sysroot=SYSROOT)
    interp_path = SYSROOT + INTERP
    assert image.interpreter == interp_path
    with open(interp_path, "rb") as f:
        interp_entry = ELFFile(f).header.e_entry
    header = ELFFile(io.BytesIO(path.read_bytes())).header
    aux = dict(image.auxv)
    assert image.load_bias == 0x2A_AAAA_A000  # a PIE program
    assert aux[AT_ENTRY] == header.e_entry + image.load_bias
    assert aux[AT_BASE] == image.interp_bias != 0
    assert image.entry == interp_entry + image.interp_bias
    # The interpreter sits right under the layout's mmap_base; later mmaps go below it.
    interp_regions = [r for r in mem.maps() if r.name == os.path.realpath(interp_path)]
    assert interp_regions[-1].end == LAYOUTS[64].mmap_base
    assert image.mmap_base == interp_regions[0].start == image.interp_bias
    assert mem.read(image.interp_bias, 4) == b"\x7fELF"
    assert prot_of(mem, image.entry) & PROT_EXEC
    # brk comes from the program alone.
    program_ends = [s.end for s in image.segments if s.path == str(path.resolve())]
    assert image.brk == page_ceil(max(program_ends)) < image.interp_bias


def test_segments_sharing_a_page(guests, tmp_path):
    """The data segment moved into the text's last page: the later mapping wins that page."""
    data = bytearray(guests["static64"].read_bytes())
    text_index, data_index = (i for i, (t, _) in enumerate(segments(data)) if t == "PT_LOAD")
    text, rw = segments(data)[text_index][1], segments(data)[data_index][1]
    shared = text.p_vaddr + rw.p_offset  # right after the text in the same page, congruent
    assert (
        shared >= text.p_vaddr + text.p_memsz and shared // PAGE_SIZE == text.p_vaddr // PAGE_SIZE
    )
    put(data, phdr_at(data, data_index) + P_VADDR, "<Q", shared)
    image, mem = load(write(tmp_path, data))
    assert prot_of(mem, text.p_vaddr) == RW  # the data segment was mapped last
    assert mem.read(text.p_vaddr, text.p_filesz) == data[text.p_offset :][: text.p_filesz]
    assert mem.read(shared, rw.p_filesz) == data[rw.p_offset :][: rw.p_filesz]
    bss = shared + rw.p_filesz
    assert mem.read(bss, shared + rw.p_memsz - bss) == bytes(shared + rw.p_memsz - bss)
    assert image.brk == page_ceil(shared + rw.p_memsz)


# ----------------------------------------------------------------------------- bad input


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "guest"
    path.write_bytes(bytes(data))
    return path


def put(data: bytearray, offset: int, fmt: str, value: int) -> None:
    struct.pack_into(fmt, data, offset, value)


def phdr_at(data: bytes, index: int) -> int:
    return struct.unpack_from("<Q", data, E_PHOFF)[0] + index * PHENT


def copy_phdr(data: bytearray, source: int, target: int) -> None:
    data[phdr_at(data, target) : phdr_at(data, target) + PHENT] = data[
        phdr_at(data, source) : phdr_at(data, source) + PHENT
    ]


def set_load(field: int, value: int | Callable[[Any], int]) -> Patch:
    """A patch setting a field of the second PT_LOAD (data) from its header."""

    def patch(data: bytearray) -> None:
        index = phdr_index(data, "PT_LOAD", 1)
        header = segments(data)[index][1]
        put(data, phdr_at(data, index) + field, "<Q", value(header) if callable(value) else value)

    return patch


def set_header(offset: int, fmt: str, value: int) -> Patch:
    return lambda data: put(data, offset, fmt, value)


def replace(data: bytearray, new: bytes) -> None:
    data[:] = new


def truncate_in_data_segment(data: bytearray) -> None:
    header = segments(data)[phdr_index(data, "PT_LOAD", 1)][1]
    del data[header.p_offset + header.p_filesz - 1 :]


def drop_loads(data: bytearray) -> None:
    for index in (phdr_index(data, "PT_LOAD", 1), phdr_index(data, "PT_LOAD", 0)):
        put(data, phdr_at(data, index) + P_TYPE, "<I", 0)


def duplicate_load(data: bytearray) -> None:
    copy_phdr(data, phdr_index(data, "PT_LOAD"), phdr_index(data, "PT_GNU_STACK"))


STATIC_CASES = {
    "empty file": (lambda d: replace(d, b""), "not an ELF file"),
    "shell script": (lambda d: replace(d, b"#!/bin/sh\necho hi\n"), "not an ELF file"),
    "magic only": (lambda d: replace(d, b"\x7fELF"), "truncated ELF header"),
    "class 3": (set_header(4, "B", 3), "unsupported ELF class 3"),
    "class 0": (set_header(4, "B", 0), "unsupported ELF class 0"),
    "big endian": (set_header(5, "B", 2), "not a little-endian ELF file"),
    "x86-64 machine": (set_header(E_MACHINE, "<H", 62), "not a RISC-V program"),
    "relocatable": (set_header(E_TYPE, "<H", 1), "relocatable object"),
    "core dump": (set_header(E_TYPE, "<H", 4), "core dump"),
    "truncated header": (lambda d: d.__delitem__(slice(40, None)), "truncated ELF header"),
    "phentsize": (set_header(E_PHENTSIZE, "<H", 55), "bad program header size"),
    "no phdrs": (set_header(E_PHNUM, "<H", 0), "bad number of program headers"),
    "absurd phnum": (set_header(E_PHNUM, "<H", 0xFFFF), "bad number of program headers"),
    "phdrs past end": (lambda d: put(d, E_PHOFF, "<Q", len(d) - PHENT), "program headers beyond"),
    "truncated file": (truncate_in_data_segment, "contents beyond the end of the file"),
    "filesz > memsz": (set_load(P_FILESZ, lambda h: h.p_memsz + 1), "> memory size"),
    "misaligned vaddr": (set_load(P_VADDR, lambda h: h.p_vaddr + 8), "differ within the page"),
    "wrapping vaddr": (
        set_load(P_VADDR, lambda h: 2**64 - PAGE_SIZE + h.p_vaddr % PAGE_SIZE),
        "wraps around",
    ),
    "beyond task size": (
        set_load(P_VADDR, lambda h: 0x50_0000_0000 + h.p_vaddr % PAGE_SIZE),
        "beyond the user address space",
    ),
    "under the stack top": (
        set_load(P_VADDR, lambda h: 0x3F_FFFF_F000 + h.p_vaddr % PAGE_SIZE),
        "beyond the user address space",
    ),
    "page zero": (set_load(P_VADDR, lambda h: h.p_vaddr % PAGE_SIZE), "below 0x1000"),
    "huge memsz": (set_load(P_MEMSZ, 2**63), "beyond the user address space"),
    "no PT_LOAD": (drop_loads, "no loadable segments"),
    "overlapping PT_LOADs": (duplicate_load, "overlap"),
    "entry beyond task size": (set_header(E_ENTRY, "<Q", 0x50_0000_0000), "entry point"),
}


@pytest.mark.parametrize("case", STATIC_CASES)
def test_malformed_program_is_refused(guests, tmp_path, case):
    patch, message = STATIC_CASES[case]
    data = bytearray(guests["static64"].read_bytes())
    patch(data)
    path = write(tmp_path, data)
    with pytest.raises(LoadError) as error:
        load(path)
    assert error.value.status == 126
    assert str(error.value).startswith(f"{path}: exec format error: ")
    assert message in str(error.value) and "\n" not in str(error.value)


def test_header_problems_are_found_by_probe(tmp_path):
    with pytest.raises(LoadError) as error:
        probe(write(tmp_path, b"\x7fELF\x02\x02" + bytes(58)))
    assert error.value.status == 126 and "little-endian" in str(error.value)


def set_interp_byte(position: int, byte: bytes) -> Patch:
    def patch(data: bytearray) -> None:
        header = segments(data)[phdr_index(data, "PT_INTERP")][1]
        at = header.p_offset + (header.p_filesz + position if position < 0 else position)
        data[at : at + 1] = byte

    return patch


def set_interp_size(data: bytearray) -> None:
    put(data, phdr_at(data, phdr_index(data, "PT_INTERP")) + P_FILESZ, "<Q", 5000)


def duplicate_interp(data: bytearray) -> None:
    copy_phdr(data, phdr_index(data, "PT_INTERP"), phdr_index(data, "PT_GNU_STACK"))


def rename_interp(data: bytearray) -> None:
    at = data.index(INTERP.encode())
    data[at : at + len(INTERP)] = INTERP.replace("lp64d", "lp64x").encode()


DYNAMIC_CASES = {
    "two PT_INTERPs": (duplicate_interp, "more than one PT_INTERP"),
    "PT_INTERP without NUL": (set_interp_byte(-1, b"x"), "NUL-terminated"),
    "PT_INTERP with inner NUL": (set_interp_byte(3, b"\0"), "NUL-terminated"),
    "PT_INTERP too long": (set_interp_size, "PT_INTERP size"),
    "missing interpreter": (rename_interp, "lp64x.so.1: No such file or directory"),
}


@pytest.mark.parametrize("case", DYNAMIC_CASES)
def test_bad_interpreter_reference_is_refused(guests, tmp_path, case):
    patch, message = DYNAMIC_CASES[case]
    data = bytearray(guests["dynamic"].read_bytes())
    patch(data)
    with pytest.raises(LoadError) as error:
        load(write(tmp_path, data), sysroot=SYSROOT)
    assert error.value.status == 126 and message in str(error.value)


@pytest.mark.parametrize("interp", ["script", "static32"])
def test_unusable_interpreter_is_refused(guests, tmp_path, interp):
    sysroot = tmp_path / "sysroot"
    target = sysroot / INTERP.lstrip("/")
    target.parent.mkdir(parents=True)
    if interp == "script":
        target.write_bytes(b"#!/bin/sh\n")
    else:
        shutil.copy(guests["static32"], target)
    with pytest.raises(LoadError) as error:
        load(guests["dynamic"], sysroot=str(sysroot))
    assert error.value.status == 126
    assert f"bad ELF interpreter: {target}" in str(error.value)


def test_interpreter_is_looked_up_on_the_host_without_sysroot(guests):
    if os.path.exists(INTERP):
        pytest.fail(f"this test expects no host {INTERP}")
    with pytest.raises(LoadError) as error:
        load(guests["dynamic"])
    assert error.value.status == 126 and f"{INTERP}: No such file" in str(error.value)


def test_missing_file_is_not_found(tmp_path):
    for call in (probe, load):
        with pytest.raises(LoadError) as error:
            call(tmp_path / "nothing")
        assert error.value.status == 127
        assert str(error.value) == f"{tmp_path / 'nothing'}: No such file or directory"


def test_directory_and_special_files_cannot_be_executed(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, message in ((tmp_path, "Is a directory"), (fifo, "Permission denied")):
        with pytest.raises(LoadError) as error:
            load(path)
        assert error.value.status == 126 and str(error.value) == f"{path}: {message}"


NOBODY = 65534  # the unprivileged user and group a root test run drops to


def load_outcome(path: Path) -> str:
    """"loaded", or the status and message of the LoadError `load(path)` raises."""
    try:
        load(path)
    except LoadError as error:
        return f"{error.status} {error}"
    return "loaded"


def load_outcomes_unprivileged(paths: list[Path]) -> list[str]:
    """load_outcome of each path as this user, or, run as root (as CI is, where every file is
    readable whatever its mode), in a forked child that dropped to nobody first."""
    if os.geteuid() != 0:
        return [load_outcome(path) for path in paths]
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            report = "\n".join(load_outcome(path) for path in paths)
        except BaseException as error:  # noqa: BLE001 - anything goes back to the parent
            report = f"child failed: {error!r}"
        os.write(write_end, report.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        report = reader.read().decode()
    os.waitpid(child, 0)
    return report.split("\n")


def test_unreadable_file_cannot_be_executed(guests):
    """Checked without root's privilege (a copy that stays readable must still load, so the
    refusal is the file mode's)."""
    with tempfile.TemporaryDirectory() as directory:  # pytest's own are root's alone
        directory = Path(directory)
        directory.chmod(0o755)
        readable = directory / "readable"
        readable.write_bytes(guests["static64"].read_bytes())
        unreadable = write(directory, guests["static64"].read_bytes())
        unreadable.chmod(0)
        assert load_outcomes_unprivileged([readable, unreadable]) == [
            "loaded", f"126 {unreadable}: Permission denied"]


def test_argument_list_too_long(guests):
    with pytest.raises(LoadError) as error:
        load(guests["static64"], argv=["x" * (32 * PAGE_SIZE)])
    assert error.value.status == 126 and "Argument list too long" in str(error.value)


def test_address_space_must_fit_the_program(guests):
    with pytest.raises(ValueError):
        load(guests["static64"], mem=AddressSpace(32))


def test_random_mutations_raise_only_load_error(guests, tmp_path):
    original = guests["static64"].read_bytes()
    rng = random.Random(20240601)
    headers_end = 64 + 5 * PHENT
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(headers_end) if rng.random() < 0.8 else rng.randrange(len(data))
            data[at] = rng.randrange(256)
        if rng.random() < 0.1:
            del data[rng.randrange(len(data)) :]
        path = write(tmp_path, data)
        try:
            probe(path)
            load(path)
            outcomes["loaded"] += 1
        except LoadError as error:
            assert error.status == 126 and "\n" not in str(error)
            outcomes["refused"] += 1
    assert outcomes["loaded"] and outcomes["refused"]
