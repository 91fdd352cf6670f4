"""Where qemu-riscv64 7.2 lacks a call or gets it wrong, pyemu follows the Linux kernel: the
host kernel is the oracle. Each guest here does not depend on the architecture, so it is also
built for the host (x86-64) and run natively, and pyemu's output must equal that run's; qemu's
output is checked to part from it where stated, so each case shows what qemu gets wrong.

x86-only differences ignored: none in these guests' output (the host build of
process_misc.c has its own few lines of assembly for clone3's thread, since a thread's first
instructions cannot be written in C).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class LinuxAnswers:
    """A guest run with `args` under pyemu, under qemu and natively on the host: pyemu must
    print what the host printed (only its lines starting with `only`, if given); qemu's lines
    starting with `qemu_differs_at` must differ from the host's."""

    source: str
    args: tuple[str, ...]
    qemu_differs_at: str | None  # None: qemu agrees with Linux on the whole output
    only: str = ""


LINUX_ANSWERS = {
    # qemu 7.2 maps over a mapping with MAP_FIXED_NOREPLACE, refuses MAP_SHARED_VALIDATE file
    # mappings (Linux validates their flags, and refuses anonymous ones), has no mlock2 and
    # accepts any madvise.
    "mappings": LinuxAnswers("mmap_shared.c", ("linux",), "MAP_SHARED_VALIDATE file:"),
    # qemu 7.2 has no futex_wake/futex_wait (Linux 6.7).
    "futex2-membarrier": LinuxAnswers("misc_calls.c", ("linux",), "futex_wake:"),
    # qemu 7.2 has no native AIO, openat2 or fchmodat2.
    "aio-openat2-fchmodat2": LinuxAnswers("ipc_aio.c", ("linux",), "io_setup:"),
    # qemu 7.2 has no epoll_pwait2, and answers EFAULT for epoll_wait into an unmapped buffer
    # with nothing ready, where Linux checks only that the buffer lies in user space (0). The
    # rest of this guest is compared with qemu by test_differential.
    "epoll_pwait2": LinuxAnswers("polling.c", ("pwait2",), "pwait2 times out:", only="pwait2"),
    # qemu 7.2 refuses RWF_APPEND.
    "pwritev2-append": LinuxAnswers("file_io.c", ("append",), "pwritev2 append:"),
    # qemu 7.2 has no clone3.
    "clone3": LinuxAnswers("process_misc.c", ("clone3",), "clone3"),
    # /proc/self/fd lists the guest's descriptors only: qemu 7.2 agrees, when started with no
    # descriptor but 0, 1 and 2 open (it shows its own among them otherwise).
    "proc-self-fd": LinuxAnswers("process_misc.c", ("count",), None),
}


def lines_from(text: bytes, prefix: str) -> list[str]:
    return [line for line in text.decode().splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("name", LINUX_ANSWERS)
def test_answers_are_the_host_kernels_where_qemu_differs(name, build_guest, build_host,
                                                          run_both, run_host):
    case = LINUX_ANSWERS[name]
    results = run_both(build_guest(case.source), case.args)
    linux = run_host(build_host(case.source), case.args)
    assert (linux.returncode, linux.stderr) == (0, "")
    assert lines_from(results.pyemu.stdout, case.only) == lines_from(linux.stdout, case.only)
    assert results.pyemu.returncode == linux.returncode
    if case.qemu_differs_at is None:
        assert results.qemu.stdout == linux.stdout
    else:
        theirs = lines_from(results.qemu.stdout, case.qemu_differs_at)
        assert theirs and theirs != lines_from(linux.stdout, case.qemu_differs_at)
