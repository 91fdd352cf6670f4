"""`pyemu --repl PROGRAM`: a Python shell (IPython or the standard one, whichever is
installed) fed from stdin, with the machine bound to `m`. Guest: tests/guests/inspect.c."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def guest(build_guest):
    return build_guest("inspect.c", opt="-O0", extra=("-g",))


def commands(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def test_repl_stops_at_the_entry_point(guest, run_pyemu):
    result = run_pyemu(guest, options=["--repl"], stdin=commands(
        'print("AT", m.symbolize(m.regs.pc), m.steps)',
        'print("END", m.run(), m.exit_status)'))
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "AT _start 0" in out
    assert "hello 20 5\n" in out
    assert "END Exited(status=6, signal=0, fault=None) 6" in out


def test_repl_break_runs_to_the_symbol_first(guest, run_pyemu):
    result = run_pyemu(guest, options=["--repl", "--break", "twice"], stdin=commands(
        'print("AT", m.symbolize(m.regs.pc), m.regs.a0)',
        'print("STEP", m.step(), m.symbolize(m.regs.pc))',
        'print("BACK", m.step(-1), m.symbolize(m.regs.pc))',
        'print("AGAIN", m.run(), m.regs.a0)'))
    assert result.returncode == 0, result.stderr
    lines = {match.group(1): match.group(1) + match.group(2) for match in re.finditer(
        r"(?:^|[>:] )(AT|STEP|BACK|AGAIN)( .*)$", result.stdout.decode(), re.MULTILINE)}
    assert lines["AT"].startswith("AT twice (inspect.c:") and lines["AT"].endswith(" 0")
    assert " twice+0x" in lines["STEP"]
    assert lines["BACK"].startswith("BACK Limit(pc=") and " twice (inspect.c:" in lines["BACK"]
    assert lines["AGAIN"].startswith("AGAIN Breakpoint(pc=") and lines["AGAIN"].endswith(" 1")


def test_repl_break_at_an_unknown_symbol(guest, run_pyemu):
    result = run_pyemu(guest, options=["--repl", "--break", "no_such_function"])
    assert result.returncode == 2
    message = "--break no_such_function: no such symbol in the program or its interpreter"
    assert result.stderr_lines == [f"pyemu: {message}"]


def test_break_needs_repl(guest, run_pyemu):
    result = run_pyemu(guest, options=["--break", "main"])
    assert result.returncode == 2 and "--break needs --repl" in result.stderr


def test_standard_console_without_ipython(guest, tmp_path):
    """What a user without IPython gets: the standard interactive console."""
    program = ("import sys; sys.modules['IPython'] = None; from pyemu.cli import main; "
               f"sys.exit(main(['--repl', '--break', 'main', {str(guest)!r}]))")
    done = subprocess.run([sys.executable, "-c", program], input=commands(
        'print("AT", m.symbolize(m.regs.pc))'), capture_output=True, cwd=tmp_path, timeout=120,
        check=False)
    assert done.returncode == 0, done.stderr
    assert b">>> AT main (inspect.c:" in done.stdout
    assert b"IPython" not in done.stdout + done.stderr
