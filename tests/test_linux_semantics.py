"""Where qemu-riscv64 7.2 lacks a call or gets it wrong, pyemu follows the Linux kernel: these
tests compare with the output Linux gives, and check qemu on the rest of the same program."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


def test_epoll_pwait2_works_as_on_linux_where_qemu_has_no_such_call(build_guest, run_both):
    results = run_both(build_guest("polling.c"), ["pwait2"])
    ours = results.pyemu.stdout.decode().splitlines()
    assert [line for line in ours if line.startswith("pwait2")] == [
        "pwait2 times out: 0", "pwait2 ready: 1 data=42", "pwait2 EINVAL: -1 EINVAL"]
    theirs = results.qemu.stdout.decode().splitlines()
    assert [line for line in ours if not line.startswith("pwait2")] == \
        [line for line in theirs if not line.startswith("pwait2")]
    assert results.pyemu.returncode == results.qemu.returncode == 0


def test_pwritev2_appends_with_rwf_append_as_on_linux_where_qemu_refuses_it(build_guest,
                                                                           run_both):
    results = run_both(build_guest("file_io.c"), ["append"])
    ours = results.pyemu.stdout.decode().splitlines()
    assert "pwritev2 append: 6" in ours
    assert "appended at the end: 26" in ours
    assert "pwritev2 append: -1 EOPNOTSUPP" in results.qemu.stdout.decode().splitlines()


def test_clone3_makes_processes_and_threads_where_qemu_has_no_such_call(build_guest, run_both):
    results = run_both(build_guest("process_misc.c"), ["clone3"])
    ours = results.pyemu.stdout.decode().splitlines()
    assert ours[-4:] == [
        "clone3 process exited 12",
        "clone3 small size: -1 EINVAL",
        "clone3 thread without VM: -1 EINVAL",
        "clone3 thread: created 1 ran 1 cleared its tid",
    ]
    assert results.qemu.stdout.decode().splitlines()[-1] == "clone3: -1 ENOSYS"


def test_proc_self_fd_lists_the_guests_descriptors_only(build_guest, run_pyemu):
    """0, 1, 2, a file, a pipe's two ends and the directory itself: as Linux lists them
    (qemu 7.2 shows its own descriptors among them)."""
    result = run_pyemu(build_guest("process_misc.c"), ["count"])
    assert "/proc/self/fd lists 7" in result.stdout.decode().splitlines()
    assert result.returncode == 0


@dataclass(frozen=True)
class LinuxAnswers:
    """A guest run with "linux": pyemu must print Linux's answers; qemu prints `qemu_says`
    among its own (so the case shows where the two part)."""

    source: str
    expected: tuple[str, ...]
    qemu_says: str


LINUX_ANSWERS = {
    # qemu 7.2 maps over a mapping with MAP_FIXED_NOREPLACE, lets an unknown flag through
    # MAP_SHARED_VALIDATE, has no mlock2 and accepts any madvise.
    "mappings": LinuxAnswers("mmap_shared.c", (
        "MAP_FIXED_NOREPLACE over a mapping: -1 EEXIST, contents kept 'k'",
        "MAP_FIXED_NOREPLACE on a hole: 1",
        "validate unknown flag: -1 EOPNOTSUPP",
        "mlock2: 0 bad flags: -1 EINVAL",
        "madvise bad advice: -1 EINVAL",
        "madvise unmapped: -1 ENOMEM",
    ), "validate unknown flag: -1 EINVAL"),
    # qemu 7.2 has no futex_wake/futex_wait (Linux 6.7).
    "futex2-membarrier": LinuxAnswers("misc_calls.c", (
        "futex_wait wrong value: -1 EAGAIN",
        "futex_wait times out: -1 ETIMEDOUT",
        "futex_wake: 0",
        "futex_wake 64-bit: -1 EINVAL",
        "membarrier private unregistered: -1 EPERM",
        "membarrier register: 0 then 0",
    ), "futex_wake: -1 ENOSYS"),
    # qemu 7.2 has no native AIO, openat2 or fchmodat2.
    "aio-openat2-fchmodat2": LinuxAnswers("ipc_aio.c", (
        "io_setup: 0",
        "io_submit: 2",
        "io_getevents: 2 data 11 res 14 data 22 res 14 'asynchronously'",
        "io_getevents nothing: 0",
        "io_submit bad fd: -1 EBADF",
        "io_destroy: 0 again -1 EINVAL",
        "openat2 beneath: 1",
        "openat2 escaping: -1 EXDEV",
        "openat2 bad flags: -1 EINVAL",
        "openat2 small: -1 EINVAL",
        "fchmodat2: 0 mode 600",
    ), "io_setup: -1 ENOSYS"),
}


@pytest.mark.parametrize("name", LINUX_ANSWERS)
def test_answers_are_linuxs_where_qemu_differs(name: str, build_guest, run_both):
    case = LINUX_ANSWERS[name]
    results = run_both(build_guest(case.source), ["linux"])
    assert tuple(results.pyemu.stdout.decode().splitlines()) == case.expected
    assert case.qemu_says in results.qemu.stdout.decode().splitlines()
