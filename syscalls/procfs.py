"""The guest's own /proc files: what Linux would show for the emulated process (like qemu,
which emulates these too), not pyemu's host process."""

from __future__ import annotations

import os
import re
import struct

from ..emulator.memory import PROT_EXEC, PROT_READ, PROT_WRITE
from .kernel import Kernel

SELF = re.compile(r"^/proc/(self|thread-self|\d+)/(maps|cmdline|environ|auxv|stat|comm)$")
ISA_STRING = "rv64imafdc_zicond_zicsr_zifencei_zfa_zba_zbb_zbc_zbs"


def maps(k: Kernel) -> bytes:
    lines = []
    for region in k.mem.maps():
        perms = "".join(flag if region.prot & bit else "-" for flag, bit in
                        (("r", PROT_READ), ("w", PROT_WRITE), ("x", PROT_EXEC))) + "p"
        head = f"{region.start:08x}-{region.end:08x} {perms} {region.offset:08x} 00:00 0"
        lines.append(f"{head:<72} {region.name}".rstrip() if region.name else head)
    return "".join(line + "\n" for line in lines).encode()


def stat(k: Kernel) -> bytes:
    process = k.process
    fields = [str(process.pid), f"({process.name.decode(errors='replace')})", "R",
              str(os.getppid()), str(os.getpgid(0)), str(os.getsid(0))]
    fields += ["0"] * (52 - len(fields))
    return (" ".join(fields) + "\n").encode()


def cpuinfo(k: Kernel) -> bytes:
    isa = ISA_STRING if k.xlen == 64 else ISA_STRING.replace("rv64", "rv32")
    mmu = "sv39" if k.xlen == 64 else "sv32"
    return f"processor\t: 0\nhart\t\t: 0\nisa\t\t: {isa}\nmmu\t\t: {mmu}\n\n".encode()


def contents(k: Kernel, path: str) -> bytes | None:
    """The bytes of an emulated /proc file, or None for any other path."""
    if path == "/proc/cpuinfo":
        return cpuinfo(k)
    match = SELF.match(path)
    if match is None or match.group(1) not in ("self", "thread-self", str(k.process.pid)):
        return None
    process = k.process
    word = "<Q" if k.xlen == 64 else "<I"
    return {
        "maps": lambda: maps(k),
        "cmdline": lambda: b"".join(arg + b"\0" for arg in process.argv),
        "environ": lambda: b"".join(entry + b"\0" for entry in process.envp),
        "auxv": lambda: b"".join(struct.pack(word * 2, key, value)
                                 for key, value in process.auxv),
        "stat": lambda: stat(k),
        "comm": lambda: process.name + b"\n",
    }[match.group(2)]()


def open_contents(data: bytes) -> int:
    """A host descriptor reading `data` from its start (a memfd, or an unlinked file)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("pyemu-proc")
    else:
        import tempfile

        fd, name = tempfile.mkstemp()
        os.unlink(name)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
