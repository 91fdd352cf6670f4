"""Running pyemu's command line on one fuzz case, in a forked copy of this process.

Forking a process that has imported pyemu and loaded the compiled engines costs milliseconds,
where starting `python -m pyemu` costs most of a second; the child runs exactly what the
`pyemu` command runs (pyemu.cli.main), with its own stdin, stdout and stderr files, in its own
process group, and ends with os._exit so that a guest's fork never returns into the fuzzer.

What counts as a finding: a Python traceback, an internal error (status 70), an exception
escaping main, or a case still running after its timeout (seconds of CPU time, or six
times that of wall time for a child that waits). A timed-out child first gets
SIGPWR, which makes faulthandler write every Python stack to its stderr (the finding shows
where it was), then SIGTERM, which pyemu forwards to the guest, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

EXIT_INTERNAL_ERROR = 70
DUMP_SIGNAL = signal.SIGPWR  # not one pyemu forwards to the guest
GRACE = 3.0  # seconds between the stack dump, SIGTERM and SIGKILL
WALL_FACTOR = 6  # a case may take this many times its CPU-time limit in wall time
TICKS = os.sysconf("SC_CLK_TCK")


KEPT = 1 << 16  # bytes of a case's stdout (its start) and stderr (its end) looked at


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:  # a guest may have made it a sparse terabyte
        return f.read(KEPT)


def _tail(path: Path) -> str:
    with open(path, "rb") as f:
        f.seek(max(0, os.fstat(f.fileno()).st_size - KEPT))
        return f.read().decode(errors="replace")


def cpu_time(pid: int) -> float:
    """Seconds of CPU a running process has used (its utime and stime in /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass(frozen=True)
class Outcome:
    status: int  # as a shell reports it: 128 + N for death by signal N
    stdout: bytes
    stderr: str
    timed_out: bool
    escaped: str = ""  # the traceback of an exception that got out of pyemu.cli.main

    def problems(self) -> list[str]:
        found = []
        if "Traceback (most recent call last)" in self.stderr:
            found.append("traceback")
        if self.status == EXIT_INTERNAL_ERROR or "internal error" in self.stderr:
            found.append("internal error")
        if self.escaped:
            found.append("exception escaped main")
        if self.timed_out:
            found.append("timeout")
        return found


def warm_up() -> None:
    """Load everything a case needs before forking, so that no child compiles or imports
    anything (nor reads a source file changed since the campaign began)."""
    from pyemu.emulator import engine_fast

    import pyemu.cli
    import pyemu.machine

    engine_fast.warm_up()
    pyemu.cli.parser()


class Runner:
    def __init__(self, workdir: Path, timeout: float = 10.0):
        self.workdir = workdir
        self.timeout = timeout
        self.stdin = workdir / "stdin"
        self.stdin.write_bytes(b"some input for the guest\n" * 4)
        self.stdout = workdir / "stdout"
        self.stderr = workdir / "stderr"
        self.escaped = workdir / "escaped"  # written where the guest cannot close it

    def run(self, argv: list[str]) -> Outcome:
        """Run `pyemu ARGV...` and say what happened."""
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child(argv)
        timed_out = False
        status = self._wait(pid, self.timeout, time.monotonic() + WALL_FACTOR * self.timeout)
        if status is None:
            timed_out = True
            status = self._stop(pid)
        with contextlib.suppress(OSError, ValueError):
            os.killpg(pid, signal.SIGKILL)  # whatever the guest forked and left behind
        code = os.waitstatus_to_exitcode(status)
        escaped = ""
        if self.escaped.exists():
            escaped = self.escaped.read_text()
            self.escaped.unlink()
        return Outcome(128 - code if code < 0 else code, _head(self.stdout), _tail(self.stderr),
                       timed_out, escaped)

    def _child(self, argv: list[str]) -> None:
        status = 1
        try:
            os.setpgid(0, 0)
            for fd, path, flags in ((0, self.stdin, os.O_RDONLY),
                                    (1, self.stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                    (2, self.stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                opened = os.open(path, flags, 0o644)
                os.dup2(opened, fd)
                os.close(opened)
            os.chdir(self.workdir)
            faulthandler.register(DUMP_SIGNAL, file=sys.stderr, all_threads=True)
            from pyemu.cli import main

            status = main(argv)
        except SystemExit as end:  # argparse
            status = end.code if isinstance(end.code, int) else 1
        except BaseException:  # noqa: BLE001 - exactly what the fuzzer looks for
            self.escaped.write_text(traceback.format_exc())
        finally:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(status)

    @staticmethod
    def _wait(pid: int, cpu_seconds: float, deadline: float) -> int | None:
        """The child's wait status, or None once it has used `cpu_seconds` of CPU time (on a
        busy machine wall time says little) or the wall clock reaches `deadline` (a guest
        blocked in a system call uses none)."""
        delay = 0.0005
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            if time.monotonic() > deadline or cpu_time(pid) > cpu_seconds:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.02)

    def _stop(self, pid: int) -> int:
        for signum in (DUMP_SIGNAL, signal.SIGTERM):
            with contextlib.suppress(OSError, ValueError):
                os.kill(pid, signum)
            status = self._wait(pid, GRACE, time.monotonic() + GRACE)
            if status is not None:
                return status
        with contextlib.suppress(OSError, ValueError):
            os.killpg(pid, signal.SIGKILL)
        return os.waitpid(pid, 0)[1]
