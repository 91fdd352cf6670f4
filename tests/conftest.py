"""Shared fixtures: build RISC-V guests with the cross compiler, run them under qemu and pyemu.

qemu-riscv64 is the behavioural oracle: a differential test runs the same guest with the same
arguments, stdin, environment and an empty working directory under both and compares what
they did (stdout bytes, exit status, files left in the working directory).

A missing toolchain is a test failure, never a skip, unless PYEMU_ALLOW_MISSING_TOOLS=1 is
set (then the tests that need the tool are skipped).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pyemu.emulator.engine_fast import cache_dir

TESTS_DIR = Path(__file__).resolve().parent
GUEST_SOURCES = TESTS_DIR / "guests"
# The fuzz/ campaigns live beside tests/ in the checkout and are not installed: they are found
# through the tests' own path. Appended, so that `pyemu` is still the installed package (the
# checkout's top-level pyemu/ is only part of it), whether installed editable or not.
if str(TESTS_DIR.parent) not in sys.path:
    sys.path.append(str(TESTS_DIR.parent))

CROSS_CC = "riscv64-linux-gnu-gcc"
CROSS_CXX = "riscv64-linux-gnu-g++"
HOST_CC, HOST_CXX = "gcc", "g++"  # the host kernel's oracle: guests built for the host too
QEMU = "qemu-riscv64"
ALLOW_MISSING_TOOLS = "PYEMU_ALLOW_MISSING_TOOLS"

# Every guest sees exactly this environment, in this order, under both runners.
GUEST_ENV: dict[str, str] = {"PATH": "/usr/bin:/bin", "LANG": "C"}
RUN_TIMEOUT = 120  # seconds per run: a hang fails the test instead of blocking the suite
BUILD_TIMEOUT = 120

# How pyemu is started: as a module of the interpreter running the tests, so the suite
# tests the checkout it is run from and needs no console script on PATH.
PYEMU = (sys.executable, "-m", "pyemu", "-U", "PYEMU_CACHE_DIR")
# pyemu's compile cache is the one this process sees (~/.cache/pyemu): every run is handed it
# whatever HOME its guest is given, since a HOME without that cache starts a compile of
# minutes and gigabytes in the background (PYEMU's -U keeps it out of the guest's environment).
PYEMU_CACHE = {"PYEMU_CACHE_DIR": str(cache_dir())}

# Build flags: glibc programs are static (no sysroot needed at run time); the freestanding
# ones have their own _start and make raw system calls.
GLIBC_FLAGS = ("-static", "-Wall", "-Wextra")
FREESTANDING_FLAGS = ("-static", "-nostdlib", "-ffreestanding", "-fno-pic", "-no-pie",
                      "-Wall", "-Wextra")


def require_tool(name: str) -> str:
    """The path of host tool `name`; fails the test (skips only when allowed) if it is missing."""
    path = shutil.which(name)
    if path is None:
        message = (f"{name} is not on PATH; it is needed to build or check the guests "
                   "(Debian packages: gcc-riscv64-linux-gnu, qemu-user)")
        if os.environ.get(ALLOW_MISSING_TOOLS) == "1":
            pytest.skip(f"{message} and {ALLOW_MISSING_TOOLS}=1")
        pytest.fail(f"{message}. Set {ALLOW_MISSING_TOOLS}=1 to skip these tests instead.",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def cross_cc() -> str:
    return require_tool(CROSS_CC)


@pytest.fixture(scope="session")
def cross_cxx() -> str:
    return require_tool(CROSS_CXX)


@pytest.fixture(scope="session")
def qemu() -> str:
    return require_tool(QEMU)


def shared_tmp_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A directory shared by all xdist workers of this run (or this session's own without xdist)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    path = base / name
    path.mkdir(exist_ok=True)
    return path


BuildGuest = Callable[..., Path]


def guest_builder(compilers: tuple[str, str], cache: Path, static_flags: Sequence[str]
                  ) -> BuildGuest:
    """The `build` function of build_guest and build_host: compilers are (C, C++)."""

    def build(source: str | Path, opt: str = "-O2", freestanding: bool = False,
              extra: Sequence[str] = (), static: bool = True) -> Path:
        source = Path(source)
        if not source.is_absolute():
            source = GUEST_SOURCES / source
        glibc_flags = static_flags if static else tuple(f for f in static_flags
                                                        if f != "-static")
        flags = [opt, *(FREESTANDING_FLAGS if freestanding else glibc_flags), *extra]
        headers = b"".join(h.read_bytes() for h in sorted(GUEST_SOURCES.glob("*.h")))
        compiler = compilers[source.suffix == ".cc"]
        key = hashlib.sha256(source.read_bytes() + headers + "\0".join([compiler, *flags])
                             .encode()).hexdigest()[:16]
        binary = cache / f"{source.stem}{opt}-{key}"
        if not binary.exists():
            partial = binary.with_name(f"{binary.name}.{os.getpid()}.tmp")
            command = [compiler, *flags, "-o", str(partial), str(source)]
            if not freestanding:
                command.append("-lm")
            built = subprocess.run(command, check=False, capture_output=True, text=True,
                                   timeout=BUILD_TIMEOUT)
            if built.returncode != 0:
                pytest.fail(f"cannot build {source.name}: {' '.join(command)}\n{built.stderr}",
                            pytrace=False)
            os.replace(partial, binary)
        return binary

    return build


@pytest.fixture(scope="session")
def build_guest(cross_cc: str, cross_cxx: str,
                tmp_path_factory: pytest.TempPathFactory) -> BuildGuest:
    """`build_guest(source, opt="-O2", freestanding=False, extra=(), static=True)` -> path of
    the binary (static=False: linked against the cross sysroot's shared glibc).

    `source` is a file name under tests/guests/ or a path; a .cc source is C++ (g++).
    Binaries are cached by a hash of the source text, the guests' shared headers
    (tests/guests/*.h), the compiler and the flags, so each variant is compiled once per test
    run, and a concurrent build by another worker is harmless (the result is renamed into
    place).
    """
    return guest_builder((cross_cc, cross_cxx), shared_tmp_dir(tmp_path_factory, "pyemu-guests"),
                         GLIBC_FLAGS)


@pytest.fixture(scope="session")
def build_host(tmp_path_factory: pytest.TempPathFactory) -> BuildGuest:
    """build_guest's twin for the host (x86-64, dynamic glibc): where qemu is wrong or silent,
    the same guest run natively shows what the Linux kernel answers."""
    compilers = (require_tool(HOST_CC), require_tool(HOST_CXX))
    return guest_builder(compilers, shared_tmp_dir(tmp_path_factory, "pyemu-host-guests"),
                         tuple(f for f in GLIBC_FLAGS if f != "-static"))


@dataclass
class RunResult:
    """What one run of a guest did."""

    runner: str
    returncode: int  # normalised: death by signal N is 128 + N, as a shell reports it
    stdout: bytes
    stderr: str
    files: dict[str, bytes] = field(default_factory=dict)  # the working directory afterwards

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()

    def guest_stderr(self) -> str:
        """stderr without pyemu's own diagnostics (lines starting with "pyemu:")."""
        return "".join(line for line in self.stderr.splitlines(keepends=True)
                       if not line.startswith("pyemu:"))


@contextlib.contextmanager
def killed_after(process: subprocess.Popen, seconds: float = RUN_TIMEOUT):
    """Kills `process` if the block lasts longer than `seconds`: a blocking read of the child's
    output then ends at end of file instead of hanging the suite, and the test fails."""
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        process.kill()

    timer = threading.Timer(seconds, kill)
    timer.start()
    try:
        yield
    except Exception:
        if not fired.is_set():
            raise
    finally:
        timer.cancel()
    if fired.is_set():
        pytest.fail(f"{' '.join(map(str, process.args))} did not answer within {seconds} s",
                    pytrace=False)


def normalise_status(returncode: int) -> int:
    """subprocess reports death by signal N as -N; shells (and pyemu) report 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every regular file under `directory`, by relative path, with its contents."""
    return {str(path.relative_to(directory)): path.read_bytes()
            for path in sorted(directory.rglob("*")) if path.is_file()}


def run_command(runner: str, command: Sequence[str], *, cwd: Path, stdin: bytes,
                env: Mapping[str, str], files: Mapping[str, bytes]) -> RunResult:
    """Runs `command` in the new directory `cwd` (seeded with `files`) and snapshots it."""
    cwd.mkdir(parents=True)
    for name, content in files.items():
        (cwd / name).write_bytes(content)
    try:
        done = subprocess.run(list(command), check=False, input=stdin, capture_output=True,
                              cwd=cwd, env=dict(env), timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as timeout:
        pytest.fail(f"{runner} did not finish within {RUN_TIMEOUT} s: {' '.join(command)}\n"
                    f"stdout so far: {timeout.stdout!r}", pytrace=False)
    return RunResult(runner, normalise_status(done.returncode), done.stdout,
                     done.stderr.decode(errors="replace"), snapshot(cwd))


RunPyemu = Callable[..., RunResult]


@pytest.fixture
def run_pyemu(tmp_path: Path) -> RunPyemu:
    """`run_pyemu(binary, args=(), stdin=b"", env=None, options=(), files=None)` -> RunResult.

    Runs `python -m pyemu [options] binary args...` in a fresh empty working directory
    (seeded with `files`, a mapping of name to bytes) with `env` (default GUEST_ENV).
    `binary=None` runs just `python -m pyemu [options]` (for --version and the like).
    """
    runs = itertools.count()

    def run(binary: str | Path | None, args: Sequence[str] = (), *, stdin: bytes = b"",
            env: Mapping[str, str] | None = None, options: Sequence[str] = (),
            files: Mapping[str, bytes] | None = None) -> RunResult:
        cwd = tmp_path / f"pyemu-run-{next(runs)}"
        program = [] if binary is None else [str(binary)]
        command = [*PYEMU, *options, *program, *args]
        return run_command("pyemu", command, cwd=cwd, stdin=stdin,
                           env={**PYEMU_CACHE, **(GUEST_ENV if env is None else env)},
                           files=files or {})

    return run


@pytest.fixture
def run_host(tmp_path: Path) -> RunPyemu:
    """`run_host(binary, args=(), stdin=b"", env=None, files=None)` -> RunResult: a guest
    built by build_host run natively, as run_pyemu runs one."""
    runs = itertools.count()

    def run(binary: str | Path, args: Sequence[str] = (), *, stdin: bytes = b"",
            env: Mapping[str, str] | None = None,
            files: Mapping[str, bytes] | None = None) -> RunResult:
        return run_command("host", [str(binary), *args], cwd=tmp_path / f"host-run-{next(runs)}",
                           stdin=stdin, env=GUEST_ENV if env is None else env,
                           files=files or {})

    return run


@dataclass
class BothResults:
    qemu: RunResult
    pyemu: RunResult

    def describe(self) -> str:
        return "\n".join(f"--- {r.runner}: status {r.returncode}\nstdout: {r.stdout[-2000:]!r}\n"
                         f"stderr: {r.stderr[-2000:]}" for r in (self.qemu, self.pyemu))


RunBoth = Callable[..., BothResults]


@pytest.fixture
def run_both(qemu: str, run_pyemu: RunPyemu, tmp_path: Path) -> RunBoth:
    """`run_both(binary, args=(), stdin=b"", env=None, files=None, options=())` -> BothResults.

    Runs the guest under qemu-riscv64 and under pyemu, each in its own fresh working
    directory seeded with `files`, with the same arguments, stdin and environment.
    """
    runs = itertools.count()

    def run(binary: str | Path, args: Sequence[str] = (), *, stdin: bytes = b"",
            env: Mapping[str, str] | None = None, files: Mapping[str, bytes] | None = None,
            options: Sequence[str] = ()) -> BothResults:
        env = GUEST_ENV if env is None else env
        cwd = tmp_path / f"qemu-run-{next(runs)}"
        oracle = run_command("qemu", [qemu, str(binary), *args], cwd=cwd, stdin=stdin, env=env,
                             files=files or {})
        ours = run_pyemu(binary, args, stdin=stdin, env=env, files=files, options=options)
        return BothResults(oracle, ours)

    return run
