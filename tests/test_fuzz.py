"""A fixed-seed sample of each fuzz campaign (python -m fuzz runs long ones): mutated ELF
files, random instruction words (both engines must end the same way, and as under qemu),
random system calls. None may give a traceback, an internal error, a hang, or a file outside
the sandbox. Then the calls the campaigns found, made again, each returning the errno the
host kernel returns for the same call."""

from __future__ import annotations

import struct
import subprocess

import pytest
from conftest import GUEST_ENV, require_tool, run_command

from fuzz.campaign import campaign
from fuzz.elfgen import A0, A7, DATA_ADDRESS, ECALL, Program, addi

SAMPLE = {"elf": 16, "insn": 12, "syscall": 16}  # cases per kind


@pytest.mark.parametrize("kind", SAMPLE)
def test_fuzz_sample_finds_nothing(kind, cross_cc, qemu):
    """The instruction sample is also run under qemu-riscv64: its exit status must be
    qemu's (for cases qemu 7.2 can run: no Zfa or Zicond, no instruction limit reached)."""
    lines = []
    [report] = campaign([kind], SAMPLE[kind], seed="ci", log=lines.append, qemu=True)
    assert report.cases == SAMPLE[kind]
    assert report.findings == [], "\n".join(lines)
    # The sample must reach the guest, not only the loader's refusals.
    assert sum(n for name, n in report.outcomes.items() if name != "not loaded") > 0


# Calls the campaigns found ending in an internal error, made again by hand: (the call's
# name, its riscv64 number, its arguments; "DATA" stands for the data segment, which holds
# the `data` bytes).
REGRESSIONS = [
    pytest.param("setitimer", 103, (0, "DATA", 0), struct.pack("<qqqq", 0, 0, 1 << 62, 0),
                 id="setitimer for longer than time_t holds"),
    pytest.param("setitimer", 103, (0, "DATA", 0), struct.pack("<qqqq", 0, 0, -1, 0),
                 id="setitimer with negative seconds"),
    pytest.param("fchown", 55, (1, -5, -7), b"", id="fchown to a negative uid other than -1"),
    pytest.param("fchownat", 54, (-100, "DATA", -2, -9, 0), b"x\0",
                 id="fchownat to a negative gid other than -1"),
    pytest.param("semtimedop", 192, (0, "DATA", 1 << 40, 0), b"",
                 id="semtimedop of a trillion operations"),
    pytest.param("msgsnd", 189, (0, "DATA", 1 << 40, 0), b"", id="msgsnd of a terabyte message"),
    pytest.param("statmount", 457, ("DATA", "DATA", 1 << 40, 0),
                 struct.pack("<IIQQ", 24, 0, 0, 0), id="statmount into a terabyte buffer"),
    pytest.param("futex_requeue", 456, ("DATA", 0, 1, 1), bytes(48),
                 id="futex_requeue of two waiters"),
]
FIRST_SHARED_NUMBER = 424  # calls added since Linux 5.1 have one number on every architecture
SUB_A0_FROM_ZERO = (0x20 << 25) | (A0 << 20) | (A0 << 7) | 0x33  # sub a0, zero, a0


def guest_program(number: int, args: tuple, data: bytes) -> bytes:
    """Makes the call, then exits with -result: the errno, or 0 (for results up to 0)."""
    program = Program(64)
    values = [DATA_ADDRESS if a == "DATA" else a for a in args]
    program.load_constants({A0 + i: v for i, v in enumerate(values)} | {A7: number})
    program.emit(ECALL, SUB_A0_FROM_ZERO, addi(A7, 0, 93), ECALL)
    return program.build(data)


def host_program(name: str, number: int, args: tuple, data: bytes) -> str:
    """The same call made natively (C, through syscall(2)), exiting with the errno."""
    fallback = ""
    if number >= FIRST_SHARED_NUMBER:
        fallback = f"#ifndef SYS_{name}\n#define SYS_{name} {number}\n#endif\n"
    values = ", ".join("(long)data" if a == "DATA" else f"{a}L" for a in args)
    return ("#include <errno.h>\n#include <sys/syscall.h>\n#include <unistd.h>\n" + fallback +
            f"static unsigned char data[65536] = {{{', '.join(map(str, data)) or '0'}}};\n"
            f"int main(void) {{\n    long result = syscall(SYS_{name}, {values});\n"
            "    return result < 0 ? errno : 0;\n}\n")


@pytest.mark.parametrize(("call", "number", "args", "data"), REGRESSIONS)
def test_regression_returns_the_host_kernels_errno(call, number, args, data, run_pyemu,
                                                   tmp_path):
    path = tmp_path / "regression"
    path.write_bytes(guest_program(number, args, data))
    path.chmod(0o755)
    source = tmp_path / "native.c"
    source.write_text(host_program(call, number, args, data))
    native = tmp_path / "native"
    subprocess.run([require_tool("gcc"), "-O1", "-o", str(native), str(source)], check=True,
                   capture_output=True)
    linux = run_command("host", [str(native)], cwd=tmp_path / "host", stdin=b"",
                        env=GUEST_ENV, files={})
    result = run_pyemu(path)
    assert (result.returncode, result.stderr) == (linux.returncode, "")
