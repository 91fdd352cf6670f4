"""V 1.0 and RVA23's other extensions against qemu 10 (tests/oracles.py fetches it).

Hand-written sequences and random ones (random vtype, vl and operands) run under qemu 10 and
pyemu's engines; the vector registers, the vector CSRs, x registers and memory must agree
(tests/vector_harness.py). Whole programs built with zig cc for RV64+V compare stdout and
exit status.
"""

from __future__ import annotations

import functools
import os
import random
import subprocess
from pathlib import Path

import oracles
import pytest
import vector_harness as vh
from vector_harness import VectorCase, vtype

ENGINES = ("python", "fast")
# (engine, VLEN) runs of the cases: every VLEN on the reference engine, qemu's default on both.
RUNS = [("python", 128), ("fast", 128), ("python", 256), ("python", 512), ("python", 1024)]

# Body snippets: a0 points at the scratch buffer, whose bytes are known.
SCRATCH = "    mv a0, sp\n"

def op_v(funct6: int, funct3: int, vd: int, vs2: int, vs1: int, vm: int = 1) -> str:
    """An OP-V instruction as a .insn line, from the spec's layout (binutils 2.40, which
    assembles these tests, predates Zvbb)."""
    word = funct6 << 26 | vm << 25 | vs2 << 20 | vs1 << 15 | funct3 << 12 | vd << 7 | 0x57
    return f"    .insn {word:#010x}\n"


OPIVV, OPMVV, OPIVI, OPIVX = 0, 2, 3, 4
# Zvbb: vandn (funct6 1), vror (0x14, vror.vi's imm[5] in funct6's low bit), vrol (0x15), the
# unary ones (funct6 0x12 with OPMVV, named by vs1), vwsll (0x35). a2 is x12.
ZVBB_BODY = (op_v(0x01, OPIVV, 1, 2, 3) + op_v(0x01, OPIVX, 4, 5, 12, vm=0)
             + op_v(0x15, OPIVX, 6, 7, 12) + op_v(0x14, OPIVV, 8, 9, 10)
             + op_v(0x14 | 1, OPIVI, 11, 12, 13) + op_v(0x12, OPMVV, 13, 14, 0b01000)
             + op_v(0x12, OPMVV, 15, 16, 0b01001) + op_v(0x12, OPMVV, 17, 18, 0b01010)
             + op_v(0x12, OPMVV, 19, 20, 0b01100) + op_v(0x12, OPMVV, 21, 22, 0b01101, vm=0)
             + op_v(0x12, OPMVV, 23, 24, 0b01110) + op_v(0x12, OPMVV, 25, 26, 0b01100))
VWSLL_BODY = (op_v(0x35, OPIVV, 2, 4, 5) + op_v(0x35, OPIVX, 6, 8, 12)
              + op_v(0x35, OPIVI, 10, 12, 17, vm=0) + op_v(0x35, OPIVI, 14, 16, 3))

HAND_WRITTEN = [
    # configuration
    VectorCase("vsetvli-e8m1", "    li a1, 100\n    vsetvli a2, a1, e8, m1, ta, ma"),
    VectorCase("vsetvli-e16mf2-small", "    li a1, 3\n    vsetvli a2, a1, e16, mf2, tu, mu"),
    VectorCase("vsetvli-e64m8-vlmax", "    vsetvli a2, zero, e64, m8, ta, ma"),
    VectorCase("vsetvli-keep-vl", "    vsetvli zero, zero, e16, m2, ta, ma"),
    VectorCase("vsetvli-e64mf8-vill", "    li a1, 4\n    vsetvli a2, a1, e64, mf8, ta, ma"),
    VectorCase("vsetivli", "    vsetivli a2, 7, e32, m2, ta, mu"),
    VectorCase("vsetvl-reserved", "    li a1, 4\n    li a3, 0x100\n    vsetvl a2, a1, a3"),
    VectorCase("vsetvl-avl-between", "    li a1, 20\n    li a3, 0x10\n    vsetvl a2, a1, a3"),
    # loads and stores
    VectorCase("vle8-vse8", SCRATCH + "    vle8.v v1, (a0)\n    addi a1, a0, 64\n"
               "    vse8.v v1, (a1)", vtype=vtype(8, "1")),
    VectorCase("vle32-masked", SCRATCH + "    vle32.v v4, (a0), v0.t", vtype=vtype(32, "1"),
               avl=3),
    VectorCase("vle16-m4", SCRATCH + "    vle16.v v8, (a0)\n    addi a1, a0, 200\n"
               "    vse16.v v8, (a1), v0.t", vtype=vtype(16, "4")),
    VectorCase("vlse64-negative", SCRATCH + "    addi a0, a0, 256\n    li a1, -24\n"
               "    vlse64.v v2, (a0), a1\n    vsse32.v v2, (sp), a1",
               vtype=vtype(64, "2")),
    VectorCase("vsse-stride0", SCRATCH + "    li a1, 0\n    vsse8.v v3, (a0), a1",
               vtype=vtype(8, "1"), avl=5),
    VectorCase("vluxei8", SCRATCH + "    vid.v v6\n    vadd.vv v6, v6, v6\n"
               "    vsetvli zero, zero, e32, m4, ta, ma\n    vluxei8.v v8, (a0), v6",
               vtype=vtype(8, "1")),
    VectorCase("vsoxei16", SCRATCH + "    vid.v v6\n    vsll.vi v6, v6, 3\n"
               "    vsoxei16.v v1, (a0), v6, v0.t", vtype=vtype(16, "1")),
    VectorCase("vlseg3e16", SCRATCH + "    vlseg3e16.v v10, (a0)\n    addi a1, a0, 100\n"
               "    vsseg3e16.v v10, (a1)", vtype=vtype(16, "1"), avl=7),
    VectorCase("vlsseg2e32-m2", SCRATCH + "    li a1, 20\n    vlsseg2e32.v v4, (a0), a1",
               vtype=vtype(32, "2")),
    VectorCase("vloxseg4ei8", SCRATCH + "    vid.v v1\n    vsetvli zero, zero, e64, m1\n"
               "    vloxseg4ei8.v v12, (a0), v1", vtype=vtype(8, "f8")),
    VectorCase("whole-registers", SCRATCH + "    vl2re32.v v2, (a0)\n    addi a1, a0, 64\n"
               "    vs4r.v v4, (a1)\n    vl1re64.v v31, (a0)", vtype=vtype(8, "1"), avl=1),
    VectorCase("vlm-vsm", SCRATCH + "    vlm.v v3, (a0)\n    addi a1, a0, 40\n"
               "    vsm.v v5, (a1)", vtype=vtype(8, "2"), avl=27),
    VectorCase("vle8ff", SCRATCH + "    vle8ff.v v2, (a0)", vtype=vtype(8, "1")),
    VectorCase("vstart-csr", "    csrwi vstart, 3\n    vadd.vv v1, v2, v3"),
    VectorCase("vcsr", "    li a1, 7\n    csrw vcsr, a1\n    csrr a2, vcsr\n    csrr a3, vlenb\n"
               "    csrwi vxrm, 2\n    csrr a4, vcsr"),
    # integer arithmetic
    VectorCase("vadd-vsub", "    vadd.vv v1, v2, v3\n    vsub.vx v4, v5, a1\n"
               "    vrsub.vi v6, v7, -5\n    vadd.vi v8, v9, 15, v0.t"),
    VectorCase("logic-e8m8", "    vand.vv v8, v16, v24\n    vor.vx v16, v8, a2, v0.t\n"
               "    vxor.vi v24, v16, -1", vtype=vtype(8, "8")),
    VectorCase("minmax-e16", "    vminu.vv v1, v2, v3\n    vmin.vv v4, v5, v6\n"
               "    vmaxu.vx v7, v8, a3\n    vmax.vx v9, v10, a4", vtype=vtype(16, "1")),
    VectorCase("shifts-e64", "    vsll.vv v2, v4, v6\n    vsrl.vx v8, v10, a1\n"
               "    vsra.vi v12, v14, 31\n    vsra.vx v16, v18, a2", vtype=vtype(64, "2")),
    VectorCase("mul-e32", "    vmul.vv v1, v2, v3\n    vmulh.vv v4, v5, v6\n"
               "    vmulhu.vx v7, v8, a1\n    vmulhsu.vv v9, v10, v11"),
    VectorCase("div-e8", "    vmv.v.i v3, 0\n    vdivu.vv v1, v2, v3\n    vdiv.vv v4, v5, v6\n"
               "    vremu.vx v7, v8, a1\n    vrem.vv v9, v2, v3\n    li a2, -1\n"
               "    vmv.v.i v12, -8\n    vdiv.vx v10, v12, a2\n    vrem.vx v11, v12, a2",
               vtype=vtype(8, "1")),
    VectorCase("muladd-e16", "    vmacc.vv v1, v2, v3\n    vnmsac.vx v4, a1, v5\n"
               "    vmadd.vv v6, v7, v8, v0.t\n    vnmsub.vx v9, a2, v10",
               vtype=vtype(16, "1")),
    VectorCase("widening-e16", "    vwaddu.vv v2, v4, v5\n    vwadd.vx v6, v8, a1\n"
               "    vwsub.wv v10, v12, v14\n    vwsubu.wx v16, v18, a2\n"
               "    vwmul.vv v20, v22, v23\n    vwmulsu.vx v24, v26, a3\n"
               "    vwmaccsu.vv v28, v30, v31", vtype=vtype(16, "1")),
    VectorCase("widening-mf2", "    vwmulu.vv v2, v4, v5\n    vwmaccus.vx v6, a1, v8",
               vtype=vtype(8, "f2")),
    VectorCase("narrowing", "    vnsrl.wi v1, v2, 3\n    vnsra.wx v4, v6, a1\n"
               "    vnsrl.wv v8, v10, v12\n    vnclipu.wi v13, v14, 5\n    vnclip.wv v16, v18, v20",
               vtype=vtype(16, "1")),
    VectorCase("extensions", "    vzext.vf2 v2, v4\n    vsext.vf4 v8, v1\n"
               "    vsetvli zero, zero, e64, m8\n    vsext.vf8 v16, v9",
               vtype=vtype(32, "2")),
    VectorCase("compares", "    vmseq.vv v1, v2, v3\n    vmsne.vi v4, v5, 3\n"
               "    vmsltu.vx v6, v7, a1\n    vmslt.vv v8, v9, v10\n    vmsleu.vi v11, v12, -1\n"
               "    vmsle.vx v13, v14, a2\n    vmsgtu.vi v15, v16, 7\n    vmsgt.vx v17, v18, a3, v0.t",
               vtype=vtype(8, "1")),
    VectorCase("compares-m4", "    vmseq.vv v1, v4, v8\n    vmslt.vx v2, v12, a1",
               vtype=vtype(32, "4")),
    VectorCase("carries", "    vadc.vvm v1, v2, v3, v0\n    vmadc.vvm v4, v5, v6, v0\n"
               "    vmadc.vx v7, v8, a1\n    vsbc.vxm v9, v10, a2, v0\n    vmsbc.vv v11, v12, v13\n"
               "    vmadc.vim v14, v15, -2, v0", vtype=vtype(64, "1")),
    VectorCase("merge-move", "    vmerge.vvm v1, v2, v3, v0\n    vmerge.vxm v4, v5, a1, v0\n"
               "    vmerge.vim v6, v7, 9, v0\n    vmv.v.v v8, v9\n    vmv.v.x v10, a2\n"
               "    vmv.v.i v11, -16", vtype=vtype(16, "1"), avl=5),
    # fixed point
    VectorCase("saturating", "    vsaddu.vv v1, v2, v3\n    vsadd.vi v4, v5, 15\n"
               "    vssubu.vx v6, v7, a1\n    vssub.vv v8, v9, v10", vtype=vtype(8, "1")),
    VectorCase("averaging-rnu", "    vaaddu.vv v1, v2, v3\n    vaadd.vx v4, v5, a1\n"
               "    vasubu.vv v6, v7, v8\n    vasub.vx v9, v10, a2", vxrm=0),
    VectorCase("averaging-rod", "    vaaddu.vv v1, v2, v3\n    vasub.vv v9, v10, v11", vxrm=3),
    VectorCase("scaling-shifts-rne", "    vssrl.vi v1, v2, 5\n    vssra.vx v4, v5, a1\n"
               "    vsmul.vv v7, v8, v9", vtype=vtype(16, "1"), vxrm=1),
    VectorCase("vsmul-saturates", "    li a1, -32768\n    vmv.v.x v1, a1\n"
               "    vsmul.vv v2, v1, v1", vtype=vtype(16, "1"), vxrm=2),
    VectorCase("clips-rdn", "    vnclipu.wv v1, v2, v4\n    vnclip.wx v5, v6, a1",
               vtype=vtype(32, "1"), vxrm=2),
    # reductions
    VectorCase("reductions", "    vredsum.vs v1, v2, v3\n    vredand.vs v4, v5, v6\n"
               "    vredor.vs v7, v8, v9, v0.t\n    vredxor.vs v10, v11, v12\n"
               "    vredminu.vs v13, v14, v15\n    vredmin.vs v16, v17, v18\n"
               "    vredmaxu.vs v19, v20, v21\n    vredmax.vs v22, v23, v24",
               vtype=vtype(16, "1")),
    VectorCase("reductions-m4", "    vredsum.vs v1, v4, v2\n    vredmax.vs v3, v8, v3",
               vtype=vtype(32, "4")),
    VectorCase("widening-reductions", "    vwredsumu.vs v1, v2, v3\n"
               "    vwredsum.vs v4, v6, v5, v0.t", vtype=vtype(8, "2")),
    # masks
    VectorCase("mask-logical", "    vmand.mm v1, v2, v3\n    vmnand.mm v4, v5, v6\n"
               "    vmandn.mm v7, v8, v9\n    vmxor.mm v10, v11, v12\n    vmor.mm v13, v14, v15\n"
               "    vmnor.mm v16, v17, v18\n    vmorn.mm v19, v20, v21\n"
               "    vmxnor.mm v22, v23, v24", avl=3),
    VectorCase("mask-bits", "    vcpop.m a1, v2\n    vfirst.m a2, v3\n    vcpop.m a3, v4, v0.t\n"
               "    vmsbf.m v5, v6\n    vmsif.m v7, v8, v0.t\n    vmsof.m v9, v10\n"
               "    vmclr.m v11\n    vfirst.m a4, v11", vtype=vtype(8, "2")),
    VectorCase("iota-vid", "    viota.m v2, v1\n    vid.v v4, v0.t\n    viota.m v6, v3, v0.t",
               vtype=vtype(16, "2")),
    # permutations
    VectorCase("scalar-moves", "    vmv.x.s a1, v2\n    vmv.s.x v3, a2\n"
               "    vsetvli zero, zero, e8, m1\n    vmv.x.s a3, v4", vtype=vtype(64, "1")),
    VectorCase("slides", "    li a1, 3\n    vslideup.vx v1, v2, a1\n    vslidedown.vi v3, v4, 5\n"
               "    vslide1up.vx v5, v6, a2\n    vslide1down.vx v7, v8, a3, v0.t\n"
               "    li a4, 100\n    vslidedown.vx v9, v10, a4", vtype=vtype(16, "1")),
    VectorCase("slides-m2", "    vslideup.vi v2, v4, 9\n    vslidedown.vi v6, v8, 1",
               vtype=vtype(32, "2")),
    VectorCase("gathers", "    vid.v v1\n    vrsub.vi v1, v1, 10\n    vrgather.vv v2, v3, v1\n"
               "    li a1, 2\n    vrgather.vx v4, v5, a1\n    vrgather.vi v6, v7, 30\n"
               "    vrgatherei16.vv v8, v9, v12", vtype=vtype(8, "1")),
    VectorCase("compress", "    vcompress.vm v2, v4, v1\n    vcompress.vm v6, v8, v0",
               vtype=vtype(32, "2")),
    VectorCase("whole-moves", "    vmv1r.v v1, v2\n    vmv2r.v v4, v6\n    vmv4r.v v8, v12\n"
               "    vmv8r.v v16, v24"),
    # RVA23's scalar extensions
    # (cbo.clean and cbo.flush: qemu's user mode refuses them, Linux does not)
    VectorCase("zicboz", SCRATCH + "    addi a1, a0, 70\n    cbo.zero (a1)\n"
               "    prefetch.r 64(a0)\n    prefetch.w -32(a0)\n    prefetch.i 0(a0)"),
    VectorCase("hints", "    pause\n    wrs.nto\n    wrs.sto\n    add zero, zero, sp\n"
               "    .insn 0x900a\n    .insn 0x6081"),
    VectorCase("zcb", SCRATCH + "    mv s0, a0\n    mv a3, a0\n    .insn 0x82EC\n    .insn 0x8428\n"
               "    .insn 0x8468\n    .insn 0x8C2C\n    .insn 0x8A80\n    mv s0, a3\n"
               "    .insn 0x9C61\n    mv s1, a4\n    .insn 0x9C65\n    mv a5, a6\n"
               "    .insn 0x9C69\n    .insn 0x9C6D\n    .insn 0x9C71\n    .insn 0x9C75\n"
               "    .insn 0x9C4D"),
    *(VectorCase(f"zvbb-e{sew}", "    vmv.v.i v26, 0\n" + ZVBB_BODY, vtype=vtype(sew, "1"))
      for sew in (8, 16, 32, 64)),
    VectorCase("zvbb-vwsll-e16", VWSLL_BODY, vtype=vtype(16, "1"), avl=6),
    VectorCase("zvbb-vwsll-e32", VWSLL_BODY, vtype=vtype(32, "1")),
    VectorCase("zimop", "    .insn 0x81C04573\n    .insn 0xCDF5C5F3\n    .insn 0x82C5C673\n"
               "    .insn 0xCEC5C6F3"),
]


HALF_BODY = """    csrw fcsr, zero
    fmv.h.x ft0, a0
    fcvt.s.h ft1, ft0
    fmv.x.w s2, ft1
    fcvt.d.h ft2, ft0
    fmv.x.d s3, ft2
    fmv.x.h s4, ft0
    fmv.w.x ft3, a1
    fcvt.h.s ft4, ft3, {rm}
    fmv.x.h s5, ft4
    fmv.d.x ft5, a2
    fcvt.h.d ft6, ft5, {rm}
    fmv.x.h s6, ft6
    fmv.d.x ft7, a3
    fcvt.s.h fs0, ft7
    fmv.x.w s7, fs0
    flh fs1, 6(sp)
    fsh fs1, 32(sp)
    fmv.x.h s8, fs1
    fsh ft4, 40(sp)
"""
ROUNDING_MODES = ("rne", "rtz", "rdn", "rup", "rmm", "dyn")


def half_cases(count: int, seed: int) -> list[VectorCase]:
    """Zfhmin's conversions of random and special values under each rounding mode; a3 holds
    a value that is not a NaN-boxed half (it must read as the canonical NaN)."""
    rng = random.Random(seed)
    halves = [0, 0x8000, 0x3C00, 0x7BFF, 0x0001, 0x03FF, 0x7C00, 0xFC00, 0x7E00, 0x7D00]
    singles = [0x47800000, 0x477FF000, 0x477FE000, 0x33800000, 0x33000000, 0x387FC000,
               0x7F800001, 0xFF800000, 0x3EAAAAAB]
    doubles = [0x3FD5555555555555, 0x40EFFE0000000000, 0x3E70000000000000, 0x7FF4000000000000]
    cases = []
    for n in range(count):
        x = {10: rng.choice(halves + [rng.getrandbits(16)]),
             11: rng.choice(singles + [rng.getrandbits(32)]),
             12: rng.choice(doubles + [rng.getrandbits(64)]),
             13: rng.getrandbits(64) & ~(0xFFFF << 48)}
        rm = ROUNDING_MODES[n % len(ROUNDING_MODES)]
        cases.append(VectorCase(f"zfhmin-{seed}-{n}-{rm}", HALF_BODY.format(rm=rm), x=x))
    return cases


# Floating point: element values drawn from the special ones (zeros, infinities, quiet and
# signalling NaNs, subnormals, the extremes, one), values of nearby magnitudes (so that sums
# and products round) and random bit patterns.
FLOAT_SPECIALS = {
    16: (0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x7D00, 0x0001, 0x03FF, 0x0400, 0x7BFF,
         0x3C00, 0xBC00),
    32: (0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0x00000001,
         0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x3F800000, 0xBF800000, 0x4F000000, 0xCF000000,
         0x5F800000),
    64: (0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
         0x7FF0000000000001, 1, 0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x7FEFFFFFFFFFFFFF,
         0x3FF0000000000000, 0xBFF0000000000000, 0x43E0000000000000, 0xC3E0000000000000,
         0x47EFFFFFE0000000, 0x3690000000000000),
}
FLOAT_FIELDS = {16: (5, 10), 32: (8, 23), 64: (11, 52)}


def float_value(rng: random.Random, sew: int) -> int:
    exp_bits, frac_bits = FLOAT_FIELDS[sew]
    kind = rng.random()
    if kind < 0.25:
        return rng.choice(FLOAT_SPECIALS[sew])
    if kind < 0.8:  # magnitudes within a few binades of one, either sign
        bias = (1 << (exp_bits - 1)) - 1
        exponent = bias + rng.randrange(-6, 7)
        return rng.getrandbits(1) << (sew - 1) | exponent << frac_bits | rng.getrandbits(frac_bits)
    return rng.getrandbits(sew)


def float_registers(seed: str, sew: int) -> bytes:
    """v0..v31 at the largest VLEN, as elements of `sew` bits."""
    rng = random.Random(seed)
    count = 32 * 1024 // sew
    return b"".join(float_value(rng, sew).to_bytes(sew // 8, "little") for _ in range(count))


def float_scalars(seed: str, sew: int) -> dict[int, int]:
    """a1..a4 as floats of `sew` bits (f registers get them NaN-boxed, as fmv does); a5 a
    value that is not a NaN-boxed single."""
    rng = random.Random(seed + "x")
    return {11 + i: float_value(rng, sew) for i in range(4)} | {15: rng.getrandbits(32)}


FLOAT_MOVE = {16: "fmv.h.x", 32: "fmv.w.x", 64: "fmv.d.x"}
FLAGS_REGISTERS = ("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3",
                   "t4", "t5", "t6")


def float_body(lines: list[str], sew: int, rm: int) -> str:
    """The instructions with frm set to `rm` and the scalars in fa1..fa4 (fa5: a badly boxed
    single), each instruction's fflags read into a register of its own and cleared."""
    move = FLOAT_MOVE[min(sew, 64)]
    out = [f"    fsrmi {rm}", "    fsflags zero"]
    out += [f"    {move} fa{i}, a{i}" for i in range(1, 5)] + ["    fmv.d.x fa5, a5"]
    for line, flags in zip(lines, FLAGS_REGISTERS, strict=False):
        out += [f"    {line}", f"    frflags {flags}", "    fsflags zero"]
    return "\n".join(out)


def estimate_registers(seed: str, sew: int) -> bytes:
    """v0..v31 at the largest VLEN for vfrsqrt7 and vfrec7: element k's leading 7 fraction
    bits are k's plus the case's offset (each entry of the tables is looked up at VLEN 1024,
    and by one case or another at 128), under exponents at both ends of the range (results
    that overflow or are subnormal) and about one, of either parity; subnormals, negative
    and special values among them."""
    rng = random.Random(seed)
    exp_bits, frac_bits = FLOAT_FIELDS[sew]
    bias = (1 << (exp_bits - 1)) - 1
    offset = rng.randrange(128)
    values = []
    for k in range(32 * 1024 // sew):
        fraction = (k + offset) % 128 << (frac_bits - 7) | rng.getrandbits(frac_bits - 7)
        exponent = rng.choice((0, 0, 1, 2, bias - 1, bias, bias + 1, 2 * bias - 1, 2 * bias,
                               rng.randrange(1, 2 * bias + 1)))
        if exponent == 0:
            fraction >>= rng.randrange(12)  # a subnormal, its leading one anywhere near the top
        value = (rng.random() < 0.2) << (sew - 1) | exponent << frac_bits | fraction
        values.append(rng.choice(FLOAT_SPECIALS[sew]) if rng.random() < 0.1 else value)
    return b"".join(value.to_bytes(sew // 8, "little") for value in values)


def float_case(name: str, sew: int, lmul: str, rm: int, lines: list[str], avl: int = vh.MASK64,
               element_sew: int | None = None, registers=float_registers) -> VectorCase:
    """A case at vtype SEW `sew` whose registers hold floats of `element_sew` (default SEW),
    made by `registers`."""
    case_id = f"float-{name}-e{sew}{lmul}-rm{rm}"
    bits = element_sew or sew
    return VectorCase(case_id, float_body(lines, bits, rm), vtype=vtype(sew, lmul), avl=avl,
                      x=float_scalars(case_id, bits), vregs=registers(case_id, bits))


FLOAT_ARITHMETIC = ["vfadd.vv v1, v2, v3", "vfsub.vv v4, v5, v6, v0.t", "vfmul.vv v7, v8, v9",
                    "vfdiv.vv v10, v11, v12", "vfmin.vv v13, v14, v15",
                    "vfmax.vv v16, v17, v18, v0.t", "vfsgnj.vv v19, v20, v21",
                    "vfsgnjn.vv v22, v23, v24", "vfsgnjx.vv v25, v26, v27",
                    "vfneg.v v28, v29", "vfabs.v v30, v31"]
FLOAT_SCALAR = ["vfadd.vf v1, v2, fa1", "vfsub.vf v3, v4, fa2, v0.t", "vfrsub.vf v5, v6, fa3",
                "vfmul.vf v7, v8, fa4", "vfdiv.vf v9, v10, fa1", "vfrdiv.vf v11, v12, fa2",
                "vfmin.vf v13, v14, fa3", "vfmax.vf v15, v16, fa5", "vfsgnj.vf v17, v18, fa4",
                "vfsgnjn.vf v19, v20, fa1", "vfsgnjx.vf v21, v22, fa2"]
FLOAT_FUSED = ["vfmacc.vv v1, v2, v3", "vfnmacc.vv v4, v5, v6, v0.t", "vfmsac.vv v7, v8, v9",
               "vfnmsac.vv v10, v11, v12", "vfmadd.vv v13, v14, v15", "vfnmadd.vf v16, fa1, v17",
               "vfmsub.vf v18, fa2, v19", "vfnmsub.vv v20, v21, v22", "vfmacc.vf v23, fa3, v24",
               "vfnmsac.vf v25, fa4, v26, v0.t", "vfmadd.vf v27, fa5, v28",
               "vfmsub.vv v29, v30, v31", "vfnmacc.vf v2, fa2, v5", "vfnmadd.vv v6, v9, v12"]
FLOAT_UNARY_COMPARE = ["vfsqrt.v v1, v2", "vfclass.v v3, v4", "vmfeq.vv v5, v6, v7",
                       "vmfne.vv v8, v9, v10, v0.t", "vmflt.vv v11, v12, v13",
                       "vmfle.vv v14, v15, v16", "vmfeq.vf v17, v18, fa1",
                       "vmflt.vf v19, v20, fa2", "vmfgt.vf v21, v22, fa3",
                       "vmfge.vf v23, v24, fa4, v0.t", "vfsqrt.v v25, v26, v0.t",
                       "vmfle.vf v27, v28, fa5", "vmfne.vf v29, v30, fa1"]
FLOAT_CONVERT = ["vfcvt.xu.f.v v1, v2", "vfcvt.x.f.v v3, v4", "vfcvt.f.xu.v v5, v6",
                 "vfcvt.f.x.v v7, v8, v0.t", "vfcvt.rtz.xu.f.v v9, v10",
                 "vfcvt.rtz.x.f.v v11, v12", "vfcvt.x.f.v v13, v14, v0.t"]
FLOAT_MOVES = ["vfmv.f.s fa6, v1", "vfmv.s.f v2, fa1", "vfmv.v.f v3, fa2",
               "vfmerge.vfm v4, v5, fa3, v0", "vfslide1up.vf v6, v7, fa4",
               "vfslide1down.vf v8, v9, fa1, v0.t", "vfmv.f.s fa7, v10",
               "fmv.x.d s0, fa6", "fmv.x.d a6, fa7", "vfmv.v.f v11, fa5"]
FLOAT_REDUCTIONS = ["vfredusum.vs v1, v2, v3", "vfredosum.vs v4, v5, v6, v0.t",
                    "vfredmin.vs v7, v8, v9", "vfredmax.vs v10, v11, v12, v0.t",
                    "vfredosum.vs v13, v14, v15"]
FLOAT_WIDENING = ["vfwadd.vv v2, v4, v5", "vfwsub.vf v6, v8, fa1", "vfwadd.wv v10, v12, v14",
                  "vfwsub.wf v16, v18, fa2, v0.t", "vfwmul.vv v20, v22, v23",
                  "vfwmacc.vv v24, v26, v27", "vfwnmacc.vf v28, fa3, v30",
                  "vfwmsac.vv v2, v8, v9, v0.t", "vfwnmsac.vf v4, fa4, v11",
                  "vfwredusum.vs v1, v12, v13", "vfwredosum.vs v3, v14, v15, v0.t"]
FLOAT_WIDENING_MORE = ["vfwadd.vf v2, v4, fa1", "vfwadd.wf v6, v8, fa2",
                       "vfwmacc.vf v10, fa3, v12", "vfwmsac.vf v14, fa4, v16, v0.t",
                       "vfwmul.vf v18, v20, fa5", "vfwnmacc.vv v22, v24, v25",
                       "vfwnmsac.vv v26, v28, v29", "vfwsub.vv v30, v1, v3",
                       "vfwsub.wv v4, v6, v9"]
FLOAT_WIDE_CONVERT = ["vfwcvt.xu.f.v v2, v4", "vfwcvt.x.f.v v6, v8, v0.t",
                      "vfwcvt.f.xu.v v10, v12", "vfwcvt.f.x.v v14, v16",
                      "vfwcvt.f.f.v v18, v20", "vfwcvt.rtz.xu.f.v v22, v24",
                      "vfwcvt.rtz.x.f.v v26, v28", "vfncvt.xu.f.w v1, v2",
                      "vfncvt.x.f.w v3, v4, v0.t", "vfncvt.f.xu.w v5, v6",
                      "vfncvt.f.x.w v7, v8", "vfncvt.f.f.w v9, v10",
                      "vfncvt.rod.f.f.w v11, v12", "vfncvt.rtz.xu.f.w v13, v14",
                      "vfncvt.rtz.x.f.w v15, v16"]
# The 7-bit estimates, on registers of estimate_registers (LMUL 4: 16 singles a group at
# VLEN 128), some in place, some masked, one of another's results.
FLOAT_ESTIMATES = ["vfrsqrt7.v v4, v4", "vfrec7.v v8, v8", "vfrsqrt7.v v12, v12, v0.t",
                   "vfrec7.v v16, v16, v0.t", "vfrsqrt7.v v20, v28", "vfrec7.v v24, v28",
                   "vfrec7.v v28, v4"]
# At SEW 16 (elements of the wide registers are singles, of the narrow ones halves): what
# Zvfhmin and V allow without Zvfh.
HALF_CONVERT = ["vfwcvt.f.f.v v2, v4", "vfwcvt.f.f.v v6, v8, v0.t", "vfncvt.f.f.w v10, v12",
                "vfncvt.f.f.w v13, v14, v0.t", "vfncvt.x.f.w v15, v16",
                "vfncvt.rtz.xu.f.w v17, v18", "vfwcvt.f.x.v v20, v22", "vfwcvt.f.xu.v v24, v26"]


def float_cases() -> list[VectorCase]:
    """Each group of instructions at SEW 32 and 64 (the widening ones at 32, the half
    conversions at 16) under every rounding mode; LMUL 1 and 2 (4 for the estimates), vl
    short and full."""
    cases = []
    for rm in range(5):
        for sew in (32, 64):
            for name, lines in (("arith", FLOAT_ARITHMETIC), ("scalar", FLOAT_SCALAR),
                                ("fused", FLOAT_FUSED), ("unary-compare", FLOAT_UNARY_COMPARE),
                                ("convert", FLOAT_CONVERT), ("moves", FLOAT_MOVES),
                                ("reductions", FLOAT_REDUCTIONS)):
                cases.append(float_case(name, sew, "1", rm, lines, avl=(vh.MASK64, 3)[rm & 1]))
            cases.append(float_case("estimates", sew, "4", rm, FLOAT_ESTIMATES,
                                    registers=estimate_registers))
        cases.append(float_case("widening", 32, "1", rm, FLOAT_WIDENING))
        cases.append(float_case("widening-more", 32, "1", rm, FLOAT_WIDENING_MORE,
                                avl=(3, vh.MASK64)[rm & 1]))
        cases.append(float_case("wide-convert", 32, "1", rm, FLOAT_WIDE_CONVERT,
                                avl=(vh.MASK64, 3)[rm & 1]))
        cases.append(float_case("half-convert", 16, "1", rm, HALF_CONVERT, element_sew=32))
    cases.append(float_case("wide-convert-mf2", 32, "f2", 3, FLOAT_WIDE_CONVERT))
    return cases


def random_float_cases(count: int, seed: int) -> list[VectorCase]:
    """Random floating-point sequences: random SEW (32, 64), LMUL, AVL and rounding mode."""
    rng = random.Random(seed)
    vv = ["vfadd", "vfsub", "vfmul", "vfdiv", "vfmin", "vfmax", "vfsgnjn", "vfmacc",
          "vfnmsub", "vfmsac"]
    vf = vv + ["vfrsub", "vfrdiv"]
    cases = []
    for n in range(count):
        sew = rng.choice([32, 64])
        lmul = rng.choice(["1", "2", "4", "f2"] if sew == 32 else ["1", "2", "4", "8"])
        group = int(lmul) if not lmul.startswith("f") else 1
        regs = list(range(group, 32, group))
        lines = []
        for _ in range(8):
            vd, vs2, vs1 = (rng.choice(regs) for _ in range(3))
            mask = ", v0.t" if rng.random() < 0.3 else ""
            kind = rng.random()
            if kind < 0.4:
                op = rng.choice(vv)
                order = f"v{vs1}, v{vs2}" if op in ("vfmacc", "vfnmsub", "vfmsac") \
                    else f"v{vs2}, v{vs1}"
                lines.append(f"{op}.vv v{vd}, {order}{mask}")
            elif kind < 0.7:
                op = rng.choice(vf)
                f = f"fa{rng.randrange(1, 6)}"
                order = f"{f}, v{vs2}" if op in ("vfmacc", "vfnmsub", "vfmsac") \
                    else f"v{vs2}, {f}"
                lines.append(f"{op}.vf v{vd}, {order}{mask}")
            elif kind < 0.8:
                lines.append(f"{rng.choice(['vfsqrt.v', 'vfcvt.x.f.v', 'vfcvt.f.x.v'])} "
                             f"v{vd}, v{vs2}{mask}")
            elif kind < 0.9:
                vd = rng.choice([r for r in range(1, 32)
                                 if not 0 < r - vs2 < group and not 0 < r - vs1 < group])
                op = rng.choice(["vmflt.vv", "vmfle.vv", "vmfeq.vv", "vmfne.vv"])
                lines.append(f"{op} v{vd}, v{vs2}, v{vs1}{mask}")
            else:
                op = rng.choice(["vfredosum", "vfredusum", "vfredmin", "vfredmax"])
                lines.append(f"{op}.vs v{rng.randrange(1, 32)}, v{vs2}, "
                             f"v{rng.randrange(1, 32)}{mask}")
        avl = rng.choice([0, 1, 3, rng.randrange(0, 100), vh.MASK64])
        rm = rng.randrange(5)
        cases.append(float_case(f"random-{seed}-{n}", sew, lmul, rm, lines, avl=avl))
    return cases


def random_cases(count: int, seed: int) -> list[VectorCase]:
    """Random legal sequences: random vtype and AVL, then instructions whose registers are
    aligned to the group size."""
    rng = random.Random(seed)
    single = ["vadd", "vsub", "vand", "vor", "vxor", "vminu", "vmin", "vmaxu", "vmax",
              "vsll", "vsrl", "vsra", "vmul", "vmulh", "vmulhu", "vdiv", "vdivu", "vrem",
              "vremu", "vsaddu", "vsadd", "vssubu", "vssub", "vaadd", "vaaddu", "vssrl",
              "vssra", "vsmul"]
    imm_ok = {"vadd", "vand", "vor", "vxor", "vsll", "vsrl", "vsra", "vsaddu", "vsadd",
              "vssrl", "vssra"}
    compares = ["vmseq", "vmsne", "vmsltu", "vmslt", "vmsleu", "vmsle"]
    cases = []
    for n in range(count):
        sew = rng.choice([8, 16, 32, 64])
        lmul = rng.choice(["1", "2", "4", "8", "f2", "f4", "f8"])
        if lmul.startswith("f") and sew > 64 // int(lmul[1]):
            lmul = "1"
        group = int(lmul) if not lmul.startswith("f") else 1
        regs = list(range(group, 32, group))  # never v0
        lines = []
        for _ in range(6):
            kind = rng.random()
            vd, vs2, vs1 = (rng.choice(regs) for _ in range(3))
            mask = ", v0.t" if rng.random() < 0.3 else ""
            if kind < 0.5:
                op = rng.choice(single)
                form = rng.choice(["vv", "vx", "vi"] if op in imm_ok else ["vv", "vx"])
                operand = {"vv": f"v{vs1}", "vx": f"a{rng.randrange(8)}",
                           "vi": str(rng.randrange(0, 16) if op in ("vsll", "vsrl", "vsra",
                                                                     "vssrl", "vssra")
                                     else rng.randrange(-16, 16))}[form]
                lines.append(f"    {op}.{form} v{vd}, v{vs2}, {operand}{mask}")
            elif kind < 0.65:
                op = rng.choice(compares)
                # (a mask may overlap its source only in the group's first register)
                vd = rng.choice([r for r in range(1, 32) if not 0 < r - vs2 < group])
                lines.append(f"    {op}.vx v{vd}, v{vs2}, a{rng.randrange(8)}{mask}")
            elif kind < 0.75:
                op = rng.choice(["vredsum", "vredmax", "vredminu", "vredxor"])
                lines.append(f"    {op}.vs v{rng.randrange(1, 32)}, v{vs2}, "
                             f"v{rng.randrange(1, 32)}{mask}")
            elif kind < 0.85:
                op = rng.choice(["vslidedown.vx", "vrgather.vx"])
                vd = rng.choice([r for r in regs if abs(r - vs2) >= group] or [vd])
                if vd != vs2:
                    lines.append(f"    {op} v{vd}, v{vs2}, a{rng.randrange(8)}{mask}")
            else:
                lines.append(f"    vmv.v.x v{vd}, a{rng.randrange(8)}")
        avl = rng.choice([0, 1, 3, rng.randrange(0, 200), vh.MASK64])
        x = {10 + i: rng.choice([0, 1, -1, 7, 1 << 63, rng.getrandbits(64), rng.randrange(40)])
             for i in range(8)}
        cases.append(VectorCase(f"random-{seed}-{n}", "\n".join(lines), vtype=vtype(
            sew, lmul, rng.random() < 0.5, rng.random() < 0.5), avl=avl,
            vxrm=rng.randrange(4), x=x))
    return cases


RANDOM = random_cases(int(os.environ.get("PYEMU_VECTOR_RANDOM_CASES", "60")), 18)
RANDOM_FLOAT = random_float_cases(int(os.environ.get("PYEMU_VECTOR_RANDOM_CASES", "60")), 19)
CASES = HAND_WRITTEN + half_cases(24, 16) + float_cases() + RANDOM + RANDOM_FLOAT


@functools.cache
def _outcomes(cache: str, engine: str, vlen: int) -> tuple[list[vh.State], list[vh.State]]:
    vlenb = vlen // 8
    binary = vh.build(CASES, vlenb, Path(cache))
    try:
        qemu = vh.run(vh.qemu_command(vlen), binary)
    except oracles.OracleMissing as missing:
        pytest.fail(f"qemu 10, the oracle of these tests, is missing: {missing}")
    assert qemu.returncode == 0, qemu.stderr.decode()[-2000:]
    ours = vh.run(vh.pyemu_command(engine, vlen), binary)
    assert ours.returncode == 0, ours.stderr.decode()[-2000:]
    return vh.decode(qemu.stdout, vlenb), vh.decode(ours.stdout, vlenb)


@pytest.fixture(scope="session")
def vector_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("vector"))


@pytest.mark.parametrize("engine, vlen", RUNS, ids=[f"{e}-vlen{v}" for e, v in RUNS])
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.id for c in CASES])
def test_vector_sequence_matches_qemu10(vector_cache, engine, vlen, index):
    expected, actual = _outcomes(vector_cache, engine, vlen)
    assert len(expected) == len(CASES) and len(actual) == len(CASES)
    found = vh.differences(expected[index], actual[index], vlen // 8)
    assert not found, f"{CASES[index].id}:\n{CASES[index].body}\n" + "\n".join(found)


ZIG_PROGRAMS = ("vector_autovec.c", "rvv_intrinsics.c")


@pytest.fixture(scope="session")
def zig_guest(tmp_path_factory):
    """`zig_guest(name, xlen=64)`: tests/guests/<name> built by zig cc for RV64+V (or RV32+V)
    and musl, -O2."""
    cache = tmp_path_factory.mktemp("zig")

    def build(name: str, xlen: int = 64) -> Path:
        try:
            compiler = oracles.zig_cc()
        except oracles.OracleMissing as missing:
            pytest.fail(str(missing))
        binary = cache / f"{Path(name).stem}-rv{xlen}"
        target = oracles.ZIG_RV64V if xlen == 64 else oracles.ZIG_RV32V
        if not binary.exists():
            subprocess.run([*compiler, *target, "-O2", "-o", str(binary),
                            str(vh.GUESTS / name)], check=True, timeout=900)
        return binary

    return build


@pytest.mark.parametrize("vlen", [128, 256])
@pytest.mark.parametrize("name", ZIG_PROGRAMS)
def test_vector_program_matches_qemu10(zig_guest, name, vlen):
    """zig-built programs: autovectorized plain C with musl's string functions, and RVV
    intrinsics; stdout and exit status as under qemu 10, on both engines."""
    binary = zig_guest(name)
    listing = subprocess.run(["riscv64-linux-gnu-objdump", "-d", str(binary)],
                             capture_output=True, text=True, check=True).stdout
    assert "vsetvli" in listing  # the program does use V
    theirs = vh.run(oracles.qemu10_command(vlen), binary)
    for engine in ENGINES:
        ours = vh.run(vh.pyemu_command(engine, vlen), binary)
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), \
            ours.stderr.decode()[-2000:]


@pytest.mark.parametrize("xlen", [64, 32])
def test_vill_reads_as_the_top_bit_of_vtype(zig_guest, xlen):
    """After a vsetvl of a vtype the hart lacks, csrr reads vtype as vill alone, bit XLEN-1
    (RV32 read 0: pyemu keeps vill as bit 63); the same as qemu 10, on both engines."""
    binary = zig_guest("vector_vill.c", xlen)
    oracle = oracles.qemu10_command() if xlen == 64 else oracles.qemu10_rv32_command()
    theirs = vh.run(oracle, binary)
    assert f"vtype {1 << (xlen - 1):#x}".encode() in theirs.stdout
    for engine in ENGINES:
        ours = vh.run(vh.pyemu_command(engine, 128), binary)
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), \
            ours.stderr.decode()[-2000:]


def test_vector_load_restarts_from_vstart_after_a_fault(build_guest):
    """A load faulting part-way resumes from vstart once the handler returns; a
    fault-only-first load trims vl (the same as qemu 10)."""
    binary = build_guest("vector_vstart.c", extra=("-march=rv64gcv",))
    theirs = vh.run(oracles.qemu10_command(), binary)
    assert b"vstart in handler 3" in theirs.stdout
    for engine in ENGINES:
        ours = vh.run(vh.pyemu_command(engine, 128), binary)
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), \
            ours.stderr.decode()[-2000:]


# What Linux (arch/riscv/kernel/signal.c, since 6.5) gives tests/guests/vector_signal.c: no
# record before the first vector instruction; then a record of riscv_v_sc_size with vl 3,
# vtype e32 m1 tu mu, vcsr vxrm 2 | vxsat 1 and the registers at datap, an END header after
# it; sigreturn puts back what the handler clobbered, and what it edited in the record.
LINUX_VECTOR_FRAME = ["no V used: first header magic 0 size 0",
                      *["record size riscv_v_sc_size, vlenb right, datap after the state",
                        "vstart 0 vl 3 vtype 0x10 vcsr 0x5", "v1 in the frame: 1111 2222 3333",
                        "then magic 0 size 0"],
                      "after a clobbering handler: vl 3 vtype 0x10 vxrm 2 vxsat 1 v1 1111 2222 3333",
                      *["record size riscv_v_sc_size, vlenb right, datap after the state",
                        "vstart 0 vl 3 vtype 0x10 vcsr 0x5", "v1 in the frame: 1111 2222 3333",
                        "then magic 0 size 0"],
                      "after an editing handler: vl 2 vtype 0x10 vxrm 2 vxsat 1 v1 1111 eded 3333"]


@pytest.mark.parametrize("vlen", [128, 512])
def test_signal_frame_holds_the_vector_state_as_linux_documents(build_guest, vlen):
    """The signal frame's vector record and its restoration by rt_sigreturn. qemu 10 writes
    no vector record (its frames hold no vector state): it agrees only on the frame of a
    thread that has not used V, so the rest is what Linux documents."""
    binary = build_guest("vector_signal.c", extra=("-march=rv64gcv",))
    theirs = vh.run(oracles.qemu10_command(vlen), binary).stdout.decode().splitlines()
    assert theirs[0] == LINUX_VECTOR_FRAME[0] and theirs[1] == "no vector record: magic 0"
    for engine in ENGINES:
        ours = vh.run(vh.pyemu_command(engine, vlen), binary)
        assert ours.stdout.decode().splitlines() == LINUX_VECTOR_FRAME, ours.stderr.decode()


def test_vector_turned_off_by_prctl_raises_sigill(build_guest):
    """A program that execve starts with the next setting off has V off: its first vector
    instruction raises SIGILL, as does reading a vector CSR (insn_is_vector in Linux's
    arch/riscv/kernel/vector.c), and PR_RISCV_V_SET_CONTROL can turn V on again (Linux's
    Documentation/arch/riscv/vector.rst). qemu 10 has no such prctl (EINVAL) and its
    execve of /proc/self/exe runs no RISC-V program: it agrees on the lines before the
    execve only."""
    binary = build_guest("vector_prctl.c", extra=("-march=rv64gcv",))
    theirs = vh.run(oracles.qemu10_command(), binary).stdout.decode().splitlines()
    assert theirs == ["before: vl 5", "before: vlenb 16", "next off -1"]
    for engine in ENGINES:
        ours = vh.run(vh.pyemu_command(engine, 128), binary)
        assert ours.stdout.decode().splitlines() == [
            "before: vl 5", "before: vlenb 16", "next off 0", "control 1", "V off: SIGILL",
            "V off: vlenb SIGILL", "turn on 0", "V on: vl 5", "V on: vlenb 16"], \
            ours.stderr.decode()


def test_linux_describes_the_vector_extension(build_guest):
    """AT_HWCAP, hwprobe and the cpuinfo isa line against qemu 10; the prctl vector control
    as Linux documents it (Documentation/arch/riscv/vector.rst; qemu 10 has no such prctl)."""
    binary = build_guest("vector_linux.c")
    theirs = vh.run(oracles.qemu10_command(), binary).stdout.decode().splitlines()
    ours = vh.run([*vh.PYEMU, "--engine", "python"], binary).stdout.decode().splitlines()
    assert ours[0] == theirs[0]  # hwcap: IMAFDCV
    their_ext0, our_ext0 = (int(line.split()[3], 16) for line in (theirs[1], ours[1]))
    assert their_ext0 & ~our_ext0 == 0, f"{their_ext0:#x} {our_ext0:#x}"
    assert ours[1].split()[5] == theirs[1].split()[5] == "6:64"  # Zicboz's block size
    (their_letters, *their_isa), (our_letters, *our_isa) = (
        line.split(":")[1].strip().split("_") for line in (theirs[2], ours[2]))
    assert our_letters == "rv64imafdcv" and set(our_letters) <= set(their_letters)  # (+ b)
    assert set(our_isa) - set(their_isa) <= {"zifencei", "zbc"}  # (not in qemu's rva23u64)
    assert ours[3:] == ["get 2 errno 0",  # on, by default
                        "set off -1 errno 1",  # EPERM: V cannot be turned off once on
                        "set next off 0 errno 0 get 22"]  # on | next off << 2 | inherit


def test_isa_modules_give_no_global_name_two_meanings():
    """Translated blocks run every ISA module's semantics in one namespace (engine_python's
    block_namespace): a helper name defined differently by two modules would make one
    module's instructions call the other's (Zvbb's first rotate_left broke Zbb's rolw)."""
    import sys

    from pyemu.emulator.inline import free_names, semantic_function
    from pyemu.emulator.isa import all_instructions

    declared = [i for i in all_instructions() if i.semantics]
    used = set().union(*(free_names(semantic_function(i)) for i in declared))
    modules = {sys.modules[i.semantics.__module__] for i in declared}
    meanings: dict[str, list] = {}
    for module in modules:
        for name, value in vars(module).items():
            if name in used:
                meanings.setdefault(name, []).append(value)
    clashes = sorted(name for name, values in meanings.items()
                     if any(v is not values[0] and v != values[0] for v in values))
    assert clashes == [], clashes
