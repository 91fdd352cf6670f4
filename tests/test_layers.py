"""The import layers written in pyproject.toml ([tool.importlinter]) hold: the machine and CLI
over syscalls over the loader over the emulator; in syscalls, the table over handler families
that never import one another, over the kernel core; and no import cycle anywhere.

import-linter finds a package's modules under its folder, but `pyemu.emulator`, `pyemu.loader`
and `pyemu.syscalls` live in top-level folders (pyproject's package-dir), so the check runs on
the package laid out as installed: a folder of links to the repository's files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def installed_layout(target: Path) -> Path:
    """`target`/pyemu/... as pip installs it, each file a link to the repository's."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    package_dir = config["tool"]["setuptools"]["package-dir"]
    for package in config["tool"]["setuptools"]["packages"]:
        folder = target.joinpath(*package.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        for source in (REPO / package_dir[package]).glob("*.py"):
            (folder / source.name).symlink_to(source)
    return target


def lint_imports(layout: Path) -> subprocess.CompletedProcess:
    # Run outside the repository, so that its own pyemu/ folder is not what gets imported.
    env = {**os.environ, "PYTHONPATH": str(layout)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"),
                           "--no-cache"], cwd=layout, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_import_contracts_are_kept(tmp_path):
    result = lint_imports(installed_layout(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, added", [
    ("syscalls/mm.py", "from . import fs"),  # a family importing another
    ("syscalls/kernel.py", "from . import table"),  # the core importing the table
    ("loader/elf.py", "from ..emulator import cpu"),  # the loader reaching for the CPU
    ("emulator/memory.py", "from ..syscalls import errors"),  # a lower layer importing up
])
def test_a_broken_contract_is_found(tmp_path, module, added):
    layout = installed_layout(tmp_path)
    folder, name = module.split("/")
    linked = layout / "pyemu" / folder / name
    text = linked.read_text()
    linked.unlink()
    linked.write_text(f"{text}\n{added}\n")
    result = lint_imports(layout)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
