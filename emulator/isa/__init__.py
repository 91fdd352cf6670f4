"""The ISA description: one module per extension, each declaring its instructions once."""

from . import (
    rv_a,
    rv_b,
    rv_c,
    rv_fd,
    rv_hints,
    rv_i,
    rv_m,
    rv_v,
    rv_zcb,
    rv_zfa,
    rv_zicbo,
    rv_zicond,
    rv_zicsr,
    rv_zimop,
)
from .base import Alias, Instruction

EXTENSIONS = (
    rv_i.ext,
    rv_m.ext,
    rv_a.ext,
    rv_fd.f_ext,
    rv_fd.d_ext,
    rv_c.ext,
    rv_zicsr.ext,
    rv_zicsr.zifencei,
    rv_b.zba,
    rv_b.zbb,
    rv_b.zbc,
    rv_b.zbs,
    rv_zicond.zicond,
    rv_zfa.zfa,
    rv_zcb.zcb,
    rv_zcb.zcmop,
    rv_zimop.zimop,
    rv_zicbo.zicbom,
    rv_zicbo.zicbop,
    rv_zicbo.zicboz,
    rv_hints.zihintntl,
    rv_hints.zihintpause,
    rv_hints.zawrs,
    rv_v.v,
)


def all_instructions() -> list[Instruction]:
    return [insn for extension in EXTENSIONS for insn in extension.instructions]


def all_aliases() -> list[Alias]:
    return [alias for extension in EXTENSIONS for alias in extension.aliases]
