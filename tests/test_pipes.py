"""Output through pipes: a reader that leaves ends the writer as Linux does (SIGPIPE)."""

import subprocess
import sys

import pytest

SIGPIPE = 13


def head_of(command: list[str], lines: int) -> tuple[bytes, int]:
    """Read `lines` lines of the command's stdout, close the pipe, return (output, status)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output = b"".join(process.stdout.readline() for _ in range(lines))
    process.stdout.close()
    process.wait(timeout=120)
    status = process.returncode
    return output, 128 - status if status < 0 else status


@pytest.mark.parametrize("engine", ["fast", "python"])
def test_writer_dies_of_sigpipe_when_its_reader_leaves_like_under_qemu(engine, build_guest,
                                                                        qemu):
    binary = str(build_guest("endless_output.c"))
    expected = head_of([qemu, binary], 3)
    actual = head_of([sys.executable, "-m", "pyemu", "--engine", engine, binary], 3)
    assert expected == (b"line 0\nline 1\nline 2\n", 128 + SIGPIPE)
    assert actual == expected
