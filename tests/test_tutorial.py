"""Every code example of docs/tutorial.rst, run in order against a real server.

The page follows one convention, so that what a reader copies is what ran:

* ``.. code-block:: console``: a ``$ `` line is a command, and the ``> `` lines
  right after it continue it (bash's second prompt). Every command of the page
  runs in one bash, as in a reader's terminal: variables and files carry over.
  It must exit 0. The lines after it, up to the next ``$ ``, are its output,
  abridged: each must appear in the real output, in that order, other lines
  may come between them, ``...`` in a line stands for any text and spacing is
  not compared (a line ``...`` alone only tells the reader lines were left
  out).
* ``.. code-block:: python`` with ``:caption: NAME``: a file the reader saves
  as ``NAME``; a later command must run it (or the test fails).
* ``.. code-block:: pycon``: an interactive session, run as doctest examples
  (``ELLIPSIS``, ``NORMALIZE_WHITESPACE``) in one namespace for the page.

Any other example (a ``::`` literal block, another directive or language)
fails the test: the page shows nothing that does not run. The tutorial's root,
``http://127.0.0.1:8080/api/``, is replaced by the test server's.
"""

from __future__ import annotations

import doctest
import os
import queue
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import IO
from typing import Any
from typing import NoReturn

import pytest

from abiq.client import Client
from tests.served import Served
from tests.served import demo_server

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / 'docs' / 'tutorial.rst'
TUTORIAL_ROOT = 'http://127.0.0.1:8080/api/'
LANGUAGES = ('console', 'pycon', 'python')
# NOTE: long enough for a deploy on a loaded CI machine; a command that hangs
# (an unclosed quote, a wait that never ends) fails instead of blocking.
COMMAND_TIMEOUT = 60.0
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.FAIL_FAST

DIRECTIVE = re.compile(r'^(?P<indent> *)\.\. (?P<name>[a-z-]+)::(?P<argument>.*)$')
OPTION = re.compile(r'^ +:(?P<name>[a-z-]+):(?P<value>.*)$')
# directives that show code without going through code-block
UNRUN = {'code', 'sourcecode', 'literalinclude', 'include', 'highlight'}


@dataclass(frozen=True)
class Block:
    """One code example of the page."""

    language: str
    text: str
    line: int  # the directive's
    first: int  # the text's first line
    caption: str = ''

    def where(self) -> str:
        return f'{TUTORIAL.relative_to(ROOT)}, line {self.line}'


@dataclass
class Command:
    """A ``$`` command of a console block and the output the page shows."""

    text: str
    shown: list[str] = field(default_factory=list)


def code_blocks(page: str) -> list[Block]:
    """Return the page's code examples, refusing any the test cannot run.

    Raises:
        ValueError: a literal block, an unknown language or directive, a
            python block without the file name a command runs it by, an
            empty block.
    """
    lines = page.splitlines()
    blocks, index = [], 0
    while index < len(lines):
        line, index = lines[index], index + 1
        match = DIRECTIVE.match(line)
        if match is None:
            if line.rstrip().endswith('::') and not line.lstrip().startswith('..'):
                raise ValueError(
                    f'line {index}: a literal block (::) would not be run; '
                    f'use .. code-block:: with one of {LANGUAGES}'
                )
            continue
        if match['name'] in UNRUN:
            raise ValueError(f'line {index}: .. {match["name"]}:: is not run')
        if match['name'] != 'code-block':
            continue
        language = match['argument'].strip()
        if language not in LANGUAGES:
            raise ValueError(f'line {index}: no way to run {language!r} code')
        start = index
        options, body, index = _directive_body(lines, index, len(match['indent']))
        caption = options.get('caption', '')
        if language == 'python' and not caption:
            raise ValueError(f'line {start}: a python block needs :caption: FILE')
        filled = [i for i, text in enumerate(body) if text.strip()]
        if not filled:
            raise ValueError(f'line {start}: an empty code block')
        first = index - len(body) + filled[0]
        text = textwrap.dedent('\n'.join(body)).strip('\n')
        blocks.append(Block(language, text, start, first + 1, caption))
    return blocks


def _directive_body(
    lines: list[str], index: int, indent: int
) -> tuple[dict[str, str], list[str], int]:
    options = {}
    while index < len(lines) and (match := OPTION.match(lines[index])):
        options[match['name']] = match['value'].strip()
        index += 1
    body = []
    while index < len(lines) and (
        not lines[index].strip() or _indent(lines[index]) > indent
    ):
        body.append(lines[index])
        index += 1
    return options, body, index


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def console_commands(text: str) -> list[Command]:
    """Split a console block into its commands and their shown output.

    Raises:
        ValueError: output before the first command.
    """
    commands: list[Command] = []
    for line in text.splitlines():
        if line.startswith('$ '):
            commands.append(Command(line[2:]))
        elif not commands:
            raise ValueError(f'{line!r} comes before any $ command')
        elif (line.startswith('> ') or line == '>') and not commands[-1].shown:
            commands[-1].text += '\n' + line[2:]
        else:
            commands[-1].shown.append(line)
    return commands


def missing_output(shown: list[str], output: str) -> str | None:
    """Return the first shown line the output lacks (in order), else None."""
    actual = [_spacing(line) for line in output.splitlines()]
    position = 0
    for line in shown:
        wanted = _spacing(line)
        if wanted in ('', '...'):
            continue
        pattern = re.compile('.*'.join(re.escape(part) for part in wanted.split('...')))
        while position < len(actual) and not pattern.fullmatch(actual[position]):
            position += 1
        if position == len(actual):
            return line
        position += 1
    return None


def _spacing(line: str) -> str:
    return ' '.join(line.split())


class Shell:
    """One bash for the whole page, fed one command at a time.

    Output is read by a thread into a queue, so that a command is given a
    deadline instead of blocking the test when it hangs.
    """

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ['bash', '--noprofile', '--norc'],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        self.reader = threading.Thread(
            target=self._read, args=(self.process.stdout,), daemon=True
        )
        self.reader.start()
        # NOTE: stricter than a reader's shell: a failing curl in a pipeline
        # fails the command even when the program after it copes.
        self.run('set -o pipefail')

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, command: str, timeout: float = COMMAND_TIMEOUT) -> tuple[int, str]:
        """Run a command; return its exit status and output (stderr included).

        Raises:
            AssertionError: it did not end within ``timeout``, or bash exited.
        """
        marker = f'__done_{uuid.uuid4().hex}__'
        # NOTE: a group, not a subshell, so that assignments stay; stdin is
        # /dev/null so that a command cannot read the commands that follow.
        script = f'{{\n{command}\n}} </dev/null 2>&1\nprintf "\\n{marker} %s\\n" "$?"\n'
        assert self.process.stdin is not None
        self.process.stdin.write(script)
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        output: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f'no answer within {timeout:g} s') from None
            assert line is not None, 'bash exited'
            if line.startswith(marker):
                text = ''.join(output)
                # the newline printf wrote before the marker
                return int(line.split()[1]), text[:-1] if text.endswith('\n') else text
            output.append(line)

    def close(self) -> None:
        """End bash (killing it if a command still runs) and its pipes."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(10)
        self.process.stdout.close()


class Reader:
    """Runs the page's examples in order, as a reader would type them."""

    def __init__(self, served: Served, cwd: Path) -> None:
        self.served = served
        self.cwd = cwd
        env = dict(served.env)
        # NOTE: `python3` is this interpreter (abiq installed), and a
        # developer's ~/.curlrc cannot change what curl prints.
        env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env["PATH"]}'
        env['CURL_HOME'] = str(cwd)
        self.shell = Shell(cwd, env)
        self.namespace: dict[str, Any] = {'__name__': '__tutorial__'}
        self.unused: dict[str, Block] = {}  # saved files no command has run yet

    def run(self, block: Block) -> None:
        text = block.text.replace(TUTORIAL_ROOT, self.served.root)
        if block.language == 'console':
            self._console(block, text)
        elif block.language == 'pycon':
            self._session(block, text)
        else:
            self._file(block, text)

    def _console(self, block: Block, text: str) -> None:
        for command in console_commands(text):
            for name in list(self.unused):
                if name in command.text:
                    del self.unused[name]
            try:
                status, output = self.shell.run(command.text)
            except AssertionError as ex:
                _fail(block, f'{command.text}: {ex}', '')
            if status != 0:
                _fail(block, f'{command.text}: exit status {status}', output)
            absent = missing_output(command.shown, output)
            if absent is not None:
                _fail(block, f'{command.text}: the output lacks {absent!r}', output)

    def _session(self, block: Block, text: str) -> None:
        # NOTE: doctest counts from 0 and reports its examples' file lines
        test = doctest.DocTestParser().get_doctest(
            text, self.namespace, 'tutorial', str(TUTORIAL), block.first - 1
        )
        report: list[str] = []
        runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
        result = runner.run(test, out=report.append, clear_globs=False)
        # NOTE: DocTest copies the namespace; keep what this block defined.
        self.namespace.update(test.globs)
        if result.failed:
            _fail(block, 'the session differs', ''.join(report))

    def _file(self, block: Block, text: str) -> None:
        (self.cwd / block.caption).write_text(text + '\n')
        self.unused[block.caption] = block

    def close(self) -> None:
        """End the shell, and close the clients a failed session left open."""
        self.shell.close()
        for value in self.namespace.values():
            if isinstance(value, Client):
                value.close()


def _fail(block: Block, what: str, output: str) -> NoReturn:
    pytest.fail(
        f'{block.where()}: {what}\n--- the block ---\n{block.text}\n'
        f'--- what ran printed ---\n{output}',
        pytrace=False,
    )


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    blocks = code_blocks(TUTORIAL.read_text())
    assert blocks, 'docs/tutorial.rst has no code blocks: nothing would be tested'
    languages = {block.language for block in blocks}
    assert {'console', 'pycon'} <= languages, 'curl and the Python client, both'
    assert shutil.which('curl'), 'the tutorial runs curl: install it'
    (tmp_path / 'server').mkdir()
    (tmp_path / 'reader').mkdir()
    with demo_server(tmp_path / 'server') as served:
        reader = Reader(served, tmp_path / 'reader')
        try:
            for block in blocks:
                reader.run(block)
        finally:
            reader.close()
    never_run = [f'{name} ({block.where()})' for name, block in reader.unused.items()]
    assert not never_run, f'saved but never run: {never_run}'


# -- the convention itself --------------------------------------------------


def test_a_literal_block_is_refused() -> None:
    with pytest.raises(ValueError, match='literal block'):
        code_blocks('Run this::\n\n   rm -rf /\n')
    with pytest.raises(ValueError, match="'bash'"):
        code_blocks('.. code-block:: bash\n\n   ls\n')
    with pytest.raises(ValueError, match='caption'):
        code_blocks('.. code-block:: python\n\n   print(1)\n')


def test_code_blocks_keep_their_caption_and_text() -> None:
    page = (
        'Intro.\n\n.. code-block:: python\n   :caption: a.py\n\n   print(1)\n\n'
        '   print(2)\n\nAfter.\n\n.. code-block:: console\n\n   $ ls\n'
    )
    first, second = code_blocks(page)
    assert (first.language, first.caption, first.text) == (
        'python',
        'a.py',
        'print(1)\n\nprint(2)',
    )
    assert (second.language, second.text) == ('console', '$ ls')


def test_console_commands_continue_on_the_second_prompt() -> None:
    text = '$ for x in 1 2; do\n>   echo $x\n> done\n1\n> 2\n$ true'
    first, second = console_commands(text)
    assert first == Command('for x in 1 2; do\n  echo $x\ndone', ['1', '> 2'])
    assert second == Command('true')


def test_shown_output_is_matched_in_order_loosely() -> None:
    output = 'HTTP/1.1 202 Accepted\nDate: today\nLocation:  /tasks/7\n'
    shown = ['HTTP/1.1 202 ...', '...', 'Location: /tasks/...']
    assert missing_output(shown, output) is None
    assert missing_output(['Location: ...', 'Date: ...'], output) == 'Date: ...'
    assert missing_output(['Retry-After: 1'], output) == 'Retry-After: 1'
