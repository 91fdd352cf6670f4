"""`pyemu -g PORT`: gdb-multiarch sessions in batch mode against the stub, and the remote
protocol spoken directly for what batch gdb cannot do (interrupting a running guest).

Guests: tests/guests/inspect.c built with -g (see test_api.py), threads.c, and the
freestanding guest's endless loop. pyemu listens on port 0 (any free port) and names the
port on stderr.
"""

from __future__ import annotations

import re
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest
from conftest import GUEST_ENV, PYEMU, RUN_TIMEOUT, killed_after, require_tool

from pyemu.gdbstub import unescape

GDB = "gdb-multiarch"
STATUS = 6
AT_PAGESZ = 6
SYSROOT = "/usr/riscv64-linux-gnu"  # the cross C library, for the dynamic guest


@pytest.fixture(scope="module")
def gdb() -> str:
    return require_tool(GDB)


@pytest.fixture(scope="module")
def guest(build_guest) -> Path:
    return build_guest("inspect.c", opt="-O0", extra=("-g",))


class Stub:
    """pyemu -g 0 PROGRAM ARGS, started in `cwd`, waiting for one connection."""

    def __init__(self, program: Path, args: tuple[str, ...], cwd: Path):
        self.process = subprocess.Popen([*PYEMU, "-g", "0", str(program), *args], cwd=cwd,
                                        env=GUEST_ENV, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        with killed_after(self.process):
            line = self.process.stderr.readline().decode()
            match = re.fullmatch(r"pyemu: waiting for gdb on port (\d+)\n", line)
            assert match, line + self.process.stderr.read().decode()
        self.port = int(match.group(1))

    def finish(self) -> tuple[int, bytes, str]:
        """Exit status, stdout and stderr of pyemu once the session is over."""
        out, err = self.process.communicate(timeout=RUN_TIMEOUT)
        return self.process.returncode, out, err.decode()


def gdb_session(gdb: str, stub: Stub, program: Path | None, *commands: str,
                sysroot: str | None = None) -> str:
    """gdb's output of a batch session of `commands` with the stub."""
    arguments = [gdb, "-batch", "-nx", "-ex", "set confirm off", "-ex", "set pagination off"]
    if sysroot is not None:
        arguments += ["-ex", f"set sysroot {sysroot}"]
    if program is not None:
        arguments += ["-ex", f"file {program}"]
    arguments += ["-ex", f"target remote 127.0.0.1:{stub.port}"]
    for command in commands:
        arguments += ["-ex", command]
    done = subprocess.run(arguments, capture_output=True, timeout=RUN_TIMEOUT, check=False,
                          text=True)
    return done.stdout + done.stderr


def register(output: str, name: str) -> list[int]:
    """Values of `name` in `info registers` lines of the output, in order."""
    return [int(value, 16) for value in re.findall(rf"^{name}\s+(0x[0-9a-f]+)", output, re.MULTILINE)]


def test_break_registers_memory_step_back_and_exit(gdb, guest, tmp_path):
    stub = Stub(guest, (), tmp_path)
    output = gdb_session(
        gdb, stub, guest, "break main", "continue", "info registers", "x/2xg $sp",
        "stepi", "info registers pc", "reverse-stepi", "info registers pc", "info auxv",
        "continue")
    status, out, err = stub.finish()
    assert (status, out, err) == (STATUS, b"hello 20 5\n", ""), output
    assert "Breakpoint 1, main (" in output, output
    pcs = register(output, "pc")
    assert len(pcs) == 3 and pcs[1] > pcs[0] and pcs[2] == pcs[0], output
    assert len(register(output, "sp")) == 1 and len(register(output, "a0")) == 1, output
    assert re.search(r"^0x[0-9a-f]+:\s+0x[0-9a-f]{16}\s+0x[0-9a-f]{16}$", output, re.MULTILINE), output
    assert re.search(r"AT_ENTRY\s+Entry point of program\s+0x[0-9a-f]+", output), output
    assert "exited with code 06" in output, output


def test_exec_file_from_the_stub(gdb, guest, tmp_path):
    """No `file` command: gdb asks the stub for the program (qXfer:exec-file)."""
    stub = Stub(guest, (), tmp_path)
    output = gdb_session(gdb, stub, None, "break twice", "continue", "print x", "continue",
                         "print x", "delete", "continue")
    assert stub.finish()[0] == STATUS, output
    assert re.findall(r"^\$\d+ = (\d+)$", output, re.MULTILINE) == ["0", "1"], output


def test_watchpoints_and_reverse_continue(gdb, guest, tmp_path):
    stub = Stub(guest, (), tmp_path)
    output = gdb_session(
        gdb, stub, guest, "watch counter", "continue", "continue", "reverse-continue",
        "print counter", "delete", "rwatch counter", "continue", "delete",
        "reverse-continue", "continue")
    assert stub.finish()[0] == STATUS, output
    assert re.findall(r"Old value = (\d+)\nNew value = (\d+)", output) == [
        ("0", "1"), ("1", "2"), ("2", "1")], output  # the last one going backwards
    assert re.search(r"^\$1 = 1$", output, re.MULTILINE), output
    # Forward again from before the store of 2: the next read is of that 2.
    assert re.search(r"Hardware read watchpoint \d+: counter\n\nValue = 2", output), output
    assert "No more reverse-execution history." in output, output
    assert "exited with code 06" in output, output


def test_dynamic_program_and_its_shared_libraries(gdb, build_guest, tmp_path):
    """A PIE linked against the shared glibc: gdb relocates it from the auxiliary vector and
    finds the libraries through the dynamic linker's list, in memory."""
    program = build_guest("inspect.c", opt="-O0", extra=("-g",), static=False)
    stub = Stub(program, (), tmp_path)
    output = gdb_session(gdb, stub, program, "break main", "continue", "info sharedlibrary",
                         "break printf", "continue", "bt", "reverse-stepi",
                         "info registers pc", "delete", "continue", sysroot=SYSROOT)
    assert stub.finish()[0] == STATUS, output
    assert "Breakpoint 1, main (" in output, output
    assert re.search(r"^0x[0-9a-f]+ +0x[0-9a-f]+ +Yes.*/libc\.so\.6$", output, re.MULTILINE), output
    assert re.search(r"#1 +0x[0-9a-f]+ in main \(", output), output
    assert re.search(r"^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <printf\+\d+>", output, re.MULTILINE), \
        output
    assert "Unable to find dynamic linker breakpoint" not in output, output
    assert "exited with code 06" in output, output


def test_hardware_breakpoint_backtrace_and_fault(gdb, guest, tmp_path):
    stub = Stub(guest, ("crash",), tmp_path)
    output = gdb_session(gdb, stub, guest, "hbreak twice", "continue", "bt", "delete",
                         "continue", "continue")
    status, out, _ = stub.finish()
    assert status == 128 + 11 and out == b"", output
    assert re.search(r"#1 .* in main \(.*\) at .*inspect\.c:\d+", output), output
    assert "Program received signal SIGSEGV" in output, output
    assert "Program terminated with signal SIGSEGV" in output, output


def test_threads_are_listed(gdb, build_guest, tmp_path):
    program = build_guest("threads.c", opt="-O2", extra=("-g",))
    stub = Stub(program, (), tmp_path)
    output = gdb_session(gdb, stub, program, "break pthread_barrier_wait", "continue",
                         "info threads", "delete", "continue")
    assert stub.finish()[0] == 0, output
    threads = re.findall(r"^[ *] +\d+ +Thread (\d+) ", output, re.MULTILINE)
    assert len(threads) >= 2 and len(set(threads)) == len(threads), output
    assert "exited normally" in output, output


# ----------------------------------------------------------------------- the protocol itself


class Client:
    """The remote protocol spoken by hand, with acknowledgements."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=RUN_TIMEOUT)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF))

    def reply(self) -> bytes:
        while True:
            self.buffer = self.buffer.lstrip(b"+")
            match = re.match(rb"\$([^#]*)#[0-9a-f]{2}", self.buffer)
            if match:
                self.buffer = self.buffer[match.end() :]
                self.sock.sendall(b"+")
                return match.group(1)
            data = self.sock.recv(4096)
            assert data, "the stub closed the connection"
            self.buffer += data

    def ask(self, data: bytes) -> bytes:
        self.send(data)
        return self.reply()


@pytest.fixture(scope="module")
def endless(build_guest) -> Path:
    return build_guest("freestanding.c", freestanding=True)


def test_protocol_interrupt_features_and_history(endless, tmp_path):
    stub = Stub(endless, ("loop",), tmp_path)
    client = Client(stub.port)
    assert b"ReverseContinue+" in client.ask(b"qSupported:swbreak+;hwbreak+")
    assert client.ask(b"?").startswith(b"T05thread:")
    assert b"org.gnu.gdb.riscv.fpu" in client.ask(b"qXfer:features:read:target.xml:0,4000")
    auxv = client.ask(b"qXfer:auxv:read::0,1000")
    assert auxv[:1] == b"l"
    pairs = list(struct.iter_unpack("<QQ", unescape(auxv[1:])))
    assert (AT_PAGESZ, 4096) in pairs and pairs[-1] == (0, 0)
    assert client.ask(b"qXfer:exec-file:read::0,1000") == b"l" + str(endless).encode()
    assert client.ask(b"m0,4") == b"E14"  # unmapped
    assert client.ask(b"bs").endswith(b"replaylog:begin;")  # nothing before the start
    assert client.ask(b"vCont?") == b"vCont;c;C;s;S"
    first = client.ask(b"p20")
    assert client.ask(b"vCont;s").startswith(b"T05")
    assert client.ask(b"p20") != first  # pc moved
    client.send(b"vCont;c")
    client.sock.sendall(b"\x03")  # gdb's Ctrl-C
    assert client.reply().startswith(b"T02thread:")
    client.send(b"k")
    client.sock.close()
    status, _, err = stub.finish()
    assert (status, err) == (128 + 9, "")


def test_qemu_gdb_environment_variable(endless, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([*PYEMU, str(endless)], cwd=tmp_path, env={
        **GUEST_ENV, "QEMU_GDB": str(port)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        try:
            client = Client(port)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"pyemu did not listen on QEMU_GDB's port: {process.communicate()}")
            time.sleep(0.05)
    assert client.ask(b"vCont;c") == b"W00"
    client.sock.close()
    assert process.wait(timeout=RUN_TIMEOUT) == 0
