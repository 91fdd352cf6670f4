"""Pictures of a guest run: source-line coverage (lcov), and where the time went by function
and call stack (a speedscope profile, a flame graph SVG).

How it sees the run: an Observer listens to a machine's blocks entered and thread switches
(Machine.observe, emulator/observe.py): each unit of code the engine runs as one piece, a
translated block or a single instruction, tells it when it is entered. Time is counted in
retired instructions; call stacks follow the calls and returns the RISC-V calling convention
marks (jal/jalr linking ra or t0, jalr through ra or t0), repaired where the code leaves them
(longjmp, exceptions, signal handlers, tail calls). What is observed is the program the
machine started with, in the process that started it: after an execve, or in a forked child,
the new code runs unobserved.
"""

from __future__ import annotations

import colorsys
import hashlib
import html
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from . import __version__, symbols
from .emulator.decoder import Decoded, Decoder, instruction_length
from .symbols import LineTable

LINK_REGISTERS = (1, 5)  # ra, t0: the registers calls link through (RISC-V ABI, RAS hints)
# What a unit's last instruction does to the call stack.
NO_LINK, PUSH, POP, POP_PUSH = 0, 1, 2, 3


@dataclass(eq=False)
class Unit:
    """Code the engine runs as one piece: its instructions' addresses, how often it was
    entered, the function it is in, and what its last instruction does to the call stack."""

    pcs: tuple[int, ...]
    function: str | None  # None: code of another program (after an execve), not observed
    link: int
    hits: int = 0
    size: int = 0  # instructions

    def __post_init__(self) -> None:
        self.size = len(self.pcs)


@dataclass(eq=False)
class ThreadStack:
    """One guest thread's call stack (function names, outermost first) and the instructions
    each stack ran."""

    stack: tuple[str, ...] = ()
    previous: Unit | None = None
    weights: dict[tuple[str, ...], int] = field(default_factory=lambda: defaultdict(int))
    unsettled: int = 0  # instructions run by `stack` not yet added to its weight

    def settle(self) -> None:
        if self.unsettled:
            self.weights[self.stack] += self.unsettled
            self.unsettled = 0


class Observer:
    """Collects coverage and call stacks of `machine`'s run, from when it is made (a listener
    of Machine.observe). `profile=False` counts unit entries only."""

    def __init__(self, machine, profile: bool = True):
        self.machine = machine
        self.image = machine.image
        self._decoder = Decoder(machine.state.xlen)
        self.units: list[Unit] = []
        self._unit_of: dict[int, Unit] = {}  # by id() of the pcs a unit's entries tell
        self.profile = profile
        self._enter = self._enter_profiled if profile else self._count
        self.threads: dict[int, ThreadStack] = {}  # by thread id
        self._thread = self._thread_of(machine.current_thread)
        machine.observe(self)

    # ------------------------------------------------------------------ during the run

    def block_entered(self, pcs: tuple[int, ...]) -> None:
        unit = self._unit_of.get(id(pcs))
        if unit is None:  # (the unit keeps `pcs`, so its id is not reused)
            unit = self._unit_of[id(pcs)] = self._unit(pcs)
        if unit.function is not None:
            self._enter(unit)

    def thread_switched(self, tid: int) -> None:
        self._thread = self._thread_of(tid)

    def _unit(self, pcs: tuple[int, ...]) -> Unit:
        if self.machine.image is not self.image:  # after an execve: another program
            return Unit(pcs, None, NO_LINK)
        last = self._decoded(pcs[-1])
        unit = Unit(pcs, self._function_at(pcs[0]), _link(last.insn.name, last.ops))
        self.units.append(unit)
        return unit

    def _decoded(self, pc: int) -> Decoded:
        """The instruction at pc (which has just run: it decodes)."""
        space = self.machine.space
        word = int.from_bytes(space.peek(pc, 2), "little")
        if instruction_length(word) == 4:
            word |= int.from_bytes(space.peek(pc + 2, 2), "little") << 16
        return self._decoder.decode(word)

    def _function_at(self, pc: int) -> str:
        """The program's symbol around pc; `[file]` for code without one (a stripped program,
        shared libraries, the dynamic linker), `[anonymous]` for code in no file."""
        region = self.machine.space.region_at(pc)
        if region is not None and region.name == self.image.executable:
            symbol = self.machine.symbols.lookup(pc)
            if symbol is not None:
                return sys.intern(symbol.name)  # compared on every unit entered
        name = os.path.basename(region.name) if region is not None and region.name else ""
        return sys.intern(f"[{name or 'anonymous'}]")

    def _thread_of(self, tid: int) -> ThreadStack:
        if tid not in self.threads:
            self.threads[tid] = ThreadStack()
        return self.threads[tid]

    @staticmethod
    def _count(unit: Unit) -> None:
        unit.hits += 1

    def _enter_profiled(self, unit: Unit) -> None:
        unit.hits += 1
        thread = self._thread
        previous, function = thread.previous, unit.function
        thread.previous = unit
        link = previous.link if previous is not None else NO_LINK
        stack = thread.stack
        if link == NO_LINK and stack and stack[-1] == function:  # most units: the same call
            thread.unsettled += unit.size
            return
        thread.settle()
        if link in (POP, POP_PUSH) and len(stack) > 1:
            stack = stack[:-1]
        if link in (PUSH, POP_PUSH) or not stack:
            stack = (*stack, function)
        elif stack[-1] != function:
            stack = _repaired(stack, function)
        thread.stack, thread.unsettled = stack, unit.size

    # ------------------------------------------------------------------ afterwards

    def executed(self) -> dict[int, int]:
        """How many times each instruction address ran (a unit's entries count for each of
        its instructions)."""
        counts: dict[int, int] = defaultdict(int)
        for unit in self.units:
            if unit.hits:
                for pc in unit.pcs:
                    counts[pc] += unit.hits
        return counts

    def stacks(self) -> dict[int, dict[tuple[str, ...], int]]:
        """Instructions run by each call stack, per thread id."""
        merged: dict[int, dict[tuple[str, ...], int]] = {}
        for tid, thread in self.threads.items():
            thread.settle()
            if thread.weights:
                merged[tid] = dict(thread.weights)
        return merged

    def write_coverage(self, path: str) -> None:
        write_lcov(path, self.image.executable, self.image.load_bias, self.executed())

    def write_profile(self, path: str) -> None:
        write_speedscope(path, os.path.basename(self.image.executable), self.stacks())

    def write_flame_graph(self, path: str) -> None:
        write_flame_graph(path, os.path.basename(self.image.executable), self.stacks())


def _link(name: str, ops: dict[str, int]) -> int:
    """The RISC-V return-address-stack hints (unprivileged spec, jalr): a jump that links
    ra or t0 is a call, a jalr through ra or t0 that does not link them a return."""
    if name not in ("jal", "jalr"):
        return NO_LINK
    rd = ops.get("rd", 0)
    rs1 = ops.get("rs1") if name == "jalr" else None
    links, returns = rd in LINK_REGISTERS, rs1 in LINK_REGISTERS
    if links and returns and rd != rs1:
        return POP_PUSH
    if links:
        return PUSH
    return POP if returns else NO_LINK


def _repaired(stack: tuple[str, ...], function: str) -> tuple[str, ...]:
    """The stack when code arrives in `function` other than by a call or return: back to its
    frame if it is on the stack (longjmp, an exception unwound), else in place of the top
    (a tail call, a jump into a neighbouring function, a signal handler)."""
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth] == function:
            return stack[:depth + 1]
    return (*stack[:-1], function)


# ---------------------------------------------------------------------- progress


class Progress:
    """A `pyemu: WHAT: N%` line on stderr that rewrites itself, for post-processing that
    takes a while: only on a terminal, and only once it has taken half a second."""

    DELAY, INTERVAL = 0.5, 0.1

    def __init__(self, what: str, total: int, stream=None):
        self.what, self.total = what, max(total, 1)
        self.stream = sys.stderr if stream is None else stream
        self.shown = False
        self.started = self.last = time.monotonic()
        self.live = self.stream.isatty()

    def update(self, done: int) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now - self.started < self.DELAY or now - self.last < self.INTERVAL:
            return
        self.last, self.shown = now, True
        self.stream.write(f"\rpyemu: {self.what}: {100 * done // self.total}%")
        self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def over(self, items: Iterable, step: int = 1) -> Iterator:
        """The items, updating the line every `step` of them."""
        for index, item in enumerate(items):
            if index % step == 0:
                self.update(index)
            yield item
        self.done()


# ---------------------------------------------------------------------- coverage (lcov)


def read_line_table(path: str) -> LineTable:
    """The line table of the program at `path`, with its functions (empty without DWARF:
    build with -g)."""
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as f:
        return symbols.read_line_table(
            ELFFile(f), functions=True,
            units=lambda units: Progress("coverage: reading line tables", len(units)).over(units))


def write_lcov(path: str, program: str, load_bias: int, executed: dict[int, int]) -> None:
    """lcov's tracefile (what genhtml reads): per source file of the program that exists on
    this machine, each line with code and how often it ran, and each function's entries."""
    table = read_line_table(program)
    hits: dict[tuple[str, int], int] = defaultdict(int)
    for pc, count in Progress("coverage: mapping lines", len(executed)).over(
            executed.items(), step=1024):
        where = table.line_at(pc - load_bias)
        if where is not None and where[1]:
            hits[where] = max(hits[where], count)
    records = []
    for source in sorted(table.lines):
        if not os.path.isfile(source):
            continue  # no source to show (a library's, built elsewhere)
        lines = sorted(table.lines[source])
        functions = sorted(set(table.functions.get(source, ())))
        entered = [executed.get(address + load_bias, 0) for _, _, address in functions]
        records += ["TN:", f"SF:{source}"]
        records += [f"FN:{line},{name}" for line, name, _ in functions]
        records += [f"FNDA:{count},{name}" for (_, name, _), count in zip(functions, entered)]
        records += [f"FNF:{len(functions)}", f"FNH:{sum(1 for count in entered if count)}"]
        records += [f"DA:{line},{hits.get((source, line), 0)}" for line in lines]
        records += [f"LF:{len(lines)}",
                    f"LH:{sum(1 for line in lines if hits.get((source, line)))}",
                    "end_of_record"]
    with open(path, "w") as f:
        f.write("".join(record + "\n" for record in records))


# ---------------------------------------------------------------------- profiles

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def write_speedscope(path: str, name: str, stacks: dict[int, dict[tuple[str, ...], int]]) -> None:
    """A speedscope file: one sampled profile per thread, each distinct call stack once,
    weighted by the instructions it ran."""
    frames: dict[str, int] = {}
    profiles = []
    progress = Progress("profile: writing", sum(len(by_stack) for by_stack in stacks.values()))
    written = 0
    for tid, by_stack in sorted(stacks.items()):
        samples, weights = [], []
        for stack, weight in sorted(by_stack.items()):
            samples.append([frames.setdefault(function, len(frames)) for function in stack])
            weights.append(weight)
            written += 1
            progress.update(written)
        profiles.append({"type": "sampled", "name": f"{name} thread {tid} (instructions)",
                         "unit": "none", "startValue": 0, "endValue": sum(weights),
                         "samples": samples, "weights": weights})
    progress.done()
    document = {"$schema": SPEEDSCOPE_SCHEMA, "name": name, "exporter": f"pyemu {__version__}",
                "activeProfileIndex": 0, "profiles": profiles,
                "shared": {"frames": [{"name": function} for function in frames]}}
    with open(path, "w") as f:
        json.dump(document, f)


@dataclass(eq=False)
class _Node:
    """A node of the merged call tree: a function called along one path."""

    name: str
    weight: int = 0
    children: dict[str, _Node] = field(default_factory=dict)


FRAME_HEIGHT, WIDTH, FONT_SIZE, CHAR_WIDTH = 18, 1200, 12, 7


def write_flame_graph(path: str, name: str, stacks: dict[int, dict[tuple[str, ...], int]]) -> None:
    """A flame graph: the call tree of all threads, callers below their callees, each
    function as wide as the instructions run inside it; hover for the figures."""
    root = _Node("all")
    depth = 0
    for by_stack in stacks.values():
        for stack, weight in by_stack.items():
            root.weight += weight
            depth = max(depth, len(stack))
            node = root
            for function in stack:
                node = node.children.setdefault(function, _Node(function))
                node.weight += weight
    height = (depth + 1) * FRAME_HEIGHT + 40
    scale = (WIDTH - 20) / max(root.weight, 1)
    shapes: list[str] = []
    progress = Progress("profile: drawing", root.weight)
    drawn = 0
    pending = [(root, 10.0, 0)]  # depth first, without recursion (guest stacks run deep)
    while pending:
        node, x, level = pending.pop()
        width = node.weight * scale
        if width < 0.1:
            continue
        shapes.append(_frame(node, x, height - (level + 1) * FRAME_HEIGHT - 10, width,
                             node.weight / max(root.weight, 1)))
        if level == 0 or len(node.children) > 1:
            drawn += node.weight if level else 0
            progress.update(drawn)
        for child in sorted(node.children.values(), key=lambda c: c.name):
            pending.append((child, x, level + 1))
            x += child.weight * scale
    progress.done()
    with open(path, "w") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
                f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" '
                f'font-size="{FONT_SIZE}">\n'
                f'<rect width="100%" height="100%" fill="#fdfdf6"/>\n'
                f'<text x="{WIDTH // 2}" y="20" text-anchor="middle" font-size="15">'
                f'{html.escape(name)}: {root.weight} instructions</text>\n'
                + "\n".join(shapes) + "\n</svg>\n")


def _frame(node: _Node, x: float, y: int, width: float, share: float) -> str:
    """One function of the flame graph: a box, its name when it fits, figures on hover."""
    room = int((width - 6) / CHAR_WIDTH)
    label = node.name if len(node.name) <= room else node.name[:room - 2] + ".." \
        if room > 3 else ""
    text = f'<text x="{x + 3:.2f}" y="{y + FRAME_HEIGHT - 5}">{html.escape(label)}</text>' \
        if label else ""
    return (f"<g><title>{html.escape(node.name)}: {node.weight} instructions "
            f"({100 * share:.2f}%)</title><rect x=\"{x:.2f}\" y=\"{y}\" width=\"{width:.2f}\" "
            f'height="{FRAME_HEIGHT - 1}" rx="2" fill="{_colour(node.name)}"/>{text}</g>')


def _colour(name: str) -> str:
    """A warm colour of its own for each function name, the same in every graph."""
    digest = hashlib.md5(name.encode(), usedforsecurity=False).digest()
    red, green, blue = colorsys.hls_to_rgb(digest[0] / 255 * 0.12, 0.6 + digest[1] / 255 * 0.15,
                                           0.8)
    return f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"
