"""`pyemu -g PORT PROGRAM`: a GDB remote-protocol stub, like `qemu-riscv64 -g PORT`.

gdb connects with `target remote :PORT` and drives the machine: registers (x, pc, f, fflags,
frm, fcsr, described by a riscv target description), memory, software and hardware
breakpoints (Z0/Z1, both kept by the machine), watchpoints (Z2 write, Z3 read, Z4 access),
continue and single-step (c/s/C/S and vCont), threads, the auxiliary vector and the exec-file
(qXfer), the exit status (W, or X for a signal), and reverse execution: reverse-stepi and
reverse-continue (bs/bc) from the machine's recorded history. All-stop mode, one process.
"""

from __future__ import annotations

import select
import socket
import struct
from typing import TYPE_CHECKING

from .emulator.cpu import ABI_NAMES, FP_ABI_NAMES
from .emulator.memory import PAGE_SIZE, GuestFault
from .stops import (
    Breakpoint,
    Exited,
    HistoryStart,
    Limit,
    Signalled,
    StopEvent,
    Watchpoint,
)

if TYPE_CHECKING:
    from .machine import Machine

RUN_SLICE = 200_000  # steps between looks at the connection for gdb's interrupt (Ctrl-C)
SIGINT, SIGTRAP = 2, 5
PACKET_SIZE = 0x4000
WATCH_TYPES = {"2": "w", "3": "r", "4": "rw"}  # Z2 write, Z3 read, Z4 access
WATCH_REASONS = {"w": "watch", "r": "rwatch", "rw": "awatch"}
ESCAPED = b"#$}*"
# Register numbers of the target description: x0-x31, pc, f0-f31, fflags, frm, fcsr.
PC_REGISTER = 32
FIRST_FLOAT = 33
FFLAGS, FRM, FCSR = 65, 66, 67


def target_description(xlen: int) -> str:
    integer = "".join(
        f'<reg name="{name}" bitsize="{xlen}" regnum="{i}" type="'
        f'{"code_ptr" if name == "ra" else "data_ptr" if name in ("sp", "gp", "tp", "s0") else "int"}"/>'
        for i, name in enumerate(ABI_NAMES))
    floats = "".join(f'<reg name="{name}" bitsize="64" regnum="{FIRST_FLOAT + i}" '
                     'type="ieee_double"/>' for i, name in enumerate(FP_ABI_NAMES))
    return (
        '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
        f"<target><architecture>riscv:rv{xlen}</architecture><osabi>GNU/Linux</osabi>"
        f'<feature name="org.gnu.gdb.riscv.cpu">{integer}'
        f'<reg name="pc" bitsize="{xlen}" regnum="{PC_REGISTER}" type="code_ptr"/></feature>'
        f'<feature name="org.gnu.gdb.riscv.fpu">{floats}'
        f'<reg name="fflags" bitsize="32" regnum="{FFLAGS}" type="int"/>'
        f'<reg name="frm" bitsize="32" regnum="{FRM}" type="int"/>'
        f'<reg name="fcsr" bitsize="32" regnum="{FCSR}" type="int"/></feature></target>')


def checksum(data: bytes) -> bytes:
    return b"%02x" % (sum(data) & 0xFF)


def escape(data: bytes) -> bytes:
    out = bytearray()
    for byte in data:
        if byte in ESCAPED:
            out += bytes((0x7D, byte ^ 0x20))
        else:
            out.append(byte)
    return bytes(out)


def unescape(data: bytes) -> bytes:
    out = bytearray()
    it = iter(data)
    for byte in it:
        out.append(next(it) ^ 0x20 if byte == 0x7D else byte)
    return bytes(out)


class Disconnected(Exception):
    """gdb closed the connection."""


class Connection:
    """Packets over a socket: $data#checksum, acknowledged until gdb asks for no-ack mode."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.pending = b""
        self.acks = True

    def _receive(self) -> None:
        data = self.sock.recv(PACKET_SIZE)
        if not data:
            raise Disconnected
        self.pending += data

    def read(self) -> bytes:
        """The next packet's data, or b"\\x03" for an interrupt."""
        while True:
            self.pending = self.pending.lstrip(b"+-")
            if self.pending[:1] == b"\x03":
                self.pending = self.pending[1:]
                return b"\x03"
            start = self.pending.find(b"$")
            end = self.pending.find(b"#", start)
            if start >= 0 and end >= 0 and len(self.pending) >= end + 3:
                data = self.pending[start + 1 : end]
                valid = self.pending[end + 1 : end + 3].lower() == checksum(data)
                self.pending = self.pending[end + 3 :]
                if self.acks:
                    self.sock.sendall(b"+" if valid else b"-")
                if valid:
                    return data
                continue
            self._receive()

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")  # binary replies (qXfer) hold bytes as characters
        self.sock.sendall(b"$" + data + b"#" + checksum(data))
        while self.acks:
            self.pending = self.pending.lstrip(b"+")
            if self.pending[:1] == b"-":
                self.pending = self.pending[1:]
                self.sock.sendall(b"$" + data + b"#" + checksum(data))
            elif self.pending:
                return
            else:
                self._receive()

    def interrupted(self) -> bool:
        """Whether gdb sent an interrupt (Ctrl-C) while the guest ran."""
        if b"\x03" not in self.pending and select.select([self.sock], [], [], 0)[0]:
            self._receive()
        if b"\x03" in self.pending:
            self.pending = self.pending.replace(b"\x03", b"", 1)
            return True
        return False


class GdbStub:
    def __init__(self, machine: Machine, connection: Connection):
        self.machine = machine
        self.connection = connection
        self.xlen = machine.state.xlen
        self.selected = 0  # thread id of Hg (0: the current thread)
        self.hardware: set[int] = set()  # breakpoints set with Z1
        self.last_stop: StopEvent = Limit(machine.state.pc)
        self.finished = False  # gdb detached or killed the process
        self.killed = False

    # ------------------------------------------------------------ serving

    def serve(self) -> int:
        """Answer gdb until it kills or detaches; the guest's exit status."""
        m = self.machine
        try:
            while not self.finished:
                packet = self.connection.read()
                reply = self.handle(packet)
                if reply is not None:
                    self.connection.send(reply)
                if packet == b"QStartNoAckMode":
                    self.connection.acks = False
        except (Disconnected, OSError):
            pass
        if self.killed:
            return 128 + 9
        if m.exit is None:  # detached or disconnected: the guest runs on by itself
            for address in list(m.breakpoints):
                m.delete_breakpoint(address)
            for watch in list(m.watchpoints):
                m.delete_watch(watch[0])
            while not isinstance(m.run(), Exited):
                pass
        return m.exit.status

    def handle(self, packet: bytes) -> str | None:
        """The reply to one packet (None: no reply)."""
        if packet == b"\x03":
            return self.stop_reply(Limit(self.machine.state.pc), SIGINT)
        if not packet:
            return ""
        text = packet.decode("latin-1")
        kind, rest = text[:1], text[1:]
        if kind in ("q", "Q"):
            return self.query(text)
        if kind == "v":
            return self.verbose(text)
        if kind == "?":
            return self.stop_reply(self.last_stop)
        if kind == "g":
            return "".join(self.register_hex(n) for n in range(FCSR + 1))
        if kind == "G":
            return self.write_all_registers(rest)
        if kind == "p":
            return self.register_hex(int(rest, 16))
        if kind == "P":
            number, value = rest.split("=")
            return self.write_register(int(number, 16), value)
        if kind == "m":
            addr, length = (int(v, 16) for v in rest.split(","))
            data = self.read_memory(addr, length)
            return data.hex() if data or not length else "E14"
        if kind == "M":
            where, data = rest.split(":")
            return self.write_memory(where, bytes.fromhex(data))
        if kind == "X":
            where, _, data = packet[1:].partition(b":")
            return self.write_memory(where.decode(), unescape(data))
        if kind in ("Z", "z"):
            return self.breakpoint(kind == "Z", rest)
        if kind == "H":
            tid = int(rest[1:], 16) if rest[1:] not in ("", "-1") else 0
            if rest[:1] == "g":
                self.selected = tid
            return "OK"
        if kind == "T":
            return "OK" if int(rest, 16) in self.machine.threads else "E01"
        if kind in ("c", "s"):
            return self.resume(kind, None)
        if kind in ("C", "S"):
            return self.resume(kind.lower(), int(rest.split(";")[0], 16))
        if kind == "b" and rest in ("s", "c"):
            return self.reverse(rest)
        if kind == "D":
            self.finished = True
            return "OK"
        if kind == "k":  # no reply
            self.finished = self.killed = True
            return None
        return ""

    def query(self, text: str) -> str:
        name, _, args = text.partition(":")
        m = self.machine
        if name == "qSupported":
            return (f"PacketSize={PACKET_SIZE:x};QStartNoAckMode+;qXfer:features:read+;"
                    "qXfer:auxv:read+;qXfer:exec-file:read+;qXfer:threads:read+;"
                    "vContSupported+;swbreak+;hwbreak+;ReverseStep+;ReverseContinue+")
        if name == "QStartNoAckMode":  # from the next packet on (see serve)
            return "OK"
        if name == "qAttached":
            return "0"
        if name == "qC":
            return f"QC{m.current_thread:x}"
        if name == "qfThreadInfo":
            return "m" + ",".join(f"{tid:x}" for tid in m.threads)
        if name == "qsThreadInfo":
            return "l"
        if name == "qSymbol":
            return "OK"
        if name == "qXfer":
            return self.transfer(args)
        return ""

    def verbose(self, text: str) -> str | None:
        if text == "vCont?":
            return "vCont;c;C;s;S"
        if text.startswith("vCont;"):
            # The first action for the current thread (or for all) decides: the machine runs
            # its threads in turns, never one alone.
            current = f"{self.machine.current_thread:x}"
            for action in text[6:].split(";"):
                verb, _, thread = action.partition(":")
                if thread in ("", "-1", current) or thread.endswith(f".{current}"):
                    signal = int(verb[1:], 16) if verb[:1] in ("C", "S") else None
                    return self.resume(verb[:1].lower(), signal)
            return "E01"
        if text.startswith("vKill"):
            self.finished = self.killed = True
            return "OK"
        return ""

    def transfer(self, args: str) -> str:
        """qXfer:object:read:annex:offset,length."""
        obj, operation, annex, span = (args.split(":") + ["", "", ""])[:4]
        if operation != "read":
            return ""
        offset, length = (int(v, 16) for v in span.split(","))
        m = self.machine
        if obj == "features" and annex == "target.xml":
            data = target_description(self.xlen).encode()
        elif obj == "auxv":
            word = "<Q" if self.xlen == 64 else "<I"
            data = b"".join(struct.pack(word + word[1], key, value)
                            for key, value in m.kernel.process.auxv)
        elif obj == "exec-file":
            data = m.kernel.process.executable.encode()
        elif obj == "threads":
            data = ('<?xml version="1.0"?><threads>' + "".join(
                f'<thread id="{tid:x}" core="0"/>' for tid in m.threads)
                + "</threads>").encode()
        else:
            return "E00"
        chunk = data[offset : offset + length]
        return ("l" if offset + length >= len(data) else "m") + escape(chunk).decode("latin-1")

    # ------------------------------------------------------------ registers and memory

    def _state(self):
        m = self.machine
        for thread in m.kernel.process.threads:
            if thread.tid == self.selected:
                return thread.state
        return m.state

    def register_hex(self, number: int) -> str:
        state = self._state()
        if number < 32:
            value, size = state.get(number), self.xlen // 8
        elif number == PC_REGISTER:
            value, size = state.pc, self.xlen // 8
        elif number < FFLAGS:
            value, size = state.get_f(number - FIRST_FLOAT), 8
        elif number == FFLAGS:
            value, size = state.fcsr & 0x1F, 4
        elif number == FRM:
            value, size = state.fcsr >> 5, 4
        elif number == FCSR:
            value, size = state.fcsr, 4
        else:
            return "E45"
        return value.to_bytes(size, "little").hex()

    def _register_size(self, number: int) -> int:
        if number < 32 or number == PC_REGISTER:
            return self.xlen // 8
        return 8 if number < FFLAGS else 4

    def write_register(self, number: int, hex_value: str) -> str:
        if number > FCSR:
            return "E45"
        value = int.from_bytes(bytes.fromhex(hex_value), "little")
        state = self._state()
        if number < 32:
            state.set(number, value)
        elif number == PC_REGISTER:
            state.pc = value
        elif number < FFLAGS:
            state.set_f(number - FIRST_FLOAT, value)
        elif number == FFLAGS:
            state.fcsr = (state.fcsr & ~0x1F) | (value & 0x1F)
        elif number == FRM:
            state.fcsr = (state.fcsr & 0x1F) | ((value & 7) << 5)
        else:
            state.fcsr = value
        self.machine.state_changed()
        return "OK"

    def write_all_registers(self, hex_values: str) -> str:
        offset = 0
        for number in range(FCSR + 1):
            size = 2 * self._register_size(number)
            if offset + size > len(hex_values):
                break
            self.write_register(number, hex_values[offset : offset + size])
            offset += size
        return "OK"

    def read_memory(self, addr: int, length: int) -> bytes:
        """As many bytes as are mapped from `addr` on (gdb accepts a short read)."""
        out = bytearray()
        while len(out) < length:
            at = addr + len(out)
            n = min(length - len(out), PAGE_SIZE - at % PAGE_SIZE)
            try:
                out += self.machine.mem.read(at, n)
            except GuestFault:
                break
        return bytes(out)

    def write_memory(self, where: str, data: bytes) -> str:
        addr = int(where.split(",")[0], 16)
        try:
            self.machine.mem.write(addr, data)
        except GuestFault:
            return "E14"
        return "OK"

    def breakpoint(self, insert: bool, args: str) -> str:
        kind, addr, length = args.split(";")[0].split(",")
        addr, length = int(addr, 16), int(length, 16)
        m = self.machine
        if kind in ("0", "1"):
            if insert:
                m.breakpoint(addr)
                if kind == "1":
                    self.hardware.add(addr)
            else:
                m.delete_breakpoint(addr)
                self.hardware.discard(addr)
            return "OK"
        if kind in WATCH_TYPES:
            if insert:
                m.watch(addr, length, WATCH_TYPES[kind])
            else:
                m.delete_watch(addr, length, WATCH_TYPES[kind])
            return "OK"
        return ""

    # ------------------------------------------------------------ running

    def resume(self, verb: str, signal: int | None) -> str:
        """c/s with an optional signal: a pending fault is delivered when gdb passes it on
        (C/S with a signal), dropped otherwise."""
        m = self.machine
        if m.exit is not None:
            return self.stop_reply(m.exit)
        if m.pending_signal is not None and not signal:
            m.pending_signal = None
        self.selected = 0
        stop, signal = (m.step(), SIGTRAP) if verb == "s" else self._continue()
        self.last_stop = stop
        return self.stop_reply(stop, signal)

    def _continue(self) -> tuple[StopEvent, int]:
        """Run until a stop, or until gdb interrupts (then SIGINT is the signal reported)."""
        m = self.machine
        while True:
            stop = m.run(RUN_SLICE)
            if not isinstance(stop, Limit):
                return stop, SIGTRAP
            if self.connection.interrupted():
                return stop, SIGINT

    def reverse(self, verb: str) -> str:
        m = self.machine
        self.selected = 0
        stop = m.step(-1) if verb == "s" else m.run(reverse=True)
        self.last_stop = stop
        return self.stop_reply(stop)

    def stop_reply(self, stop: StopEvent, signal: int = SIGTRAP) -> str:
        m = self.machine
        if isinstance(stop, Exited):
            return f"X{stop.signal:02x}" if stop.signal else f"W{stop.status & 0xFF:02x}"
        thread = f"thread:{m.current_thread:x};"
        if isinstance(stop, Signalled):
            return f"T{stop.signal:02x}{thread}"
        if isinstance(stop, Breakpoint):
            kind = "hwbreak" if stop.pc in self.hardware else "swbreak"
            return f"T{signal:02x}{thread}{kind}:;"
        if isinstance(stop, Watchpoint):
            start, _, kinds = stop.watch
            return f"T{signal:02x}{thread}{WATCH_REASONS[kinds]}:{start:x};"
        if isinstance(stop, HistoryStart):
            return f"T{signal:02x}{thread}replaylog:begin;"
        return f"T{signal:02x}{thread}"


def listen(port: int) -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    return server


def serve(machine: Machine, server: socket.socket) -> int:
    """Wait for gdb on `server`, then debug `machine` until gdb kills or leaves it."""
    sock, _ = server.accept()
    server.close()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with sock:
        return GdbStub(machine, Connection(sock)).serve()
