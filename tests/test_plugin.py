"""The pytest plugin: test files in a pytester sandbox use the `pyemu` fixture on real guests.

The plugin reaches the sandbox through its `pytest11` entry point (the installed package
metadata), as it reaches a user's project; nothing here loads it by hand.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from conftest import PYEMU_CACHE

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def compile_cache(pytester, monkeypatch):
    """The sandbox's HOME is a fresh directory (pytester's): without this, pyemu would not
    find the compiled loop under it and would start compiling it in the background (and
    say so on stderr) for every guest past the tier-up."""
    monkeypatch.setenv("PYEMU_CACHE_DIR", PYEMU_CACHE["PYEMU_CACHE_DIR"])


@pytest.fixture(scope="module")
def exit_status(build_guest):
    return build_guest("exit_status.c")


@pytest.fixture(scope="module")
def args_env(build_guest):
    return build_guest("args_env.c")


def test_entry_point_is_declared():
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("pyemu") == "pyemu.pytest_plugin"


def test_passing_run(pytester, args_env, build_guest):
    stdin_echo = build_guest("stdin_echo.c")
    pytester.makepyfile(f"""
        def test_arguments_and_environment(pyemu, tmp_path):
            result = pyemu.run({str(args_env)!r}, "one", "two words", env={{"ONLY": "this"}},
                               cwd=tmp_path)
            assert result.returncode == 0, result
            assert b"argv[2]=[two words]" in result.stdout
            assert b"ONLY=this" in result.stdout
            assert b"PATH=" not in result.stdout  # env is the guest's whole environment
            assert result.stderr == b""
            assert result.check() is result

        def test_stdin(pyemu):
            result = pyemu.run({str(stdin_echo)!r}, "lines", stdin=b"abc\\nde")
            assert result.check().stdout == (b"1:4:ABC\\n2:2:DE<no newline>\\n"
                                             b"lines=2 eof=1 error=0\\n")
    """)
    outcome = pytester.runpytest()
    outcome.assert_outcomes(passed=2)


def test_failing_run_shows_guest_stderr_and_last_pc(pytester, exit_status):
    pytester.makepyfile(f"""
        def test_abort(pyemu):
            result = pyemu.run({str(exit_status)!r}, "abort")
            assert result.returncode == 0, result

        def test_exit_status_checked(pyemu):
            pyemu.run({str(exit_status)!r}, "exit", "3").check()
    """)
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=2)
    text = outcome.stdout.str()
    # abort(): SIGABRT (6) from inside glibc's raise, pc and symbol shown, and the
    # guest's stdout; check() names the status it wanted.
    assert "status 134 (SIGABRT)" in text
    assert "last pc 0x" in text
    assert "ending by abort" in text
    assert "guest status 3, expected 0" in text


def test_guest_stderr_in_the_failure(pytester, build_guest, tmp_path):
    source = tmp_path / "complain.c"
    source.write_text('#include <stdio.h>\nint main(void)\n{\n'
                      '\tfputs("the widget is broken\\n", stderr);\n\treturn 2;\n}\n')
    complain = build_guest(source)
    pytester.makepyfile(f"""
        def test_complains(pyemu):
            assert pyemu.run({str(complain)!r}).returncode == 0
    """)
    outcome = pytester.runpytest()
    outcome.assert_outcomes(failed=1)
    text = outcome.stdout.str()
    assert "the widget is broken" in text
    assert "status 2" in text
    assert "(_exit+0x" in text  # the last pc, symbolised: the exit system call


def test_ini_options_and_timeout(pytester, build_guest):
    endless = build_guest("endless_output.c")
    pytester.makeini("""
        [pytest]
        pyemu_options = --engine python
    """)
    pytester.makepyfile(f"""
        def test_options_reach_pyemu(pyemu):
            assert pyemu.options == ["--engine", "python"]

        def test_timeout(pyemu):
            pyemu.run({str(endless)!r}, timeout=2)
    """)
    outcome = pytester.runpytest()
    outcome.assert_outcomes(passed=1, failed=1)
    text = outcome.stdout.str()
    assert "did not finish within 2 s" in text
    assert "status 143 (SIGTERM)" in text  # SIGTERM, forwarded to the guest, ended it
    assert "last pc 0x" in text


def test_missing_program(pytester, tmp_path):
    pytester.makepyfile(f"""
        def test_missing(pyemu):
            result = pyemu.run({str(tmp_path / "nowhere")!r})
            assert result.returncode == 127
            assert result.pc is None
            assert b"pyemu:" in result.stderr
            assert "never started" in repr(result)
    """)
    pytester.runpytest().assert_outcomes(passed=1)
