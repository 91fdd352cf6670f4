"""What an installed pyemu says about itself: its version, and docs that cover every option."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from pyemu.cli import parser

ROOT = Path(__file__).resolve().parent.parent


def long_options() -> set[str]:
    return {option for action in parser()._actions for option in action.option_strings
            if option.startswith("--") and option != "--help"}


def mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def test_version_is_the_distributions():
    shown = subprocess.run([sys.executable, "-m", "pyemu", "--version"], capture_output=True,
                           text=True, check=True).stdout
    assert shown == f"pyemu {version('pyemu')}\n"


def test_usage_and_readme_list_every_option():
    usage = (ROOT / "docs" / "usage.md").read_text()
    readme_use = re.search(r"## Use\n(.*?)\n## ", (ROOT / "README.md").read_text(),
                           re.DOTALL).group(1)
    options = long_options()
    assert {"--deterministic", "--seed", "--report", "--stats"} <= options
    assert not {o for o in options if not mentions(usage, o)}, "missing in docs/usage.md"
    assert not {o for o in options if not mentions(readme_use, o)}, "missing in the README"
