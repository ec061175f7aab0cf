"""The documentation builds without a single warning, as ``make docs`` does.

A warning (a broken reference, a bad directive, a docstring autodoc cannot
read, a page outside the table of contents) fails the build, so CI catches it
before a reader does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_docs_build_without_warnings(tmp_path: Path) -> None:
    html = tmp_path / 'html'
    # NOTE: the flags of `make docs`: -W makes a warning an error, and
    # --keep-going reports all of them at once.
    build = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b', 'html']
        + [str(ROOT / 'docs'), str(html)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert (html / 'tutorial.html').is_file()
    # the client's API reference came from its docstrings (autodoc ran)
    assert 'abiq.client.Task.wait' in (html / 'client.html').read_text()
