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


class QemuStub:
    """qemu-riscv64 -g PORT PROGRAM ARGS: qemu's own gdb stub, the oracle for the values."""

    def __init__(self, qemu: str, program: Path, args: tuple[str, ...], cwd: Path):
        with socket.socket() as probe:  # a free port (qemu cannot be asked for port 0)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen([qemu, "-g", str(self.port), str(program), *args],
                                        cwd=cwd, env=GUEST_ENV, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + RUN_TIMEOUT
        while not self.listening():  # qemu says nothing when it is ready
            assert self.process.poll() is None and time.monotonic() < deadline, \
                self.process.communicate()
            time.sleep(0.05)

    def listening(self) -> bool:
        with open("/proc/net/tcp") as table:
            return any(f":{self.port:04X} 00000000:0000 0A" in line for line in table)

    finish = Stub.finish


def registers(output: str) -> list[dict[str, int]]:
    """Each `info registers` block of the output, as {name: value}."""
    blocks, current = [], {}
    for name, value in re.findall(r"^(\w+) +(0x[0-9a-f]+)\s", output + "\n", re.MULTILINE):
        if name in current:
            blocks.append(current)
            current = {}
        current[name] = int(value, 16)
    return [*blocks, current] if current else blocks


def test_register_and_memory_values_are_qemus(gdb, guest, qemu, tmp_path):
    """The same session against qemu's stub and pyemu's: every register and the memory read
    are equal, except that pyemu's stack starts elsewhere (qemu 7.2 puts its top near
    0x4000800000): values that point into the stack are compared as offsets from sp. a7 is not
    compared: it holds scratch that glibc's start-up code left (a word of string bytes, which
    differs with what lies around the stack), read by nothing the program does before it is
    written again."""
    commands = ("break twice", "continue", "continue", "info registers", "x/4xg &message",
                "print counter", "print/x *(long (*)[6])$sp", "stepi", "info registers",
                "info registers fcsr", "finish", "info registers", "delete", "continue")

    def session(stub):
        output = gdb_session(gdb, stub, guest, *commands)
        return output, stub.finish()

    (tmp_path / "qemu").mkdir()
    (tmp_path / "pyemu").mkdir()
    theirs, their_end = session(QemuStub(qemu, guest, (), tmp_path / "qemu"))
    ours, our_end = session(Stub(guest, (), tmp_path / "pyemu"))
    assert our_end[:2] == their_end[:2] == (STATUS, b"hello 20 5\n")

    def relative(value: int, sp: int) -> int | tuple[str, int]:
        return ("sp", value - sp) if abs(value - sp) < 1 << 20 else value

    def normalised(output):
        blocks = registers(output)
        sp = blocks[0]["sp"]
        return [{name: relative(value, sp) for name, value in block.items() if name != "a7"}
                for block in blocks], sp

    (their_blocks, their_sp), (our_blocks, our_sp) = normalised(theirs), normalised(ours)
    assert len(their_blocks) == 3 and {"pc", "ra", "s11", "fcsr"} <= set().union(*their_blocks)
    assert our_blocks == their_blocks

    def memory(output, sp):
        """The global, the counter and the top of the stack (its pointers made relative)."""
        values = re.findall(r"^\$\d+ = (.*)$|^0x[0-9a-f]+ <message.*?>:\s+(.*)$", output,
                            re.MULTILINE)
        return [re.sub(r"0x[0-9a-f]+", lambda m: str(relative(int(m.group(), 16), sp)), a or b)
                for a, b in values]

    assert len(memory(theirs, their_sp)) == 4
    assert memory(ours, our_sp) == memory(theirs, their_sp)


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
