"""The ISA description: one module per extension, each declaring its instructions once."""

from . import rv_a, rv_b, rv_c, rv_fd, rv_i, rv_m, rv_zfa, rv_zicond, rv_zicsr
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
)


def all_instructions() -> list[Instruction]:
    return [insn for extension in EXTENSIONS for insn in extension.instructions]


def all_aliases() -> list[Alias]:
    return [alias for extension in EXTENSIONS for alias in extension.aliases]
