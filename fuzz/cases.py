"""The three kinds of fuzz cases: mutated ELF files, random instruction words, random system
calls. Each generator is a function of a random.Random, so a seed names a whole campaign."""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field

from .elfgen import A0, A7, DATA_ADDRESS, DATA_SIZE, ECALL, PAGE, Program, addi

MASK64 = (1 << 64) - 1


@dataclass
class Case:
    kind: str
    number: int
    program: bytes
    args: list[str] = field(default_factory=list)  # the guest's arguments
    options: list[str] = field(default_factory=list)  # pyemu's
    note: str = ""  # what was done to make it
    qemu_comparable: bool = True  # no instruction qemu-riscv64 7.2 lacks


# ---------------------------------------------------------------- mutated ELF files

# (offset, size) of the ELF header fields of each class, e_ident bytes included.
HEADER_FIELDS = {
    64: [(4, 1), (5, 1), (6, 1), (16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (40, 8),
         (48, 4), (52, 2), (54, 2), (56, 2), (58, 2), (60, 2), (62, 2)],
    32: [(4, 1), (5, 1), (6, 1), (16, 2), (18, 2), (20, 4), (24, 4), (28, 4), (32, 4),
         (36, 4), (40, 2), (42, 2), (44, 2), (46, 2), (48, 2), (50, 2)],
}
# (offset in the entry, size) of p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz,
# p_memsz, p_align.
PHDR_FIELDS = {
    64: [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8)],
    32: [(0, 4), (24, 4), (4, 4), (8, 4), (12, 4), (16, 4), (20, 4), (28, 4)],
}
PT_INTERP, PT_GNU_STACK, PT_LOAD = 3, 0x6474E551, 1


def _layout(data: bytes) -> tuple[int, int, int, int]:
    """(xlen, phoff, phentsize, phnum) as the header claims (64-bit if unreadable)."""
    xlen = 32 if len(data) > 4 and data[4] == 1 else 64
    try:
        if xlen == 64:
            phoff, = struct.unpack_from("<Q", data, 32)
            phentsize, phnum = struct.unpack_from("<HH", data, 54)
        else:
            phoff, = struct.unpack_from("<I", data, 28)
            phentsize, phnum = struct.unpack_from("<HH", data, 42)
    except struct.error:
        return xlen, 0, 0, 0
    return xlen, phoff, phentsize, phnum


def _interesting(rng: random.Random, size: int, original: int, file_size: int) -> int:
    top = (1 << (8 * size)) - 1
    choices = [0, 1, 2, 3, top, top >> 1, (top >> 1) + 1, PAGE - 1, PAGE, PAGE + 1,
               file_size, file_size - 1, file_size + 1, file_size - 8, 1 << 32, 1 << 47,
               (1 << 63) - 1, original + rng.randint(-8, 8), original ^ (1 << rng.randrange(8 * size)),
               original * 2, rng.getrandbits(8 * size), rng.randrange(max(file_size, 1))]
    return rng.choice(choices) & top


def _poke(data: bytearray, offset: int, size: int, value: int) -> None:
    if 0 <= offset and offset + size <= len(data):
        data[offset:offset + size] = value.to_bytes(size, "little")


def _peek(data: bytes, offset: int, size: int) -> int:
    if 0 <= offset and offset + size <= len(data):
        return int.from_bytes(data[offset:offset + size], "little")
    return 0


def _mutate_header(rng: random.Random, data: bytearray) -> str:
    xlen, *_ = _layout(data)
    offset, size = rng.choice(HEADER_FIELDS[xlen])
    value = _interesting(rng, size, _peek(data, offset, size), len(data))
    _poke(data, offset, size, value)
    return f"header[{offset}]={value:#x}"


def _program_header(rng: random.Random, data: bytes) -> int | None:
    _, phoff, phentsize, phnum = _layout(data)
    if not phnum or phentsize not in (32, 56):
        return None
    return phoff + phentsize * rng.randrange(min(phnum, 16))


def _mutate_phdr(rng: random.Random, data: bytearray) -> str:
    entry = _program_header(rng, data)
    if entry is None:
        return _mutate_header(rng, data)
    xlen = _layout(data)[0]
    offset, size = rng.choice(PHDR_FIELDS[xlen])
    if offset == 0 and rng.random() < 0.5:
        value = rng.choice([PT_LOAD, PT_INTERP, PT_GNU_STACK, 0, 2, 4, 6, 7])
    else:
        value = _interesting(rng, size, _peek(data, entry + offset, size), len(data))
    _poke(data, entry + offset, size, value)
    return f"phdr@{entry}+{offset}={value:#x}"


def _mutate_contents(rng: random.Random, data: bytearray) -> str:
    """Random bytes somewhere past the headers: code, data, the interpreter's name."""
    count = rng.choice([1, 2, 4, 16, 64])
    for _ in range(count):
        data[rng.randrange(min(64, len(data) - 1), len(data))] = rng.getrandbits(8)
    return f"{count} content bytes"


def _truncate(rng: random.Random, data: bytearray) -> str:
    cut = rng.choice([rng.randrange(len(data)), rng.randrange(min(len(data), 256)),
                      len(data) - rng.randrange(1, PAGE)])
    del data[max(cut, 0):]
    return f"truncated at {max(cut, 0)}"


def _duplicate_phdr(rng: random.Random, data: bytearray) -> str:
    first, second = _program_header(rng, data), _program_header(rng, data)
    if first is None:
        return _mutate_header(rng, data)
    size = _layout(data)[2]
    data[second:second + size] = data[first:first + size]
    return f"phdr@{first} copied to {second}"


def _extend(rng: random.Random, data: bytearray) -> str:
    count = rng.choice([1, 100, PAGE, 3 * PAGE])
    data += bytes(rng.getrandbits(8) for _ in range(count))
    return f"{count} bytes appended"


ELF_MUTATIONS = [_mutate_header, _mutate_phdr, _mutate_phdr, _mutate_contents, _truncate,
                 _duplicate_phdr, _extend]


def elf_case(rng: random.Random, number: int, seeds: list[bytes]) -> Case:
    data = bytearray(rng.choice(seeds))
    notes = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if len(data) < 2:
            break
        notes.append(rng.choice(ELF_MUTATIONS)(rng, data))
    return Case("elf", number, bytes(data), note="; ".join(notes))


def seed_program(xlen: int) -> bytes:
    """A program made here: writes a line, checks argc, exits 3."""
    program = Program(xlen)
    program.load_constants({A0: 1, 11: DATA_ADDRESS, 12: 6, A7: 64})
    program.emit(ECALL)
    program.exit(3)
    return program.build(b"hello\n")


# ---------------------------------------------------------------- random instructions

MAJOR_OPCODES = [0x03, 0x07, 0x0F, 0x13, 0x17, 0x1B, 0x23, 0x27, 0x2F, 0x33, 0x37, 0x3B, 0x43,
                 0x47, 0x4B, 0x4F, 0x53, 0x63, 0x67, 0x6F, 0x73]
# rdtime/rdtimeh read the host clock: a guest branching on it could differ between runs.
CLOCK_CSRS = (0xC01, 0xC81)


QEMU_LACKS = {"Zicond", "Zfa"}  # extensions pyemu has and qemu 7.2 not (as tests/test_isa.py)


def _encodings(xlen: int) -> list[tuple[int, int, int, str]]:
    """(mask, match, length, extension) of every instruction pyemu knows for `xlen`."""
    from pyemu.emulator.isa import all_instructions

    return [(i.mask, i.match, i.length, i.extension) for i in all_instructions()
            if xlen in i.xlens]


def _random_parcel(rng: random.Random, encodings: list[tuple[int, int, int, str]],
                   case: Case) -> bytes:
    roll = rng.random()
    if roll < 0.5:  # a known instruction with random operands: its semantics get exercised
        mask, match, length, extension = rng.choice(encodings)
        if extension in QEMU_LACKS:
            case.qemu_comparable = False
        word = (rng.getrandbits(8 * length) & ~mask) | match
        return _harmless(word).to_bytes(4, "little")[:length] if length == 4 \
            else word.to_bytes(2, "little")
    if roll < 0.65:  # compressed: any low bits but 11
        half = rng.getrandbits(16)
        if half & 3 == 3:
            half ^= rng.choice([1, 2, 3])
        return struct.pack("<H", half)
    word = rng.getrandbits(32)
    if roll < 0.95:
        word = (word & ~0x7F) | rng.choice(MAJOR_OPCODES)
    return struct.pack("<I", _harmless(word))


def _harmless(word: int) -> int:
    """A nop instead of ecall (system calls are the syscall fuzzer's business) and of a read
    of the host's clock (a guest branching on it could differ between runs)."""
    system = word & 0x7F == 0x73
    if system and ((word >> 12) & 7 == 0 and (word >> 20) in (0, 1) or (word >> 20) in CLOCK_CSRS):
        return 0x00000013
    return word


STACK_POINTER = DATA_ADDRESS + DATA_SIZE // 2  # sp of the random code: in the data segment


def _register_value(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.5:  # somewhere in the data segment, often aligned
        return DATA_ADDRESS + (rng.randrange(DATA_SIZE) & rng.choice([~0, ~3, ~7, ~15]))
    if roll < 0.75:
        return rng.choice([0, 1, 2, 63, 64, 0x7FF, 0x800, rng.randrange(-4096, 4096)]) & MASK64
    return rng.getrandbits(64)


def insn_program(xlen: int, registers: dict[int, int], parcels: list[bytes], data: bytes
                 ) -> bytes:
    """A program that sets the registers, runs the parcels and exits 0 if it gets there."""
    program = Program(xlen)
    program.load_constants(registers)
    for parcel in parcels:
        program.emit_raw(parcel)
    if sum(len(p) for p in program.parcels) % 4:
        program.emit_raw(b"\x01\x00")  # c.nop: keep the exit sequence aligned
    program.exit(0)
    return program.build(data)


def insn_case(rng: random.Random, number: int) -> Case:
    xlen = rng.choice([64, 64, 32])
    # sp too: where each emulator puts the stack differs (qemu-riscv32's is not Linux's),
    # and random code compares and jumps on whatever its registers hold.
    registers = {r: _register_value(rng) for r in range(1, 32)}
    registers[2] = STACK_POINTER
    count = rng.choice([4, 16, 64, 256])
    encodings = _encodings(xlen)
    case = Case("insn", number, b"", note=f"rv{xlen}, {count} parcels")
    parcels = [_random_parcel(rng, encodings, case) for _ in range(count)]
    case.program = insn_program(xlen, registers, parcels,
                                bytes(rng.getrandbits(8) for _ in range(256)))
    return case


# ---------------------------------------------------------------- random system calls

# Calls that could touch other host processes, or block for as long as they are told.
NOT_FUZZED = {"clone", "clone3", "setpgid", "setsid", "nanosleep", "clock_nanosleep",
              "clock_nanosleep_time64", "ppoll_time64", "pselect6_time64",
              "rt_sigtimedwait_time64", "ppoll",
              "pselect6", "epoll_pwait", "epoll_pwait2", "rt_sigsuspend", "rt_sigtimedwait",
              "pause", "accept", "accept4", "recvfrom", "recvmsg", "recvmmsg", "connect",
              "msgrcv", "semop", "semtimedop", "io_getevents", "io_pgetevents", "wait4",
              "waitid", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
              "pidfd_send_signal", "process_vm_writev", "ptrace", "reboot", "sched_setaffinity",
              "setpriority", "sched_setscheduler", "sched_setparam", "flock", "sendfile", "splice", "tee", "copy_file_range"}
STRINGS = [b"/", b".", b"..", b"a", b"a/b", b"/a", b"../../..", b"/proc/self/maps",
           b"/proc/self/fd/0", b"/proc/self/exe", b"/proc/self/root/a", b"/proc/cpuinfo",
           b"lnk", b"/lnk/x", b"", b"x" * 300, b"/a/../../a", b"dir/", b"/dev/null"]
BUFFER = DATA_ADDRESS + 0x4000  # zeros up to the end of the data segment
O_NONBLOCK = 0o4000
EXITS = ("exit", "exit_group")


def _string_table() -> tuple[bytes, list[int]]:
    blob, addresses = b"", []
    for text in STRINGS:
        addresses.append(DATA_ADDRESS + len(blob))
        blob += text + b"\0"
    return blob, addresses


def _argument(rng: random.Random, strings: list[int]) -> int:
    pools = [
        lambda: rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 64, 100, 1024]),
        lambda: rng.choice([0, 1, 2, 3, 4, 5, 10, 1023, -1, -100]) & MASK64,  # fds, AT_FDCWD
        lambda: rng.choice(strings),
        lambda: BUFFER + rng.choice([0, 8, 64, 4096, 0x8000]),
        lambda: rng.choice([0, 1, 4096, 1 << 16, 1 << 20, 1 << 31, 1 << 32, 1 << 40, MASK64]),
        lambda: rng.getrandbits(rng.choice([8, 16, 32])),  # flags
        lambda: rng.choice([0x1000, 0x10000, DATA_ADDRESS - PAGE, 1 << 46, MASK64 - 4095]),
        lambda: rng.getrandbits(64),
    ]
    return rng.choice(pools)()


def syscall_numbers(xlen: int) -> list[tuple[int, str, bool]]:
    """(number, name, handled) of the system calls a guest of `xlen` may be given."""
    from pyemu.syscalls.table_rv32 import TABLES

    table = TABLES[xlen]
    return [(number, entry.name, entry.handler is not None)
            for number, entry in sorted(table.items()) if entry.name not in NOT_FUZZED]


def syscall_program(xlen: int, calls: list[tuple[int, list[int]]]) -> bytes:
    """A program making the calls (number, six arguments) in turn, then exiting 0; the data
    segment holds the strings of STRINGS."""
    program = Program(xlen)
    for syscall, args in calls:
        program.load_constants({A0 + i: value for i, value in enumerate(args)} | {A7: syscall})
        program.emit(ECALL)
    program.emit(addi(A0, 0, 0))
    program.exit(0)
    return program.build(_string_table()[0])


def tamed(name: str, syscall: int, args: list[int], exiting: bool) -> tuple[int, str, list[int]]:
    """The call as a case makes it: pipe2 non-blocking (an empty blocking pipe would just
    wait), exit and exit_group made getpid unless `exiting` (most cases should go on)."""
    args = list(args)
    if name == "pipe2":
        args[1] |= O_NONBLOCK
    if name in EXITS and not exiting:
        syscall, name = 172, "getpid"  # 172 in both tables
    return syscall, name, args


def syscall_case(rng: random.Random, number: int, calls: int = 24) -> Case:
    xlen = rng.choice([64, 64, 32])
    known = syscall_numbers(xlen)
    implemented = [call for call in known if call[2]]
    strings = _string_table()[1]
    made, names = [], []
    for _ in range(calls):
        syscall, name, _ = rng.choice(implemented if rng.random() < 0.9 else known)
        args = [_argument(rng, strings) for _ in range(6)]
        exiting = name not in EXITS or rng.random() >= 0.8
        syscall, name, args = tamed(name, syscall, args, exiting)
        made.append((syscall, args))
        names.append(name)
    return Case("syscall", number, syscall_program(xlen, made), note=" ".join(names))
