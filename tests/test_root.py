"""--root DIR: the guest sees DIR as / and no path it names reaches or creates a host file
outside it; --read-only makes DIR unchangeable (EROFS, as a read-only mount).

qemu-riscv64 has no such sandbox (its -L falls back to host paths), so the oracle is the host
kernel: the same program built for the host runs chroot()ed into a copy of the same box, in a
user and mount namespace of its own with the host's /proc bound in (and DIR bound read-only
for --read-only). CHROOT_DIFFERENCES lists where pyemu's root is deliberately stricter than a
chroot, with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from pyemu.machine import Machine


def make_box(tmp_path: Path) -> Path:
    """box/secret (outside) and box/root (the guest's /) with symlinks that point out."""
    box = tmp_path / "box"
    root = box / "root"
    (root / "d").mkdir(parents=True)
    (box / "secret").write_text("secret\n")
    (root / "inside").write_text("inside\n")
    (root / "inside2").write_text("inside2\n")
    os.symlink("../../..", root / "up")
    os.symlink("/", root / "slash")
    os.symlink(box / "secret", root / "hostlink")
    os.symlink("../up/../d/../../secret", root / "d" / "chain")
    os.symlink("loop", root / "loop")
    return box


def tree(directory: Path) -> dict[str, str]:
    """Every entry below `directory`: file contents, symlink targets, "dir", "socket",
    "fifo"."""
    entries = {}
    for path in sorted(directory.rglob("*")):
        name = str(path.relative_to(directory))
        if path.is_symlink():
            entries[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            entries[name] = "dir"
        elif path.is_socket() or path.is_fifo():
            entries[name] = "socket" if path.is_socket() else "fifo"
        else:
            entries[name] = path.read_text()
    return entries


# A chroot into DIR: the program (a host file outside DIR, opened before the chroot) runs
# with DIR as its root, the host's /proc bound at DIR/proc.
CHROOT_SCRIPT = """set -e
box=$1; read_only=$2; shift 2
mkdir "$box/root/proc"
if [ "$read_only" = yes ]; then
    mount --bind "$box/root" "$box/root"
    mount -o remount,bind,ro "$box/root"
fi
mount --rbind /proc "$box/root/proc"
exec python3 -c 'import os, sys
program = os.open(sys.argv[1], os.O_RDONLY)
os.chroot(sys.argv[2])
os.chdir("/")
os.execve(program, sys.argv[3:], {"PATH": "/usr/bin:/bin", "LANG": "C"})' "$@"
"""

# Line (before ": ") -> (pyemu's answer, why it differs from a chroot's).
CHROOT_DIFFERENCES = {
    "proc pid root": ("ENOENT", ("pyemu's /proc shows no process but the guest's; the oracle's "
                      "pid 1 is the host's init, out of its namespace's reach (EACCES)")),
    "hardlink of proc exe": ("EXDEV", ("the program is a host file outside the root: a chroot's "
                             "/proc/self/exe reaches it, pyemu's root reaches nothing outside")),
    "chmod proc exe": ("EACCES", "as above: the program outside the root cannot be changed"),
}


# Directory listings (line before ": ") where pyemu shows part of what Linux's /proc has: its
# /proc holds the guest's own entries, each of which Linux has too.
EMULATED_LISTINGS = ("list /proc/self/..", "list /proc/self")


def chroot_lines(host_program: Path, tmp_path: Path, args: list[str], read_only: bool,
                 box: Path | None = None) -> list[str]:
    """The output lines of a host-built program chroot()ed into a box's root (by default a
    fresh one), with CHROOT_DIFFERENCES' answers in pyemu's place."""
    box = box or make_box(tmp_path / "chroot")
    program = shutil.copy(host_program, box / "program")  # chmod may reach it
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                           CHROOT_SCRIPT, "chroot", str(box), "yes" if read_only else "no",
                           program, str(box / "root"), "escape", str(box), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for index, line in enumerate(lines):
        what, _, answer = line.partition(": ")
        if what in CHROOT_DIFFERENCES:
            ours, _ = CHROOT_DIFFERENCES[what]
            assert answer != ours, f"a chroot now answers {line!r}: drop the difference"
            lines[index] = f"{what}: {ours}"
    return lines


def assert_like_chroot(output: bytes, chroot: list[str]) -> None:
    lines = output.decode().splitlines()
    assert [line.partition(": ")[0] for line in lines] == \
        [line.partition(": ")[0] for line in chroot]
    for ours, theirs in zip(lines, chroot):
        what, _, listed = ours.partition(": ")
        if what in EMULATED_LISTINGS:
            # (PID, the process itself, may lie beyond the 64 entries the program lists)
            missing = set(listed.split()) - set(theirs.partition(": ")[2].split()) - {"PID"}
            assert not missing, f"{what}: Linux has no {sorted(missing)}"
        else:
            assert ours == theirs


@pytest.fixture(scope="module")
def escape(build_guest) -> Path:
    return build_guest("root_escape.c")


@pytest.fixture(scope="module")
def escape_host(build_host) -> Path:
    return build_host("root_escape.c", extra=("-static",))  # no libraries in the chroot


@pytest.mark.parametrize("engine", ["fast", "python"])
def test_no_path_leads_out_of_the_root(engine, escape, escape_host, tmp_path, run_pyemu):
    box = make_box(tmp_path)
    before = tree(box)
    result = run_pyemu(escape, [str(box), "write"],
                       options=["--engine", engine, "--root", str(box / "root")])
    assert result.returncode == 0, result.stderr
    assert_like_chroot(result.stdout, chroot_lines(escape_host, tmp_path, ["write"], False))
    after = tree(box)
    outside = {name: value for name, value in after.items() if not name.startswith("root")}
    assert outside == {name: value for name, value in before.items()
                       if not name.startswith("root")}
    # What the guest made is below the root, where the guest said.
    assert after["root/created"] == "created\n"
    assert after["root/moved"] == "inside2\n"
    assert after["root/newdir"] == "dir"
    assert after["root/made"] == f"-> {box / 'secret'}"
    assert "root/inside2" not in after


def test_read_only_root_refuses_every_change(escape, escape_host, tmp_path, run_pyemu):
    box = make_box(tmp_path)
    before = tree(box)
    stats = {path: path.lstat() for path in box.rglob("*")}
    result = run_pyemu(escape, [str(box)], options=["--root", str(box / "root"), "--read-only"])
    assert result.returncode == 0, result.stderr
    assert_like_chroot(result.stdout, chroot_lines(escape_host, tmp_path, [], True))
    assert tree(box) == before
    for path, st in stats.items():  # not even a mode or a time changed
        assert (path.lstat().st_mode, path.lstat().st_mtime_ns) == (st.st_mode, st.st_mtime_ns)


def test_a_guest_swapping_a_directory_for_a_symlink_does_not_get_out(escape, tmp_path,
                                                                     run_pyemu):
    """A walk that re-resolved path strings on the host could be raced into following /sw
    while it is a symlink to ".." (and so reach the secret next to the root)."""
    box = make_box(tmp_path)
    result = run_pyemu(escape, [str(box), "race"], options=["--root", str(box / "root")])
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"race: contained\n"


def test_dynamic_program_finds_its_interpreter_and_libraries_in_the_root(cross_cc, tmp_path,
                                                                          run_pyemu):
    """The program is a host path; PT_INTERP and the libraries ld.so opens are inside the root
    (here the cross toolchain's sysroot, read-only)."""
    source = tmp_path / "hello.c"
    source.write_text('#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n'
                      '  char cwd[64]; printf("hello from %s\\n", getcwd(cwd, sizeof cwd));\n'
                      '  return access("/lib/libc.so.6", R_OK);\n}\n')
    program = tmp_path / "hello"
    subprocess.run([cross_cc, "-O2", "-o", str(program), str(source)], check=True)
    sysroot = "/usr/riscv64-linux-gnu"
    result = run_pyemu(program, options=["--root", sysroot, "--read-only"])
    assert (result.returncode, result.stdout) == (0, b"hello from /\n"), result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_pyemu(program, options=["--root", str(empty)])
    assert result.returncode == 126
    assert result.stderr_lines == [(f"pyemu: {program}: bad ELF interpreter: "
                                   "/lib/ld-linux-riscv64-lp64d.so.1: No such file or directory")]


def test_root_that_is_missing_or_not_a_directory(escape, tmp_path, run_pyemu):
    result = run_pyemu(escape, options=["--root", str(tmp_path / "missing")])
    assert (result.returncode, result.stderr_lines) == (
        127, [f"pyemu: --root {tmp_path / 'missing'}: No such file or directory"])
    result = run_pyemu(escape, options=["--root", str(escape)])
    assert (result.returncode, result.stderr_lines) == (
        126, [f"pyemu: --root {escape}: Not a directory"])
    result = run_pyemu(escape, options=["--read-only"])
    assert result.returncode == 2 and "--read-only needs --root" in result.stderr


def test_guest_starts_in_the_hosts_directory_when_that_is_inside_the_root(escape, tmp_path):
    box = make_box(tmp_path)
    here = os.getcwd()
    os.chdir(box / "root" / "d")
    try:
        machine = Machine.load(str(escape), [str(escape), str(box)], {}, root=str(box / "root"),
                               engine="python")
    finally:
        os.chdir(here)
    assert machine.kernel.process.root.cwd() == "/d"


def descriptors_below(directory: Path) -> set[int]:
    """pyemu's open descriptors on something in `directory`."""
    found = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target == str(directory) or target.startswith(f"{directory}/"):
            found.add(int(name))
    return found


def test_lookups_leave_no_descriptor_open(escape, tmp_path):
    """Every escape attempt (ELOOP, ENOENT, EXDEV...) closes what its walk opened: what stays
    open is the root, the guest's directory and the guest's own descriptors."""
    box = make_box(tmp_path)
    machine = Machine.load(str(escape), [str(escape), str(box), "write"], {},
                           engine="python", root=str(box / "root"))
    machine.run()
    assert machine.exit.status == 0
    process = machine.kernel.process
    kept = {process.root.fd, process.root.cwd_fd} | {d.host_fd for d in process.files.values()}
    assert descriptors_below(box) == kept - {0, 1, 2}


def listening_box(directory: Path) -> tuple[Path, socket.socket]:
    """make_box's box with a socket listening next to the root and a symlink to it inside."""
    box = make_box(directory)
    os.symlink(box / "outside.sock", box / "root" / "sockout")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(box / "outside.sock"))
    listener.listen(1)
    return box, listener


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only"])
def test_calls_beyond_open_stay_in_the_root(read_only, build_guest, build_host, tmp_path,
                                            run_pyemu):
    """Socket addresses, inotify, xattrs, openat2, mknod, faccessat2 and /proc's directories
    (listed as the guest's, not the host's): none reaches the socket or file next to the
    root, and a read-only root refuses what would make a file (EROFS). open_by_handle_at is
    refused (EPERM): a handle may name any file of the file system."""
    box, listener = listening_box(tmp_path)
    before = tree(box)
    options = ["--root", str(box / "root"), *(["--read-only"] if read_only else [])]
    args = [str(box), "ro" if read_only else "rw"]
    try:
        result = run_pyemu(build_guest("root_calls.c"), args, options=options)
    finally:
        listener.close()
    assert result.returncode == 0, result.stderr
    chroot_box, chroot_listener = listening_box(tmp_path / "chroot")
    try:
        expected = chroot_lines(build_host("root_calls.c", extra=("-static",)), tmp_path,
                                args[1:], read_only, chroot_box)
    finally:
        chroot_listener.close()
    assert_like_chroot(result.stdout, expected)
    made = {name: value for name, value in tree(box).items() if name not in before}
    assert made == ({} if read_only else {
        "root/made.sock": "socket", "root/dotdot.sock": "socket", "root/fifo": "fifo",
        "root/fifo2": "fifo"})
