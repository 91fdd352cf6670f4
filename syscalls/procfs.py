"""The guest's own /proc files: what Linux would show for the emulated process (like qemu,
which emulates these too), not pyemu's host process."""

from __future__ import annotations

import fcntl
import os
import struct
from dataclasses import dataclass
from stat import S_ISDIR

from ..emulator.isa import isa_string
from ..emulator.memory import PROT_EXEC, PROT_READ, PROT_WRITE
from .errors import EINVAL, SyscallError
from .kernel import Kernel


def maps(k: Kernel) -> bytes:
    lines = []
    root = k.process.root
    for region in k.mem.maps():
        name = root.guest_view(region.name) if root and region.name.startswith("/") \
            else region.name
        perms = "".join(flag if region.prot & bit else "-" for flag, bit in
                        (("r", PROT_READ), ("w", PROT_WRITE), ("x", PROT_EXEC)))
        perms += "s" if region.shared else "p"
        head = f"{region.start:08x}-{region.end:08x} {perms} {region.offset:08x} 00:00 0"
        lines.append(f"{head:<72} {name}".rstrip() if name else head)
    return "".join(line + "\n" for line in lines).encode()


def stat_line(k: Kernel) -> bytes:
    process = k.process
    fields = [str(process.pid), f"({process.name.decode(errors='replace')})", "R",
              str(os.getppid()), str(os.getpgid(0)), str(os.getsid(0))]
    fields += ["0"] * (52 - len(fields))
    return (" ".join(fields) + "\n").encode()


def cpuinfo(k: Kernel) -> bytes:
    isa = isa_string(k.xlen)
    mmu = "sv39" if k.xlen == 64 else "sv32"
    return f"processor\t: 0\nhart\t\t: 0\nisa\t\t: {isa}\nmmu\t\t: {mmu}\n\n".encode()


# The emulated tree, as parts below /proc: () is /proc itself, ("self", "maps") a file.
DIR, FILE, LINK = "dir", "file", "link"
PROCESS_FILES = {
    "maps": maps,
    "cmdline": lambda k: b"".join(arg + b"\0" for arg in k.process.argv),
    "environ": lambda k: b"".join(entry + b"\0" for entry in k.process.envp),
    "auxv": lambda k: b"".join(struct.pack("<QQ" if k.xlen == 64 else "<II", key, value)
                               for key, value in k.process.auxv),
    "stat": stat_line,
    "comm": lambda k: k.process.name + b"\n",
}
PROCESS_LINKS = ("exe", "cwd", "root")


def _is_self(k: Kernel, name: str) -> bool:
    return name in ("self", "thread-self", str(k.process.pid))


def node(k: Kernel, parts: tuple[str, ...]) -> str | None:
    """DIR, FILE or LINK for an emulated /proc path, None for anything else."""
    if not parts:
        return DIR
    if parts == ("cpuinfo",):
        return FILE
    if not _is_self(k, parts[0]):
        return None
    if len(parts) == 1:
        return DIR
    name = parts[1]
    if len(parts) == 2:
        if name in PROCESS_FILES:
            return FILE
        if name in PROCESS_LINKS:
            return LINK
        return DIR if name == "fd" else None
    if len(parts) == 3 and name == "fd" and _descriptor(k, parts[2]) is not None:
        return LINK
    return None


def listing(k: Kernel, parts: tuple[str, ...]) -> list[str]:
    """The names in an emulated DIR, as the guest sees them (its own descriptors in fd)."""
    if not parts:
        names = ["cpuinfo", "self", "thread-self", str(k.process.pid)]
    elif len(parts) == 1:
        names = [*PROCESS_FILES, *PROCESS_LINKS, "fd"]
    else:
        names = [str(fd) for fd in sorted(k.process.files)]
    return [".", "..", *names]


def _descriptor(k: Kernel, name: str):
    """The guest's descriptor named by a /proc/self/fd entry, or None."""
    if not name.isdigit() or name != str(int(name)):
        return None
    return k.process.files.get(int(name))


def contents(k: Kernel, parts: tuple[str, ...]) -> bytes:
    """The bytes of an emulated FILE."""
    if parts == ("cpuinfo",):
        return cpuinfo(k)
    return PROCESS_FILES[parts[1]](k)


def stat(k: Kernel, parts: tuple[str, ...]) -> os.stat_result:
    """What stat shows of an emulated object: a read-only file, a directory, a symlink."""
    kind = node(k, parts)
    if kind == FILE:
        fd = open_contents(contents(k, parts))
        try:
            return os.fstat(fd)
        finally:
            os.close(fd)
    return os.stat("/proc/self/exe" if kind == LINK else "/proc", follow_symlinks=False)


def link_text(k: Kernel, parts: tuple[str, ...]) -> str:
    """What readlink shows of an emulated LINK, in the guest's names."""
    if node(k, parts) != LINK:
        raise SyscallError(EINVAL)
    root = k.process.root
    view = root.guest_view if root is not None else (lambda host: host)
    name = parts[1]
    if name == "root":
        return "/"
    if name == "cwd":
        return root.cwd() if root is not None else os.getcwd()
    if name == "exe":
        return view(k.process.executable)
    return view(os.readlink(f"/proc/self/fd/{_descriptor(k, parts[2]).host_fd}"))


def host_target(k: Kernel, parts: tuple[str, ...]) -> str:
    """Where an emulated LINK leads for a guest using host paths."""
    name = parts[1]
    if name == "fd":
        return f"/proc/self/fd/{_descriptor(k, parts[2]).host_fd}"
    return {"root": "/", "cwd": os.getcwd(), "exe": k.process.executable}[name]


@dataclass(frozen=True)
class Jump:
    """Where following an emulated LINK under a root leads: a directory inside the root
    (`directory`, a descriptor), or one object by its host path; `outside` when that object
    is not below the root (the program file, a descriptor pyemu was given), `writable` when
    the guest may nevertheless reopen it for writing (it holds it open for writing)."""

    directory: int | None
    host_path: str = ""
    outside: bool = False
    writable: bool = False


def root_jump(k: Kernel, root, parts: tuple[str, ...]) -> Jump:
    name = parts[1]
    if name == "root":
        return Jump(root.fd)
    if name == "cwd":
        return Jump(root.cwd_fd)
    if name == "exe":
        executable = k.process.executable
        return Jump(None, executable, outside=not root.contains(executable))
    description = _descriptor(k, parts[2])
    host = description.host_fd
    if description.in_root and S_ISDIR(os.fstat(host).st_mode):
        return Jump(host)
    access = fcntl.fcntl(host, fcntl.F_GETFL) & os.O_ACCMODE
    return Jump(None, f"/proc/self/fd/{host}", outside=not description.in_root,
                writable=access != os.O_RDONLY)


def open_contents(data: bytes) -> int:
    """A host descriptor reading `data` from its start (a memfd, or an unlinked file)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("pyemu-proc")
    else:
        import tempfile

        fd, name = tempfile.mkstemp()
        os.unlink(name)
    os.write(fd, data)
    os.fchmod(fd, 0o444)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
