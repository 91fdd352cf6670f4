"""A bug of pyemu's (here injected) ends the run with one line saying where (the system call,
or the guest instruction, disassembled) and exit status 70; --debug adds the traceback."""

from __future__ import annotations

import re

import pytest
from pyemu.emulator.engine_python import PythonEngine
from pyemu.syscalls import table, table_rv32  # noqa: F401 - see below

from pyemu import cli

EXIT_INTERNAL_ERROR = 70
SYS_WRITE = 64


@pytest.fixture(scope="module")
def freestanding(build_guest) -> str:
    return str(build_guest("freestanding.c", freestanding=True))


def broken_write(k, fd, buf, count):
    return count // 0


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(["--engine", "python", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_error_line(capsys, freestanding: str) -> str:
    """Run the guest; it must end with status 70 and exactly one line on stderr."""
    status, _, stderr = run(capsys, freestanding)
    assert status == EXIT_INTERNAL_ERROR
    [line] = stderr.splitlines()
    return line


# The riscv32 table copies riscv64's entries when it is first imported: it is imported above,
# so that a riscv64 handler patched by a test here never leaks into it (and into later tests).


def test_a_failing_system_call_is_named(freestanding, capsys, monkeypatch):
    monkeypatch.setitem(table.SYSCALLS, SYS_WRITE,
                        table.Syscall(SYS_WRITE, "write", broken_write))
    line = one_error_line(capsys, freestanding)
    assert re.fullmatch(r"pyemu: internal error in system call write \(64\) at pc 0x[0-9a-f]+ "
                        r"\(\S+\): ZeroDivisionError: integer division or modulo by zero "
                        r"\(run with --debug for the traceback; please report it\)", line), line


def test_a_failing_engine_names_the_instruction(freestanding, capsys, monkeypatch):
    def broken_run(self, max_insns):
        raise RuntimeError("injected")

    monkeypatch.setattr(PythonEngine, "run", broken_run)
    line = one_error_line(capsys, freestanding)
    # At the entry point: _start's first instruction, disassembled, with its encoding.
    assert re.fullmatch(r"pyemu: internal error at pc 0x[0-9a-f]+ \(_start\), instruction "
                        r"[a-z.]+ [^()]*\((?:[0-9a-f]{4}|[0-9a-f]{8})\): RuntimeError: injected "
                        r"\(run with --debug for the traceback; please report it\)", line), line


def test_a_failure_before_the_guest_starts(freestanding, capsys, monkeypatch):
    from pyemu import machine

    def broken_load(*args, **kwargs):
        raise KeyError("injected")

    monkeypatch.setattr(machine, "load_program", broken_load)
    assert one_error_line(capsys, freestanding) == ("pyemu: internal error before the guest started: KeyError: "
                                   "'injected' (run with --debug for the traceback; please "
                                   "report it)")


def test_debug_shows_the_traceback(freestanding, capsys, monkeypatch):
    monkeypatch.setitem(table.SYSCALLS, SYS_WRITE,
                        table.Syscall(SYS_WRITE, "write", broken_write))
    status, _, stderr = run(capsys, "--debug", freestanding)
    assert status == EXIT_INTERNAL_ERROR
    assert stderr.startswith("pyemu: internal error in system call write (64)")
    assert "Traceback (most recent call last)" in stderr
    assert "in broken_write" in stderr and "ZeroDivisionError" in stderr
