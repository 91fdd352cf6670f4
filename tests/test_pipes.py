"""Output through pipes and files: a reader that leaves ends the writer as Linux does
(SIGPIPE, or EPIPE when ignored); everything a guest writes arrives, through a full or
non-blocking pipe and however the guest ends."""

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import PYEMU, RUN_TIMEOUT, killed_after

SIGPIPE = 13


def head_of(command: list[str], lines: int) -> tuple[bytes, int]:
    """Read `lines` lines of the command's stdout, close the pipe, return (output, status)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with killed_after(process):
        output = b"".join(process.stdout.readline() for _ in range(lines))
    process.stdout.close()
    process.wait(timeout=RUN_TIMEOUT)
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


# --------------------------------------------------------------------- nothing lost

BLOCK = 65536


def expected_output(mib: int) -> str:
    """sha256 of what bulk_output.c writes: block k of 64 KiB holds (i + 7k) & 255."""
    digest = hashlib.sha256()
    ramp = bytes(range(256)) * (BLOCK // 256)
    for k in range(mib * (1 << 20) // BLOCK):
        shift = (7 * k) % 256
        digest.update(ramp[shift:] + ramp[:shift])
    return digest.hexdigest()


def read_all(command: list[str], *, non_blocking: bool, pause: float = 0.0) -> tuple[int, str, str]:
    """Run `command` with stdout on a pipe (set O_NONBLOCK by us when asked, as a parent
    sharing the pipe may do), read it slowly; (status, sha256 of stdout, stderr)."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, not non_blocking)
    process = subprocess.Popen(command, stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    digest = hashlib.sha256()
    time.sleep(pause)  # let the pipe fill: the writer meets EAGAIN
    with killed_after(process):
        while chunk := os.read(read_end, BLOCK):
            digest.update(chunk)
        os.close(read_end)
        stderr = process.stderr.read().decode()
    return process.wait(timeout=RUN_TIMEOUT), digest.hexdigest(), stderr


@pytest.fixture(scope="module")
def bulk(build_guest) -> str:
    return str(build_guest("bulk_output.c"))


@pytest.mark.parametrize("mode", ["stdio", "write"])
def test_output_through_a_pipe_arrives_whole(mode, bulk):
    """8 MiB in CI; 1 GiB was checked by hand (python -m pyemu bulk_output stdio 1024 |
    sha256sum: the same digest as under qemu)."""
    status, digest, stderr = read_all([*PYEMU, bulk, mode, "8"], non_blocking=False)
    assert (status, stderr) == (0, "")
    assert digest == expected_output(8)


@pytest.mark.parametrize("mode", ["stdio", "write"])
def test_output_to_a_non_blocking_stdout_arrives_whole(mode, bulk):
    """The pipe pyemu writes to was made non-blocking by someone else and fills up: the guest
    never asked for EAGAIN, so pyemu waits instead of failing its write. (qemu passes EAGAIN
    on: glibc's stdio then drops the rest, and the guest exits 1 after 64 KiB.)"""
    status, digest, stderr = read_all([*PYEMU, bulk, mode, "2"], non_blocking=True, pause=1.0)
    assert (status, stderr) == (0, "")
    assert digest == expected_output(2)


def test_write_to_a_closed_pipe_with_sigpipe_ignored_fails_with_epipe(bulk, qemu):
    def run(command):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with killed_after(process):
            process.stdout.readline()
            process.stdout.close()
            return process.wait(timeout=RUN_TIMEOUT), process.stderr.read()

    expected = run([qemu, bulk, "epipe"])
    assert expected == (3, b"write failed: EPIPE\n")
    assert run([*PYEMU, bulk, "epipe"]) == expected


@pytest.mark.parametrize("how", ["exit", "_exit", "abort", "segv"])
def test_files_are_complete_however_the_guest_ends(how, bulk, run_both):
    results = run_both(bulk, ["exits", how])
    assert results.pyemu.files == results.qemu.files == {"out": b"kept\n"}, results.describe()
    assert (results.pyemu.returncode, results.pyemu.stdout) == \
        (results.qemu.returncode, results.qemu.stdout)


def test_files_are_complete_after_execve(bulk, run_pyemu, build_host, run_host):
    """qemu-user cannot exec a RISC-V program without binfmt_misc: the oracle is the host
    kernel running the guest built for the host."""
    result = run_pyemu(bulk, ["exits", "exec"])
    linux = run_host(build_host("bulk_output.c"), ["exits", "exec"])
    assert linux.files["out"].count(b"kept") == 2
    assert (result.returncode, result.stdout, result.files) == \
        (linux.returncode, linux.stdout, linux.files)


def test_files_are_complete_when_the_instruction_limit_stops_the_guest(bulk, run_pyemu):
    result = run_pyemu(bulk, ["exits", "loop"], options=["--max-insns", "200000"])
    assert (result.returncode, result.files) == (124, {"out": b"kept\n"})


def test_the_instruction_limit_holds_across_execve(bulk, run_pyemu):
    """A guest that execs itself for ever is stopped too: the count is the process's."""
    result = run_pyemu(bulk, ["exits", "reexec"], options=["--max-insns", "100000"])
    assert result.returncode == 124, result.stderr
    runs = result.files["out"].count(b"kept\n")
    assert runs >= 2 and result.files["out"] == b"kept\n" * runs


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_files_are_complete_when_a_signal_from_outside_ends_a_blocked_guest(signum, bulk, qemu,
                                                                            tmp_path):
    def run(command, directory):
        directory.mkdir()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   cwd=directory)
        with killed_after(process):
            assert process.stderr.readline() == b"ready\n"
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)
        status = process.returncode  # death by signal N (qemu) or exit status 128 + N (pyemu)
        return 128 - status if status < 0 else status, stdout, stderr, \
            (directory / "out").read_bytes()

    expected = run([qemu, bulk, "exits", "block"], tmp_path / "qemu")
    assert expected == (128 + signum, b"", b"", b"kept\n")
    assert run([*PYEMU, bulk, "exits", "block"], tmp_path / "pyemu") == expected


def test_sigint_while_pyemu_starts_ends_it_by_the_signal_without_a_traceback(bulk):
    """SIGINT arrives as main() begins, before numba is imported and the guest loaded (run
    in-process, so the moment is exact): pyemu dies of it, as any program would."""
    code = ("import os, signal, sys\nfrom pyemu import cli\nrun = cli.run\n"
            "def interrupted(argv):\n    os.kill(os.getpid(), signal.SIGINT)\n    return run(argv)\n"
            f"cli.run = interrupted\nsys.exit(cli.main([{bulk!r}, 'exits', 'exit']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False,
                          timeout=RUN_TIMEOUT)
    assert (done.returncode, done.stdout, done.stderr) == (-signal.SIGINT, b"", b"")
