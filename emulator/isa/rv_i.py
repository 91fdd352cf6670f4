"""RV32I and RV64I: the base integer instructions (RISC-V unprivileged spec, chapters 2 and 4)."""

from ..semantics import XLEN, ebreak, ecall, ltu, sx, sx32, ux
from .base import FENCE, NONE, SHIFT, SHIFTW, B, Extension, Format, I, J, R, S, U

ext = Extension("I")
insn = ext.insn
alias = ext.alias
RV64 = (64,)
LOAD = Format("LOAD", I.operands, "rd, imm(rs1)")


def _shift_fits(ops: dict, xlen: int) -> bool:
    return ops["imm"] < xlen


# ---------------------------------------------------------------- upper immediates, jumps


@insn("imm................. rd... 0110111", U)
def lui(X, rd, imm):
    X[rd] = sx(imm)


@insn("imm................. rd... 0010111", U)
def auipc(X, rd, imm, pc):
    X[rd] = sx(pc + imm)


@insn("imm................. rd... 1101111", J)
def jal(X, rd, imm, pc, ilen):
    X[rd] = sx(pc + ilen)
    return ux(pc + imm)


@insn("imm......... rs1.. 000 rd... 1100111", I)
def jalr(X, rd, rs1, imm, pc, ilen):
    target = ux(X[rs1] + imm) & ~1
    X[rd] = sx(pc + ilen)
    return target


# ---------------------------------------------------------------- branches


@insn("imm.... rs2.. rs1.. 000 imm.. 1100011", B)
def beq(X, rs1, rs2, imm, pc):
    if X[rs1] == X[rs2]:
        return ux(pc + imm)


@insn("imm.... rs2.. rs1.. 001 imm.. 1100011", B)
def bne(X, rs1, rs2, imm, pc):
    if X[rs1] != X[rs2]:
        return ux(pc + imm)


@insn("imm.... rs2.. rs1.. 100 imm.. 1100011", B)
def blt(X, rs1, rs2, imm, pc):
    if X[rs1] < X[rs2]:
        return ux(pc + imm)


@insn("imm.... rs2.. rs1.. 101 imm.. 1100011", B)
def bge(X, rs1, rs2, imm, pc):
    if X[rs1] >= X[rs2]:
        return ux(pc + imm)


@insn("imm.... rs2.. rs1.. 110 imm.. 1100011", B)
def bltu(X, rs1, rs2, imm, pc):
    if ltu(X[rs1], X[rs2]):
        return ux(pc + imm)


@insn("imm.... rs2.. rs1.. 111 imm.. 1100011", B)
def bgeu(X, rs1, rs2, imm, pc):
    if not ltu(X[rs1], X[rs2]):
        return ux(pc + imm)


# ---------------------------------------------------------------- loads and stores


@insn("imm......... rs1.. 000 rd... 0000011", LOAD)
def lb(X, M, rd, rs1, imm):
    X[rd] = M.load(ux(X[rs1] + imm), 1, True)


@insn("imm......... rs1.. 001 rd... 0000011", LOAD)
def lh(X, M, rd, rs1, imm):
    X[rd] = M.load(ux(X[rs1] + imm), 2, True)


@insn("imm......... rs1.. 010 rd... 0000011", LOAD)
def lw(X, M, rd, rs1, imm):
    X[rd] = M.load_s32(ux(X[rs1] + imm))


@insn("imm......... rs1.. 100 rd... 0000011", LOAD)
def lbu(X, M, rd, rs1, imm):
    X[rd] = M.load(ux(X[rs1] + imm), 1, False)


@insn("imm......... rs1.. 101 rd... 0000011", LOAD)
def lhu(X, M, rd, rs1, imm):
    X[rd] = M.load_u16(ux(X[rs1] + imm))


@insn("imm......... rs1.. 110 rd... 0000011", LOAD, xlens=RV64)
def lwu(X, M, rd, rs1, imm):
    X[rd] = M.load_u32(ux(X[rs1] + imm))


@insn("imm......... rs1.. 011 rd... 0000011", LOAD, xlens=RV64)
def ld(X, M, rd, rs1, imm):
    X[rd] = M.load_s64(ux(X[rs1] + imm))


@insn("imm.... rs2.. rs1.. 000 imm.. 0100011", S)
def sb(X, M, rs1, rs2, imm):
    M.store(ux(X[rs1] + imm), 1, X[rs2])


@insn("imm.... rs2.. rs1.. 001 imm.. 0100011", S)
def sh(X, M, rs1, rs2, imm):
    M.store(ux(X[rs1] + imm), 2, X[rs2])


@insn("imm.... rs2.. rs1.. 010 imm.. 0100011", S)
def sw(X, M, rs1, rs2, imm):
    M.store(ux(X[rs1] + imm), 4, X[rs2])


@insn("imm.... rs2.. rs1.. 011 imm.. 0100011", S, xlens=RV64)
def sd(X, M, rs1, rs2, imm):
    M.store(ux(X[rs1] + imm), 8, X[rs2])


# ---------------------------------------------------------------- register-immediate


@insn("imm......... rs1.. 000 rd... 0010011", I)
def addi(X, rd, rs1, imm):
    X[rd] = sx(X[rs1] + imm)


@insn("imm......... rs1.. 010 rd... 0010011", I)
def slti(X, rd, rs1, imm):
    X[rd] = int(X[rs1] < imm)


@insn("imm......... rs1.. 011 rd... 0010011", I)
def sltiu(X, rd, rs1, imm):
    X[rd] = int(ltu(X[rs1], imm))


@insn("imm......... rs1.. 100 rd... 0010011", I)
def xori(X, rd, rs1, imm):
    X[rd] = X[rs1] ^ imm


@insn("imm......... rs1.. 110 rd... 0010011", I)
def ori(X, rd, rs1, imm):
    X[rd] = X[rs1] | imm


@insn("imm......... rs1.. 111 rd... 0010011", I)
def andi(X, rd, rs1, imm):
    X[rd] = X[rs1] & imm


@insn("000000 shamt. rs1.. 001 rd... 0010011", SHIFT, legal=_shift_fits)
def slli(X, rd, rs1, imm):
    X[rd] = sx(X[rs1] << imm)


@insn("000000 shamt. rs1.. 101 rd... 0010011", SHIFT, legal=_shift_fits)
def srli(X, rd, rs1, imm):
    X[rd] = sx(ux(X[rs1]) >> imm)


@insn("010000 shamt. rs1.. 101 rd... 0010011", SHIFT, legal=_shift_fits)
def srai(X, rd, rs1, imm):
    X[rd] = X[rs1] >> imm


# ---------------------------------------------------------------- register-register


@insn("0000000 rs2.. rs1.. 000 rd... 0110011", R)
def add(X, rd, rs1, rs2):
    X[rd] = sx(X[rs1] + X[rs2])


@insn("0100000 rs2.. rs1.. 000 rd... 0110011", R)
def sub(X, rd, rs1, rs2):
    X[rd] = sx(X[rs1] - X[rs2])


@insn("0000000 rs2.. rs1.. 001 rd... 0110011", R)
def sll(X, rd, rs1, rs2):
    X[rd] = sx(X[rs1] << (X[rs2] & (XLEN - 1)))


@insn("0000000 rs2.. rs1.. 010 rd... 0110011", R)
def slt(X, rd, rs1, rs2):
    X[rd] = int(X[rs1] < X[rs2])


@insn("0000000 rs2.. rs1.. 011 rd... 0110011", R)
def sltu(X, rd, rs1, rs2):
    X[rd] = int(ltu(X[rs1], X[rs2]))


@insn("0000000 rs2.. rs1.. 100 rd... 0110011", R)
def xor(X, rd, rs1, rs2):
    X[rd] = X[rs1] ^ X[rs2]


@insn("0000000 rs2.. rs1.. 101 rd... 0110011", R)
def srl(X, rd, rs1, rs2):
    X[rd] = sx(ux(X[rs1]) >> (X[rs2] & (XLEN - 1)))


@insn("0100000 rs2.. rs1.. 101 rd... 0110011", R)
def sra(X, rd, rs1, rs2):
    X[rd] = X[rs1] >> (X[rs2] & (XLEN - 1))


@insn("0000000 rs2.. rs1.. 110 rd... 0110011", R)
def or_(X, rd, rs1, rs2):
    X[rd] = X[rs1] | X[rs2]


@insn("0000000 rs2.. rs1.. 111 rd... 0110011", R)
def and_(X, rd, rs1, rs2):
    X[rd] = X[rs1] & X[rs2]


# ---------------------------------------------------------------- RV64I word operations


@insn("imm......... rs1.. 000 rd... 0011011", I, xlens=RV64)
def addiw(X, rd, rs1, imm):
    X[rd] = sx32(X[rs1] + imm)


@insn("0000000 shamt rs1.. 001 rd... 0011011", SHIFTW, xlens=RV64)
def slliw(X, rd, rs1, imm):
    X[rd] = sx32(X[rs1] << imm)


@insn("0000000 shamt rs1.. 101 rd... 0011011", SHIFTW, xlens=RV64)
def srliw(X, rd, rs1, imm):
    X[rd] = sx32((X[rs1] & 0xFFFF_FFFF) >> imm)


@insn("0100000 shamt rs1.. 101 rd... 0011011", SHIFTW, xlens=RV64)
def sraiw(X, rd, rs1, imm):
    X[rd] = sx32(X[rs1]) >> imm


@insn("0000000 rs2.. rs1.. 000 rd... 0111011", R, xlens=RV64)
def addw(X, rd, rs1, rs2):
    X[rd] = sx32(X[rs1] + X[rs2])


@insn("0100000 rs2.. rs1.. 000 rd... 0111011", R, xlens=RV64)
def subw(X, rd, rs1, rs2):
    X[rd] = sx32(X[rs1] - X[rs2])


@insn("0000000 rs2.. rs1.. 001 rd... 0111011", R, xlens=RV64)
def sllw(X, rd, rs1, rs2):
    X[rd] = sx32(X[rs1] << (X[rs2] & 31))


@insn("0000000 rs2.. rs1.. 101 rd... 0111011", R, xlens=RV64)
def srlw(X, rd, rs1, rs2):
    X[rd] = sx32((X[rs1] & 0xFFFF_FFFF) >> (X[rs2] & 31))


@insn("0100000 rs2.. rs1.. 101 rd... 0111011", R, xlens=RV64)
def sraw(X, rd, rs1, rs2):
    X[rd] = sx32(X[rs1]) >> (X[rs2] & 31)


# ---------------------------------------------------------------- system


@insn("fm.. pred succ rs1.. 000 rd... 0001111", FENCE)
def fence():
    """Memory ordering: the engines run one hart at a time, so every access is ordered."""


@insn("000000000000 00000 000 00000 1110011", NONE)
def ecall_():
    ecall()


@insn("000000000001 00000 000 00000 1110011", NONE)
def ebreak_(pc):
    ebreak(pc)


# ---------------------------------------------------------------- pseudo-instructions
# The ones capstone prints (and the spec's table of pseudo-instructions lists). Where two
# apply (blt zero, zero), the first declared wins, as in capstone.

alias("j", "jal", "imm", rd=0)
alias("jal", "jal", "imm", rd=1)
alias("ret", "jalr", "", rd=0, rs1=1, imm=0)
alias("jr", "jalr", "rs1", rd=0, imm=0)
alias("jalr", "jalr", "rs1", rd=1, imm=0)
alias("beqz", "beq", "rs1, imm", rs2=0)
alias("bnez", "bne", "rs1, imm", rs2=0)
alias("bltz", "blt", "rs1, imm", rs2=0)
alias("bgtz", "blt", "rs2, imm", rs1=0)
alias("blez", "bge", "rs2, imm", rs1=0)
alias("bgez", "bge", "rs1, imm", rs2=0)
alias("nop", "addi", "", rd=0, rs1=0, imm=0)
alias("mv", "addi", "rd, rs1", imm=0)
alias("not", "xori", "rd, rs1", imm=-1)
alias("seqz", "sltiu", "rd, rs1", imm=1)
alias("snez", "sltu", "rd, rs2", rs1=0)
alias("sltz", "slt", "rd, rs1", rs2=0)
alias("sgtz", "slt", "rd, rs2", rs1=0)
alias("neg", "sub", "rd, rs2", rs1=0)
alias("negw", "subw", "rd, rs2", rs1=0)
alias("sext.w", "addiw", "rd, rs1", imm=0)
alias("fence", "fence", "", fm=0, pred=0b1111, succ=0b1111)
alias("fence.tso", "fence", "", fm=0b1000, pred=0b0011, succ=0b0011)
