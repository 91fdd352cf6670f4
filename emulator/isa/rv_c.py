"""C: compressed instructions (unprivileged spec, chapter 26).

As in QEMU's insn16.decode, each 16-bit form is a pattern plus operand fields, expanded into
the operands of its full-size twin, whose semantics it runs. Immediate layouts are written as
in the specification's tables (e.g. "5:4|9:6|2|3" for c.addi4spn).
"""

from .base import BitField, Extension, Format, Operand, creg, field_, reg

ext = Extension("C")
c = ext.compressed
RV32 = (32,)
RV64 = (64,)


def imm(*pieces: tuple[str, int, int], signed: bool = False) -> Operand:
    """An immediate gathered from (layout, hi, lo) pieces of the 16-bit word."""
    return Operand(tuple(BitField(*p) for p in pieces), signed)


RD_FULL = reg(11, 7)
RS2_FULL = reg(6, 2)
RD_PRIME = creg(4)  # bits 4:2
RS1_PRIME = creg(9)  # bits 9:7
IMM6 = imm(("5", 12, 12), ("4:0", 6, 2), signed=True)
UIMM6 = imm(("5", 12, 12), ("4:0", 6, 2))

# Syntax as capstone prints compressed instructions, over the full-size twin's operands.
LOAD, STORE = "rd, imm(rs1)", "rs2, imm(rs1)"
CIW = Format("CIW", {"rd": RD_PRIME, "imm": imm(("5:4|9:6|2|3", 12, 5))}, "rd, rs1, imm")
CL_W = Format("CL_W", {"rd": RD_PRIME, "rs1": RS1_PRIME, "imm": imm(("5:3", 12, 10), ("2|6", 6, 5))},
              LOAD)
CL_D = Format("CL_D", {"rd": RD_PRIME, "rs1": RS1_PRIME, "imm": imm(("5:3", 12, 10), ("7:6", 6, 5))},
              LOAD)
CS_W = Format("CS_W", {"rs2": RD_PRIME, "rs1": RS1_PRIME, "imm": imm(("5:3", 12, 10), ("2|6", 6, 5))},
              STORE)
CS_D = Format("CS_D", {"rs2": RD_PRIME, "rs1": RS1_PRIME, "imm": imm(("5:3", 12, 10), ("7:6", 6, 5))},
              STORE)
CI = Format("CI", {"rd": RD_FULL, "imm": IMM6}, "rd, imm")
CI_U = Format("CI_U", {"rd": RD_FULL, "imm": UIMM6}, "rd, imm")
CI_SP16 = Format("CI_SP16", {"imm": imm(("9", 12, 12), ("4|6|8:7|5", 6, 2), signed=True)},
                 "rd, imm")
CI_LUI = Format("CI_LUI", {"rd": RD_FULL, "imm": imm(("17", 12, 12), ("16:12", 6, 2), signed=True)},
                "rd, hi20")
CI_LWSP = Format("CI_LWSP", {"rd": RD_FULL, "imm": imm(("5", 12, 12), ("4:2|7:6", 6, 2))}, LOAD)
CI_LDSP = Format("CI_LDSP", {"rd": RD_FULL, "imm": imm(("5", 12, 12), ("4:3|8:6", 6, 2))}, LOAD)
CSS_W = Format("CSS_W", {"rs2": RS2_FULL, "imm": imm(("5:2|7:6", 12, 7))}, STORE)
CSS_D = Format("CSS_D", {"rs2": RS2_FULL, "imm": imm(("5:3|8:6", 12, 7))}, STORE)
CB_SHIFT = Format("CB_SHIFT", {"rd": RS1_PRIME, "imm": UIMM6}, "rd, imm")
CB_ANDI = Format("CB_ANDI", {"rd": RS1_PRIME, "imm": IMM6}, "rd, imm")
CB_BRANCH = Format("CB_BRANCH", {"rs1": RS1_PRIME,
                                 "imm": imm(("8|4:3", 12, 10), ("7:6|2:1|5", 6, 2), signed=True)},
                   "rs1, imm")
CA = Format("CA", {"rd": RS1_PRIME, "rs2": RD_PRIME}, "rd, rs2")
CJ = Format("CJ", {"imm": field_("11|4|9:8|10|6|7|3:1|5", 12, 2, signed=True)}, "imm")
CR = Format("CR", {"rd": RD_FULL, "rs2": RS2_FULL}, "rd, rs2")
CR_JUMP = Format("CR_JUMP", {"rs1": RD_FULL}, "rs1")
C_NONE = Format("C_NONE", {})
FP_LOAD, FP_STORE = "frd, imm(rs1)", "frs2, imm(rs1)"


# Expansions into the full-size twin's operands.
def same(ops):
    return ops


def on_sp(ops):
    return {**ops, "rs1": 2}


def rd_is_rs1(ops):
    return {**ops, "rs1": ops["rd"]}


def from_zero(ops):
    return {**ops, "rs1": 0}


def two_regs(ops):
    return {"rd": ops["rd"], "rs1": ops["rd"], "rs2": ops["rs2"]}


def move(ops):
    return {"rd": ops["rd"], "rs1": 0, "rs2": ops["rs2"]}


def branch_zero(ops):
    return {**ops, "rs2": 0}


def sized(w, expand=same):
    """Loads and stores whose full-size semantics take the width from funct3 (A, F, D)."""
    return lambda ops: {**expand(ops), "w": w}


def link(rd):
    return lambda ops: {"rd": rd, "imm": ops["imm"]}


def jump_register(rd):
    return lambda ops: {"rd": rd, "rs1": ops["rs1"], "imm": 0}


# Legality of reserved encodings (the spec's "RES" entries and nonzero-immediate forms).
def nonzero_imm(ops, xlen):
    return ops["imm"] != 0


def nonzero_rd(ops, xlen):
    return ops["rd"] != 0


def shift_fits(ops, xlen):
    return ops["imm"] < xlen


def nonzero_rs1(ops, xlen):
    return ops["rs1"] != 0


# ---------------------------------------------------------------- quadrant 0
c("c.addi4spn", "000 ........ ... 00", CIW, "addi", on_sp, legal=nonzero_imm)
c("c.fld", "001 ... ... .. ... 00", CL_D, "fld", sized(3), syntax=FP_LOAD)
c("c.lw", "010 ... ... .. ... 00", CL_W, "lw", same)
c("c.flw", "011 ... ... .. ... 00", CL_W, "flw", sized(2), xlens=RV32, syntax=FP_LOAD)
c("c.ld", "011 ... ... .. ... 00", CL_D, "ld", same, xlens=RV64)
c("c.fsd", "101 ... ... .. ... 00", CS_D, "fsd", sized(3), syntax=FP_STORE)
c("c.sw", "110 ... ... .. ... 00", CS_W, "sw", same)
c("c.fsw", "111 ... ... .. ... 00", CS_W, "fsw", sized(2), xlens=RV32, syntax=FP_STORE)
c("c.sd", "111 ... ... .. ... 00", CS_D, "sd", same, xlens=RV64)

# ---------------------------------------------------------------- quadrant 1
c("c.nop", "000 . 00000 ..... 01", CI, "addi", rd_is_rs1, syntax="imm")
c("c.addi", "000 . ..... ..... 01", CI, "addi", rd_is_rs1, legal=nonzero_rd)
c("c.jal", "001 ........... 01", CJ, "jal", link(1), xlens=RV32)
c("c.addiw", "001 . ..... ..... 01", CI, "addiw", rd_is_rs1, xlens=RV64, legal=nonzero_rd)
c("c.li", "010 . ..... ..... 01", CI, "addi", from_zero)
c("c.addi16sp", "011 . 00010 ..... 01", CI_SP16, "addi",
  lambda ops: {"rd": 2, "rs1": 2, "imm": ops["imm"]}, legal=nonzero_imm)
c("c.lui", "011 . ..... ..... 01", CI_LUI, "lui", same, legal=nonzero_imm)
c("c.srli", "100 . 00 ... ..... 01", CB_SHIFT, "srli", rd_is_rs1, legal=shift_fits)
c("c.srai", "100 . 01 ... ..... 01", CB_SHIFT, "srai", rd_is_rs1, legal=shift_fits)
c("c.andi", "100 . 10 ... ..... 01", CB_ANDI, "andi", rd_is_rs1)
c("c.sub", "100 0 11 ... 00 ... 01", CA, "sub", two_regs)
c("c.xor", "100 0 11 ... 01 ... 01", CA, "xor", two_regs)
c("c.or", "100 0 11 ... 10 ... 01", CA, "or", two_regs)
c("c.and", "100 0 11 ... 11 ... 01", CA, "and", two_regs)
c("c.subw", "100 1 11 ... 00 ... 01", CA, "subw", two_regs, xlens=RV64)
c("c.addw", "100 1 11 ... 01 ... 01", CA, "addw", two_regs, xlens=RV64)
c("c.j", "101 ........... 01", CJ, "jal", link(0))
c("c.beqz", "110 ... ... ..... 01", CB_BRANCH, "beq", branch_zero)
c("c.bnez", "111 ... ... ..... 01", CB_BRANCH, "bne", branch_zero)

# ---------------------------------------------------------------- quadrant 2
c("c.slli", "000 . ..... ..... 10", CI_U, "slli", rd_is_rs1, legal=shift_fits)
c("c.fldsp", "001 . ..... ..... 10", CI_LDSP, "fld", sized(3, on_sp), syntax=FP_LOAD)
c("c.lwsp", "010 . ..... ..... 10", CI_LWSP, "lw", on_sp, legal=nonzero_rd)
c("c.flwsp", "011 . ..... ..... 10", CI_LWSP, "flw", sized(2, on_sp), xlens=RV32,
  syntax=FP_LOAD)
c("c.ldsp", "011 . ..... ..... 10", CI_LDSP, "ld", on_sp, xlens=RV64, legal=nonzero_rd)
c("c.jr", "100 0 ..... 00000 10", CR_JUMP, "jalr", jump_register(0), legal=nonzero_rs1)
c("c.mv", "100 0 ..... ..... 10", CR, "add", move)
c("c.ebreak", "100 1 00000 00000 10", C_NONE, "ebreak", same)
c("c.jalr", "100 1 ..... 00000 10", CR_JUMP, "jalr", jump_register(1), legal=nonzero_rs1)
c("c.add", "100 1 ..... ..... 10", CR, "add", two_regs)
c("c.fsdsp", "101 ...... ..... 10", CSS_D, "fsd", sized(3, on_sp), syntax=FP_STORE)
c("c.swsp", "110 ...... ..... 10", CSS_W, "sw", on_sp)
c("c.fswsp", "111 ...... ..... 10", CSS_W, "fsw", sized(2, on_sp), xlens=RV32,
  syntax=FP_STORE)
c("c.sdsp", "111 ...... ..... 10", CSS_D, "sd", on_sp, xlens=RV64)

# A c.nop with a nonzero immediate is a hint; objdump shows the immediate.
ext.alias("c.nop", "c.nop", "", imm=0)
