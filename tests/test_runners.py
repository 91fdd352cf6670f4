"""pyemu as a build system's test runner: a real cross-compiled project (tests/projects/greeter:
a shared library, a configure-time run check, four tests of which one fails on purpose) is
configured, built and tested with CMake + ctest and with Meson, through pyemu; a Cargo project
(tests/projects/cargo_greeter: a library, a program, a passing and a deliberately failing test)
is run and tested with Cargo, through pyemu.

The toolchain file, the cross file and Cargo's configuration are the ones docs/runners.md shows,
read out of it, so the documented snippets are the tested ones. They name `pyemu`: a `pyemu` on PATH here runs
this checkout's (`python -m pyemu` of the interpreter running the tests).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "tests" / "projects" / "greeter"
CARGO_PROJECT = ROOT / "tests" / "projects" / "cargo_greeter"
RUST_TARGET = "riscv64gc-unknown-linux-gnu"
RUNNERS_DOC = ROOT / "docs" / "runners.md"
STEP_TIMEOUT = 300  # seconds for one configure, build or test step
PASSING = ("greets", "sums", "refuses")  # refuses fails as it is declared to


def documented_files() -> dict[str, str]:
    """The code blocks of docs/runners.md that begin with `# FILENAME`, by file name."""
    blocks = re.findall(r"```\w+\n# (\S+)\n(.*?)```", RUNNERS_DOC.read_text(), re.DOTALL)
    return {name: f"# {name}\n{body}" for name, body in blocks}


@pytest.fixture
def runner_env(tmp_path: Path, cross_cc: str) -> dict[str, str]:
    """An environment whose PATH has a `pyemu` running this checkout, then the host's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "pyemu"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pyemu "$@"\n')
    wrapper.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def step(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT, check=False)


def must_succeed(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, f"{' '.join(done.args)}\n{done.stdout}\n{done.stderr}"


def test_docs_show_the_three_runners():
    files = documented_files()
    assert "set(CMAKE_CROSSCOMPILING_EMULATOR pyemu" in files["riscv64-linux-gnu.cmake"]
    assert "exe_wrapper = ['pyemu'" in files["riscv64-linux-gnu.ini"]
    cargo = files[".cargo/config.toml"]
    assert "[target.riscv64gc-unknown-linux-gnu]" in cargo and 'runner = "pyemu' in cargo


def test_cmake_ctest(tmp_path, runner_env):
    cmake, _ = require_tool("cmake"), require_tool("ninja")
    toolchain = tmp_path / "riscv64-linux-gnu.cmake"
    toolchain.write_text(documented_files()[toolchain.name])
    build = tmp_path / "build"
    configured = step([cmake, "-S", str(PROJECT), "-B", str(build), "-G", "Ninja",
                       f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"], tmp_path, runner_env)
    must_succeed(configured)
    assert "Performing Test RUNS_64_BIT - Success" in configured.stdout  # ran under pyemu
    must_succeed(step([cmake, "--build", str(build)], tmp_path, runner_env))

    tested = step(["ctest", "--test-dir", str(build), "--output-on-failure"], tmp_path,
                  runner_env)
    report = tested.stdout
    assert tested.returncode == 8, report  # ctest's status when a test failed
    for name in PASSING:
        assert re.search(rf"Test +#\d+: {name} \.+ +Passed", report), report
    assert re.search(r"Test +#\d+: deliberately_failing \.+\*+Failed", report), report
    assert "75% tests passed, 1 tests failed out of 4" in report
    assert "this test fails on purpose" in report  # the guest's stderr, shown by ctest


def test_meson_test(tmp_path, runner_env):
    meson, _ = require_tool("meson"), require_tool("ninja")
    cross = tmp_path / "riscv64-linux-gnu.ini"
    cross.write_text(documented_files()[cross.name])
    build = tmp_path / "build"
    configured = step([meson, "setup", str(build), str(PROJECT), "--cross-file", str(cross)],
                      tmp_path, runner_env)
    must_succeed(configured)
    assert 'Checking if "RUNS_64_BIT" runs: YES' in configured.stdout  # ran under pyemu

    tested = step([meson, "test", "-C", str(build), "--print-errorlogs"], tmp_path,
                  runner_env)
    report = tested.stdout
    assert tested.returncode == 1, report
    assert re.search(r"greets +OK", report) and re.search(r"sums +OK", report), report
    assert re.search(r"refuses +EXPECTEDFAIL", report), report
    assert re.search(r"deliberately_failing +FAIL .*exit status 134", report), report
    assert re.search(r"Ok: +2\b", report) and re.search(r"Fail: +1\b", report), report
    assert "this test fails on purpose" in report


@pytest.fixture
def cargo_project(tmp_path: Path, runner_env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """A copy of tests/projects/cargo_greeter (Cargo writes Cargo.lock beside Cargo.toml) in a
    directory whose `.cargo/config.toml` is the documented one, and the environment to build it
    in, with the build output in the temporary directory too."""
    require_tool("cargo"), require_tool("rustc")
    config = tmp_path / ".cargo" / "config.toml"
    config.parent.mkdir()
    config.write_text(documented_files()[".cargo/config.toml"])
    project = tmp_path / CARGO_PROJECT.name
    shutil.copytree(CARGO_PROJECT, project, ignore=shutil.ignore_patterns("target", "Cargo.lock"))
    return project, {**runner_env, "CARGO_TARGET_DIR": str(tmp_path / "target")}


def cargo(project: Path, env: dict[str, str], command: str, *args: str
          ) -> subprocess.CompletedProcess:
    return step(["cargo", command, "--offline", "--target", RUST_TARGET, *args], project, env)


def test_cargo_run(cargo_project):
    project, env = cargo_project
    ran = cargo(project, env, "run", "--", "world")
    must_succeed(ran)
    assert ran.stdout == "hello, world\n"
    # Cargo names the command it ran: the runner in front of the program and its arguments.
    assert re.search(r"Running `pyemu -L /usr/riscv64-linux-gnu \S+/greeter world`", ran.stderr), \
        ran.stderr


def test_cargo_test(cargo_project):
    project, env = cargo_project
    tested = cargo(project, env, "test", "--no-fail-fast")
    report = tested.stdout + tested.stderr
    assert tested.returncode == 101, report  # Cargo's status when a test failed
    assert re.search(r"Running tests/sums\.rs \(\S+/sums-\w+\)", report), report
    assert "sums: 1 + ... + 100 is 5050" in tested.stdout  # the passing test ran
    assert re.search(r"didn't exit successfully: `pyemu -L /usr/riscv64-linux-gnu "
                     r"\S+/deliberately_failing-\w+` \(exit status: 1\)", report), report
    assert "this test fails on purpose" in tested.stderr  # the failing test's stderr
    assert "error: 1 target failed:\n    `--test deliberately_failing`" in report, report
