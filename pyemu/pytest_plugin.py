"""pytest plugin (entry point `pytest11`): the `pyemu` fixture runs RISC-V programs in tests.

    def test_greets(pyemu):
        result = pyemu.run("build/hello", "world", stdin=b"")
        assert result.returncode == 0, result
        assert result.stdout == b"hello, world\\n"

Each run is a separate `python -m pyemu` process, so a guest that forks, execs, crashes or
is killed cannot take the test session with it. A failed assertion on a run shows its
`repr`: status, the guest's last pc and symbol, and the end of its stderr and stdout;
`result.check()` asserts the status with the same message.

Options for every run come from the `pyemu_options` ini setting (e.g. `--deterministic`) and
each run's own `options=`. This module is imported by every pytest session of an environment
where pyemu is installed: it imports nothing heavier than pytest.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

SHOWN_BYTES = 2000  # of stderr and stdout in a failure message
GRACE_SECONDS = 5  # after a timeout's SIGTERM (which the guest gets), before SIGKILL


@dataclass
class GuestRun:
    """What one run of a guest program did."""

    command: list[str]
    returncode: int  # the guest's exit status; killed by signal N: 128 + N, as pyemu reports
    stdout: bytes
    stderr: bytes
    pc: int | None = None  # where the guest was when it ended (None: it never started)
    symbol: str = ""  # the function around pc, e.g. "abort+0x1c"
    instructions: int = 0
    signal: int = 0  # the signal that ended the guest, if one did

    def __repr__(self) -> str:
        where = "never started" if self.pc is None else f"last pc {self.pc:#x} ({self.symbol})"
        status = f"{self.returncode} ({_signal_name(self.signal)})" if self.signal \
            else str(self.returncode)
        return (f"GuestRun(`{shlex.join(self.command)}`: status {status}, {where}, "
                f"{self.instructions} instructions)\n"
                f"{_section('stderr', self.stderr)}{_section('stdout', self.stdout)}")

    def check(self, returncode: int = 0) -> GuestRun:
        """Assert the guest ended with `returncode`; the message shows its stderr and last pc."""
        __tracebackhide__ = True  # the failure is the caller's line, not this one
        if self.returncode != returncode:
            raise AssertionError(f"guest status {self.returncode}, expected {returncode}: "
                                 f"{self!r}")
        return self


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _section(name: str, data: bytes) -> str:
    """The end of one output stream, as text under a heading."""
    if not data:
        return f"--- {name}: empty\n"
    cut = len(data) > SHOWN_BYTES
    text = data[-SHOWN_BYTES:].decode(errors="replace")
    heading = f"--- {name} (last {SHOWN_BYTES} of {len(data)} bytes)" if cut else f"--- {name}"
    return f"{heading}\n{text}{'' if text.endswith(chr(10)) else chr(10)}"


@dataclass
class Pyemu:
    """The `pyemu` fixture: runs programs under `python -m pyemu` in this interpreter."""

    options: list[str] = field(default_factory=list)  # before the program on every command

    def run(self, program: str | os.PathLike[str], *args: str | os.PathLike[str],
            stdin: bytes = b"", env: Mapping[str, str] | None = None,
            cwd: str | os.PathLike[str] | None = None, timeout: float | None = None,
            options: Sequence[str] = ()) -> GuestRun:
        """Run `program args...`: `env` is the guest's whole environment (None: this
        process's); `timeout` in seconds ends the guest (SIGTERM, as pyemu forwards it) and
        fails the test with what it had done."""
        guest = [os.fspath(program), *map(os.fspath, args)]
        environ = dict(os.environ)
        with tempfile.TemporaryDirectory(prefix="pyemu-run-") as scratch:
            report = os.path.join(scratch, "report.json")
            command = [sys.executable, "-m", "pyemu", "--report", report, *self.options,
                       *options, *_environment_options(environ, env), "--", *guest]
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, cwd=cwd, env=environ)
            timed_out = False
            try:
                stdout, stderr = process.communicate(stdin, timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                process.send_signal(signal.SIGTERM)
                try:
                    stdout, stderr = process.communicate(timeout=GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    stdout, stderr = process.communicate()
            result = GuestRun(guest, _status(process.returncode), stdout, stderr)
            if os.path.exists(report):
                with open(report) as f:
                    summary = json.load(f)
                result.returncode = summary["status"]
                result.pc, result.symbol = summary["pc"], summary["symbol"]
                result.instructions, result.signal = summary["instructions"], summary["signal"]
        if timed_out:
            pytest.fail(f"guest did not finish within {timeout} s: {result!r}", pytrace=False)
        return result


def _environment_options(environ: Mapping[str, str], env: Mapping[str, str] | None) -> list[str]:
    """pyemu's -U/-E options that turn its environment `environ` into exactly `env`."""
    if env is None:
        return []
    options = [f"-U{name}" for name in environ if name not in env]
    return options + [f"-E{name}={value}" for name, value in env.items()]


def _status(returncode: int) -> int:
    """subprocess's -N (pyemu itself died of signal N) as a shell shows it."""
    return 128 - returncode if returncode < 0 else returncode


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("pyemu_options", type="args", default=[],
                  help="pyemu options for every run of the pyemu fixture (e.g. --deterministic)")


@pytest.fixture
def pyemu(request: pytest.FixtureRequest) -> Pyemu:
    """Runs RISC-V Linux programs: `pyemu.run(program, *args, stdin=b"", env=None, cwd=None,
    timeout=None)` returns a GuestRun (returncode, stdout, stderr, pc, symbol)."""
    return Pyemu(options=list(request.config.getini("pyemu_options")))
