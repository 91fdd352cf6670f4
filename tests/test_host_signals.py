"""Signals sent to pyemu from outside reach the guest, as they reach a guest under qemu."""

import signal
import subprocess
import sys

import pytest
from conftest import RUN_TIMEOUT, killed_after


def signalled_run(command: list[str], signum: int, ignoring: tuple[int, ...] = ()
                  ) -> tuple[bytes, int]:
    """Start the command (with the `ignoring` signals ignored), send `signum` once it printed
    "ready", return (stdout, status)."""

    previous = {ignored: signal.signal(ignored, signal.SIG_IGN) for ignored in ignoring}
    try:  # the child inherits them ignored
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        for ignored, handler in previous.items():
            signal.signal(ignored, handler)
    before = b""
    with killed_after(process):
        while not before.endswith(b"ready\n"):
            line = process.stdout.readline()
            assert line, f"no 'ready' line, only {before!r}"
            before += line
        process.send_signal(signum)
        output = before + process.stdout.read()
    process.wait(timeout=RUN_TIMEOUT)
    status = process.returncode
    return output, 128 - status if status < 0 else status


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("args", [(), ("handle",), ("block",), ("handle", "block")],
                         ids=["default-busy", "handler-busy", "default-blocked",
                              "handler-blocked"])
def test_signal_from_outside_matches_qemu(signum, args, build_guest, qemu):
    binary = str(build_guest("wait_for_signal.c"))
    expected = signalled_run([qemu, binary, *args], signum)
    actual = signalled_run([sys.executable, "-m", "pyemu", binary, *args], signum)
    assert actual == expected
    assert expected[1] == (7 if "handle" in args else 128 + signum)


def test_a_signal_ignored_when_pyemu_starts_stays_ignored_for_the_guest(build_guest, qemu):
    """nohup and a script's background jobs start programs with SIGHUP or SIGINT ignored; a
    signal ignored stays ignored across execve, so the guest starts with it ignored and Ctrl-C
    (sent to pyemu) passes it by."""
    binary = str(build_guest("inherited_ignore.c"))
    ignoring = (signal.SIGINT, signal.SIGHUP)
    expected = signalled_run([qemu, binary], signal.SIGINT, ignoring)
    actual = signalled_run([sys.executable, "-m", "pyemu", binary], signal.SIGINT, ignoring)
    assert actual == expected
    assert expected == (b"SIGINT ignored\nSIGHUP ignored\nSIGTERM default\nready\nsurvived\n", 0)
