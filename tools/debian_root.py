"""A Debian 13 (trixie) riscv64 root for tests and benchmarks, fetched from Debian's archive.

    python tools/debian_root.py            # fetch (once) and print the root's path
    python tools/debian_root.py --refresh  # fetch the package lists again

apt, with a configuration of its own (its lists, cache and an empty dpkg status under the cache
directory, the riscv64 architecture, trixie's signing keys from the host's
debian-archive-keyring), resolves PACKAGES and every dependency and downloads them; `dpkg-deb
-x` unpacks each into the root. No maintainer script runs, so what they would do and a chroot
needs is done here: the merged-/usr links, the alternatives links (/bin/sh, awk, lua, ...) and
/dev entries. Nothing is installed on the host and nothing of Debian's is committed; the cache
(~/.cache/pyemu/debian13, or $PYEMU_DEBIAN_CACHE) holds the .debs and the root.

Package names are pinned, not versions: Debian's archive keeps only the newest version of each
package, so a pinned version would stop being fetchable at the next point release. The root
records the versions it was made from in var/lib/pyemu/packages.txt.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SUITE = "trixie"
ARCHIVE = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"

# What the tests and benchmarks run, by the package that ships it.
PACKAGES = (
    "bash", "dash", "coreutils", "busybox", "findutils", "grep", "sed", "gawk", "diffutils",
    "make", "file", "tar", "jq", "bc", "gzip", "xz-utils", "zstd", "bzip2", "openssl",
    "lua5.4", "perl", "sqlite3", "git", "python3.13", "procps", "util-linux", "libc-bin",
)

# Alternatives (update-alternatives in maintainer scripts) and links a postinst would make:
# link in the root -> target, both as the guest sees them.
LINKS = {
    "/bin/sh": "dash",
    "/usr/bin/awk": "gawk",
    "/usr/bin/lua": "lua5.4",
    "/usr/bin/python3": "python3.13",
    "/usr/bin/python": "python3.13",
}
# Merged /usr (trixie's layout): the top-level directories are links into /usr.
USR_MERGE = ("bin", "sbin", "lib")
# Character devices a chroot needs, made with mknod, which takes root's privileges: a root made
# by another user lacks them, and programs under --root then find no /dev/null (as in a
# chroot without /dev).
DEVICES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
           "urandom": (1, 9), "tty": (5, 0)}
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2"}


def cache_dir() -> Path:
    base = os.environ.get("PYEMU_DEBIAN_CACHE")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pyemu" / "debian13"


def root_path(cache: Path | None = None) -> Path:
    """Where the root of the pinned package set lives (made by ensure_root)."""
    digest = hashlib.sha256(" ".join(sorted(PACKAGES)).encode()).hexdigest()[:12]
    return (cache or cache_dir()) / f"root-{digest}"


def _apt_options(cache: Path) -> list[str]:
    state = cache / "apt"
    return [
        "-o", f"Dir::Etc::SourceList={state / 'sources.list'}",
        "-o", "Dir::Etc::SourceParts=-",
        "-o", "Dir::Etc::Preferences=/dev/null",
        "-o", "Dir::Etc::PreferencesParts=-",
        "-o", f"Dir::State={state / 'state'}",
        "-o", f"Dir::State::Status={state / 'status'}",
        "-o", f"Dir::Cache={state / 'cache'}",
        "-o", "APT::Architecture=riscv64",
        "-o", "APT::Architectures::=riscv64",
        "-o", "APT::Install-Recommends=false",
        "-o", "APT::Get::AllowUnauthenticated=false",
        "-o", "Debug::NoLocking=true",
        "-o", "APT::Sandbox::User=root",
    ]


def _apt(cache: Path, *args: str) -> str:
    command = ["apt-get", "-q", *_apt_options(cache), *args]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"debian_root: {' '.join(args[:2])} failed:\n{done.stderr.strip()}")
    return done.stdout


def fetch(cache: Path, refresh: bool = False) -> list[Path]:
    """Download PACKAGES and their dependencies; the .deb files, one per package."""
    state = cache / "apt"
    for sub in ("state/lists/partial", "cache/archives/partial"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    (state / "status").touch()
    (state / "sources.list").write_text(
        f"deb [arch=riscv64 signed-by={KEYRING}] {ARCHIVE} {SUITE} main\n")
    if refresh or not any((state / "state/lists").glob("*Packages*")):
        _apt(cache, "update")
    # With an empty status every dependency is missing, so apt downloads the whole closure.
    _apt(cache, "install", "--download-only", "-y", *PACKAGES)
    archives = state / "cache" / "archives"
    newest: dict[str, Path] = {}
    for deb in sorted(archives.glob("*.deb")):
        name = deb.name.split("_")[0]
        newest[name] = deb  # sorted by version string: a later download wins
    return list(newest.values())


def _deb_field(deb: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def unpack(debs: list[Path], root: Path) -> None:
    """Unpack into a fresh directory beside ROOT, then move it into place (no half roots)."""
    building = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=root.parent))
    for name in USR_MERGE:
        (building / "usr" / name).mkdir(parents=True, exist_ok=True)
        (building / name).symlink_to(f"usr/{name}")
    manifest = []
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(building)], check=True)
        manifest.append(f"{_deb_field(deb, 'Package')} {_deb_field(deb, 'Version')}")
    _finish(building)
    record = building / "var/lib/pyemu"
    record.mkdir(parents=True, exist_ok=True)
    (record / "packages.txt").write_text("\n".join(sorted(manifest)) + "\n")
    if root.exists():
        shutil.rmtree(root)
    building.rename(root)


def _finish(root: Path) -> None:
    """What maintainer scripts and a booted system would have made."""
    for link, target in LINKS.items():
        path = root / link.lstrip("/")
        if not path.is_symlink() and not path.exists():
            path.symlink_to(target)
    dev = root / "dev"
    dev.mkdir(exist_ok=True)
    for name, target in DEV_LINKS.items():
        if not (dev / name).is_symlink():
            (dev / name).symlink_to(target)
    for name, (major, minor) in DEVICES.items():
        try:
            os.mknod(dev / name, 0o666 | 0o020000, os.makedev(major, minor))
            (dev / name).chmod(0o666)  # mknod's mode passes through the umask
        except PermissionError:
            break  # not root: see DEVICES
        except FileExistsError:
            pass
    for directory in ("tmp", "proc", "sys", "root", "home", "dev/shm", "run"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    (root / "dev/shm").chmod(0o1777)
    etc = root / "etc"
    for name, text in {
        "passwd": "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:"
                  "/usr/sbin/nologin\n",
        "group": "root:x:0:\nnogroup:x:65534:\n",
        "hostname": "pyemu\n",
    }.items():
        if not (etc / name).exists():
            (etc / name).write_text(text)


def ensure_root(refresh: bool = False) -> Path:
    """The root, made if it is not there yet (or REFRESH asks for the archive's newest).
    Processes asking at once (test workers) wait for the one that makes it."""
    cache = cache_dir()
    root = root_path(cache)
    if root.is_dir() and not refresh:
        return root
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if refresh or not root.is_dir():
            unpack(fetch(cache, refresh), root)
    return root


# binfmt_misc: RISC-V 64-bit ELF executables (ET_EXEC or ET_DYN) go to qemu, opened at
# registration (F) so that it need not exist in the chroot; P keeps argv[0] as given.
BINFMT = (r":pyemu-riscv64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"
          r"\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff"
          r"\xfe\xff\xff\xff:{qemu}:FP")
# The host's /proc is bound into the chroot: a new /proc would need a PID namespace, where the
# guest would be init and immune to its own signals.
QEMU_CHROOT_SCRIPT = """set -e
root=$1; work=$2; registration=$3; shift 3
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
printf '%s' "$registration" > /proc/sys/fs/binfmt_misc/register
mount --rbind /proc "$root/proc"
exec /usr/sbin/chroot "$root" /bin/sh -c 'cd "$0" && exec "$@"' "$work" "$@"
"""


def qemu_chroot_command(root: Path, qemu_static: str, work: str, argv: list[str]) -> list[str]:
    """The command that runs argv (paths as the guest sees them) under qemu_static (a static
    qemu-riscv64, host path) in a chroot of root, starting in the directory work (a guest
    path). A binfmt_misc entry registered in a user and mount namespace of the command's own
    (Linux 6.7 and later) runs whatever the program starts under qemu too, where plain
    `qemu-riscv64 -L` would exec the host's programs."""
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", QEMU_CHROOT_SCRIPT,
            "qemu-chroot", str(root), work, BINFMT.format(qemu=qemu_static), *argv]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true",
                        help="fetch the package lists again and rebuild the root")
    arguments = parser.parse_args(argv)
    print(ensure_root(arguments.refresh))
    return 0


if __name__ == "__main__":
    sys.exit(main())
