"""Differential tests: glibc programs from tests/guests/ run under qemu-riscv64 and pyemu.

Each case runs one static guest with the same arguments, stdin and environment in an empty
working directory under both, and compares stdout bytes, the exit status (death by signal N
counted as 128 + N), the guest's own stderr (pyemu's "pyemu: ..." diagnostics left out) and
the files left in the working directory. The expected status is also checked against the
oracle, so a case that stops testing what it says fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

SIGHUP, SIGABRT, SIGSEGV, SIGALRM, SIGTERM = 1, 6, 11, 14, 15


# HOME leads nowhere (run_pyemu tells pyemu where its compiled-code cache is).
UTF8_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent", "EMPTY": "",
            "WITH_EQUALS": "a=b=c"}

LONG_TEXT = b"".join(b"line %d: the quick brown fox jumps over the lazy dog\n" % i
                     for i in range(200))


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    args: tuple[str, ...] = ()
    stdin: bytes = b""
    env: Mapping[str, str] | None = None  # None: the fixed GUEST_ENV of conftest
    files: Mapping[str, bytes] | None = None  # put in the working directory before the run
    status: int = 0
    opts: tuple[str, ...] = ("-O2",)  # one test per optimisation level
    marks: tuple[pytest.MarkDecorator, ...] = field(default=())


CASES = (
    Case("stdio-format", "stdio_format.c"),
    Case("strings", "strings.c", opts=("-O2", "-O0")),
    Case("malloc", "malloc.c"),
    Case("qsort", "qsort.c"),
    Case("argv", "args_env.c", args=("one", "", "two words", "tab\there", "ünïcode", "-x",
                                     "--long=value", *(f"a{i}" for i in range(20))),
         env=UTF8_ENV),
    Case("envp-lang-c", "args_env.c"),
    Case("stdin-lines", "stdin_echo.c", args=("lines",),
         stdin=b"short\n\nexactly 15 char\na line much longer than the sixteen byte buffer\n"
               b"no newline at the end"),
    Case("stdin-lines-empty", "stdin_echo.c", args=("lines",)),
    Case("stdin-chars", "stdin_echo.c", args=("chars",), stdin=LONG_TEXT),
    Case("stdin-numbers", "stdin_echo.c", args=("numbers",),
         stdin=b"1 2.5\n-3 1e3\n  40\t-0.125\n9223372036854775807 1e-5 77 stop here"),
    Case("stdin-numbers-eof", "stdin_echo.c", args=("numbers",), stdin=b"5 5\n6"),
    Case("files", "files.c"),
    Case("files-over-existing", "files.c",
         files={"notes.txt": b"old contents, to be truncated\n" * 20, "keep.txt": b"as is\n"}),
    Case("files-rename", "files.c", args=("rename",)),
    Case("dirs-and-metadata", "dirs.c"),
    Case("exit-return-0", "exit_status.c", args=("return", "0")),
    Case("exit-return-3", "exit_status.c", args=("return", "3"), status=3),
    Case("exit-exit-255", "exit_status.c", args=("exit", "255"), status=255),
    Case("exit-exit-256", "exit_status.c", args=("exit", "256"), status=0),
    Case("exit-_exit-7", "exit_status.c", args=("_exit", "7"), status=7),
    Case("exit-atexit-4", "exit_status.c", args=("atexit", "4"), status=4),
    Case("abort", "exit_status.c", args=("abort",), status=128 + SIGABRT, opts=("-O2", "-O0")),
    Case("fp-math", "fpmath.c", opts=("-O2", "-O0")),
    Case("int-math", "intmath.c", opts=("-O2", "-O0")),
    Case("setjmp", "setjmp.c", opts=("-O2", "-O0")),
    Case("strconv-snprintf", "strconv.c"),
    Case("signal-handlers", "signals.c", status=128 + SIGTERM, opts=("-O2", "-O0")),
    Case("signal-altstack-context", "altstack.c", status=128 + SIGHUP),
    Case("illegal-and-breakpoint-handlers", "illegal_handler.c"),
    Case("identity-and-accounting", "identity.c"),
    Case("threads", "threads.c", opts=("-O2", "-O0")),
    Case("c++", "cplusplus.cc", opts=("-O2", "-O0")),
    Case("kill-just-after-fork", "kill_after_fork.c"),
    Case("timers-and-eintr", "timers.c"),
    Case("timer-default-action", "timers.c", args=("die",), status=128 + SIGALRM),
    Case("poll-select-epoll-eventfd-timerfd", "polling.c"),
    Case("signal-waits-and-posix-timers", "signal_waits.c"),
    Case("threads-blocked-in-the-host", "blocking_threads.c"),
    Case("file-io-locks-memfd-dup", "file_io.c"),
    Case("sockets", "sockets.c"),
    Case("mmap-shared-private-advice", "mmap_shared.c"),
    Case("sched-limits-waitid-pidfd-proc-fd", "process_misc.c"),
    Case("xattr-inotify-signalfd-creds-robust-pi", "misc_calls.c"),
    Case("mqueue-sysv-ipc-statfs-statx-handles", "ipc_aio.c"),
)


def params():
    return [pytest.param(case, opt, id=f"{case.id}{opt}", marks=case.marks)
            for case in CASES for opt in case.opts]


# Each case runs on the python engine and on the fast engine's compiled loop from its first
# instruction (by default short programs would never leave the python engine).
ENGINES = {"python": ("--engine", "python"), "compiled": ("--engine", "fast", "--tier-up", "0")}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("case", "opt"), params())
def test_guest_matches_qemu(case: Case, opt: str, engine: str, build_guest, run_both):
    binary = build_guest(case.source, opt=opt)
    both = run_both(binary, case.args, stdin=case.stdin, env=case.env, files=case.files,
                    options=ENGINES[engine])
    context = both.describe()
    assert both.qemu.returncode == case.status, f"the oracle disagrees with the case\n{context}"
    assert both.pyemu.stdout == both.qemu.stdout, context
    assert both.pyemu.returncode == both.qemu.returncode, context
    assert both.pyemu.guest_stderr() == both.qemu.stderr, context
    assert both.pyemu.files == both.qemu.files, context


@pytest.mark.parametrize("opt", ["-O2", "-O0"])
def test_null_pointer_write_kills_with_sigsegv(opt: str, build_guest, run_both):
    both = run_both(build_guest("exit_status.c", opt=opt), ["null-write"])
    context = both.describe()
    assert both.qemu.returncode == 128 + SIGSEGV, context
    assert both.pyemu.returncode == both.qemu.returncode, context
    lines = both.pyemu.stderr_lines
    assert len(lines) == 1, context
    assert lines[0].startswith("pyemu:") and "SIGSEGV" in lines[0], context
