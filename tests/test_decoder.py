"""The decoder derived from the ISA description, checked against capstone's disassembler."""

import shutil
import subprocess

import capstone
import pytest
from elftools.elf.elffile import ELFFile
from pyemu.emulator.decoder import Decoder
from pyemu.emulator.isa import all_instructions

# Capstone prints these pseudo-instructions for particular operands of the real instruction.
CAPSTONE_ALIASES = {
    "jal": {"j"},
    "jalr": {"jr", "ret"},
    "beq": {"beqz"},
    "bne": {"bnez"},
    "blt": {"bltz", "bgtz"},
    "bge": {"bgez", "blez"},
    "addi": {"mv", "nop", "li"},
    "addiw": {"sext.w"},
    "xori": {"not"},
    "sltiu": {"seqz"},
    "sltu": {"snez"},
    "slt": {"sltz", "sgtz"},
    "sub": {"neg"},
    "subw": {"negw"},
    "csrrs": {"frrm", "frflags", "frcsr", "rdcycle", "rdtime", "rdinstret", "csrr", "csrs"},
    "csrrw": {"fsflags", "fsrm", "fscsr", "csrw"},
    "csrrsi": {"csrsi"},
    "csrrci": {"csrci"},
    "csrrwi": {"csrwi", "fsrmi", "fsflagsi"},
    "csrrc": {"csrc"},
    "fsgnj.d": {"fmv.d"},
    "fsgnj.s": {"fmv.s"},
    "fsgnjx.d": {"fabs.d"},
    "fsgnjx.s": {"fabs.s"},
    "fsgnjn.d": {"fneg.d"},
    "fsgnjn.s": {"fneg.s"},
}


def capstone_names(name: str) -> set[str]:
    names = {name} | CAPSTONE_ALIASES.get(name, set())
    # Capstone appends the ordering bits of atomics to the mnemonic.
    return names | {f"{n}.{o}" for n in names for o in ("aq", "rl", "aqrl")}


@pytest.fixture(scope="module")
def glibc_text(tmp_path_factory):
    compiler = shutil.which("riscv64-linux-gnu-gcc")
    if compiler is None:
        pytest.fail("riscv64-linux-gnu-gcc is needed (apt-get install gcc-riscv64-linux-gnu)")
    source = tmp_path_factory.mktemp("decoder") / "prog.c"
    source.write_text('#include <stdio.h>\nint main(void){printf("%g\\n", 1.5); return 0;}\n')
    binary = source.with_suffix("")
    subprocess.run([compiler, "-static", "-O2", "-o", binary, source], check=True)
    with open(binary, "rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        return text.data(), text["sh_addr"]


def test_every_instruction_capstone_decodes_in_glibc_decodes_to_the_same_mnemonic(glibc_text):
    code, base = glibc_text
    disassembler = capstone.Cs(
        capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC
    )
    decoder = Decoder(64)
    seen = 0
    for insn in disassembler.disasm(code, base):
        word = int.from_bytes(insn.bytes, "little")
        if word == 0:  # c.unimp: reserved, and illegal for us too
            assert decoder.decode(word) is None
            continue
        decoded = decoder.decode(word)
        assert decoded is not None, f"{insn.address:#x}: {insn.mnemonic} {insn.op_str}"
        assert decoded.length == insn.size
        assert insn.mnemonic in capstone_names(decoded.name), (
            f"{insn.address:#x}: ours {decoded.name}, capstone {insn.mnemonic} {insn.op_str}"
        )
        seen += 1
    assert seen > 10_000


def test_patterns_of_one_xlen_never_overlap():
    for xlen in (32, 64):
        usable = [i for i in all_instructions() if xlen in i.xlens]
        for a in usable:
            for b in usable:
                if a is b or a.length != b.length:
                    continue
                common = a.mask & b.mask
                overlapping = (a.match & common) == (b.match & common)
                # An overlap is allowed only where one pattern is strictly more specific
                # (c.nop inside c.addi, c.jr inside c.mv's space, ...): the decoder tries it first.
                if overlapping and a.mask == b.mask:
                    pytest.fail(f"RV{xlen}: {a.name} and {b.name} share an encoding")


@pytest.mark.parametrize(
    "word, name, ops",
    [
        (0x00B50533, "add", {"rd": 10, "rs1": 10, "rs2": 11}),
        (0xFFF00513, "addi", {"rd": 10, "rs1": 0, "imm": -1}),
        (0x8000006F, "jal", {"rd": 0, "imm": -(1 << 20)}),
        (0x4505, "c.li", {"rd": 10, "rs1": 0, "imm": 1}),
        (0x1141, "c.addi", {"rd": 2, "rs1": 2, "imm": -16}),
    ],
)
def test_operands_are_extracted_and_compressed_forms_expand(word, name, ops):
    decoded = Decoder(64).decode(word)
    assert decoded.name == name
    assert {k: decoded.ops[k] for k in ops} == ops


def test_rv64_only_instructions_are_illegal_in_rv32():
    assert Decoder(64).decode(0x00053503).name == "ld"
    assert Decoder(32).decode(0x00053503) is None
