"""The oracles of the vector extension and RVA23: qemu 10 and zig cc, fetched into a cache.

Debian 12's qemu-user (7.2) knows neither V 1.0 nor most of RVA23U64; Debian 13's (qemu 10)
does, and ships qemu-riscv64 as a static binary that runs on Debian 12 as it is. `qemu10()`
fetches that package with an apt configuration of its own (Debian 13, amd64, download only:
nothing is installed, the system's qemu 7.2 stays) and unpacks it with `dpkg-deb -x` into
~/.cache/pyemu/qemu10 (or $PYEMU_QEMU10_DIR). `zig_cc()` is the C compiler of PyPI's ziglang
package (a test extra), which builds RV64 guests with the vector extension against musl.

Run as a script, it fetches qemu 10 and prints the path of its qemu-riscv64 (CI's set-up step).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CACHE = Path(os.environ.get("PYEMU_QEMU10_DIR",
                            Path.home() / ".cache" / "pyemu" / "qemu10"))
DEBIAN_13_SOURCES = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-trixie-stable.gpg \
/usr/share/keyrings/debian-archive-trixie-automatic.gpg
"""
# qemu 10's CPU model of the profile, and of V at another VLEN (VLEN is its only difference).
RVA23 = ("-cpu", "rva23u64")


class OracleMissing(Exception):
    """An oracle could not be fetched or run (the message says why)."""


def qemu10() -> Path:
    """The path of qemu 10's qemu-riscv64, fetched and unpacked on first use."""
    binary = CACHE / "root" / "usr" / "bin" / "qemu-riscv64"
    if not binary.exists():
        _fetch_qemu_user()
    if not binary.exists():
        raise OracleMissing(f"Debian 13's qemu-user has no {binary.name}")
    return binary


def qemu10_command(vlen: int = 128) -> list[str]:
    """The command line prefix that runs a RISC-V program under qemu 10 with RVA23U64, or V at
    another VLEN."""
    cpu = RVA23 if vlen == 128 else ("-cpu", f"rva23u64,vlen={vlen}")
    return [str(qemu10()), *cpu]


def qemu10_rv32_command(vlen: int = 128) -> list[str]:
    """The same for RV32 (RVA23 is a 64-bit profile): qemu 10's qemu-riscv32 with V."""
    return [str(qemu10().with_name("qemu-riscv32")), "-cpu", f"rv32,v=true,vlen={vlen}"]


def _apt(apt_dir: Path, *args: str) -> None:
    options = [
        f"-o=Dir={apt_dir}",
        f"-o=Dir::Etc::SourceList={apt_dir / 'sources.list'}",
        f"-o=Dir::Etc::SourceParts={apt_dir / 'sources.list.d'}",
        f"-o=Dir::Etc::Preferences={apt_dir / 'preferences'}",
        f"-o=Dir::Etc::PreferencesParts={apt_dir / 'preferences.d'}",
        f"-o=Dir::State={apt_dir / 'state'}",
        f"-o=Dir::Cache={apt_dir / 'cache'}",
        "-o=APT::Architecture=amd64",
        "-o=APT::Architectures=amd64",
        "-o=Debug::NoLocking=1",
    ]
    done = subprocess.run(["apt-get", "-q", *options, *args], cwd=apt_dir,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise OracleMissing(f"apt-get {' '.join(args)} failed: {done.stderr.strip()[-500:]}")


def _fetch_qemu_user() -> None:
    """Download Debian 13's qemu-user .deb (only it: its binaries are static) and unpack it."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise OracleMissing("apt-get and dpkg-deb are needed to fetch qemu 10")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as work:
        apt_dir = Path(work)
        (apt_dir / "sources.list.d").mkdir()
        (apt_dir / "preferences.d").mkdir()
        (apt_dir / "sources.list").write_text("")
        (apt_dir / "sources.list.d" / "debian13.sources").write_text(DEBIAN_13_SOURCES)
        (apt_dir / "state" / "lists" / "partial").mkdir(parents=True)
        (apt_dir / "cache" / "archives" / "partial").mkdir(parents=True)
        (apt_dir / "state" / "status").write_text("")
        _apt(apt_dir, "update")
        _apt(apt_dir, "download", "qemu-user")
        debs = sorted(apt_dir.glob("qemu-user_*.deb"))
        if not debs:
            raise OracleMissing("apt-get download qemu-user left no package")
        # Unpacked next to the final place, then renamed: concurrent test workers never see
        # half a tree.
        unpacked = apt_dir / "root"
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)], check=True)
        try:
            unpacked.rename(CACHE / "root")
        except OSError:
            if not (CACHE / "root").exists():
                raise


def zig_cc() -> list[str]:
    """The command that runs zig's C compiler (ziglang, a test extra)."""
    try:
        import ziglang  # noqa: F401 - only its presence is checked here
    except ImportError as missing:
        raise OracleMissing("the ziglang package is not installed (pip install -e '.[test]')") \
            from missing
    return [sys.executable, "-m", "ziglang", "cc"]


# zig's CPU names: baseline_rv64 is RV64GC (generic_rv64 lacks the A extension musl needs).
ZIG_RV64V = ("-target", "riscv64-linux-musl", "-mcpu=baseline_rv64+v")
ZIG_RV32V = ("-target", "riscv32-linux-musl", "-mcpu=baseline_rv32+v")


if __name__ == "__main__":
    print(qemu10())
