"""The random campaigns on the field's libraries, each a pytest test:

- random instruction sequences (Hypothesis): both engines and qemu-riscv64 must end each
  program the same way;
- random system-call sequences (Hypothesis): no traceback, internal error, hang or file
  outside the sandbox;
- the ELF loader and system-call argument decoding, coverage-guided (atheris, libFuzzer).

Hypothesis shrinks a failure to a minimal case and keeps it in its example database, which
replays it first next time. In CI each runs a small fixed sample; a long run sets
PYEMU_CAMPAIGN_EXAMPLES (Hypothesis examples per shard), PYEMU_CAMPAIGN_SHARDS (Hypothesis
shards, each its own seed: pytest-xdist spreads them over cores or machines with --tx),
PYEMU_ATHERIS_RUNS and PYEMU_CAMPAIGN_DIR (where the example database and the atheris corpora
are kept between runs). docs/testing.md has the commands.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TESTS_DIR
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from fuzz.campaign import Campaign
from fuzz.cases import seed_program
from fuzz.harness import warm_up
from fuzz.strategies import instruction_cases, syscall_cases

EXAMPLES = int(os.environ.get("PYEMU_CAMPAIGN_EXAMPLES", "6"))
SHARDS = range(int(os.environ.get("PYEMU_CAMPAIGN_SHARDS", "1")))
ATHERIS_RUNS = int(os.environ.get("PYEMU_ATHERIS_RUNS", "400"))
KEPT = os.environ.get("PYEMU_CAMPAIGN_DIR")  # None: this run's own temporary directory


@pytest.fixture(scope="module")
def campaign_dir(tmp_path_factory) -> Path:
    return Path(KEPT) if KEPT else tmp_path_factory.mktemp("campaigns")


@pytest.fixture(scope="module")
def runner(tmp_path_factory, qemu) -> Campaign:
    warm_up()  # before the campaign forks its cases
    return Campaign(tmp_path_factory.mktemp("cases"), seed="hypothesis", qemu=True,
                    log=lambda _: None)


def hypothesis_settings(database: Path) -> settings:
    return settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
                    database=DirectoryBasedExampleDatabase(database),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# Random instruction sequences must end alike in both engines and qemu; random system-call
# sequences without a traceback, an internal error, a hang or a file outside the sandbox.
STRATEGIES = {"instructions": instruction_cases, "system-calls": syscall_cases}


@pytest.mark.parametrize("shard", SHARDS)
@pytest.mark.parametrize("kind", STRATEGIES)
def test_hypothesis_campaign_finds_nothing(kind, shard, runner, campaign_dir):
    @seed(shard)
    @hypothesis_settings(campaign_dir / "hypothesis" / kind)
    @given(STRATEGIES[kind]())
    def campaign(case):
        problems, detail, _ = runner.try_case(case)
        assert not problems, f"{', '.join(problems)} ({case.note})\n{detail}"

    campaign()


# The target runs in a child (libFuzzer ends its process); fuzz/ is found as the tests find it.
ATHERIS = ("import sys; sys.path.append(sys.argv.pop(1)); "
           "from fuzz.atheris_targets import main; main(sys.argv)")


@pytest.mark.parametrize("kind", ["elf", "syscall"])
def test_coverage_guided_campaign_finds_nothing(kind, campaign_dir, tmp_path):
    corpus = campaign_dir / f"atheris-{kind}"
    corpus.mkdir(parents=True, exist_ok=True)
    if kind == "elf":
        for xlen in (64, 32):
            (corpus / f"seed{xlen}").write_bytes(seed_program(xlen))
    findings = tmp_path / "findings"
    findings.mkdir()
    command = [sys.executable, "-c", ATHERIS, str(TESTS_DIR.parent), kind, str(corpus),
               f"-runs={ATHERIS_RUNS}", "-seed=1", "-max_len=2048", "-len_control=0",
               f"-artifact_prefix={findings}/"]
    done = subprocess.run(command, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=3600, check=False)
    assert (done.returncode, sorted(os.listdir(findings))) == (0, []), done.stderr[-6000:]
    assert f"Done {ATHERIS_RUNS} runs" in done.stderr
