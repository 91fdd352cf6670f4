"""Zicsr and Zifencei: control and status registers, instruction-fetch fence."""

from ..semantics import csr_read, csr_write
from .base import CSR, CSRI, FENCE, Extension

ext = Extension("Zicsr")
insn = ext.insn


@insn("csr......... rs1.. 001 rd... 1110011", CSR)
def csrrw(X, C, rd, rs1, csr):
    new = X[rs1]
    X[rd] = csr_read(C, csr)
    csr_write(C, csr, new)


@insn("csr......... rs1.. 010 rd... 1110011", CSR)
def csrrs(X, C, rd, rs1, csr):
    old = csr_read(C, csr)
    if rs1:
        csr_write(C, csr, old | X[rs1])
    X[rd] = old


@insn("csr......... rs1.. 011 rd... 1110011", CSR)
def csrrc(X, C, rd, rs1, csr):
    old = csr_read(C, csr)
    if rs1:
        csr_write(C, csr, old & ~X[rs1])
    X[rd] = old


@insn("csr......... uimm. 101 rd... 1110011", CSRI)
def csrrwi(X, C, rd, imm, csr):
    X[rd] = csr_read(C, csr)
    csr_write(C, csr, imm)


@insn("csr......... uimm. 110 rd... 1110011", CSRI)
def csrrsi(X, C, rd, imm, csr):
    old = csr_read(C, csr)
    if imm:
        csr_write(C, csr, old | imm)
    X[rd] = old


@insn("csr......... uimm. 111 rd... 1110011", CSRI)
def csrrci(X, C, rd, imm, csr):
    old = csr_read(C, csr)
    if imm:
        csr_write(C, csr, old & ~imm)
    X[rd] = old


zifencei = Extension("Zifencei")


@zifencei.insn("imm......... rs1.. 001 rd... 0001111", FENCE)
def fence_i():
    """Stores into cached code already dropped its decoded form, so nothing is stale here."""
