"""A fixed-seed sample of each fuzz campaign (python -m fuzz runs long ones): mutated ELF
files, random instruction words (both engines must end the same way), random system calls.
None may give a traceback, an internal error, a hang, or a file outside the sandbox."""

from __future__ import annotations

import struct

import pytest

from fuzz.campaign import campaign
from fuzz.elfgen import A0, A7, DATA_ADDRESS, ECALL, Program

SAMPLE = {"elf": 16, "insn": 12, "syscall": 16}  # cases per kind


@pytest.mark.parametrize("kind", SAMPLE)
def test_fuzz_sample_finds_nothing(kind, cross_cc):
    lines = []
    [report] = campaign([kind], SAMPLE[kind], seed="ci", log=lines.append)
    assert report.cases == SAMPLE[kind]
    assert report.findings == [], "\n".join(lines)
    # The sample must reach the guest, not only the loader's refusals.
    assert sum(n for name, n in report.outcomes.items() if name != "not loaded") > 0


# Calls the campaigns found ending in an internal error, made again by hand: (what, number,
# arguments; "DATA" stands for the data segment, which holds the `data` bytes).
REGRESSIONS = {
    "setitimer for longer than time_t holds": (
        103, (0, "DATA", 0), struct.pack("<qqqq", 0, 0, 1 << 62, 0)),
    "setitimer with negative seconds": (103, (0, "DATA", 0), struct.pack("<qqqq", 0, 0, -1, 0)),
    "fchown to a negative uid other than -1": (55, (1, -5, -7), b""),
    "fchownat to a negative gid other than -1": (54, (-100, "DATA", -2, -9, 0), b"x\0"),
    "semtimedop of a trillion operations": (192, (0, "DATA", 1 << 40, 0), b""),
    "msgsnd of a terabyte message": (189, (0, "DATA", 1 << 40, 0), b""),
    "statmount into a terabyte buffer": (457, ("DATA", "DATA", 1 << 40, 0),
                                         struct.pack("<IIQQ", 24, 0, 0, 0)),
    "futex_requeue of two waiters": (456, ("DATA", 0, 1, 1), bytes(48)),
}


@pytest.mark.parametrize("name", REGRESSIONS)
def test_regression(name, run_pyemu, tmp_path):
    number, args, data = REGRESSIONS[name]
    program = Program(64)
    values = [DATA_ADDRESS if a == "DATA" else a for a in args]
    program.load_constants({A0 + i: v for i, v in enumerate(values)} | {A7: number})
    program.emit(ECALL)
    program.exit(0)
    path = tmp_path / "regression"
    path.write_bytes(program.build(data))
    path.chmod(0o755)
    result = run_pyemu(path)
    assert (result.returncode, result.stderr) == (0, "")
