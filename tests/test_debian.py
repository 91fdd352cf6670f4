"""Debian 13's riscv64 programs under pyemu, compared with qemu-riscv64 in a chroot of the root.

The root comes from tools/debian_root.py (fetched once into a cache). The oracle is
qemu-riscv64-static running the program in a chroot of that root, with a binfmt_misc entry for
RISC-V programs registered in a user and mount namespace of the test's own (Linux 6.7 and
later), so that whatever the program starts runs under qemu too (plain `qemu-riscv64 -L` would
exec the host's programs): debian_root.qemu_chroot_command.
pyemu runs the same command line twice: `pyemu -L ROOT ROOT/PROG` and `pyemu --root ROOT
ROOT/PROG`. Each run starts in an empty directory of its own under the root's /tmp (HOME too),
and the test compares stdout, the exit status and the files left there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PYEMU, PYEMU_CACHE, normalise_status, require_tool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import debian_root

QEMU_STATIC = "qemu-riscv64-static"
TIMEOUT = 1200  # seconds per run: real programs under a loaded two-core CI machine
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C", "TZ": "UTC", "TERM": "dumb"}
MODES = ("-L", "--root")
pytestmark = pytest.mark.timeout(len(MODES) * TIMEOUT + TIMEOUT)  # the oracle and each mode


@pytest.fixture(scope="session")
def root() -> Path:
    require_tool("apt-get")
    require_tool("dpkg-deb")
    return debian_root.ensure_root()


@pytest.fixture(scope="session")
def qemu_static() -> str:
    return require_tool(QEMU_STATIC)


def work_dir(root: Path, name: str) -> tuple[Path, str]:
    """An empty directory under the root's /tmp: its host path and the guest's."""
    guest = f"/tmp/pyemu-test-{name}"
    host = root / guest.lstrip("/")
    shutil.rmtree(host, ignore_errors=True)
    host.mkdir(parents=True)
    return host, guest


def tree(directory: Path, ignore: tuple[str, ...]) -> dict[str, str]:
    """What a run left: each path below `directory` with its type, mode and contents."""
    found = {}
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if any(part in ignore for part in relative.parts):
            continue
        if path.is_symlink():
            found[str(relative)] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[str(relative)] = f"dir {path.stat().st_mode & 0o7777:o}"
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            found[str(relative)] = f"{path.stat().st_mode & 0o7777:o} {digest}"
    return found


def run_oracle(root: Path, qemu: str, argv: list[str], name: str, stdin: bytes,
               files: dict[str, str]) -> subprocess.CompletedProcess:
    host, guest = work_dir(root, f"{name}-qemu")
    _write(host, files)
    command = debian_root.qemu_chroot_command(root, shutil.which(qemu), guest, argv)
    done = subprocess.run(command, check=False, input=stdin, capture_output=True, timeout=TIMEOUT,
                          env={**ENV, "HOME": guest})
    done.tree = host
    return done


def run_pyemu(root: Path, mode: str, argv: list[str], name: str, stdin: bytes,
              files: dict[str, str]) -> subprocess.CompletedProcess:
    host, guest = work_dir(root, f"{name}-{'L' if mode == '-L' else 'root'}")
    _write(host, files)
    program = str(root / argv[0].lstrip("/"))
    done = subprocess.run([*PYEMU, mode, str(root), program, *argv[1:]], check=False,
                          input=stdin,
                          capture_output=True, timeout=TIMEOUT, cwd=host,
                          env={**PYEMU_CACHE, **ENV, "HOME": guest})
    done.tree = host
    return done


def _write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)


def compare(root: Path, qemu: str, argv: list[str], name: str, *, stdin: bytes = b"",
            files: dict[str, str] | None = None, ignore: tuple[str, ...] = ()) -> None:
    """Run argv under the oracle and under pyemu with -L and with --root: the same stdout,
    exit status and files."""
    files = files or {}
    expected = run_oracle(root, qemu, argv, name, stdin, files)
    assert expected.returncode == 0 or expected.stdout, \
        f"the oracle did not run: {expected.stderr.decode(errors='replace')}"
    for mode in MODES:
        got = run_pyemu(root, mode, argv, name, stdin, files)
        context = f"pyemu {mode}: stderr:\n{got.stderr.decode(errors='replace')[-3000:]}"
        assert got.stdout.decode(errors="replace") == expected.stdout.decode(errors="replace"), \
            context
        assert got.returncode == normalise_status(expected.returncode), context
        assert tree(got.tree, ignore) == tree(expected.tree, ignore), context


# The EXIT trap is set after the job killed by SIGTERM: a forked bash that the signal reaches
# before it has reset the inherited traps runs the EXIT trap itself, under any emulator or
# kernel; that race is the script's, not the emulator's.
BASH_SCRIPT = r"""
set -u
greet() { local who=$1; echo "hello, $who"; return 3; }
greet world; echo "status $?"
declare -a list=(one two "three four"); list+=(five)
echo "${#list[@]} ${list[2]} ${list[*]:1:2}"
declare -A map=([b]=2 [a]=1); for k in $(printf '%s\n' "${!map[@]}" | sort); do echo "$k=${map[$k]}"; done
cat <<EOF > heredoc.txt
value: ${list[0]}
$(echo nested command)
EOF
cat heredoc.txt
printf 'c\nb\na\nb\n' | sort | uniq -c | tr -s ' ' | sed 's/^ //'
diff <(printf 'a\nb\n') <(printf 'a\nc\n'); echo "diff $?"
while read -r line; do echo "read $line"; done < <(printf '1\n2\n')
cat <(echo substituted) > substituted.txt
trap 'echo trapped USR1' USR1
kill -USR1 $$
sleep 0.2 & first=$!
(exit 7) & second=$!
wait $first; echo "first $?"
wait $second; echo "second $?"
sleep 30 & victim=$!
kill -TERM $victim; wait $victim; echo "killed $?"
trap 'echo exit trap' EXIT
x=$((6 * 7)); echo "arith $x"
[[ "abc" =~ ^a(.)c$ ]] && echo "match ${BASH_REMATCH[1]}"
echo done
"""


def test_bash(root, qemu_static):
    compare(root, qemu_static, ["/usr/bin/bash", "script.sh"], "bash",
            files={"script.sh": BASH_SCRIPT})


def test_bash_process_substitution_needs_no_dev_fd_in_the_sysroot(root, qemu_static,
                                                                  tmp_path):
    """With -L pointing at a tree without /dev/fd, bash's /dev/fd/63 must still be the guest's
    descriptor (it used to be pyemu's own, and cat printed nothing)."""
    expected = run_oracle(root, qemu_static, ["/usr/bin/bash", "-c", "cat <(echo hi)"],
                          "devfd", b"", {})
    sysroot = tmp_path / "sysroot"
    sysroot.mkdir()
    for name in ("usr", "etc"):
        (sysroot / name).symlink_to(root / name)
    for name in ("bin", "lib", "sbin"):
        (sysroot / name).symlink_to(f"usr/{name}")
    got = subprocess.run([*PYEMU, "-L", str(sysroot), str(root / "usr/bin/bash"), "-c",
                          "cat <(echo hi)"], check=False, capture_output=True, timeout=TIMEOUT,
                         env={**PYEMU_CACHE, **ENV, "HOME": "/"})
    assert (got.stdout, got.returncode) == (expected.stdout, expected.returncode), got.stderr


def test_a_program_in_the_root_sees_its_path_in_the_root(root, qemu_static):
    """argv[0], AT_EXECFN and /proc/self/exe as a chroot gives them: make's $(MAKE) runs its
    argv[0] again, which must be found inside the root. Under -L the guest sees the host
    path, as under qemu -L, so only --root is compared."""
    files = {"Makefile": "all:\n\t@echo outer $(MAKE)\n\t@$(MAKE) -s inner\n"
                         "inner:\n\t@echo inner\n"}
    for argv in (["/usr/bin/make", "-s"],
                 ["/usr/bin/bash", "-c", ('echo "$0"; readlink /proc/self/exe; '
                                          "LD_SHOW_AUXV=1 /usr/bin/true | grep EXECFN")]):
        expected = run_oracle(root, qemu_static, argv, "argv0", b"", files)
        assert expected.stdout.startswith((b"outer /usr/bin/make", b"/usr/bin/bash")), \
            expected.stderr
        got = run_pyemu(root, "--root", argv, "argv0", b"", files)
        assert (got.stdout, got.returncode) == (expected.stdout, expected.returncode), \
            got.stderr


COREUTILS_SCRIPT = r"""
printf 'pear 3\napple 10\nfig 2\napple 10\n' > fruit.txt
sort fruit.txt; sort -k2 -n fruit.txt; sort -u fruit.txt | wc -l
uniq -c <(sort fruit.txt)
cut -d' ' -f1 fruit.txt | tr 'a-z' 'A-Z'
wc fruit.txt; wc -c < fruit.txt
sha256sum fruit.txt; md5sum fruit.txt
date -u -d '2024-02-29 13:45:00' '+%Y-%m-%d %H:%M:%S %A %j'
date -u -d '@1700000000' -R
mkdir -p tree/a/b; echo x > tree/a/b/file; ln -s a/b/file tree/link
touch -d '2024-01-02 03:04:05' tree/a/b/file fruit.txt
cp -r tree copy; cp -a tree archive
ls -l --time-style=+%F.%T fruit.txt tree/a/b | sed 's/^\([^ ]*\) [0-9]* [^ ]* [^ ]*/\1/'
ls -R copy
stat -c '%n %s %F %a' fruit.txt tree/link tree/a
readlink tree/link; realpath --relative-to=. tree/link
seq 3 | paste -sd+ | bc 2>/dev/null || seq 3 | paste -sd+
head -c 5 fruit.txt | od -c | head -2
printf '%s\n' b a | tac; nl fruit.txt | head -2; expr 6 \* 7; basename /a/b.c .c
test -d tree && echo isdir; env | grep -c '^PATH='
"""


def test_coreutils(root, qemu_static):
    compare(root, qemu_static, ["/usr/bin/bash", "script.sh"], "coreutils",
            files={"script.sh": COREUTILS_SCRIPT})


BUSYBOX_SCRIPT = r"""
echo "sum $((2 + 3))"
for applet in echo; do busybox $applet "applet $applet"; done
printf 'b\na\nc\n' | busybox sort | busybox tr 'a-c' 'A-C'
busybox seq 1 4 | busybox awk '{ s += $1 } END { print "awk", s }'
printf 'one two\n' > f.txt; busybox wc -w f.txt; busybox sha256sum f.txt
busybox sed -e 's/one/uno/' f.txt; busybox grep -c two f.txt
busybox mkdir -p d/e; busybox cp f.txt d/e/; busybox find d -type f
busybox touch -d '2024-01-02 03:04:05' d/e/f.txt d/e d  # what tar records
busybox tar -cf t.tar d; busybox tar -tf t.tar; busybox touch -d '2024-01-02 03:04:05' t.tar
busybox gzip -k t.tar; busybox gunzip -c t.tar.gz | busybox md5sum
busybox expr 7 \* 6; busybox basename /x/y.z .z; busybox printf '%05d\n' 42
"""


def test_busybox(root, qemu_static):
    compare(root, qemu_static, ["/usr/bin/busybox", "sh", "script.sh"], "busybox",
            files={"script.sh": BUSYBOX_SCRIPT})


PYTHON_SCRIPT = r'''
import decimal, hashlib, json, os, queue, re, signal, sqlite3, subprocess, sys, threading, zlib
import unittest, io
print(json.dumps({"b": [1, 2.5, None], "a": "é"}, sort_keys=True, ensure_ascii=False))
print(re.findall(r"(\w)(\d+)", "a1 b22 c333"), re.sub(r"\s+", "-", "x  y\tz"))
decimal.getcontext().prec = 30
print(decimal.Decimal(1) / decimal.Decimal(7), decimal.Decimal("1.1") + decimal.Decimal("2.2"))
print(hashlib.sha256(b"pyemu").hexdigest(), hashlib.md5(b"x").hexdigest())
print(zlib.crc32(b"hello"), len(zlib.compress(b"a" * 10000)), zlib.decompress(zlib.compress(b"ok")))
db = sqlite3.connect("data.db")
db.execute("create table t (k text primary key, v integer)")
db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
db.commit()
print(db.execute("select group_concat(k), sum(v) from t").fetchone())
db.close()
work = queue.Queue()
results = []
def worker():
    while (item := work.get()) is not None:
        results.append(item * item)
threads = [threading.Thread(target=worker) for _ in range(3)]
for t in threads: t.start()
for i in range(20): work.put(i)
for t in threads: work.put(None)
for t in threads: t.join()
print("threads", sorted(results)[-3:], sum(results))
print(subprocess.run(["echo", "from a child"], capture_output=True, text=True).stdout.strip())
print(subprocess.run("exit 3", shell=True).returncode)
os.makedirs("walk/a/b", exist_ok=True)
for name in ("walk/x", "walk/a/y", "walk/a/b/z"):
    open(name, "w").close()
print(sorted((d, sorted(f)) for d, _, f in os.walk("walk")))
got = []
signal.signal(signal.SIGUSR1, lambda n, f: got.append(n))
os.kill(os.getpid(), signal.SIGUSR1)
print("signal", got)
class T(unittest.TestCase):
    def test_ok(self): self.assertEqual(1 + 1, 2)
    def test_fail(self): self.assertEqual(1, 2)
result = unittest.TextTestRunner(stream=io.StringIO()).run(
    unittest.defaultTestLoader.loadTestsFromTestCase(T))
print("unittest", result.testsRun, len(result.failures))
'''

MULTIPROCESSING_SCRIPT = r'''
import multiprocessing as mp, time
def child(lock, q):
    with lock:
        q.put("child got the lock")
def square(x):
    return x * x
if __name__ == "__main__":
    lock = mp.Lock(); q = mp.Queue()
    lock.acquire()
    p = mp.Process(target=child, args=(lock, q)); p.start()
    time.sleep(0.5)
    print("parent releases"); lock.release()
    print(q.get()); p.join(); print("exit code", p.exitcode)
    with mp.Pool(2) as pool:
        print(pool.map(square, range(8)))
    with open("out.txt", "w") as out:
        out.write("written\n")
'''


def test_python(root, qemu_static):
    compare(root, qemu_static, ["/usr/bin/python3.13", "script.py"], "python",
            files={"script.py": PYTHON_SCRIPT}, ignore=("__pycache__",))


def test_python_multiprocessing(root, qemu_static):
    """A Lock held by another process and a Pool: futexes and semaphores in shared memory."""
    compare(root, qemu_static, ["/usr/bin/python3.13", "script.py"], "multiprocessing",
            files={"script.py": MULTIPROCESSING_SCRIPT}, ignore=("__pycache__",))


def test_perl_sqlite3_lua_gawk_bc_jq(root, qemu_static):
    script = r"""
perl -e 'my %h = (a => 1, b => 2); print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
         my $s = "Hello World"; $s =~ s/(\w+)/\u\L$1/g; print scalar reverse($s), "\n";
         printf "%.3f\n", atan2(1, 1) * 4'
printf 'create table t(a, b);\ninsert into t values (1, "x"), (2, "y");\nselect a * 10, upper(b) from t order by a desc;\n' | sqlite3 db.sqlite
sqlite3 db.sqlite 'select count(*) from t'
lua -e 'local t = {} for i = 1, 5 do t[#t + 1] = i * i end print(table.concat(t, " "), string.format("%5.2f", math.pi))'
printf 'a 1\nb 2\na 3\n' | gawk '{ s[$1] += $2 } END { n = asorti(s, k); for (i = 1; i <= n; i++) print k[i], s[k[i]] }'
echo 'scale=20; 4*a(1)' | bc -l; echo '2^100' | bc
echo '{"b": [1, 2, {"c": "d"}], "a": null}' | jq -c '.b[2].c, (.b | length), keys'
"""
    compare(root, qemu_static, ["/usr/bin/bash", "-c", script], "interpreters")


def test_git(root, qemu_static):
    script = r"""
export GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
git init -q -b main repo && cd repo
git config user.name Tester && git config user.email tester@example.org
printf 'one\ntwo\n' > file.txt && git add file.txt && git commit -q -m first
printf 'one\nthree\n' > file.txt && git commit -q -am second
git log --format='%H %s %an'
git diff HEAD~1 --stat; git diff HEAD~1 | tail -3
git gc -q --aggressive && git count-objects -v | grep -E '^(count|in-pack)'
git show HEAD~1:file.txt; git rev-parse HEAD^{tree}
"""
    compare(root, qemu_static, ["/usr/bin/bash", "-c", script], "git", ignore=(".git",))


def test_compressors_round_trip(root, qemu_static):
    script = r"""
seq 1 20000 > data.txt; touch -d '2024-01-02 03:04:05' data.txt  # gzip and tar record it
for tool in gzip xz zstd bzip2; do
  $tool -c data.txt > data.$tool && $tool -dc data.$tool | cmp - data.txt && echo "$tool ok"
done
gzip -n -9 -c data.txt | sha256sum; xz -c data.txt | sha256sum; bzip2 -c data.txt | sha256sum
zstd -q -19 -c data.txt | sha256sum
touch -d '2024-01-02 03:04:05' data.*; tar -cf data.tar data.txt data.gzip && tar -tvf data.tar --numeric-owner | wc -l
mkdir out && tar -xf data.tar -C out && cmp out/data.txt data.txt && echo extracted
"""
    compare(root, qemu_static, ["/usr/bin/bash", "-c", script], "compressors")


def test_openssl_digests_and_ciphers(root, qemu_static):
    script = r"""
printf 'secret message\n' > plain.txt
openssl dgst -sha256 plain.txt; openssl dgst -sha512 -r plain.txt; openssl dgst -sha3-256 plain.txt
openssl enc -aes-256-cbc -K 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
  -iv 0f0e0d0c0b0a09080706050403020100 -in plain.txt -out cipher.bin
openssl enc -d -aes-256-cbc -K 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
  -iv 0f0e0d0c0b0a09080706050403020100 -in cipher.bin
openssl enc -chacha20 -K 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
  -iv 00000000000000000000000000000000 -in plain.txt | openssl base64
openssl rand -hex 8 | wc -c
"""
    compare(root, qemu_static, ["/usr/bin/bash", "-c", script], "openssl")


def test_grep_find_diff_make_file(root, qemu_static):
    # The files get fixed times: find -newer would otherwise depend on how fast each runner
    # made them (within one tick of the file system's clock or not).
    script = r"""
mkdir -p src/sub; printf 'int main(void) { return 0; }\n' > src/a.c
printf 'alpha\nbeta\ngamma\n' > src/sub/words; printf 'alpha\nBETA\ngamma\n' > src/sub/other
touch -d '2024-01-01 00:00' src/a.c; touch -d '2024-01-02 00:00' src/sub/words src/sub/other
grep -rn 'a$' src | sort; grep -ci beta src/sub/words src/sub/other; grep -E -o 'g[a-z]+' src/sub/words
find src -type f -name '*' | sort; find src -newer src/a.c -o -name '*.c' | sort | wc -l
diff -u src/sub/words src/sub/other | tail -4; echo "diff $?"
printf 'all: out.txt\nout.txt: src/sub/words\n\tsort -r $< > $@\n\t@echo built $@\n' > Makefile
make; make; cat out.txt
file src/a.c src/sub Makefile /usr/bin/bash | sed 's/, BuildID[^,]*//'
"""
    compare(root, qemu_static, ["/usr/bin/bash", "-c", script], "tools")


def test_a_guest_killed_by_sigkill_dies_by_it(root, qemu_static):
    """The guest's SIGKILL ends pyemu by SIGKILL (Python refuses to reset its handler)."""
    compare(root, qemu_static, ["/usr/bin/bash", "-c", "echo before; kill -KILL $$; echo after"],
            "sigkill")
