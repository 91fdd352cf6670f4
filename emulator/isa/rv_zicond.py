"""Zicond: integer conditional operations (unprivileged spec, chapter "Zicond", version 1.0)."""

from .base import Extension, R

zicond = Extension("Zicond")


@zicond.insn("0000111 rs2.. rs1.. 101 rd... 0110011", R)
def czero_eqz(X, rd, rs1, rs2):
    X[rd] = 0 if X[rs2] == 0 else X[rs1]


@zicond.insn("0000111 rs2.. rs1.. 111 rd... 0110011", R)
def czero_nez(X, rd, rs1, rs2):
    X[rd] = X[rs1] if X[rs2] == 0 else 0
