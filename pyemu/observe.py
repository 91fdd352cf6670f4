"""Pictures of a guest run: source-line coverage (lcov), and where the time went by function
and call stack (a speedscope profile, a flame graph SVG).

How it sees the run: an Observer attaches to a machine on the reference (python) engine and
wraps each unit of code that engine prepares, a translated block or a single instruction, so
that entering the unit calls the observer. Units are prepared once and run many times, so the
plain run pays nothing: only an observed machine has wrapped units. Time is counted in retired
instructions; call stacks follow the calls and returns the RISC-V calling convention marks
(jal/jalr linking ra or t0, jalr through ra or t0), repaired where the code leaves them
(longjmp, exceptions, signal handlers, tail calls). What is observed is the program the
machine started with, in the process that started it: after an execve, or in a forked child,
the new code runs unobserved.
"""

from __future__ import annotations

import bisect
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

from . import __version__
from .emulator.engine_python import Block, PythonEngine

LINK_REGISTERS = (1, 5)  # ra, t0: the registers calls link through (RISC-V ABI, RAS hints)
# What a unit's last instruction does to the call stack.
NO_LINK, PUSH, POP, POP_PUSH = 0, 1, 2, 3


@dataclass(eq=False)
class Unit:
    """Code the engine runs as one piece: its instructions' addresses, how often it was
    entered, the function it is in, and what its last instruction does to the call stack."""

    pcs: tuple[int, ...]
    function: str
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
    """Collects coverage and call stacks of `machine`'s run (its engine must be the python
    engine, and not have run yet). `profile=False` counts unit entries only."""

    def __init__(self, machine, profile: bool = True):
        engine = machine.engine
        if not isinstance(engine, PythonEngine) or engine._cache or engine._blocks:
            raise ValueError("observing needs a machine on the python engine, before it runs")
        self.machine = machine
        self.image = machine.image
        self.engine = engine
        self.units: list[Unit] = []
        self.profile = profile
        self._enter = self._enter_profiled if profile else self._count
        self.threads: dict[int, ThreadStack] = {}  # by id() of the thread's CpuState
        self.thread_ids: dict[int, int] = {}  # the same keys: the thread's tid
        self._switch_to(machine.state)
        self._wrap_engine()

    # ------------------------------------------------------------------ during the run

    def _wrap_engine(self) -> None:
        """Route the engine's preparation of blocks and single instructions through us.
        They are its two places where code becomes something it runs, each once per unit."""
        engine = self.engine
        prepare_block, prepare_entry, switch = engine._block, engine._entry, engine.switch
        engine.superblocks = False  # a block entered runs each of its instructions once

        def observed_block(pc: int) -> Block | None:
            block = prepare_block(pc)
            if block is None:
                return None
            observed = self._observed_block(block)
            engine._blocks[pc] = observed
            return observed

        def observed_entry(pc: int):
            fn, args, length = prepare_entry(pc)
            enter, unit = self._enter, self._unit((pc,))

            def run_one(*operands):
                enter(unit)
                return fn(*operands)

            entry = (run_one, args, length)
            engine._cache[pc] = entry
            return entry

        def observed_switch(state) -> None:
            self._switch_to(state)
            switch(state)

        engine._block, engine._entry, engine.switch = observed_block, observed_entry, \
            observed_switch

    def _observed_block(self, block: Block) -> Block:
        translated, enter, unit = block.run, self._enter, self._unit(tuple(block.pcs))

        def run(X, F, C, M, limit):
            enter(unit)
            return translated(X, F, C, M, limit)

        return ObservedBlock(run, block.pcs, block.first_lines, block.alive,
                             translated=translated)

    def _unit(self, pcs: tuple[int, ...]) -> Unit:
        last = self.engine.fetch(pcs[-1])
        unit = Unit(pcs, self._function_at(pcs[0]), _link(last.insn.name, last.ops))
        self.units.append(unit)
        return unit

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

    def _switch_to(self, state) -> None:
        key = id(state)
        if key not in self.threads:
            self.threads[key] = ThreadStack()
            process = self.machine.kernel.process
            self.thread_ids[key] = next((t.tid for t in process.threads if t.state is state),
                                        process.pid)
        self._thread = self.threads[key]

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
        for key, thread in self.threads.items():
            thread.settle()
            if thread.weights:
                into = merged.setdefault(self.thread_ids[key], defaultdict(int))
                for stack, weight in thread.weights.items():
                    into[stack] += weight
        return merged

    def write_coverage(self, path: str) -> None:
        write_lcov(path, self.image.executable, self.image.load_bias, self.executed())

    def write_profile(self, path: str) -> None:
        write_speedscope(path, os.path.basename(self.image.executable), self.stacks())

    def write_flame_graph(self, path: str) -> None:
        write_flame_graph(path, os.path.basename(self.image.executable), self.stacks())


@dataclass
class ObservedBlock(Block):
    """A translated block that tells the observer it is entered. Faults inside it are placed
    by the translated function's frame, as for the block it wraps."""

    translated: object = None

    def retired_before(self, traceback) -> int:
        return Block(self.translated, self.pcs, self.first_lines, self.alive) \
            .retired_before(traceback)


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


@dataclass
class LineTable:
    """A program's DWARF line tables: the source line of each address, and every line with
    code (lcov's instrumented lines), by source file."""

    starts: list[int] = field(default_factory=list)  # row addresses, ascending
    rows: list[tuple[str, int] | None] = field(default_factory=list)  # None: a sequence's end
    lines: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    functions: dict[str, list[tuple[int, str, int]]] = field(
        default_factory=lambda: defaultdict(list))  # file -> (line, name, address)

    def line_at(self, address: int) -> tuple[str, int] | None:
        index = bisect.bisect_right(self.starts, address) - 1
        return self.rows[index] if index >= 0 else None


def read_line_table(path: str) -> LineTable:
    """The line table of the program at `path` (empty without DWARF: build with -g)."""
    from elftools.elf.elffile import ELFFile

    table = LineTable()
    rows: list[tuple[int, tuple[str, int] | None]] = []
    with open(path, "rb") as f:
        elf = ELFFile(f)
        if not elf.has_dwarf_info():
            return table
        dwarf = elf.get_dwarf_info()
        units = list(dwarf.iter_CUs())
        for cu in Progress("coverage: reading line tables", len(units)).over(units):
            program = dwarf.line_program_for_CU(cu)
            if program is None:
                continue
            top = cu.get_top_DIE()
            comp_dir = _text(top.attributes["DW_AT_comp_dir"].value) \
                if "DW_AT_comp_dir" in top.attributes else ""
            for entry in program.get_entries():
                state = entry.state
                if state is None:
                    continue
                if state.end_sequence:
                    rows.append((state.address, None))
                    continue
                source = _file_name(program, state.file, comp_dir)
                rows.append((state.address, (source, state.line)))
                if state.line:
                    table.lines[source].add(state.line)
            for die in cu.iter_DIEs():
                if die.tag == "DW_TAG_subprogram" and "DW_AT_low_pc" in die.attributes:
                    _add_function(table, program, die, comp_dir)
    rows.sort(key=lambda row: row[0])  # stable: a sequence's end stays before what follows
    table.starts = [address for address, _ in rows]
    table.rows = [row for _, row in rows]
    return table


def _add_function(table: LineTable, program, die, comp_dir: str) -> None:
    declared = die
    for link in ("DW_AT_specification", "DW_AT_abstract_origin"):
        if link in die.attributes:
            declared = die.get_DIE_from_attribute(link)
            break
    attributes = declared.attributes
    if not {"DW_AT_name", "DW_AT_decl_line", "DW_AT_decl_file"} <= attributes.keys():
        return
    source = _file_name(program, attributes["DW_AT_decl_file"].value, comp_dir)
    table.functions[source].append((attributes["DW_AT_decl_line"].value,
                                    _text(attributes["DW_AT_name"].value),
                                    die.attributes["DW_AT_low_pc"].value))


def _text(value) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def _file_name(program, index: int, comp_dir: str) -> str:
    """The absolute path of file `index` of a line program (DWARF 5 counts from 0 and names
    the compilation directory as directory 0; earlier versions count from 1)."""
    header = program.header
    modern = header.version >= 5
    files, directories = header.file_entry, header.include_directory
    position = index if modern else index - 1
    if not 0 <= position < len(files):
        return "<unknown>"
    entry = files[position]
    directory = ""
    if modern:
        if entry.dir_index < len(directories):
            directory = _text(directories[entry.dir_index])
    elif entry.dir_index:
        directory = _text(directories[entry.dir_index - 1])
    return os.path.normpath(os.path.join(comp_dir, directory, _text(entry.name)))


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
