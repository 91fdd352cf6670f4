"""The pyemu command line: bad programs, options, diagnostics and exit statuses.

Load errors follow the shell's conventions (127: no such file, 126: cannot execute) with one
"pyemu: ..." line on stderr and never a traceback. Guests here are the freestanding
tests/guests/freestanding.c (no libc) and the committed samples/; only the sample comparison
needs qemu.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import require_tool, run_command

import pyemu

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
EXIT_NOT_FOUND, EXIT_CANNOT_EXECUTE, EXIT_LIMIT = 127, 126, 124
ENOSYS_NUMBER = "400"  # the unassigned system call freestanding.c makes

# ELF64 header fields patched to make malformed programs.
E_MACHINE, E_PHOFF, E_PHENTSIZE, E_PHNUM = 18, 32, 54, 56
EM_X86_64, EM_RISCV = 62, 243

@pytest.fixture(scope="session")
def freestanding(build_guest) -> Path:
    return build_guest("freestanding.c", freestanding=True)


def assert_one_error_line(result, *words: str) -> str:
    """stderr is exactly one "pyemu: ..." line (containing `words`); returns that line."""
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    line = result.stderr_lines[0]
    assert line.startswith("pyemu:"), line
    for word in words:
        assert word in line, line
    return line


# --------------------------------------------------------------------- programs that cannot run


def patched(offset: int, fmt: str, value: int) -> Callable[[bytes], bytes]:
    def patch(elf: bytes) -> bytes:
        data = bytearray(elf)
        struct.pack_into(fmt, data, offset, value)
        return bytes(data)

    return patch


# name -> (what to write, from the bytes of a good RISC-V ELF; expected words of the message)
BAD_PROGRAMS: dict[str, tuple[Callable[[bytes], bytes], tuple[str, ...]]] = {
    "text-file": (lambda elf: b"plain text, not a program\n" * 4, ()),
    "empty-file": (lambda elf: b"", ()),
    "truncated-elf": (lambda elf: elf[:40], ()),
    "x86-64-machine": (patched(E_MACHINE, "<H", EM_X86_64), ("machine", str(EM_X86_64))),
    "phoff-beyond-file": (patched(E_PHOFF, "<Q", 1 << 40), ()),
    "phoff-at-end": (lambda elf: patched(E_PHOFF, "<Q", len(elf) - 8)(elf), ()),
    "phnum-zero": (patched(E_PHNUM, "<H", 0), ()),
    "phnum-huge": (patched(E_PHNUM, "<H", 0xFFFF), ()),
    "phentsize-small": (patched(E_PHENTSIZE, "<H", 12), ()),
}


@pytest.mark.parametrize("name", BAD_PROGRAMS)
def test_bad_program_cannot_execute(name, freestanding, tmp_path, run_pyemu):
    make, words = BAD_PROGRAMS[name]
    program = tmp_path / name
    program.write_bytes(make(freestanding.read_bytes()))
    program.chmod(0o755)
    result = run_pyemu(program)
    assert result.returncode == EXIT_CANNOT_EXECUTE, result.stderr
    assert result.stdout == b""
    assert_one_error_line(result, *words)


def test_missing_file_is_not_found(tmp_path, run_pyemu):
    result = run_pyemu(tmp_path / "no-such-program")
    assert result.returncode == EXIT_NOT_FOUND, result.stderr
    assert result.stdout == b""
    assert_one_error_line(result, "no-such-program")


def test_huge_sparse_program_file_cannot_execute(tmp_path, run_pyemu):
    """A guest can make a file huge and sparse (truncate): pyemu refuses it rather than read
    64 GiB."""
    program = tmp_path / "huge"
    with open(program, "wb") as f:
        f.write((SAMPLES_DIR / "hello").read_bytes())  # a valid program, then 64 GiB of holes
        f.truncate(64 << 30)
    program.chmod(0o755)
    result = run_pyemu(program)
    assert (result.returncode, result.stderr) == (EXIT_CANNOT_EXECUTE, f"pyemu: {program}: File too large\n")


def test_directory_cannot_execute(tmp_path, run_pyemu):
    result = run_pyemu(tmp_path)
    assert result.returncode == EXIT_CANNOT_EXECUTE, result.stderr
    assert_one_error_line(result)


def host_elf_machine(path: Path) -> int | None:
    header = path.read_bytes()[:20] if path.is_file() else b""
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[5] != 1:  # little-endian only
        return None
    return struct.unpack_from("<H", header, E_MACHINE)[0]


def test_host_binary_names_its_machine(run_pyemu):
    host_true = Path("/bin/true").resolve()
    machine = host_elf_machine(host_true)
    if machine is None or machine == EM_RISCV:
        pytest.skip(f"{host_true} is not a little-endian non-RISC-V ELF on this host")
    result = run_pyemu(host_true)
    assert result.returncode == EXIT_CANNOT_EXECUTE, result.stderr
    assert_one_error_line(result, "machine", str(machine))


# ------------------------------------------------------------------------------------ options


def test_version(run_pyemu):
    result = run_pyemu(None, options=["--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"pyemu {pyemu.__version__}\n".encode()


def test_help(run_pyemu):
    result = run_pyemu(None, options=["--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"usage: pyemu")
    for option in (b"--max-insns", b"--stats", b"PROGRAM"):
        assert option in result.stdout


def test_python_m_pyemu_runs_a_guest(freestanding, run_pyemu):
    result = run_pyemu(freestanding)  # run_pyemu runs `python -m pyemu`
    assert (result.returncode, result.stdout, result.stderr) == (0, b"freestanding\n", "")


def test_console_script_runs_a_guest(freestanding, tmp_path):
    script = Path(sys.executable).with_name("pyemu")
    if not script.exists():
        pytest.fail(f"the pyemu console script is not installed next to {sys.executable}; "
                    "install the package (pip install -e .)", pytrace=False)
    result = subprocess.run([str(script), str(freestanding)], check=False, capture_output=True,
                            cwd=tmp_path, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"freestanding\n", b"")


def test_unknown_syscall_warns_once_and_returns_enosys(freestanding, run_pyemu):
    result = run_pyemu(freestanding, ["unknown"])
    assert result.returncode == 0, "the guest did not see -ENOSYS twice: " + result.stderr
    assert_one_error_line(result, ENOSYS_NUMBER)


@pytest.mark.parametrize(("requested", "expected"), [(0, 0), (1, 1), (42, 42), (255, 255),
                                                     (256, 0), (513, 1)])
def test_guest_exit_status_propagates(requested, expected, freestanding, run_pyemu):
    result = run_pyemu(freestanding, ["exit", str(requested)])
    assert result.returncode == expected, result.stderr
    assert result.stderr == ""


def test_max_insns_stops_an_infinite_loop(freestanding, run_pyemu):
    result = run_pyemu(freestanding, ["loop"], options=["--max-insns", "1000"])
    assert result.returncode != 0
    assert result.returncode == EXIT_LIMIT, result.stderr
    assert_one_error_line(result, "1000")


def test_max_insns_does_not_stop_a_short_guest(freestanding, run_pyemu):
    result = run_pyemu(freestanding, options=["--max-insns", "100000"])
    assert (result.returncode, result.stdout, result.stderr) == (0, b"freestanding\n", "")


def test_stats_line(freestanding, run_pyemu):
    result = run_pyemu(freestanding, options=["--stats"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"freestanding\n"
    assert all(line.startswith("pyemu: stats: ") for line in result.stderr_lines), result.stderr
    line = result.stderr_lines[0]  # more lines follow: see test_trace.py
    match = re.match(r"pyemu: stats: instructions=(\d+) seconds=\d+(\.\d+)?$", line)
    assert match, line
    assert 0 < int(match.group(1)) < 10_000


ENV_CASES = {
    "lang-c-utf8": pytest.param({"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "ZED": "z",
                                 "ALPHA": "a"}, id="lang-c-utf8"),
    "lang-c": pytest.param({"PATH": "/usr/bin:/bin", "LANG": "C", "ZED": "z", "ALPHA": "a"},
                           id="lang-c"),
    "no-lang": pytest.param({"PATH": "/usr/bin:/bin", "ZED": "z", "ALPHA": "a"}, id="no-lang"),
}


# The host kernel's order, as a native program sees it: samples/args.c prints its environment
# in the same "env NAME=VALUE" lines.
PRINT_ENVIRONMENT = r"""#include <stdio.h>
int main(int argc, char **argv, char **envp) {
    for (; *envp; envp++) printf("env %s\n", *envp);
    return 0;
}
"""


@pytest.mark.parametrize("env", ENV_CASES.values())
def test_guest_environment_is_exactly_the_callers_in_order(env, run_pyemu, run_host, tmp_path):
    """Like the kernel (and unlike qemu, which reverses it), envp keeps the caller's order."""
    source = tmp_path / "environment.c"
    source.write_text(PRINT_ENVIRONMENT)
    native = tmp_path / "environment"
    subprocess.run([require_tool("gcc"), "-o", str(native), str(source)], check=True)
    linux = run_host(native, env=env).stdout.decode().splitlines()
    assert linux == [f"env {name}={value}" for name, value in env.items()]  # the control
    result = run_pyemu(SAMPLES_DIR / "args", ["x"], env=env)
    assert result.returncode == 0, result.stderr
    program = str(SAMPLES_DIR / "args")
    assert result.stdout.decode().splitlines() == ["argc=2", f"argv[0]={program}", "argv[1]=x",
                                                   *linux]


# ------------------------------------------------------------------- the samples, against qemu

# One variable only: qemu hands the guest its environment in reverse order.
SAMPLE_ENV = {"LANG": "C.UTF-8"}
SAMPLES = {
    "hello": ((), 0),
    "fib": (("15",), 610 % 256),
    "args": (("first", "", "with space", "ünï"), 0),
    "sieve": (("10000",), 0),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_matches_qemu(name, run_both):
    args, status = SAMPLES[name]
    both = run_both(SAMPLES_DIR / name, args, env=SAMPLE_ENV)
    context = both.describe()
    assert both.qemu.returncode == status, context
    assert both.pyemu.returncode == both.qemu.returncode, context
    assert both.pyemu.stdout == both.qemu.stdout, context
    assert both.pyemu.stderr == "", context


@pytest.mark.parametrize("how", ["options", "qemu-variables"])
def test_argv0_and_environment_settings_match_qemu(how, qemu, run_pyemu, tmp_path):
    """-0, -E and -U, or the QEMU_ARGV0, QEMU_SET_ENV and QEMU_UNSET_ENV variables that stand
    for them (envp compared as a set: qemu reverses its order)."""
    env = {"PATH": "/usr/bin:/bin", "KEEP": "k", "DROP": "d"}
    options = ["-0", "zero", "-E", "NEW=n", "-E", "KEEP=changed", "-U", "DROP"]
    if how == "qemu-variables":
        env |= {"QEMU_ARGV0": "zero", "QEMU_SET_ENV": "NEW=n,KEEP=changed",
                "QEMU_UNSET_ENV": "DROP"}
        options = []
    program = str(SAMPLES_DIR / "args")
    expected = run_command("qemu", [qemu, *options, program, "x"], cwd=tmp_path / "qemu",
                           stdin=b"", env=env, files={})
    actual = run_pyemu(program, ["x"], env=env, options=options)
    assert actual.returncode == expected.returncode == 0, actual.stderr
    assert sorted(actual.stdout.splitlines()) == sorted(expected.stdout.splitlines())
    assert {b"argv[0]=zero", b"env NEW=n", b"env KEEP=changed"} <= set(actual.stdout.splitlines())
    assert b"env DROP=d" not in actual.stdout


def test_qemu_strace_variable_turns_on_strace(run_pyemu):
    result = run_pyemu(SAMPLES_DIR / "hello", env={"PATH": "/usr/bin:/bin", "QEMU_STRACE": "1"})
    assert result.returncode == 0
    assert 'write(1, "Hello from pyemu!\\n", 18) = 18' in result.stderr


def test_invalid_engine_in_the_environment_is_a_usage_error(run_pyemu):
    result = run_pyemu(SAMPLES_DIR / "hello", env={"PATH": "/usr/bin:/bin", "PYEMU_ENGINE": "x"})
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == \
        "pyemu: error: PYEMU_ENGINE: invalid choice 'x' (choose from fast, python)"
