"""Snapshots of a machine, and the recorded history that lets it run backwards.

A checkpoint holds a copy of every thread's registers and either the whole address space
(a full checkpoint: page table and frames as tuples of 4 KiB blocks, each block shared with
the previous full checkpoint when it did not change) or a journal of the changes an event
made to it (a light one). While a machine records, it takes a light checkpoint after each
event that does not follow from its instructions alone (a system call, a signal delivered, a
thread switch, a debugger's change of registers or memory) and a full one every
CHECKPOINT_INTERVAL steps. Between two checkpoints execution is deterministic: to reach any
earlier step the machine restores the full checkpoint before it and runs forward, and while it
is behind its latest step it restores the recorded events instead of making system calls again
(their effects on the host, such as output, happen once).

A Snapshot adds what the kernel keeps about the process (open files, signal handlers,
program break…) and can be written to a file and read back by another pyemu.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import zlib
from dataclasses import dataclass, field

import numpy as np

from .emulator.memory import AddressSpace

BLOCK = 4096
CHECKPOINT_INTERVAL = 100_000  # steps between periodic checkpoints: the most a step back replays
HISTORY_BYTES = 256 << 20  # recorded history kept, oldest dropped first
SNAPSHOT_MAGIC = b"pyemu-snapshot-1\n"


class BlockRecorder:
    """Captures successive contents of arrays as tuples of 4 KiB blocks (bytes), sharing the
    blocks that did not change since the previous capture of the same array."""

    def __init__(self) -> None:
        self._shadow: dict[str, np.ndarray] = {}  # the last capture, as (blocks, 512) words
        self._blocks: dict[str, tuple[bytes, ...]] = {}
        self.new_bytes = 0  # bytes of blocks made by the captures so far

    def capture(self, name: str, array: np.ndarray) -> tuple[bytes, ...]:
        words = np.ascontiguousarray(array).reshape(-1).view(np.uint64).reshape(-1, BLOCK // 8)
        count = words.shape[0]
        previous = self._blocks.get(name, ())[:count]
        shadow = self._shadow.get(name)
        if shadow is None or shadow.shape[0] < count:
            grown = np.zeros((max(count, 2 * (0 if shadow is None else shadow.shape[0])),
                              BLOCK // 8), dtype=np.uint64)
            if shadow is not None:
                grown[: shadow.shape[0]] = shadow
            shadow = self._shadow[name] = grown
        common = len(previous)
        changed = np.flatnonzero((words[:common] != shadow[:common]).any(axis=1))
        if not changed.size and common == count:
            return previous
        blocks = list(previous)
        for i in changed:
            blocks[i] = words[i].tobytes()
        blocks += [words[i].tobytes() for i in range(common, count)]
        shadow[changed] = words[changed]
        shadow[common:count] = words[common:count]
        self.new_bytes += (changed.size + count - common) * BLOCK + 8 * count
        result = self._blocks[name] = tuple(blocks)
        return result


@dataclass
class MemoryImage:
    contents: dict[str, tuple[bytes, ...]]
    bookkeeping: dict

    @classmethod
    def capture(cls, space: AddressSpace, recorder: BlockRecorder) -> MemoryImage:
        contents = {name: recorder.capture(name, array)
                    for name, array in space.contents().items()}
        return cls(contents, space.bookkeeping())

    def restore(self, space: AddressSpace) -> None:
        space.restore({name: b"".join(blocks) for name, blocks in self.contents.items()},
                      self.bookkeeping)


def copy_thread(thread):
    return dataclasses.replace(thread, state=thread.state.copy())


@dataclass(eq=False)
class Checkpoint:
    """The machine at one step. A full checkpoint holds the whole address space; a light one
    (after an event, or a debugger's change) holds only the changes that the event made to it
    (a journal, see emulator/journal.py), to be made again on the replayed state."""

    steps: int
    memory: MemoryImage | None
    threads: list  # threads.Thread copies, the main thread first
    current: int  # index of the running thread
    control: dict  # the machine's own counters and flags (see Machine._control)
    after_event: bool = False  # an event at steps - 1 led here: replay restores it
    edited: bool = False  # the debugger changed registers or memory here: replay restores it
    journal: list | None = None  # changes to make after `memory` (or to the replayed state)

    @property
    def full(self) -> bool:
        return self.memory is not None

    @property
    def event_step(self) -> int | None:
        """The step at which replaying must restore this checkpoint (None: it need not)."""
        if self.after_event:
            return self.steps - 1
        return self.steps if self.edited else None

    def merged(self, later: Checkpoint) -> Checkpoint:
        """This checkpoint and a later one at the same step, as one."""
        if later.full:
            journal = later.journal
        else:
            journal = (self.journal or []) + (later.journal or [])
        memory = later.memory if later.full else self.memory
        return Checkpoint(later.steps, memory, later.threads, later.current, later.control,
                          self.after_event or later.after_event, self.edited or later.edited,
                          journal)


@dataclass
class History:
    """The checkpoints of one run, oldest first (the oldest a full one), within
    HISTORY_BYTES."""

    recorder: BlockRecorder = field(default_factory=BlockRecorder)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    costs: list[int] = field(default_factory=list)
    total_cost: int = 0
    # While the machine is behind its latest step (replaying): that step, and the index of
    # the first checkpoint not yet reached. None when the machine runs live.
    end: int | None = None
    cursor: int = 0
    budget: int = HISTORY_BYTES
    last_full: int = 0  # steps of the latest full checkpoint
    fulls: int = 0  # full checkpoints kept

    def add(self, checkpoint: Checkpoint, cost: int) -> None:
        """Append a checkpoint (merged with one at the same step)."""
        if self.checkpoints and self.checkpoints[-1].steps == checkpoint.steps:
            previous = self.checkpoints.pop()
            self.fulls -= previous.full
            checkpoint = previous.merged(checkpoint)
            self.total_cost -= self.costs.pop()
        self.checkpoints.append(checkpoint)
        self.costs.append(cost)
        self.total_cost += cost
        if checkpoint.full:
            self.last_full = checkpoint.steps
            self.fulls += 1
        while self.total_cost > self.budget and self.fulls > 2:
            self._drop_oldest()
            while not self.checkpoints[0].full:  # unreachable without a full one before it
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        dropped = self.checkpoints.pop(0)
        self.fulls -= dropped.full
        self.total_cost -= self.costs.pop(0)
        self.cursor = max(0, self.cursor - 1)

    @property
    def replaying(self) -> bool:
        return self.end is not None

    @property
    def start(self) -> int:
        return self.checkpoints[0].steps

    def next_periodic(self) -> int:
        return self.last_full + CHECKPOINT_INTERVAL

    def full_at_or_before(self, steps: int) -> int:
        """Index of the last full checkpoint at or before `steps` (the first if none is)."""
        for index in range(len(self.checkpoints) - 1, 0, -1):
            checkpoint = self.checkpoints[index]
            if checkpoint.full and checkpoint.steps <= steps:
                return index
        return 0

    def next_event(self) -> Checkpoint | None:
        """The next checkpoint that replaying must restore (from the cursor on, which moves
        past those it need not)."""
        checkpoints = self.checkpoints
        while self.cursor < len(checkpoints):
            checkpoint = checkpoints[self.cursor]
            if checkpoint.event_step is not None:
                return checkpoint
            self.cursor += 1
        return None

    def truncate(self) -> None:
        """The machine's present replaces the recorded future: drop what is ahead."""
        del self.checkpoints[self.cursor :]
        self.total_cost -= sum(self.costs[self.cursor :])
        del self.costs[self.cursor :]
        self.fulls = sum(c.full for c in self.checkpoints)
        self.last_full = max(c.steps for c in self.checkpoints if c.full)
        self.end = None


@dataclass
class SavedFile:
    description: object  # kernel.FileDescription
    position: int | None  # the host file offset, for regular files
    identity: tuple[int, int] | None  # (st_dev, st_ino) of the open file


@dataclass
class Snapshot:
    """The whole guest process at one step: `Machine.snapshot()`, `Machine.restore(s)`;
    `save(path)` and `Snapshot.load(path)` keep it in a file."""

    checkpoint: Checkpoint
    process: object  # kernel.Process, without its threads and files
    files: dict[int, SavedFile]
    xlen: int
    executable: str

    @property
    def steps(self) -> int:
        return self.checkpoint.steps

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "wb") as f:
            f.write(SNAPSHOT_MAGIC + zlib.compress(pickle.dumps(self, protocol=5), 1))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Snapshot:
        with open(path, "rb") as f:
            data = f.read()
        if not data.startswith(SNAPSHOT_MAGIC):
            raise ValueError(f"{os.fspath(path)}: not a pyemu snapshot")
        snapshot = pickle.loads(zlib.decompress(data[len(SNAPSHOT_MAGIC) :]))
        if not isinstance(snapshot, cls):
            raise TypeError(f"{os.fspath(path)}: holds no pyemu snapshot")
        return snapshot


def capture_process(process) -> tuple[object, dict[int, SavedFile]]:
    saved = process.saved()
    files = {}
    for fd, description in process.files.items():
        try:
            st = os.fstat(description.host_fd)
            identity = (st.st_dev, st.st_ino)
            position = os.lseek(description.host_fd, 0, os.SEEK_CUR) if fd > 2 else None
        except OSError:
            identity = position = None
        files[fd] = SavedFile(copy.deepcopy(description), position, identity)
    return saved, files


def restore_process(process, saved, files: dict[int, SavedFile]) -> None:
    process.restore(saved)
    present = process.files
    restored = {}
    for fd, saved_file in files.items():
        description = present.get(fd)
        if description is None or _identity(description.host_fd) != saved_file.identity:
            description = _reopen(saved_file)
            if description is None:
                continue
        if saved_file.position is not None:
            os.lseek(description.host_fd, saved_file.position, os.SEEK_SET)
        restored[fd] = description
    kept = {d.host_fd for d in restored.values()}
    for description in present.values():
        if description.host_fd not in kept and description.host_fd > 2:
            os.close(description.host_fd)
    process.files = restored


def _identity(host_fd: int) -> tuple[int, int] | None:
    try:
        st = os.fstat(host_fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _reopen(saved: SavedFile):
    """The saved file opened again by its path (read-write when allowed), or None."""
    description = copy.deepcopy(saved.description)
    if not description.path.startswith("/") or description.path.startswith("/proc/"):
        return None
    for flags in (os.O_RDWR, os.O_RDONLY):
        try:
            description.host_fd = os.open(description.path, flags | os.O_CLOEXEC)
            return description
        except OSError:
            continue
    return None
