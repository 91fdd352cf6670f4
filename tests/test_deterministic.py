"""--deterministic and --seed: two runs of a program that reads every clock, sleeps, waits with
a timeout, draws random bytes (getrandom, AT_RANDOM, /dev/urandom), prints its ids and
addresses, races threads for a lock and forks print the same bytes and retire the same number
of instructions (the `--stats` count), on the reference engine and on the compiled loop.

There is no oracle here: qemu has no such mode. What is checked against is the design (time
starts at 2024-01-01 00:00:00 UTC and the monotonic clocks at 100 s, 1 ns per instruction,
sleeps skip ahead) and, as a control, that runs without the option do differ.
"""

from __future__ import annotations

import re
import time

import pytest

EPOCH = 1_704_067_200  # 2024-01-01 00:00:00 UTC
NAP_NS = 1_500_000_000  # the guest's nanosleep


@pytest.fixture(scope="module")
def guest(build_guest):
    return build_guest("deterministic.c")


def lines(result) -> dict[str, str]:
    """The guest's output lines by their first word(s) ("clock realtime", "getrandom", ...)."""
    assert result.returncode == 0, result.stderr
    named = {}
    for line in result.stdout.decode().splitlines():
        words = line.split(" ")
        key = " ".join(words[:2]) if words[0] in ("clock", "child", "parent", "lock") else words[0]
        named[key] = line[len(key) + 1:]
    return named


def instruction_counts(result) -> list[int]:
    """--stats counts: the parent's, and the forked child's (which ends first)."""
    return sorted(int(n) for n in re.findall(r"pyemu: stats: instructions=(\d+)", result.stderr))


@pytest.mark.parametrize("engine", [["--engine", "python"], ["--tier-up", "0"]],
                         ids=["python", "compiled"])
def test_two_runs_are_identical(guest, run_pyemu, engine):
    options = ["--deterministic", "--stats", *engine]
    first, second = run_pyemu(guest, options=options), run_pyemu(guest, options=options)
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    counts = instruction_counts(first)
    assert len(counts) == 2 and counts == instruction_counts(second)
    out = lines(first)
    # The threads really took turns (many runs of each letter), in the same order both times.
    assert len(out["lock order"].split()) > 20, out["lock order"]


def test_virtual_time_and_seeded_randomness(guest, run_pyemu):
    out = lines(run_pyemu(guest, options=["--deterministic"]))
    assert out["time"] == str(EPOCH)
    realtime = float(out["clock realtime"])
    assert EPOCH < realtime < EPOCH + 0.001  # a few thousand instructions after the epoch
    assert 100 < float(out["clock monotonic"]) < 100.001
    assert 0 < float(out["clock process"]) < 0.001
    slept = int(out["slept"].split()[0])
    assert NAP_NS < slept < NAP_NS + 10_000  # the sleep, plus the instructions around it
    assert out["timed"].startswith("wait timed out, ")  # the 2 s wait ended by virtual time
    assert int(out["rdtime"]) // 10_000_000 == 100  # 10 MHz timebase, from the same clock
    assert out["pid"].startswith("1000 tid 1000 ")
    assert out["child getrandom"] != out["parent getrandom"]  # a forked child has its own
    end = float(out["end"])
    assert EPOCH + 3.5 < end < EPOCH + 3.6  # 1.5 s nap + 2 s timed wait + the work

    other = lines(run_pyemu(guest, options=["--seed", "1"]))
    for key in ("getrandom", "AT_RANDOM", "urandom", "child getrandom", "parent getrandom"):
        assert other[key] != out[key], key
    assert other["time"] == out["time"] and other["pid"] == out["pid"]


def test_without_the_option_runs_differ(guest, run_pyemu):
    """The control: the guest does see the host's time and entropy by default."""
    first, second = lines(run_pyemu(guest)), lines(run_pyemu(guest))
    for key in ("getrandom", "AT_RANDOM", "urandom"):
        assert first[key] != second[key], key
    assert abs(int(first["time"]) - time.time()) < 3600  # the host's clock, not the epoch
