"""Differential tests of vector (and other RVA23) instructions: qemu 10 is the oracle.

A VectorCase is an assembly body and the state it starts from: vtype and the AVL given to
vsetvl, vxrm, vxsat, the x registers and the vector registers (random bytes unless given).
Cases are batched into one freestanding RV64 program per VLEN; for each case the program

  1. loads v0..v31 (vl8re8.v), sets vtype/vl (vsetvl), vxrm and vxsat, points sp at the
     case's 512-byte scratch buffer and loads x1, x3..x31,
  2. runs the body (which must leave sp as it found it),
  3. stores x1..x31, then vl, vtype, vstart, vxrm, vxsat and fcsr, then v0..v31 just below
     the scratch buffer and writes that block and the buffer to stdout.

The program runs once under qemu 10 (-cpu rva23u64, or V at another VLEN) and once under each
pyemu engine; each case then compares its own block and names what differs.
"""

from __future__ import annotations

import hashlib
import random
import struct
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import oracles
from pyemu.emulator.cpu import ABI_NAMES as X_NAMES

CC = "riscv64-linux-gnu-gcc"
GUESTS = Path(__file__).resolve().parent / "guests"
MARCH = "rv64gcv_zba_zbb_zbs_zfhmin_zicbom_zicbop_zicboz_zawrs_zihintpause"
CFLAGS = (f"-march={MARCH}", "-mabi=lp64d", "-nostdlib", "-static", "-fno-pic", "-no-pie",
          "-Wl,--no-relax")
PYEMU = (sys.executable, "-m", "pyemu")
RUN_TIMEOUT = 300
SCRATCH_SIZE = 512
X_SIZE = 256
CSR_NAMES = ("vl", "vtype", "vstart", "vxrm", "vxsat", "fcsr")
CSR_SIZE = 64
MASK64 = (1 << 64) - 1
DEFAULT_SCRATCH = bytes((i * 0x9D + 0x31) & 0xFF for i in range(SCRATCH_SIZE))


def _default_x() -> tuple[int, ...]:
    rng = random.Random(0x7EC)
    return tuple(rng.getrandbits(64) for _ in range(32))


DEFAULT_X = _default_x()


def vtype(sew: int, lmul: str, ta: bool = True, ma: bool = True) -> int:
    """vtype's bits for SEW (8..64), LMUL ("1", "2", "4", "8", "f2", "f4", "f8")."""
    vlmul = {"1": 0, "2": 1, "4": 2, "8": 3, "f8": 5, "f4": 6, "f2": 7}[lmul]
    return vlmul | {8: 0, 16: 1, 32: 2, 64: 3}[sew] << 3 | ta << 6 | ma << 7


@dataclass
class VectorCase:
    id: str
    body: str
    vtype: int = 0xD0  # e32, m1, ta, ma
    avl: int = MASK64  # VLMAX
    vxrm: int = 0
    vxsat: int = 0
    x: Mapping[int, int] = field(default_factory=dict)
    vregs: bytes | None = None  # 32 * VLENB bytes; None: random ones from the case's id
    scratch: bytes = DEFAULT_SCRATCH

    def registers(self, vlenb: int) -> bytes:
        if self.vregs is not None:
            return self.vregs.ljust(32 * vlenb, b"\0")[:32 * vlenb]
        rng = random.Random(self.id)
        return bytes(rng.getrandbits(8) for _ in range(32 * vlenb))


def block_size(vlenb: int) -> int:
    return 32 * vlenb + CSR_SIZE + X_SIZE + SCRATCH_SIZE


def _dwords(values: Sequence[int]) -> str:
    return "\n".join(f"    .dword {v & MASK64:#x}" for v in values)


def _bytes(data: bytes) -> str:
    return "\n".join("    .byte " + ", ".join(str(b) for b in data[i:i + 32])
                     for i in range(0, len(data), 32))


def program_source(cases: Sequence[VectorCase], vlenb: int) -> str:
    text, data = [".text", ".globl _start", "_start:"], [".data"]
    for n, c in enumerate(cases):
        x = [c.x.get(i, DEFAULT_X[i]) for i in range(32)]
        data += [".balign 64", f"case{n}_v:", _bytes(c.registers(vlenb)),
                 f"case{n}_csr:", _dwords([c.avl, c.vtype, c.vxrm, c.vxsat]),
                 f"case{n}_x:", _dwords(x),
                 f"case{n}_block:", f"    .skip {32 * vlenb + CSR_SIZE + X_SIZE}",
                 f"case{n}_scratch:", _bytes(c.scratch)]
        text += [f"# case {c.id}", f"    la t0, case{n}_v", "    csrr t1, vlenb",
                 "    slli t1, t1, 3"]
        for group in (0, 8, 16, 24):
            text += [f"    vl8re8.v v{group}, (t0)", "    add t0, t0, t1"]
        text += [f"    la t0, case{n}_csr", "    ld t1, 0(t0)", "    ld t2, 8(t0)",
                 "    vsetvl zero, t1, t2", "    ld t1, 16(t0)", "    csrw vxrm, t1",
                 "    ld t1, 24(t0)", "    csrw vxsat, t1", f"    la sp, case{n}_scratch",
                 f"    la t6, case{n}_x"]
        text += [f"    ld x{i}, {8 * i}(t6)" for i in range(1, 32) if i != 2]
        text += [c.body]
        text += [f"    sd x{i}, {8 * i - X_SIZE}(sp)" for i in range(1, 32) if i != 2]
        text.append(f"    addi t0, sp, {-X_SIZE - CSR_SIZE}")
        for k, csr in enumerate(CSR_NAMES):
            text += [f"    csrr t1, {csr}", f"    sd t1, {8 * k}(t0)"]
        text += ["    csrr t1, vlenb", "    slli t1, t1, 3", "    slli t2, t1, 2",
                 "    sub t0, t0, t2"]
        for group in (0, 8, 16, 24):
            text += [f"    vs8r.v v{group}, (t0)", "    add t0, t0, t1"]
        text += ["    li a0, 1", f"    la a1, case{n}_block", f"    li a2, {block_size(vlenb)}",
                 "    li a7, 64", "    ecall"]
    text += ["    li a0, 0", "    li a7, 93", "    ecall"]
    return "\n".join(text + data) + "\n"


@dataclass
class State:
    x: list[int]
    csrs: dict[str, int]
    v: bytes
    scratch: bytes


def decode(stdout: bytes, vlenb: int) -> list[State]:
    size = block_size(vlenb)
    states = []
    for at in range(0, len(stdout) - size + 1, size):
        block = stdout[at:at + size]
        vr = 32 * vlenb
        csrs = dict(zip(CSR_NAMES, struct.unpack_from("<6Q", block, vr)))
        x = [0, *struct.unpack_from("<31Q", block, vr + CSR_SIZE + 8)]
        x[2] = 0  # sp: the scratch address, the same by construction
        states.append(State(x, csrs, block[:vr], block[vr + CSR_SIZE + X_SIZE:]))
    return states


def differences(expected: State, actual: State, vlenb: int) -> list[str]:
    out = [f"{X_NAMES[i]}: qemu {expected.x[i]:#x}, pyemu {actual.x[i]:#x}"
           for i in range(32) if expected.x[i] != actual.x[i]]
    out += [f"{k}: qemu {expected.csrs[k]:#x}, pyemu {actual.csrs[k]:#x}"
            for k in CSR_NAMES if expected.csrs[k] != actual.csrs[k]]
    for r in range(32):
        theirs, ours = (s.v[r * vlenb:(r + 1) * vlenb] for s in (expected, actual))
        if theirs != ours:
            out.append(f"v{r}: qemu {theirs[::-1].hex()}, pyemu {ours[::-1].hex()}")
    for at in range(0, SCRATCH_SIZE, 16):
        theirs, ours = expected.scratch[at:at + 16], actual.scratch[at:at + 16]
        if theirs != ours:
            out.append(f"scratch+{at}: qemu {theirs.hex()}, pyemu {ours.hex()}")
    return out


def qemu_command(vlen: int) -> list[str]:
    return oracles.qemu10_command(vlen)


def pyemu_command(engine: str, vlen: int) -> list[str]:
    tier = ["--tier-up", "0"] if engine == "fast" else []
    return [*PYEMU, "--engine", engine, *tier, "--vlen", str(vlen)]


def build(cases: Sequence[VectorCase], vlenb: int, cache: Path) -> Path:
    source = program_source(cases, vlenb)
    key = hashlib.sha256(source.encode() + " ".join(CFLAGS).encode()).hexdigest()[:16]
    binary = cache / f"vector-{key}"
    if not binary.exists():
        path = cache / f"vector-{key}.S"
        path.write_text(source)
        partial = binary.with_suffix(".tmp")
        done = subprocess.run([CC, *CFLAGS, "-o", str(partial), str(path)],
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise AssertionError(f"assembling the cases failed:\n{done.stderr[-3000:]}")
        partial.rename(binary)
    return binary


def run(command: Sequence[str], binary: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*command, str(binary)], capture_output=True, timeout=RUN_TIMEOUT,
                          check=False, env={"PATH": "/usr/bin:/bin", "LANG": "C"})
