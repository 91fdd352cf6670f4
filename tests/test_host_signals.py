"""Signals sent to pyemu from outside reach the guest, as they reach a guest under qemu."""

import signal
import subprocess
import sys

import pytest


def signalled_run(command: list[str], signum: int) -> tuple[bytes, int]:
    """Start the command, send `signum` once it printed "ready", return (stdout, status)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline() == b"ready\n"
    process.send_signal(signum)
    output = process.stdout.read()
    process.wait(timeout=60)
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
