"""RV32: 32-bit ELF programs run on the same core, parameterised by XLEN, as under
qemu-riscv32 (both engines)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GUESTS = Path(__file__).resolve().parent / "guests" / "rv32"
RV32_FLAGS = ("-march=rv32imac", "-mabi=ilp32", "-nostdlib", "-static", "-ffreestanding",
              "-O2", "-Wl,-melf32lriscv", "-Wl,--no-relax")  # no gp: _start does not set it


@pytest.fixture(scope="module")
def qemu32() -> str:
    path = shutil.which("qemu-riscv32")
    if path is None:
        pytest.fail("qemu-riscv32 is needed (apt-get install qemu-user)")
    return path


@pytest.mark.parametrize("engine", ["python", "fast"])
@pytest.mark.parametrize("source", sorted(p.name for p in GUESTS.glob("*.c")))
def test_rv32_guest_matches_qemu_riscv32(source, engine, cross_cc, qemu32, tmp_path):
    binary = tmp_path / Path(source).stem
    subprocess.run([cross_cc, *RV32_FLAGS, "-o", binary, GUESTS / source], check=True)
    expected = subprocess.run([qemu32, binary], capture_output=True, timeout=60, check=False)
    # --tier-up 0: the fast engine's compiled loop from the first instruction
    actual = subprocess.run([sys.executable, "-m", "pyemu", "--engine", engine, "--tier-up", "0",
                             binary],
                            capture_output=True, timeout=300, cwd=tmp_path, check=False)
    assert actual.stderr == b""
    assert (actual.stdout, actual.returncode) == (expected.stdout, expected.returncode)
    assert expected.stdout.count(b"\n") > 10
