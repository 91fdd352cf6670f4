"""The decoder and the disassembly derived from the ISA description, checked against capstone 5.

Every instruction of every extension, RV64 and RV32, full-size and compressed, is encoded with
random operands (biased towards the values that select pseudo-instructions: x0, ra, sp, 0, 1,
-1, the floating-point and counter CSRs) and disassembled by pyemu and by capstone; the texts
must be identical. Where capstone does not decode a form (it lacks Zba/Zbb/Zbc/Zbs, and the
compressed hints) or decodes it wrongly (listed below, with the reason), the text is compared
with GNU objdump's instead, in capstone's style. The forms neither tool decodes (reserved
fields a fence ignores, a rounding mode on an exact conversion) are listed in SPEC_ONLY and
checked against hand-written expectations from the specification.
"""

import random
import re
import subprocess

import capstone
import pytest
from conftest import require_tool
from elftools.elf.elffile import ELFFile
from pyemu.emulator.decoder import Decoded, Decoder, instruction_length
from pyemu.emulator.disassembly import Disassembler, number
from pyemu.emulator.isa import EXTENSIONS, all_instructions

WORDS_PER_INSTRUCTION = 200
# Operand values that select pseudo-instructions and named CSRs, or sit at the edges.
SPECIAL_VALUES = (0, 1, 2, 3, 5, 7, -1, 255, 0x3BD, 0x3BE, 0xC00, 0xC01, 0xC02, 0xC80)
CAPSTONE_MODES = {64: capstone.CS_MODE_RISCV64, 32: capstone.CS_MODE_RISCV32}

# Decoded forms capstone 5 shows wrongly: then objdump is the reference.
def capstone_is_wrong(decoded: Decoded) -> str | None:
    if decoded.ops.get("csr") in (0x3BD, 0x3BE):
        return "capstone 5 swaps the names of pmpaddr13 (0x3bd) and pmpaddr14 (0x3be)"
    if decoded.name == "c.nop" and decoded.ops["imm"]:
        return "capstone 5 shows the c.nop hint without its immediate"
    if EXTENSION_OF[decoded.name] in NEWER_THAN_CAPSTONE + NEWER_EXTENSIONS:
        return "capstone 5 predates RVA23's extensions (prefetches show as ori, c.mop as c.lui)"
    return None


# objdump's conventions where they differ from capstone's and the spec's, undone before the
# comparison: binutils 2.40 shows immediate forms under the register forms' names (bclr rd,
# rs, imm; csrrs rd, csr, imm), and the shift-by-zero hints as c.slli64/c.srli64/c.srai64
# (RV128's names), which capstone, where it decodes them, shows as c.slli rd, 0.
OBJDUMP_IMMEDIATE_FORMS = {
    name: f"{name}i" for name in ("ror", "rorw", "bclr", "bext", "binv", "bset", "csrrw",
                                  "csrrs", "csrrc", "csrw", "csrs", "csrc")}
OBJDUMP_IMMEDIATE_FORMS["rorw"] = "roriw"
NUMBER = re.compile(r"-?(?:0x[0-9a-f]+|\d+)")
OBJDUMP_SHIFT64 = re.compile(r"^(c\.s(?:ll|rl|ra)i)64 (\w+)$")

# Decoded forms neither capstone 5 nor objdump 2.40 shows, with the reason they exist.
NEWER_EXTENSIONS = ("Zicond", "Zfa", "Zcb", "Zcmop", "Zimop", "Zvbb")
EXTENSION_OF = {i.name: i.extension for i in all_instructions()}
# Extensions binutils 2.40 knows and capstone 5 does not.
NEWER_THAN_CAPSTONE = ("Zicbom", "Zicbop", "Zicboz", "Zawrs", "V", "Zfhmin")
OBJDUMP_EXTENSIONS = "_zba_zbb_zbc_zbs_zicbom_zicbop_zicboz_zawrs_zihintpause_zfhmin"
# Pseudo-instructions of extensions newer than both tools (they show the base instruction).
NEWER_ALIASES = {a.name for e in EXTENSIONS if e.name in ("Zihintntl",) for a in e.aliases}
SPEC_ONLY = {
    **{i.name: "capstone 5 and binutils 2.40 predate Zicond, Zfa, Zcb, Zcmop, Zimop and Zvbb"
       for i in all_instructions() if i.extension in NEWER_EXTENSIONS},
    "fence": "fm values other than 0 and TSO, and nonzero rs1/rd, are reserved and ignored "
             "(unprivileged spec, FENCE): the fence orders its pred/succ sets",
    "fence.i": "imm, rs1 and rd are reserved and ignored (Zifencei)",
    "fcvt.d.w": "the exact conversions take rm but ignore it (assemblers encode 0)",
    "fcvt.d.wu": "the exact conversions take rm but ignore it (assemblers encode 0)",
    "fcvt.d.s": "the exact conversions take rm but ignore it (assemblers encode 0)",
    "fcvt.s.h": "the exact conversions take rm but ignore it (assemblers encode 0)",
    "fcvt.d.h": "the exact conversions take rm but ignore it (assemblers encode 0)",
}


def random_words(insn, rng: random.Random, count: int):
    for _ in range(count):
        word = insn.match | (rng.getrandbits(8 * insn.length) & ~insn.mask)
        special = {name: rng.choice(SPECIAL_VALUES) for name in insn.format.operands
                   if rng.random() < 0.4}
        yield (insn.format.insert(word, special) & ~insn.mask) | insn.match


def capstone_text(disassembler: capstone.Cs, word: int, length: int) -> str | None:
    found = list(disassembler.disasm(word.to_bytes(length, "little"), 0))
    if not found or found[0].size != length:
        return None
    return f"{found[0].mnemonic} {found[0].op_str}".strip()


def objdump_texts(words: list[int], xlen: int, directory) -> list[str | None]:
    """objdump's text of each word in capstone's style (None where it shows none). Vector
    instructions are disassembled apart: binutils 2.40 with V shows 16-bit words as the
    assembler macro vmsge.vx."""
    vector = [is_vector(w) for w in words]
    texts = iter(_objdump_texts([w for w, v in zip(words, vector) if not v], xlen, directory,
                                OBJDUMP_EXTENSIONS))
    vector_texts = iter(_objdump_texts([w for w, v in zip(words, vector) if v], xlen,
                                       directory, "v"))
    return [next(vector_texts) if v else next(texts) for v in vector]


def is_vector(word: int) -> bool:
    """OP-V, and LOAD-FP/STORE-FP with a vector width (8, 16, 32, 64: 0, 5, 6, 7)."""
    opcode, width = word & 0x7F, (word >> 12) & 7
    return opcode == 0x57 or (opcode in (0x07, 0x27) and width in (0, 5, 6, 7))


def _objdump_texts(words: list[int], xlen: int, directory, extensions: str
                   ) -> list[str | None]:
    if not words:
        return []
    source, obj = directory / f"words{xlen}.s", directory / f"words{xlen}.o"
    source.write_text("".join(f".insn {w:#x}\n" for w in words))
    march = f"-march=rv{xlen}gc{extensions}"
    mabi = "-mabi=lp64d" if xlen == 64 else "-mabi=ilp32d"
    subprocess.run([require_tool("riscv64-linux-gnu-as"), march, mabi, str(source), "-o",
                    str(obj)], check=True)
    listing = subprocess.run([require_tool("riscv64-linux-gnu-objdump"), "-d", str(obj)],
                             capture_output=True, text=True, check=True).stdout
    texts: list[str | None] = []
    for line in listing.splitlines():
        fields = line.split("\t")
        if not re.match(r"^\s+[0-9a-f]+:$", fields[0]) or len(fields) < 3:
            continue
        mnemonic = fields[2].strip()
        if mnemonic.startswith("."):  # .2byte/.4byte: not an instruction to objdump
            texts.append(None)
            continue
        operands = [_capstone_operand(o) for o in fields[3].split("#")[0].strip().split(",")
                    if o] if len(fields) > 3 else []
        if mnemonic in OBJDUMP_IMMEDIATE_FORMS and NUMBER.fullmatch(operands[-1]):
            mnemonic = OBJDUMP_IMMEDIATE_FORMS[mnemonic]
        text = f"{mnemonic} {', '.join(operands)}".strip()
        texts.append(OBJDUMP_SHIFT64.sub(r"\1 \2, 0", text))
    assert len(texts) == len(words), "objdump listing does not match the words"
    return texts


def _capstone_operand(operand: str) -> str:
    """An objdump operand as capstone shows it (immediates: decimal up to 9, else hex)."""
    match = re.fullmatch(rf"({NUMBER.pattern})(\(\w+\))?", operand.strip())
    if not match:
        return operand.strip()
    return number(int(match.group(1), 0)) + (match.group(2) or "")


def random_forms(xlen: int, rng: random.Random, count: int) -> list[tuple[int, Decoded]]:
    """`count` random words of every instruction of `xlen`, decoded (reserved ones left out:
    the decoder tests cover those)."""
    decoder = Decoder(xlen)
    return [(word, decoded) for insn in all_instructions() if xlen in insn.xlens
            for word in random_words(insn, rng, count)
            if (decoded := decoder.decode(word)) is not None]


def compare_with_the_tools(xlen: int, shown: list[tuple[int, Decoded, str]], directory):
    """Each (word, decoded, pyemu's text) against capstone's text, or objdump's where capstone
    has none or a wrong one: (mismatches, names of the forms compared, (word, decoded, text)
    of those neither tool shows)."""
    tool = capstone.Cs(capstone.CS_ARCH_RISCV, CAPSTONE_MODES[xlen] | capstone.CS_MODE_RISCVC)
    mismatches, for_objdump, checked, neither = [], [], set(), []
    for word, decoded, text in shown:
        if text.split()[0] in NEWER_ALIASES:
            continue  # (test_zihintntl_hints_show_by_name has them)
        theirs = capstone_text(tool, word, decoded.length)
        if theirs is None or capstone_is_wrong(decoded):
            for_objdump.append((word, decoded, text))
        elif text != theirs:
            mismatches.append(f"{word:#010x}: pyemu '{text}', capstone '{theirs}'")
        else:
            checked.add(decoded.name)
    for (word, decoded, text), theirs in zip(
            for_objdump, objdump_texts([w for w, _, _ in for_objdump], xlen, directory)):
        if theirs is None:
            neither.append((word, decoded, text))
        elif text != theirs:
            mismatches.append(f"{word:#010x}: pyemu '{text}', objdump '{theirs}'")
        else:
            checked.add(decoded.name)
    return mismatches, checked, neither


@pytest.mark.parametrize("xlen", [64, 32])
def test_disassembly_of_every_instruction_matches_capstone(xlen, tmp_path):
    ours = Disassembler(xlen)
    shown = [(word, decoded, ours.render(decoded))
             for word, decoded in random_forms(xlen, random.Random(xlen), WORDS_PER_INSTRUCTION)]
    mismatches, checked, neither = compare_with_the_tools(xlen, shown, tmp_path)
    for word, decoded, text in neither:
        assert decoded.name in SPEC_ONLY, f"{word:#010x} ({text}): no tool shows it"
    assert not mismatches, f"{len(mismatches)} differ:\n" + "\n".join(mismatches[:40])
    declared = {i.name for i in all_instructions() if xlen in i.xlens}
    shown_by_neither = {decoded.name for _, decoded, _ in neither}
    assert declared <= checked | shown_by_neither, \
        f"never compared: {sorted(declared - checked)}"
    assert len(checked) > 150


# The forms of SPEC_ONLY as the specification writes them.
SPEC_TEXTS = [
    (64, 0x8330000F, "fence.tso"),
    (64, 0x0FF0000F, "fence"),
    (64, 0x0000000F, "fence unknown, unknown"),
    (64, 0x8330008F, "fence.tso"),  # rd = ra: reserved, ignored
    (64, 0x9FF5800F, "fence iorw, iorw"),  # reserved fm 9, rs1 = a1
    (64, 0x0230000F, "fence r, rw"),
    (64, 0x0000100F, "fence.i"),
    (64, 0xFFF5950F, "fence.i"),  # imm, rs1, rd reserved
    (32, 0xD2000553, "fcvt.d.w fa0, zero"),
    (32, 0xD2001553, "fcvt.d.w fa0, zero, rtz"),
    (64, 0xD2157553, "fcvt.d.wu fa0, a0, dyn"),
    (64, 0x42058553, "fcvt.d.s fa0, fa1"),
    (64, 0x4205D553, "fcvt.d.s fa0, fa1, unknown"),
    (64, 0x0EB55533, "czero.eqz a0, a0, a1"),
    (32, 0x0E0077B3, "czero.nez a5, zero, zero"),
    (64, 0xF0100553, "fli.s fa0, -1.0"),
    (64, 0xF2108553, "fli.d fa0, min"),
    (64, 0xF0110553, "fli.s fa0, 1.52587890625e-05"),
    (64, 0xF0148553, "fli.s fa0, 0.3125"),
    (64, 0xF01E8553, "fli.s fa0, 65536.0"),
    (64, 0xF01F0553, "fli.s fa0, inf"),
    (64, 0xF21F8553, "fli.d fa0, nan"),
    (64, 0x28B52553, "fminm.s fa0, fa0, fa1"),
    (64, 0x2AB53553, "fmaxm.d fa0, fa0, fa1"),
    (64, 0x40458553, "fround.s fa0, fa1, rne"),
    (64, 0x4255F553, "froundnx.d fa0, fa1"),
    (32, 0xC2859553, "fcvtmod.w.d a0, fa1, rtz"),
    (64, 0xC2859553, "fcvtmod.w.d a0, fa1, rtz"),
    (64, 0x2AC5A553, "fminm.d fa0, fa1, fa2"),
    (64, 0x2820B053, "fmaxm.s ft0, ft1, ft2"),
    (64, 0x4245B553, "fround.d fa0, fa1, rup"),
    (64, 0x4055F553, "froundnx.s fa0, fa1"),
    (64, 0xA0C5D553, "fltq.s a0, fa1, fa2"),
    (64, 0xA2B5C553, "fleq.d a0, fa1, fa1"),
    (64, 0x0EB57533, "czero.nez a0, a0, a1"),
    (64, 0xA0B5C553, "fleq.s a0, fa1, fa1"),
    (64, 0xA2C5D553, "fltq.d a0, fa1, fa2"),
    (32, 0xE2158553, "fmvh.x.d a0, fa1"),
    (32, 0xB2C58553, "fmvp.d.x fa0, a1, a2"),
    (64, 0x82EC, "c.lbu a1, 3(a3)"),  # uimm[0] in bit 6, uimm[1] in bit 5
    (64, 0x8428, "c.lhu a0, 2(s0)"),
    (64, 0x8468, "c.lh a0, 2(s0)"),
    (32, 0x8448, "c.lh a0, 0(s0)"),
    (64, 0x8A80, "c.sb s0, 0(a3)"),
    (64, 0x8C2C, "c.sh a1, 2(s0)"),
    (64, 0x9C61, "c.zext.b s0"),
    (64, 0x9C65, "c.sext.b s0"),
    (64, 0x9C69, "c.zext.h s0"),
    (64, 0x9C6D, "c.sext.h s0"),
    (64, 0x9C71, "c.zext.w s0"),
    (64, 0x9C75, "c.not s0"),
    (64, 0x9C4D, "c.mul s0, a1"),
    (64, 0x6081, "c.mop.1"),  # c.lui ra, 0
    (32, 0x6781, "c.mop.15"),
    (64, 0x81C04573, "mop.r.0 a0, zero"),
    (64, 0xCDF5C573, "mop.r.31 a0, a1"),
    (64, 0x82C5C573, "mop.rr.0 a0, a1, a2"),
    (32, 0xCEC5C573, "mop.rr.7 a0, a1, a2"),
    (64, 0x062180D7, "vandn.vv v1, v2, v3"),  # funct6 000001, OPIVV
    (64, 0x042640D7, "vandn.vx v1, v2, a2, v0.t"),
    (64, 0x4A2520D7, "vbrev.v v1, v2"),  # VXUNARY0, vs1 01010
    (64, 0x4A2420D7, "vbrev8.v v1, v2"),
    (64, 0x4A24A0D7, "vrev8.v v1, v2"),
    (64, 0x4A2620D7, "vclz.v v1, v2"),
    (64, 0x4A26A0D7, "vctz.v v1, v2"),
    (64, 0x4A2720D7, "vcpop.v v1, v2"),
    (64, 0x522180D7, "vror.vv v1, v2, v3"),  # funct6 010100
    (64, 0x57FBB0D7, "vror.vi v1, v31, 0x37"),  # imm[5] in bit 26
    (64, 0x562180D7, "vrol.vv v1, v2, v3"),
    (64, 0xD62180D7, "vwsll.vv v1, v2, v3"),  # funct6 110101
    (64, 0xD62FB0D7, "vwsll.vi v1, v2, 0x1f"),
]


@pytest.mark.parametrize("xlen, word, text", SPEC_TEXTS)
def test_forms_no_tool_shows_follow_the_spec(xlen, word, text):
    decoded = Decoder(xlen).decode(word)
    assert decoded is not None and decoded.name in SPEC_ONLY
    assert Disassembler(xlen).text(word) == text


@pytest.mark.parametrize("word, text", [
    (0x00200033, "ntl.p1"), (0x00300033, "ntl.pall"), (0x00400033, "ntl.s1"),
    (0x00500033, "ntl.all"), (0x900A, "c.ntl.p1"), (0x9016, "c.ntl.all"),
    (0x00600033, "add zero, zero, t1"),  # a hint of no extension
])
def test_zihintntl_hints_show_by_name(word, text):
    """binutils 2.40 and capstone 5 predate Zihintntl: the names are the spec's."""
    assert Disassembler(64).text(word) == text


@pytest.fixture(scope="module")
def loaded_guest(build_guest):
    """A freestanding RV64 guest, loaded and not yet run."""
    from pyemu import Machine

    return Machine(str(build_guest("freestanding.c", freestanding=True)))


def listed(machine, words: list[tuple[int, int]]) -> list[str]:
    """Machine.disasm's text of each (word, length), written one after another on the
    guest's stack, below its pointer."""
    code = b"".join(word.to_bytes(length, "little") for word, length in words)
    addr = (machine.regs.sp - len(code) - 64) & ~0xF
    machine.mem.write(addr, code)
    listing = machine.disasm(addr, len(words))
    assert [i.size for i in listing] == [length for _, length in words]
    return [f"{i.mnemonic} {i.operands}".strip() for i in listing]


def test_machine_disasm_shows_every_declared_form_as_the_tools_or_the_spec_do(loaded_guest,
                                                                              tmp_path):
    """What users see (Machine.disasm, and the REPL and --trace through the same printer):
    every RV64 form, against capstone where it knows the form, else objdump, else SPEC_TEXTS."""
    forms = random_forms(64, random.Random(3), 8)
    spec = [(word, text) for xlen, word, text in SPEC_TEXTS if xlen == 64]
    texts = listed(loaded_guest, [(word, decoded.length) for word, decoded in forms] +
                   [(word, instruction_length(word & 0xFFFF)) for word, _ in spec])
    assert texts[len(forms):] == [text for _, text in spec]
    mismatches, checked, neither = compare_with_the_tools(
        64, [(word, decoded, text) for (word, decoded), text in zip(forms, texts)], tmp_path)
    assert not mismatches, f"{len(mismatches)} differ:\n" + "\n".join(mismatches[:40])
    checked |= {Decoder(64).decode(word).name for word, _ in spec}
    checked |= {decoded.name for _, decoded, _ in neither if decoded.name in SPEC_ONLY}
    declared = {i.name for i in all_instructions() if 64 in i.xlens}
    assert declared <= checked, f"never compared: {sorted(declared - checked)}"


def test_machine_disasm_shows_an_illegal_word_as_such(loaded_guest):
    # 0: the defined illegal instruction (c.unimp); 0xb: custom-0, which no extension here uses
    assert listed(loaded_guest, [(0, 2), (0xB, 4)]) == ["(illegal) 0x0", "(illegal) 0xb"]


@pytest.fixture(scope="module")
def glibc_text(tmp_path_factory):
    compiler = require_tool("riscv64-linux-gnu-gcc")
    source = tmp_path_factory.mktemp("decoder") / "prog.c"
    source.write_text('#include <stdio.h>\nint main(void){printf("%g\\n", 1.5); return 0;}\n')
    binary = source.with_suffix("")
    subprocess.run([compiler, "-static", "-O2", "-o", binary, source], check=True)
    with open(binary, "rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        return text.data(), text["sh_addr"]


def test_every_instruction_capstone_decodes_in_glibc_disassembles_the_same(glibc_text):
    code, base = glibc_text
    tool = capstone.Cs(capstone.CS_ARCH_RISCV,
                       capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    ours = Disassembler(64)
    seen = 0
    for insn in tool.disasm(code, base):
        word = int.from_bytes(insn.bytes, "little")
        if word == 0:  # c.unimp: reserved, and illegal for us too
            assert ours.decoder.decode(word) is None
            continue
        decoded = ours.decoder.decode(word)
        assert decoded is not None, f"{insn.address:#x}: {insn.mnemonic} {insn.op_str}"
        assert decoded.length == insn.size
        assert ours.text(word) == f"{insn.mnemonic} {insn.op_str}".strip(), f"{insn.address:#x}"
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


def test_operands_encode_back_to_the_same_operands():
    rng = random.Random(7)
    for insn in all_instructions():
        for word in random_words(insn, rng, 20):
            ops = insn.format.extract(word)
            assert insn.format.extract(insn.format.insert(insn.match, ops)) == ops, insn.name


def test_rv64_only_instructions_are_illegal_in_rv32():
    assert Decoder(64).decode(0x00053503).name == "ld"
    assert Decoder(32).decode(0x00053503) is None
