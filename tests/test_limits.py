"""Limits: --max-memory makes brk/mmap/mremap fail beyond it, and whatever a guest asks for,
pyemu itself does not allocate without bound (huge mappings, huge I/O vectors and counts),
nor crash on a guest that recurses until its stack runs out."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

import pytest
from conftest import GUEST_ENV, RUN_TIMEOUT

from pyemu.cli import byte_count

SIGSEGV = 11
# Peak resident memory pyemu may reach for the requests below (it needs ~120 MB to start;
# page tables cost 2 MB per GiB mapped). Without the fixes they took 15 GB and more.
RSS_BOUND = 1 << 30


@pytest.fixture(scope="module")
def limits(build_guest) -> str:
    return str(build_guest("limits.c"))


def measured_run(command: list[str]) -> tuple[bytes, int, int]:
    """(stdout, status as a shell sees it, peak resident bytes) of a command."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=GUEST_ENV)
    watchdog = threading.Timer(RUN_TIMEOUT, process.kill)
    watchdog.start()
    try:
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
        process.stdout.close()
    status = os.waitstatus_to_exitcode(status)
    return stdout, 128 - status if status < 0 else status, usage.ru_maxrss * 1024


def under_qemu(qemu: str, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run([qemu, *command], check=False, capture_output=True, env=GUEST_ENV,
                          timeout=RUN_TIMEOUT)


def pyemu(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyemu", *args]


HUGE_REQUESTS = {  # guest arguments -> what it prints (what qemu-riscv64 prints too)
    ("mmap", "100"): b"mmap: 0\ntouched: 3\n",
    ("mremap", "8"): b"mmap: 0\nmremap: 0\nkept: 42\n",
    ("writev",): b"writev: some\n",
    ("readv",): b"readv: some\n",
}


@pytest.mark.parametrize("args", HUGE_REQUESTS, ids=lambda a: "-".join(a))
def test_huge_requests_cost_what_the_guest_touches_not_what_it_asks(args, limits):
    stdout, status, peak = measured_run(pyemu(limits, *args))
    assert (stdout, status) == (HUGE_REQUESTS[args], 0)
    assert peak < RSS_BOUND, f"pyemu peaked at {peak >> 20} MiB"


def test_read_with_a_count_of_a_terabyte_is_a_short_read(limits):
    """Linux caps a read at MAX_RW_COUNT and reads what it can; pyemu caps it lower. (qemu
    refuses the whole call with EFAULT because it checks the entire range first.)"""
    stdout, status, peak = measured_run(pyemu(limits, "read"))
    assert (stdout, status) == (b"read: some\n", 0)
    assert peak < RSS_BOUND


def test_recursion_until_the_stack_runs_out_is_sigsegv(limits, qemu):
    expected = under_qemu(qemu, limits, "recurse")
    stdout, status, _ = measured_run(pyemu(limits, "recurse"))
    assert (stdout, status) == (expected.stdout, 128 - expected.returncode) == (
        b"recursing\n", 128 + SIGSEGV)


def test_max_memory_stops_the_heap(limits, run_pyemu):
    result = run_pyemu(limits, ["brk"], options=["--max-memory", "64M"])
    assert result.returncode == 0, result.stderr
    words = result.stdout.decode().split()
    assert words[:2] == ["brk:", "refused"]
    # 64 MiB less the 8 MiB stack, the program and its first heap pages.
    assert 48 <= int(words[3]) < 56


@pytest.mark.parametrize("args", [("mmap", "1"), ("malloc", "100"), ("mremap", "1"),
                                  ("shared", "100"), ("dontunmap", "32")],
                         ids=lambda a: "-".join(a))
def test_max_memory_makes_mmap_fail(args, limits, run_pyemu):
    result = run_pyemu(limits, args, options=["--max-memory", "64M"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith(b": ENOMEM")


def test_max_memory_lets_what_fits_through(limits, run_pyemu):
    result = run_pyemu(limits, ["malloc", "10"], options=["--max-memory", "64M"])
    assert (result.returncode, result.stdout) == (0, b"malloc: 0\n"), result.stderr
    result = run_pyemu(limits, ["mremap", "1"], options=["--max-memory", "4G"])
    assert (result.returncode, result.stdout) == (0, b"mmap: 0\nmremap: 0\nkept: 42\n")
    result = run_pyemu(limits, ["shared", "10"], options=["--max-memory", "64M"])
    assert (result.returncode, result.stdout) == (0, b"shared: 0\n"), result.stderr
    result = run_pyemu(limits, ["dontunmap", "16"], options=["--max-memory", "64M"])
    assert (result.returncode, result.stdout) == (
        0, b"mmap: 0\ndontunmap: 0\nkept: 42, left: 0\n"), result.stderr


@pytest.mark.parametrize("text, value", [("4096", 4096), ("512K", 512 << 10), ("64M", 64 << 20),
                                         ("2g", 2 << 30), ("1T", 1 << 40)])
def test_byte_counts(text, value):
    assert byte_count(text) == value


@pytest.mark.parametrize("text", ["", "M", "0", "-5M", "1.5G", "64X", "12MB"])
def test_bad_byte_counts(text):
    with pytest.raises(argparse.ArgumentTypeError):
        byte_count(text)


def test_bad_limit_options_are_usage_errors(limits, run_pyemu):
    for options in (["--max-memory", "lots"], ["--max-insns", "0"], ["--max-insns", "-3"]):
        result = run_pyemu(limits, ["brk"], options=options)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and "error: argument" in result.stderr


def test_max_insns_says_what_stopped_the_guest(build_guest, run_pyemu):
    result = run_pyemu(build_guest("freestanding.c", freestanding=True), ["loop"],
                       options=["--max-insns", "5000"])
    assert result.returncode == 124
    [line] = result.stderr_lines
    assert line.startswith("pyemu: stopped the guest after 5000 instructions (--max-insns)")
