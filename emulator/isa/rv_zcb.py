"""Zcb and Zcmop: more compressed instructions (unprivileged spec, chapters "Zc*" v1.0 and
"Zcmop" v1.0).

Zcb's byte and halfword loads and stores, and its one-register operations, run as their
full-size twins (from I, M, Zba and Zbb). Zcmop's c.mop.n (n odd, 1 to 15) take the reserved
encodings of c.lui xn, 0 and, unlike Zimop's mop.r.n, write no register.
"""

from .base import Extension, Format, creg, field_
from .rv_c import C_NONE, CA, RS1_PRIME, same, two_regs

zcb = Extension("Zcb")
c = zcb.compressed
RV64 = (64,)

# rd'/rs2' in bits 4:2, rs1' in bits 9:7; the offset of c.lbu/c.sb is bits 5 (uimm[1]) and
# 6 (uimm[0]), that of the halfword forms bit 5 (uimm[1]).
CL_B = Format("CL_B", {"rd": creg(4), "rs1": RS1_PRIME, "imm": field_("0|1", 6, 5)},
              "rd, imm(rs1)")
CL_H = Format("CL_H", {"rd": creg(4), "rs1": RS1_PRIME, "imm": field_("1", 5, 5)},
              "rd, imm(rs1)")
CS_B = Format("CS_B", {"rs2": creg(4), "rs1": RS1_PRIME, "imm": field_("0|1", 6, 5)},
              "rs2, imm(rs1)")
CS_H = Format("CS_H", {"rs2": creg(4), "rs1": RS1_PRIME, "imm": field_("1", 5, 5)},
              "rs2, imm(rs1)")
CU = Format("CU", {"rd": RS1_PRIME}, "rd")


def with_imm(imm: int):
    """A one-register form run as an immediate instruction on rd (c.zext.b: andi rd, rd, 255)."""
    return lambda ops: {"rd": ops["rd"], "rs1": ops["rd"], "imm": imm}


def one_source(ops):
    return {"rd": ops["rd"], "rs1": ops["rd"]}


def zero_extend_word(ops):
    return {"rd": ops["rd"], "rs1": ops["rd"], "rs2": 0}  # add.uw rd, rd, zero


c("c.lbu", "100 000 ... .. ... 00", CL_B, "lbu", same)
c("c.lhu", "100 001 ... 0 . ... 00", CL_H, "lhu", same)
c("c.lh", "100 001 ... 1 . ... 00", CL_H, "lh", same)
c("c.sb", "100 010 ... .. ... 00", CS_B, "sb", same)
c("c.sh", "100 011 ... 0 . ... 00", CS_H, "sh", same)
c("c.zext.b", "100 111 ... 11 000 01", CU, "andi", with_imm(0xFF))
c("c.sext.b", "100 111 ... 11 001 01", CU, "sext.b", one_source)
c("c.zext.h", "100 111 ... 11 010 01", CU, "zext.h", one_source)
c("c.sext.h", "100 111 ... 11 011 01", CU, "sext.h", one_source)
c("c.zext.w", "100 111 ... 11 100 01", CU, "add.uw", zero_extend_word, xlens=RV64)
c("c.not", "100 111 ... 11 101 01", CU, "xori", with_imm(-1))
c("c.mul", "100 111 ... 10 ... 01", CA, "mul", two_regs)

zcmop = Extension("Zcmop")


def no_operation(ops):
    return {"rd": 0, "rs1": 0, "imm": 0}


for n in range(1, 16, 2):
    zcmop.compressed(f"c.mop.{n}", f"011 0 0{n >> 1:03b}1 00000 01",
                     C_NONE, "addi", no_operation)
