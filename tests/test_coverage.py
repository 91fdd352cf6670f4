"""--coverage (lcov), --profile (speedscope) and --profile-svg (flame graph) of a guest whose
coverage and call tree are known from its source (tests/guests/observed.c, whose lines say how
often they run), static and dynamic (PIE, through ld.so), with a second thread.

No oracle runs the same guest here: gcov would need the program rebuilt with instrumentation.
The expectations are the C semantics of the source at -O0, written beside each line; genhtml
checks that the tracefile is one lcov accepts.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import GUEST_SOURCES, require_tool

from pyemu.observe import Progress

SOURCE = GUEST_SOURCES / "observed.c"
STDOUT, STATUS = b"deep 12\n", 3


def marked_lines() -> dict[int, int]:
    """Line number -> how often the source says it runs."""
    return {number: int(match.group(1))
            for number, line in enumerate(SOURCE.read_text().splitlines(), 1)
            if (match := re.search(r"/\* runs: (\d+) \*/", line))}


@pytest.fixture(scope="module", params=["static", "dynamic"])
def guest(request, build_guest, cross_cc, tmp_path_factory) -> Path:
    if request.param == "static":
        return build_guest(SOURCE, opt="-O0", extra=("-g",))
    binary = tmp_path_factory.mktemp("observed") / "observed-pie"
    subprocess.run([cross_cc, "-g", "-O0", "-pie", "-fPIE", "-o", str(binary), str(SOURCE)],
                   check=True, capture_output=True)
    return binary


def observed_run(run_pyemu, guest: Path, *options: str):
    """Run with the options (file names in the working directory); the result and its files."""
    result = run_pyemu(guest, options=[*options, "--stats"])
    assert (result.returncode, result.stdout) == (STATUS, STDOUT), result.stderr
    return result


def lcov_records(text: str) -> dict[str, dict[str, list[str]]]:
    """SF path -> record type -> values, from an lcov tracefile."""
    files: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        kind, _, value = line.partition(":")
        if kind == "SF":
            current = files[value] = defaultdict(list)
        elif kind not in ("TN", "end_of_record"):
            current[kind].append(value)
    return files


def test_coverage_counts_every_marked_line(guest, run_pyemu):
    result = observed_run(run_pyemu, guest, "--coverage", "run.info")
    records = lcov_records(result.files["run.info"].decode())
    assert str(SOURCE) in records, list(records)
    ours = records[str(SOURCE)]
    hits = {int(line): int(count) for line, count in (v.split(",") for v in ours["DA"])}
    for line, runs in marked_lines().items():
        assert hits.get(line) == runs, f"line {line}: {hits.get(line)} runs, expected {runs}"
    entered = {name: int(count) for count, name in (v.split(",") for v in ours["FNDA"])}
    assert entered == {"never_called": 0, "heavy": 2, "light": 3, "caller": 3, "deep": 13,
                       "worker": 1, "main": 1}
    assert ours["LH"] == [str(sum(1 for count in hits.values() if count))]
    assert ours["LF"] == [str(len(hits))]


def test_genhtml_accepts_the_tracefile(guest, run_pyemu, tmp_path):
    genhtml = require_tool("genhtml")
    result = observed_run(run_pyemu, guest, "--coverage", "run.info")
    tracefile = tmp_path / "run.info"
    tracefile.write_bytes(result.files["run.info"])
    done = subprocess.run([genhtml, "-o", str(tmp_path / "html"), str(tracefile)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    summary = re.search(r"lines\.+: ([\d.]+)% \((\d+) of (\d+) lines\)", done.stdout)
    assert summary, done.stdout
    assert (tmp_path / "html" / "index.html").exists()


def test_profile_follows_the_call_tree(guest, run_pyemu):
    result = observed_run(run_pyemu, guest, "--profile", "run.json")
    document = json.loads(result.files["run.json"])
    assert document["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    frames = [frame["name"] for frame in document["shared"]["frames"]]
    main_thread, worker_thread = document["profiles"]  # in the order of their thread ids
    stacks = {}
    for profile in (main_thread, worker_thread):
        assert profile["type"] == "sampled" and profile["unit"] == "none"
        assert profile["endValue"] == sum(profile["weights"])
        stacks[profile["name"]] = {tuple(frames[i] for i in sample): weight for sample, weight
                                   in zip(profile["samples"], profile["weights"])}
    main_stacks, worker_stacks = stacks[main_thread["name"]], stacks[worker_thread["name"]]

    def inside(by_stack, *path: str) -> int:
        """Instructions run with `path` as the innermost calls of the stack."""
        return sum(w for stack, w in by_stack.items() if stack[-len(path):] == path)

    total = main_thread["endValue"]
    assert inside(main_stacks, "main", "heavy") > 0.8 * total  # 30000 of the loop's turns
    assert inside(worker_stacks, "worker", "heavy") > 0.9 * worker_thread["endValue"]
    # each of light's 3 calls: a few instructions; it is reached through caller only
    assert 0 < inside(main_stacks, "main", "caller", "light") < 100
    assert not any(stack[-1] == "light" and stack[-2] != "caller" for stack in main_stacks)
    assert inside(main_stacks, "main", *["deep"] * 13) > 0  # the recursion, frame by frame
    assert not any(stack.count("deep") > 13 for stack in main_stacks)
    assert "never_called" not in frames
    # The instructions of both threads, as --stats counts them (a unit that traps is counted
    # whole: one instruction per system call at most).
    counted = total + worker_thread["endValue"]
    retired = int(re.search(r"instructions=(\d+)", result.stderr).group(1))
    assert retired <= counted < retired * 1.001


def test_flame_graph(guest, run_pyemu):
    result = observed_run(run_pyemu, guest, "--profile-svg", "run.svg")
    svg = ElementTree.fromstring(result.files["run.svg"])
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    boxes = {}
    for group in svg.iterfind("svg:g", namespace):
        title = group.find("svg:title", namespace).text
        boxes.setdefault(title.split(":")[0], []).append(
            float(group.find("svg:rect", namespace).get("width")))
    all_width = boxes["all"][0]
    assert sum(boxes["heavy"]) > 0.8 * all_width  # the main thread's and the worker's
    # one box per recursion level, each inside the one below it (the deepest levels are too
    # narrow to draw)
    deep = boxes["deep"]
    assert 5 <= len(deep) <= 13 and all(outer > inner for outer, inner in pairwise(deep))
    assert all(width <= all_width for widths in boxes.values() for width in widths)


def test_unwritable_file_is_one_error_line(guest, run_pyemu):
    result = run_pyemu(guest, options=["--coverage", "no/such/dir/run.info"])
    assert result.returncode == 73  # EX_CANTCREAT
    assert result.stdout == STDOUT
    assert result.stderr_lines == [
        "pyemu: cannot write no/such/dir/run.info: No such file or directory"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr(Progress, "DELAY", 0)
    monkeypatch.setattr(Progress, "INTERVAL", 0)
    terminal = Terminal()
    list(Progress("coverage: mapping lines", 4, terminal).over(range(4)))
    assert terminal.getvalue().startswith("\rpyemu: coverage: mapping lines: 0%")
    assert "\rpyemu: coverage: mapping lines: 75%" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[K")  # the line is gone when it is done
    pipe = io.StringIO()  # not a terminal: nothing
    list(Progress("coverage: mapping lines", 4, pipe).over(range(4)))
    assert pipe.getvalue() == ""
