"""A fixed-seed sample of each fuzz campaign (python -m fuzz runs long ones): mutated ELF
files, random instruction words (both engines must end the same way), random system calls.
None may give a traceback, an internal error, a hang, or a file outside the sandbox."""

from __future__ import annotations

import pytest

from fuzz.campaign import campaign

SAMPLE = {"elf": 16, "insn": 12, "syscall": 16}  # cases per kind


@pytest.mark.parametrize("kind", SAMPLE)
def test_fuzz_sample_finds_nothing(kind, cross_cc):
    lines = []
    [report] = campaign([kind], SAMPLE[kind], seed="ci", log=lines.append)
    assert report.cases == SAMPLE[kind]
    assert report.findings == [], "\n".join(lines)
    # The sample must reach the guest, not only the loader's refusals.
    assert sum(n for name, n in report.outcomes.items() if name != "not loaded") > 0
