"""Dynamically linked programs (C and C++, Debian's riscv64 glibc) compared with
`qemu-riscv64 -L SYSROOT` on both engines; the fast engine's switch from the python engine to
the compiled loop (--tier-up N) at several points of the run, against qemu and against the
python engine's final state; and where the interpreter and libraries are looked for: a
sysroot other than the default given by -L or by QEMU_LD_PREFIX.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import GUEST_ENV, run_command

SYSROOT = Path("/usr/riscv64-linux-gnu")  # pyemu's default -L, the cross compiler's glibc
PROGRAMS = {"c": "shared_libs.c", "c++": "cplusplus.cc"}
ENGINES = {
    "python": ("--engine", "python"),
    "compiled": ("--engine", "fast", "--tier-up", "0"),
    "default": (),  # the fast engine, switching to the compiled loop after 1M instructions
}
# What the python engine and the tier-up runs must agree on at exit.
STATE_OPTIONS = ("--deterministic", "--stats", "--report", "report.json")


@pytest.fixture(scope="module")
def dynamic(build_guest) -> dict[str, Path]:
    return {name: build_guest(source, static=False) for name, source in PROGRAMS.items()}


def run_qemu(qemu: str, binary: Path, cwd: Path, sysroot: Path | None, env=GUEST_ENV):
    ld_prefix = ["-L", str(sysroot)] if sysroot else []
    return run_command("qemu", [qemu, *ld_prefix, str(binary)], cwd=cwd, stdin=b"", env=env,
                       files={})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("program", PROGRAMS)
def test_dynamic_program_matches_qemu(program, engine, dynamic, qemu, run_pyemu, tmp_path):
    expected = run_qemu(qemu, dynamic[program], tmp_path / "qemu", SYSROOT)
    assert expected.returncode == 0, expected.stderr
    actual = run_pyemu(dynamic[program], options=ENGINES[engine])
    assert (actual.returncode, actual.stdout) == (expected.returncode, expected.stdout)
    assert actual.guest_stderr() == expected.stderr


def final_state(result) -> dict:
    """What a run ended with: status, output, the --report summary (pc, its symbol, the
    instructions retired) and the --stats count of each system call."""
    stats = re.search(r"^pyemu: stats: syscalls: (.*)$", result.stderr, re.MULTILINE)
    return {"status": result.returncode, "stdout": result.stdout,
            "report": json.loads(result.files["report.json"]),
            "syscalls": stats and stats.group(1)}


@pytest.mark.parametrize("program", PROGRAMS)
def test_tier_up_at_any_point_ends_as_the_python_engine(program, dynamic, qemu, run_pyemu,
                                                        tmp_path):
    """Under --deterministic a run retires the same instructions whatever the engine: the
    switch at the first instruction, in the dynamic loader, in the middle of main's work and
    just before exit must give qemu's output and the python engine's final state."""
    reference = final_state(run_pyemu(dynamic[program],
                                      options=("--engine", "python", *STATE_OPTIONS)))
    oracle = run_qemu(qemu, dynamic[program], tmp_path / "qemu", SYSROOT)
    assert (reference["status"], reference["stdout"]) == (oracle.returncode, oracle.stdout)
    total = reference["report"]["instructions"]
    assert total > 100_000  # the dynamic loader alone runs that many
    for point in (1, 20_000, total // 2, total - 100):
        switched = final_state(run_pyemu(dynamic[program], options=(
            "--engine", "fast", "--tier-up", str(point), *STATE_OPTIONS)))
        assert switched == reference, f"--tier-up {point} of {total}"


@pytest.fixture
def sysroot_copy(tmp_path) -> Path:
    """A sysroot other than the default: the interpreter and libraries the programs need,
    copied under a temporary directory."""
    copy = tmp_path / "sysroot"
    (copy / "lib").mkdir(parents=True)
    for name in ("ld-linux-riscv64-lp64d.so.1", "libc.so.6", "libm.so.6"):
        shutil.copy(SYSROOT / "lib" / name, copy / "lib" / name)
    return copy


@pytest.mark.parametrize("how", ["-L", "QEMU_LD_PREFIX"])
def test_a_sysroot_given_by_option_or_environment_is_used(how, dynamic, sysroot_copy, qemu,
                                                          run_pyemu, tmp_path):
    binary = dynamic["c"]
    if how == "-L":
        env, qemu_root, options = GUEST_ENV, sysroot_copy, ("-L", str(sysroot_copy))
    else:
        env, qemu_root, options = {**GUEST_ENV, "QEMU_LD_PREFIX": str(sysroot_copy)}, None, ()
    expected = run_qemu(qemu, binary, tmp_path / "qemu", qemu_root, env)
    actual = run_pyemu(binary, env=env, options=options)
    assert (actual.returncode, actual.stdout) == (expected.returncode, expected.stdout)
    mapped = [line for line in expected.stdout.decode().splitlines() if line.startswith("mapped")]
    assert mapped == [f"mapped {sysroot_copy}/lib/{name}" for name in
                      ("ld-linux-riscv64-lp64d.so.1", "libc.so.6", "libm.so.6")]
